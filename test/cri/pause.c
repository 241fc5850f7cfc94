/* SPDX-License-Identifier: MIT
 * Stand-in for registry.k8s.io/pause in the CRI tests (no registry is reachable here): what
 * Kubernetes' pause does that the tests can see. It holds the pod's namespaces by staying alive,
 * reaps the orphans of the pod (it is pid 1 of the pod's pid namespace when the pod shares one),
 * and exits 0 on SIGINT or SIGTERM. */
#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void on_chld(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(void)
{
	struct sigaction t = {.sa_handler = on_term}, c = {.sa_handler = on_chld, .sa_flags = SA_NOCLDSTOP};
	sigaction(SIGINT, &t, NULL);
	sigaction(SIGTERM, &t, NULL);
	sigaction(SIGCHLD, &c, NULL);
	for (;;)
		pause();
}
