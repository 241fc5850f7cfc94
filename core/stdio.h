/* SPDX-License-Identifier: MIT */
/*
 * A process's stdio (PROTOCOL.md 5.3-5.5): pipes to the container, FIFOs (or a file, or a logging
 * binary) on the client's side, and copiers between them driven by the loop. Pipe to FIFO is
 * spliced with no userspace buffer; only a terminal's master needs a small buffer per direction.
 * For each output FIFO the shim also holds a read end, so a detached client never makes the
 * container see EPIPE; for stdin it holds a write end that only CloseIO releases.
 * A plain path must be a FIFO (containerd makes them): anything else, a missing path, a regular
 * file, a directory or a symbolic link (never followed), is refused with a message. Only a
 * file:// URI names a file, which is created as the reference does it.
 */
#ifndef SHIMBOX_CORE_STDIO_H
#define SHIMBOX_CORE_STDIO_H

#include "err.h"
#include "loop.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pio;

/* Moves bytes from src to dst: spliced when buf is NULL, else through buf (terminals). */
struct pio_copier {
	struct loop_watch src; /* first: the src watch callback finds the copier */
	struct loop_watch dst;
	int hold_fd; /* an output FIFO's read end held by the shim; closed with dst */
	int dst_pollable;
	int buffered; /* dst refuses splice (a file:// log, O_APPEND): copied through buf */
	int active;
	int is_output;
	uint8_t *buf;
	size_t len, off;
	struct pio *io;
};

struct pio_logger;

struct pio {
	struct pio_copier in, out, err;
	int stdin_holder; /* our write end of the stdin FIFO; -1 after CloseIO */
	int child_fds[3]; /* the container's ends, for the runtime; -1 = /dev/null */
	int terminal;
	int master;      /* the pty master once received, else -1 */
	int console_out; /* terminal: the output target until the master arrives */
	int console_hold;
	int console_out_pollable;
	struct pio_logger *logger;
	struct loop_watch ready;                  /* the logger's ready pipe */
	int ready_strict; /* binary-v2://: only a byte means ready, EOF alone is a failure */
	void (*on_ready)(struct pio *io, int ok); /* logger ready (ok) or failed */
	void (*drained)(struct pio *io);          /* called once the output copiers have finished */
	void *ctx;
	int tty_final; /* the process is gone: the next EIO on the master is the end */
	struct loop_timer tty_timer;
};

struct pio_cfg {
	const char *in, *out, *err; /* as containerd sent them: FIFO paths; out may also be a
	                             * file://, binary:// or binary-v2:// (2.3+) URI, which then
	                             * names the target of both output streams */
	int terminal;
	int uid, gid;        /* owner of the container ends, or -1 */
	const char *id, *ns; /* for a logging binary's environment */
};

void pio_init(struct pio *io);
/*
 * Sets up everything before the runtime runs. Nothing blocks: output FIFOs are opened for
 * reading first, which makes the non-blocking write open succeed. Returns 0, PIO_WAIT when a
 * logging binary was started and on_ready will be called once it is ready, or -errno with a
 * message in err (-EINVAL for a plain path that is not a FIFO, or a bad URI).
 */
#define PIO_WAIT 1
int pio_open(struct pio *io, const struct pio_cfg *cfg, struct err *err)
    __attribute__((warn_unused_result));
/* Closes the shim's copies of the container ends once the runtime has them. */
void pio_close_child_ends(struct pio *io);
/* Starts the copiers; for a terminal, master is the pty master received from the runtime. */
int pio_start(struct pio *io, int master) __attribute__((warn_unused_result));
/* 1 while an output copier still runs. */
int pio_outputs_busy(const struct pio *io);
/*
 * The process has exited. A pty master reads EIO whenever no slave is open, even while the
 * kernel still moves the last output into it, so EIO is only final once the process is gone
 * and a short grace has passed; then what is left is read and the console output ends.
 */
void pio_process_exited(struct pio *io);
/* CloseIO: releases the stdin holder, so the container sees EOF once the client's writer goes. */
void pio_close_stdin(struct pio *io);
/* TIOCSWINSZ on the master; 0 without a terminal. */
int pio_resize(struct pio *io, unsigned width, unsigned height) __attribute__((warn_unused_result));
/*
 * In-place upgrade: pio_handover_get describes io (its fds, into fds too) in the fields of hp;
 * pio_adopt rebuilds io (pio_init'ed) from them in the new image, its copiers watched as they
 * were. 0 or -ENOMEM.
 */
struct ho_proc;
struct ho_fds;
void pio_handover_get(const struct pio *io, struct ho_proc *hp, struct ho_fds *fds);
int pio_adopt(struct pio *io, const struct ho_proc *hp) __attribute__((warn_unused_result));
/* Stops everything and closes every fd; a logging binary gets SIGTERM, then SIGKILL after 12 s. */
void pio_destroy(struct pio *io);

#endif
