/* SPDX-License-Identifier: MIT */
/*
 * cgexec: joins cgroup v1 groups, then execs a fixed program with the same arguments. Built by
 * scripts/bench once per use, with the groups and the program compiled in, because containerd
 * runs a shim (and a shim runs runc) by path with arguments we do not choose:
 *
 *   cc -static -O2 -DCGEXEC_GROUPS='"/sys/fs/cgroup/memory/X/cgroup.procs:/sys/fs/cgroup/cpuacct/X/cgroup.procs"' \
 *      -DCGEXEC_TARGET='"/usr/sbin/runc"' -o DIR/runc test/bench/cgexec.c
 *
 * Writing "0" to a v1 cgroup.procs moves the writer itself. A group that cannot be joined is
 * reported on stderr (never stdout: a shim's `start` prints its address there) and skipped, so
 * that the wrapped program still runs. argv[0] becomes CGEXEC_TARGET (a multicall binary
 * dispatches on its name). With CGEXEC_PATH, that directory is put in front of $PATH first (so
 * that a wrapped shim finds a wrapped runc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CGEXEC_GROUPS
#error "define CGEXEC_GROUPS: colon-separated cgroup.procs paths"
#endif
#ifndef CGEXEC_TARGET
#error "define CGEXEC_TARGET: the program to exec"
#endif

int main(int argc, char **argv)
{
	char groups[] = CGEXEC_GROUPS;
	char *save = NULL;
	(void)argc;
	for (char *p = strtok_r(groups, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			fprintf(stderr, "cgexec: join %s: %s\n", p, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
#ifdef CGEXEC_PATH
	{
		static char path[8192];
		const char *old = getenv("PATH");
		snprintf(path, sizeof(path), "%s:%s", CGEXEC_PATH, old ? old : "/usr/sbin:/usr/bin:/sbin:/bin");
		setenv("PATH", path, 1);
	}
#endif
	argv[0] = (char *)CGEXEC_TARGET;
	execv(CGEXEC_TARGET, argv);
	fprintf(stderr, "cgexec: exec %s: %s\n", CGEXEC_TARGET, strerror(errno));
	return 127;
}
