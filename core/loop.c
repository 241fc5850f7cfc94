/* SPDX-License-Identifier: MIT */
/* epoll loop with a sorted timer list; the nearest deadline is the epoll_wait timeout. */
#include "loop.h"

#include "log.h"
#include "sys.h"

#include <errno.h>
#include <sys/epoll.h>

static int epfd = -1;
static int running;
static struct loop_timer *timers;

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

int loop_set(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op = !w->events ? EPOLL_CTL_ADD : events ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
	/* Unchanged: no syscall, and no re-arming (EPOLL_CTL_MOD would report a ready fd again,
	 * even edge-triggered). */
	if (w->events == events)
		return 0;
	if (epoll_ctl(epfd, op, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void loop_del(struct loop_watch *w)
{
	if (w->events && w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->events = 0;
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **p = &timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = 0;
}

void loop_timer_arm(struct loop_timer *t, uint64_t after_ms)
{
	struct loop_timer **p = &timers;
	loop_timer_cancel(t);
	t->deadline = sys_mono_ms() + after_ms;
	while (*p && (*p)->deadline <= t->deadline)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	t->armed = 1;
}

void loop_stop(void)
{
	running = 0;
}

void loop_run(void)
{
	running = 1;
	while (running) {
		int timeout = -1;
		if (timers) {
			uint64_t now = sys_mono_ms();
			if (timers->deadline <= now) {
				struct loop_timer *t = timers;
				timers = t->next;
				t->armed = 0;
				t->fn(t);
				continue;
			}
			uint64_t d = timers->deadline - now;
			timeout = d > 60000 ? 60000 : (int)d;
		}
		struct epoll_event ev;
		int n = epoll_wait(epfd, &ev, 1, timeout);
		if (n < 0) {
			if (errno != EINTR)
				log_error("epoll_wait: %d", errno);
			continue;
		}
		if (n == 1) {
			struct loop_watch *w = ev.data.ptr;
			w->fn(w, ev.events);
		}
	}
}
