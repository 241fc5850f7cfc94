/* SPDX-License-Identifier: MIT */
/* Starting children the way runc and loggers need them (STYLE.md "Children"). */
#ifndef SHIMBOX_CORE_SPAWN_H
#define SHIMBOX_CORE_SPAWN_H

#include <sys/types.h>

struct spawn_opts {
	const char *path; /* executable; NULL: argv[0], looked up in PATH if it has no '/' */
	const char *const *argv;
	int fds[3];   /* child's 0, 1, 2; -1 means /dev/null */
	int fd3;      /* passed as fd 3 if >= 0 */
	int fd4, fd5; /* passed as fds 4 and 5 if > 0 (0 = none: zeroed opts pass none) */
	const char *const *envp; /* the whole environment, or NULL to inherit */
	int new_session;         /* setsid() in the child */
	int pdeathsig;           /* 0: none */
	const char *unset_env;   /* one variable removed from the environment, or NULL */
};

/*
 * Forks and execs. The child gets an empty signal mask, default dispositions, only the fds
 * given (everything else is close-on-exec), and PDEATHSIG. Returns the pid, or -errno from
 * fork or from the child's exec (reported over a close-on-exec pipe; a child whose exec failed
 * is collected before spawn returns). Forgets the reaper's buffered exits of the new pid
 * (reap_forget).
 */
pid_t spawn(const struct spawn_opts *o) __attribute__((warn_unused_result));

#endif
