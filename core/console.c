/* SPDX-License-Identifier: MIT */
/* Console socket: the runtime connects and sends the pty master with SCM_RIGHTS. */
#include "console.h"

#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void console_sock_init(struct console_sock *cs)
{
	cs->fd = -1;
	cs->dir[0] = cs->path[0] = 0;
}

int console_sock_open(struct console_sock *cs)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int e;

	if (!base || !*base || strlen(base) > 64)
		base = "/tmp";
	if ((e = sys_fmt(cs->dir, sizeof(cs->dir), "%s/pty.XXXXXX", base)) < 0)
		return e;
	if (!mkdtemp(cs->dir)) {
		cs->dir[0] = 0;
		return -errno;
	}
	if ((e = sys_fmt(cs->path, sizeof(cs->path), "%s/pty.sock", cs->dir)) < 0 ||
	    strlen(cs->path) >= sizeof(sa.sun_path)) {
		console_sock_close(cs);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, cs->path);
	cs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cs->fd < 0 || bind(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(cs->fd, 1) < 0) {
		e = -errno;
		console_sock_close(cs);
		return e;
	}
	return 0;
}

int console_sock_recv(struct console_sock *cs)
{
	int conn = accept4(cs->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), master = -1;
	char name[256];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { name, sizeof(name) };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = ctl.buf,
		            .msg_controllen = sizeof(ctl.buf) };

	if (conn < 0)
		return -errno;
	ssize_t n;
	do
		n = recvmsg(conn, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	int e = n < 0 ? -errno : 0;
	sys_close(conn);
	if (e < 0)
		return e;
	/* Exactly one control message carrying exactly one fd. */
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)) && m.msg_controllen == CMSG_SPACE(sizeof(int)) &&
	    !(m.msg_flags & MSG_CTRUNC)) {
		memcpy(&master, CMSG_DATA(c), sizeof(int));
		return master;
	}
	/* Close whatever fds did arrive. */
	while (c) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				sys_close(fd);
			}
		c = CMSG_NXTHDR(&m, c);
	}
	return -EPROTO;
}

void console_sock_close(struct console_sock *cs)
{
	sys_closep(&cs->fd);
	if (cs->path[0])
		unlink(cs->path);
	if (cs->dir[0])
		rmdir(cs->dir);
	cs->dir[0] = cs->path[0] = 0;
}
