/* SPDX-License-Identifier: MIT */
/* The one event loop: level-triggered epoll over fd watches, plus a list of deadlines. */
#ifndef SHIMBOX_CORE_LOOP_H
#define SHIMBOX_CORE_LOOP_H

#include <stdint.h>

struct loop_watch;
typedef void (*loop_fn)(struct loop_watch *w, uint32_t events);

/* Embedded in its owner; fd and fn set by the owner before loop_add. */
struct loop_watch {
	int fd;
	loop_fn fn;
	uint32_t events; /* what is currently registered; 0 = not registered */
};

struct loop_timer;
typedef void (*loop_timer_fn)(struct loop_timer *t);

struct loop_timer {
	uint64_t deadline; /* monotonic ms */
	loop_timer_fn fn;
	struct loop_timer *next;
	int armed;
};

int loop_init(void) __attribute__((warn_unused_result));
/* Registers, changes (events != 0) or removes (events == 0) the watch. Returns 0 or -errno. */
int loop_set(struct loop_watch *w, uint32_t events) __attribute__((warn_unused_result));
/* Removes the watch if registered; safe to call on an unregistered watch. Does not close fd. */
void loop_del(struct loop_watch *w);
void loop_timer_arm(struct loop_timer *t, uint64_t after_ms);
void loop_timer_cancel(struct loop_timer *t);
/*
 * Runs until loop_stop. Each epoll_wait returns one event, so a callback may free any other
 * watch without leaving a dangling event behind.
 */
void loop_run(void);
void loop_stop(void);

#endif
