/* SPDX-License-Identifier: MIT */
/* fork+exec with a clean child: mask, dispositions, fds, PDEATHSIG; exec errno over a pipe. */
#include "spawn.h"

#include "reaper.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* linux/close_range.h, Linux 5.11 */
#endif

/* Marks every fd from first up close-on-exec. close_range(2) needs Linux 5.11; before that
 * (ENOSYS) the callers' own O_CLOEXEC discipline is all there is, as it was. */
static void cloexec_from(int first)
{
	(void)syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC);
}

static void child(const struct spawn_opts *o, int errpipe)
{
	int fds[6], err, devnull = -1;
	sigset_t none;

	/* Out of the way of fds 0-5, which are about to be replaced or closed. */
	int hi = fcntl(errpipe, F_DUPFD_CLOEXEC, 10);
	if (hi >= 0)
		errpipe = hi;

	sigemptyset(&none);
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (o->pdeathsig)
		prctl(PR_SET_PDEATHSIG, o->pdeathsig);
	if (o->new_session)
		setsid();
	/* Move every source above 10 first so that the dup2s below cannot clobber each other. */
	for (int i = 0; i < 6; i++) {
		int src = i < 3    ? o->fds[i]
		          : i == 3 ? o->fd3
		          : i == 4 ? (o->fd4 > 0 ? o->fd4 : -1)
		                   : (o->fd5 > 0 ? o->fd5 : -1);
		if (src < 0 && i < 3) {
			if (devnull < 0)
				devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
			src = devnull;
		}
		fds[i] = src < 0 ? -1 : fcntl(src, F_DUPFD_CLOEXEC, 10);
		if (src >= 0 && fds[i] < 0)
			goto fail;
	}
	for (int i = 0; i < 6; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			goto fail;
	/* Only the fds given: whatever else sits at 3-5 (the shim's inherited listener is fd 3)
	 * is closed, and anything above that a caller forgot to make close-on-exec is made so. */
	for (int i = 3; i < 6; i++)
		if (fds[i] < 0)
			close(i);
	cloexec_from(6);
	if (o->unset_env)
		unsetenv(o->unset_env);
	if (o->envp)
		execve(o->path ? o->path : o->argv[0], (char *const *)o->argv,
		       (char *const *)o->envp);
	else
		execvp(o->path ? o->path : o->argv[0], (char *const *)o->argv);
fail:
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

pid_t spawn(const struct spawn_opts *o)
{
	int p[2], err = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		sys_close(p[0]);
		sys_close(p[1]);
		return -err;
	}
	if (pid == 0)
		child(o, p[1]);
	/* Whatever exit of pid the reaper still holds is an earlier process's (reaper.c). */
	reap_forget(pid);
	sys_close(p[1]);
	/* Returns at exec (EOF) or with the child's errno; the exec itself is quick. */
	ssize_t r = sys_read(p[0], &err, sizeof(err));
	sys_close(p[0]);
	if (r == sizeof(err)) {
		/* The child is exiting at once: collect it here, so that nobody's claim and no
		 * unclaimed slot ever holds its exit. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
		return -err;
	}
	return pid;
}
