/* SPDX-License-Identifier: MIT */
/*
 * The reaper: signals arrive through a signalfd; on SIGCHLD every exited child is collected and
 * handed to (1) the watcher registered for its pid, else (2) kept in a buffer of unclaimed exits
 * that a process start consults after it learns its pid (from a pid file, after the runtime that
 * wrote it has exited). An exit is given at most once, and only to a watch of the process that
 * produced it: a buffered exit of a pid that has since been reused is never handed out.
 *
 * The buffer is bounded (REAP_UNCLAIMED_MAX). Its entries are mostly orphans nobody will ever
 * claim; when it is full the oldest entry is dropped and the drop is logged (pid and status). A
 * claim made as the service makes them, right after the runtime that started the process exited,
 * loses its exit only if more than REAP_UNCLAIMED_MAX other unclaimed processes exited between
 * the process's own exit and that claim.
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

#define REAP_UNCLAIMED_MAX 128

typedef void (*reap_fn)(void *ctx, const struct reap_exit *e);

/* Blocks SIGCHLD, SIGTERM, SIGINT, SIGUSR1 into a signalfd on the loop; ignores SIGPIPE.
 * on_signal gets every signal other than SIGCHLD. */
int reap_init(void (*on_signal)(int signo)) __attribute__((warn_unused_result));
/*
 * Claims pid: its exit goes to fn(ctx). If pid is a child of ours not yet collected (running, or
 * a zombie), every buffered exit of pid belongs to an earlier process of that pid and is dropped;
 * the claim waits for the collection. Otherwise, if the buffer holds exits of pid, the newest is
 * the process's own: fn runs with it before reap_watch returns (and older ones are dropped).
 * Returns 0 or -ENOMEM.
 */
int reap_watch(pid_t pid, reap_fn fn, void *ctx) __attribute__((warn_unused_result));
/* Drops a claim (the owner is going away); a later exit of pid becomes unclaimed. */
void reap_unwatch(pid_t pid);
/* Drops every buffered exit of pid: a fork that just returned pid proves they are stale (spawn
 * calls it). */
void reap_forget(pid_t pid);
/* Collects now, without waiting for the signalfd (used when the loop is not running). */
void reap_collect(void);

#endif
