/* SPDX-License-Identifier: MIT */
/*
 * Between core/stdio.c and core/stdio_logger.c, the logging binary of binary:// URIs. Internal to
 * these two files; the rest of the shim sees stdio.h.
 */
#ifndef SHIMBOX_CORE_STDIO_INT_H
#define SHIMBOX_CORE_STDIO_INT_H

#include "stdio.h"

#include <stddef.h>

/* pipe2(O_CLOEXEC): 0, or -errno with a message in err. */
int pio_pipe(int fds[2], struct err *err) __attribute__((warn_unused_result));
/*
 * Starts the logging binary of uri with the container's output pipes (only the console's, with
 * a terminal): PIO_WAIT, io->on_ready to come once it is ready, or -errno with a message in err
 * (what it opened is io's, freed by pio_destroy).
 */
int pio_logger_open(struct pio *io, const struct pio_cfg *cfg, const char *uri, struct err *err) __attribute__((warn_unused_result));
/* In-place upgrade: the logging binary's pid (0 if none), and a watch of it again. */
pid_t pio_logger_pid(const struct pio *io);
int pio_logger_adopt(struct pio *io, pid_t pid) __attribute__((warn_unused_result));
/* pio_destroy's part: the binary, if any, gets SIGTERM now and SIGKILL after 12 s. */
void pio_logger_release(struct pio *io);

#endif
