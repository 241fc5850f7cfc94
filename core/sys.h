/* SPDX-License-Identifier: MIT */
/* EINTR-safe syscall wrappers and small file helpers. Return >= 0 or -errno. */
#ifndef SHIMBOX_CORE_SYS_H
#define SHIMBOX_CORE_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SYS_WARN __attribute__((warn_unused_result))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

ssize_t sys_read(int fd, void *buf, size_t n) SYS_WARN;
ssize_t sys_write(int fd, const void *buf, size_t n) SYS_WARN;
/* Writes all of buf to a blocking fd. */
int sys_write_all(int fd, const void *buf, size_t n) SYS_WARN;
int sys_open(const char *path, int flags, mode_t mode) SYS_WARN;
void sys_close(int fd);
/* Closes *fd if open and sets it to -1. */
void sys_closep(int *fd);
int sys_set_nonblock(int fd, int on) SYS_WARN;

/* Reads a whole small file into buf (NUL-terminated, truncated to cap-1). Returns its length. */
ssize_t sys_read_file(const char *path, char *buf, size_t cap) SYS_WARN;
/*
 * Writes a file atomically: path.tmp (O_EXCL) then rename. Atomic for readers and against the
 * writer's death, not against the machine's: no fsync, so that the loop (which writes the exit
 * record, options.json and exec specs) never waits on a disk. Every such file is in containerd's
 * state dir, which a reboot clears anyway (/run).
 */
int sys_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode) SYS_WARN;
int sys_mkdir_p(const char *path, mode_t mode) SYS_WARN;

/* Wall clock for exited_at and envelopes. */
void sys_now(int64_t *seconds, int32_t *nanos);
/* Monotonic milliseconds. */
uint64_t sys_mono_ms(void);

/* snprintf into a fixed buffer; returns -ENAMETOOLONG if it did not fit. */
int sys_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) SYS_WARN;

#endif
