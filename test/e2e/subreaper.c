/* SPDX-License-Identifier: MIT */
/*
 * subreaper CMD [ARG...]: runs CMD as a child subreaper and reaps every orphan at once.
 *
 * The e2e suite runs under it because PID 1 of the test machines reaps orphans only every
 * 1-2 s: a daemonized shim that exited would otherwise linger as a zombie and make the
 * "no zombie" assertions flaky. Shims started by a containerd that runs below this process are
 * reparented here when their `start` parent exits. Exits with CMD's status (128+signo if it was
 * killed); TERM, INT and HUP are forwarded to CMD.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pid_t child;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: subreaper CMD [ARG...]\n");
		return 100;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("subreaper: prctl");
		return 111;
	}
	child = fork();
	if (child < 0) {
		perror("subreaper: fork");
		return 111;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	child_pid = child;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p == child) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
	}
	/* Reap what already exited; whatever still runs goes to PID 1 when we exit. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return status;
}
