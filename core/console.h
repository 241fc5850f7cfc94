/* SPDX-License-Identifier: MIT */
/* The console socket through which the runtime hands over a terminal's pty master (5.5). */
#ifndef SHIMBOX_CORE_CONSOLE_H
#define SHIMBOX_CORE_CONSOLE_H

struct console_sock {
	int fd;
	char dir[128];
	char path[160];
};

void console_sock_init(struct console_sock *cs);
/* A fresh directory pty* in $XDG_RUNTIME_DIR or /tmp with a listening pty.sock. 0 or -errno. */
int console_sock_open(struct console_sock *cs) __attribute__((warn_unused_result));
/*
 * After the runtime exited: accepts its connection and receives exactly one SCM_RIGHTS fd.
 * Never blocks. Returns the master fd, or -errno (-EAGAIN: the runtime sent nothing).
 */
int console_sock_recv(struct console_sock *cs) __attribute__((warn_unused_result));
/* Closes the listener and removes the directory. */
void console_sock_close(struct console_sock *cs);

#endif
