/* SPDX-License-Identifier: MIT */
/*
 * signalfd reaper with per-pid claims and a bounded buffer of unclaimed exits.
 *
 * Why a buffered exit is never handed to the wrong process: a pid is held from fork until the
 * process is collected, and only then reused. So when a claim for pid P is made while P is a
 * child of ours that we have not collected (running, or a zombie: waitid(WNOWAIT) tells), the
 * process P now names is that child, and every buffered exit of P is an earlier process's: they
 * are dropped and the claim waits. When P is not our child, its process has already been
 * collected (by us, if it is ours at all: our own forks, and the processes reparented to us as
 * subreaper, such as a container's init once runc has exited), so the newest buffered exit of P
 * is its own. A pid could mislead only if it were reused twice between an exit and its claim,
 * and the service claims pids read from pid files right after the runtime that wrote them exits.
 * spawn also forgets the buffered exits of a pid that fork just returned: they cannot be claimed
 * by anyone any more, and would only take room.
 */
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

/* Unclaimed exits, oldest first: orphans reparented to us, and container processes whose pid we
 * learn only from a pid file after they may already have died. Oldest dropped (and logged) when
 * full: reaper.h says so. */
#define UNCLAIMED_MAX REAP_UNCLAIMED_MAX
static struct reap_exit unclaimed[UNCLAIMED_MAX];
static unsigned unclaimed_len;

static struct claim *claims;
static struct loop_watch sigw = { .fd = -1 };
static void (*signal_cb)(int);

static void unclaimed_remove(unsigned i)
{
	memmove(unclaimed + i, unclaimed + i + 1, sizeof(unclaimed[0]) * (unclaimed_len - i - 1));
	unclaimed_len--;
}

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
		log_warn("reaper: %d unclaimed exits buffered: dropping the oldest, of pid %d "
		         "(status %d)",
		         UNCLAIMED_MAX, (int)unclaimed[0].pid, unclaimed[0].status);
		unclaimed_remove(0);
	}
	unclaimed[unclaimed_len++] = *e;
}

void reap_forget(pid_t pid)
{
	for (unsigned i = unclaimed_len; i-- > 0;)
		if (unclaimed[i].pid == pid)
			unclaimed_remove(i);
}

/* pid is a child of ours not collected yet: running, stopped, or a zombie. */
static int is_uncollected_child(pid_t pid)
{
	siginfo_t si;
	for (;;) {
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
			return 1;
		if (errno != EINTR)
			return 0; /* ECHILD: not (or no longer) a child of ours */
	}
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
	if (is_uncollected_child(pid)) {
		reap_forget(pid); /* earlier processes' exits: see the top of the file */
	} else {
		for (unsigned i = unclaimed_len; i-- > 0;) {
			if (unclaimed[i].pid != pid)
				continue;
			struct reap_exit e = unclaimed[i];
			reap_forget(pid); /* this one, and any older one of the same pid */
			fn(ctx, &e);
			return 0;
		}
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
