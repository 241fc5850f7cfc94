/* SPDX-License-Identifier: MIT */
/*
 * unixsock: a unix socket that is not a shim, for test/e2e/14-paths.sh.
 *   unixsock listen PATH   binds and listens on PATH, prints "listening" once it does, then
 *                          accepts connections and holds them open without a word, until killed
 *   unixsock dead PATH     binds PATH and exits: a socket file nobody listens on
 * Exit status: 0, 1 on a system error, 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (argc != 3 || (strcmp(argv[1], "listen") != 0 && strcmp(argv[1], "dead") != 0) ||
	    strlen(argv[2]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: unixsock listen|dead PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[2]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("unixsock: bind");
		return 1;
	}
	if (strcmp(argv[1], "dead") == 0)
		return 0;
	if (listen(fd, 16) < 0) {
		perror("unixsock: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;)
		if (accept(fd, NULL, NULL) < 0)
			perror("unixsock: accept");
}
