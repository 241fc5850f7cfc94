/* SPDX-License-Identifier: MIT */
/*
 * The reaper: signals arrive through a signalfd; on SIGCHLD every exited child is collected and
 * handed to (1) the watcher registered for its pid, else (2) kept in a small buffer of unclaimed
 * exits that a process start consults after it learns its pid. No exit is lost or given twice.
 */
#ifndef SHIMBOX_CORE_REAPER_H
#define SHIMBOX_CORE_REAPER_H

#include <stdint.h>
#include <sys/types.h>

/* status: the exit code, or 128 + signal number. at: when the reaper collected it. */
struct reap_exit {
	pid_t pid;
	int status;
	int64_t at_s;
	int32_t at_ns;
};

typedef void (*reap_fn)(void *ctx, const struct reap_exit *e);

/* Blocks SIGCHLD, SIGTERM, SIGINT, SIGUSR1 into a signalfd on the loop; ignores SIGPIPE.
 * on_signal gets every signal other than SIGCHLD. */
int reap_init(void (*on_signal)(int signo)) __attribute__((warn_unused_result));
/*
 * Claims pid: its exit goes to fn(ctx). If the exit was already collected and is in the
 * unclaimed buffer, fn runs before reap_watch returns. Returns 0 or -ENOMEM.
 */
int reap_watch(pid_t pid, reap_fn fn, void *ctx) __attribute__((warn_unused_result));
/* Drops a claim (the owner is going away); a later exit of pid becomes unclaimed. */
void reap_unwatch(pid_t pid);
/* Collects now, without waiting for the signalfd (used when the loop is not running). */
void reap_collect(void);

#endif
