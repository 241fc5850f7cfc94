/* SPDX-License-Identifier: MIT */
/*
 * core/reaper: which exit a claim gets; core/spawn: what a child inherits. Runs as pid 1 of a
 * private pid namespace (root needed) so that /proc/sys/kernel/ns_last_pid hands chosen pids to
 * new processes: a pid whose earlier process's exit sits unclaimed in the buffer is reused by a
 * child of ours, and by a process reparented to us (as a container's init is when runc exits),
 * and neither may be given it.
 */
#include "core/reaper.h"
#include "core/spawn.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef REAP_UNCLAIMED_MAX
#define REAP_UNCLAIMED_MAX 128
#endif

struct got {
	int calls;
	pid_t pid;
	int status;
};

static void got_fn(void *ctx, const struct reap_exit *e)
{
	struct got *g = ctx;
	g->calls++;
	g->pid = e->pid;
	g->status = e->status;
}

/* The next process of this pid namespace gets pid next. */
static int next_pid(pid_t next)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC), n;
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d", (int)next - 1);
	n = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return n;
}

/* Waits until child pid has exited, without collecting it. */
static void settle(pid_t pid)
{
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
	}
}

static pid_t fork_exit(int status)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(status);
	return pid;
}

/* A child that exits with status once the write end of *p is closed (p[0] is its read end). */
static pid_t fork_blocked(int p[2], int status)
{
	char b;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &b, 1) < 0 && errno == EINTR) {
		}
		_exit(status);
	}
	close(p[0]);
	return pid;
}

/* An exit of pid at in the unclaimed buffer: a child that exits with status, collected. */
static pid_t buffer_exit_at(pid_t at, int status)
{
	if (next_pid(at) < 0)
		return -1;
	pid_t pid = fork_exit(status);
	settle(pid);
	reap_collect();
	return pid;
}

/*
 * Like runc create: a child of ours (pid at - 1) starts a process (pid at), and exits; that
 * process is reparented to us. With blocked, it waits for the write end of *p to close, then
 * exits with status; else it exits at once, and is a zombie before it is reparented to us.
 */
static pid_t reparented_at(pid_t at, int blocked, int p[2], int status)
{
	int q[2];
	pid_t g = -1;
	if ((blocked && pipe2(p, O_CLOEXEC) < 0) || pipe2(q, O_CLOEXEC) < 0 || next_pid(at - 1) < 0)
		return -1;
	pid_t r = fork();
	if (r == 0) {
		char b;
		siginfo_t si;
		pid_t c = fork();
		if (c == 0) {
			if (blocked) {
				close(p[1]);
				while (read(p[0], &b, 1) < 0 && errno == EINTR) {
				}
			}
			_exit(status);
		}
		if (!blocked)
			while (waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
			}
		(void)!write(q[1], &c, sizeof(c));
		_exit(0);
	}
	close(q[1]);
	if (blocked)
		close(p[0]);
	if (read(q[0], &g, sizeof(g)) != sizeof(g))
		g = -1;
	close(q[0]);
	settle(r);
	reap_collect(); /* runc's own exit: unclaimed, as nobody watches it here */
	return g;
}

static void test_fork_reuse(void)
{
	struct got g = { 0 };
	int p[2];
	pid_t old = buffer_exit_at(300, 7);
	CHECK(old == 300, "an unclaimed exit of pid 300 (got %d)", (int)old);
	if (next_pid(300) < 0)
		CHECK(0, "set ns_last_pid");
	pid_t pid = fork_blocked(p, 3);
	CHECK(pid == 300, "a new child of ours gets pid 300 (got %d)", (int)pid);
	CHECK(reap_watch(pid, got_fn, &g) == 0, "reap_watch the new child");
	CHECK(g.calls == 0, "the new child is not given the earlier process's exit (calls %d, %d)",
	      g.calls, g.status);
	close(p[1]);
	settle(pid);
	reap_collect();
	CHECK(g.calls == 1 && g.status == 3, "it gets its own exit (calls %d, status %d)", g.calls,
	      g.status);
	reap_unwatch(pid);
}

static void test_reparented_reuse(void)
{
	struct got g = { 0 };
	int p[2];
	pid_t old = buffer_exit_at(400, 9);
	CHECK(old == 400, "an unclaimed exit of pid 400 (got %d)", (int)old);
	pid_t pid = reparented_at(400, 1, p, 5);
	CHECK(pid == 400, "a process reparented to us has pid 400 (got %d)", (int)pid);
	CHECK(reap_watch(pid, got_fn, &g) == 0, "reap_watch the reparented process");
	CHECK(g.calls == 0,
	      "the reparented process is not given the earlier process's exit (calls %d, %d)",
	      g.calls, g.status);
	close(p[1]);
	settle(pid);
	reap_collect();
	CHECK(g.calls == 1 && g.status == 5, "it gets its own exit (calls %d, status %d)", g.calls,
	      g.status);
	reap_unwatch(pid);
}

static void test_early_exit(void)
{
	struct got g = { 0 };
	pid_t pid = reparented_at(500, 0, NULL, 4);
	CHECK(pid == 500, "a reparented process that exited at once has pid 500 (got %d)", (int)pid);
	settle(pid);
	reap_collect();
	CHECK(reap_watch(pid, got_fn, &g) == 0, "reap_watch it after its exit was collected");
	CHECK(g.calls == 1 && g.status == 4,
	      "a claim after the exit gets it from the buffer at once (calls %d, status %d)",
	      g.calls, g.status);
	struct got h = { 0 };
	CHECK(reap_watch(pid, got_fn, &h) == 0 && h.calls == 0, "and the exit is given only once");
	reap_unwatch(pid);
}

static void test_newest(void)
{
	struct got g = { 0 };
	pid_t a = buffer_exit_at(600, 1);
	pid_t b = buffer_exit_at(600, 2);
	CHECK(a == 600 && b == 600, "two unclaimed exits of pid 600 (%d, %d)", (int)a, (int)b);
	CHECK(reap_watch(600, got_fn, &g) == 0, "reap_watch pid 600");
	CHECK(g.calls == 1 && g.status == 2,
	      "a claim gets the newest exit of its pid (calls %d, status %d)", g.calls, g.status);
	struct got h = { 0 };
	CHECK(reap_watch(600, got_fn, &h) == 0 && h.calls == 0,
	      "the older exit is dropped, not given to a later claim (calls %d)", h.calls);
	reap_unwatch(600);
}

static void test_spawn(void)
{
	const char *argv[] = { "/nonexistent/shimbox-test", NULL };
	struct spawn_opts o = { .argv = argv, .fds = { -1, -1, -1 }, .fd3 = -1 };
	siginfo_t si = { 0 };
	pid_t pid = spawn(&o);
	CHECK(pid == -ENOENT, "spawn of a missing binary returns -ENOENT (%d)", (int)pid);
	CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD,
	      "and leaves no child behind to be buffered as an unclaimed exit");
}

/* A child gets fds 0-2 and nothing else, even fds that are not close-on-exec: one at 3 (where
 * the shim's listener was inherited) and one far above. */
static void test_spawn_fds(void)
{
	/* test(1) is a builtin of sh: it opens nothing to look. */
	const char *argv[] = { "/bin/sh", "-c",
		               "i=0; while [ $i -lt 300 ]; do [ -e /proc/self/fd/$i ] && "
		               "printf '%d ' $i; i=$((i + 1)); done; echo",
		               NULL };
	char buf[256] = "";
	int out, st = -1, p[2];
	if (pipe(p) < 0 || dup2(p[0], 3) != 3 || dup2(p[1], 20) != 20) {
		CHECK(0, "set up fds 3 and 20 without FD_CLOEXEC");
		return;
	}
	if (p[0] != 3)
		close(p[0]);
	close(p[1]);
	if ((out = memfd_create("spawn-fds", MFD_CLOEXEC)) < 0) {
		CHECK(0, "memfd_create");
		return;
	}
	struct spawn_opts o = { .argv = argv, .fds = { -1, out, -1 }, .fd3 = -1 };
	pid_t pid = spawn(&o);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
	ssize_t n = pread(out, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "spawn /bin/sh (status %d)", st);
	CHECK(strcmp(buf, "0 1 2") == 0, "the child holds only fds 0 1 2 (it has: %s)", buf);
	close(3);
	close(20);
	close(out);
}

static void test_bound(void)
{
	struct got g = { 0 }, h = { 0 };
	pid_t first = buffer_exit_at(1000, 0), last = first;
	for (int i = 1; i <= REAP_UNCLAIMED_MAX; i++)
		last = buffer_exit_at(1000 + i, 0);
	CHECK(first == 1000 && last == 1000 + REAP_UNCLAIMED_MAX, "%d + 1 unclaimed exits",
	      REAP_UNCLAIMED_MAX);
	CHECK(reap_watch(last, got_fn, &g) == 0 && g.calls == 1, "the newest is kept");
	CHECK(reap_watch(first, got_fn, &h) == 0 && h.calls == 0,
	      "the oldest was dropped when the buffer was full (as reaper.h says)");
	reap_unwatch(first);
}

static int run(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		CHECK(0, "PR_SET_CHILD_SUBREAPER");
	test_fork_reuse();
	test_reparented_reuse();
	test_early_exit();
	test_newest();
	test_spawn();
	test_spawn_fds();
	test_bound();
	return tap_done();
}

int main(void)
{
	int st;
	if (unshare(CLONE_NEWPID) < 0) {
		CHECK(0, "unshare(CLONE_NEWPID) (the test needs root): %s", strerror(errno));
		return tap_done();
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = run();
		fflush(stdout);
		_exit(r);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	CHECK(0, "the test process died of signal %d", WTERMSIG(st));
	return tap_done();
}
