/* SPDX-License-Identifier: MIT */
/* signalfd reaper with per-pid claims and a bounded buffer of unclaimed exits. */
#include "reaper.h"

#include "log.h"
#include "loop.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/epoll.h>
#include <sys/wait.h>

struct claim {
	pid_t pid;
	reap_fn fn;
	void *ctx;
	struct claim *next;
};

/* Unclaimed exits: orphans reparented to us, and container processes whose pid we learn only
 * from a pid file after they may already have died. Oldest dropped first when full. */
#define UNCLAIMED_MAX 128
static struct reap_exit unclaimed[UNCLAIMED_MAX];
static unsigned unclaimed_len;

static struct claim *claims;
static struct loop_watch sigw = { .fd = -1 };
static void (*signal_cb)(int);

static void deliver(const struct reap_exit *e)
{
	for (struct claim **p = &claims; *p; p = &(*p)->next) {
		struct claim *c = *p;
		if (c->pid != e->pid)
			continue;
		*p = c->next;
		reap_fn fn = c->fn;
		void *ctx = c->ctx;
		free(c);
		fn(ctx, e);
		return;
	}
	if (unclaimed_len == UNCLAIMED_MAX) {
		memmove(unclaimed, unclaimed + 1, sizeof(unclaimed[0]) * (UNCLAIMED_MAX - 1));
		unclaimed_len--;
	}
	unclaimed[unclaimed_len++] = *e;
}

void reap_collect(void)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		struct reap_exit e = { .pid = pid };
		e.status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		sys_now(&e.at_s, &e.at_ns);
		deliver(&e);
	}
}

static void on_signalfd(struct loop_watch *w, uint32_t events)
{
	struct signalfd_siginfo si[8];
	(void)events;
	ssize_t n = sys_read(w->fd, si, sizeof(si));
	if (n <= 0)
		return;
	for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
		if (si[i].ssi_signo == SIGCHLD)
			reap_collect();
		else if (signal_cb)
			signal_cb((int)si[i].ssi_signo);
	}
}

int reap_init(void (*on_signal)(int))
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sigw.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigw.fd < 0)
		return -errno;
	sigw.fn = on_signalfd;
	signal_cb = on_signal;
	return loop_set(&sigw, EPOLLIN);
}

int reap_watch(pid_t pid, reap_fn fn, void *ctx)
{
	for (unsigned i = 0; i < unclaimed_len; i++) {
		if (unclaimed[i].pid != pid)
			continue;
		struct reap_exit e = unclaimed[i];
		memmove(unclaimed + i, unclaimed + i + 1,
		        sizeof(unclaimed[0]) * (unclaimed_len - i - 1));
		unclaimed_len--;
		fn(ctx, &e);
		return 0;
	}
	struct claim *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pid = pid;
	c->fn = fn;
	c->ctx = ctx;
	c->next = claims;
	claims = c;
	return 0;
}

void reap_unwatch(pid_t pid)
{
	for (struct claim **p = &claims; *p; p = &(*p)->next) {
		if ((*p)->pid == pid) {
			struct claim *c = *p;
			*p = c->next;
			free(c);
			return;
		}
	}
}
