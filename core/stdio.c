/* SPDX-License-Identifier: MIT */
/* FIFO and pipe plumbing for container stdio, copied with splice(2) under epoll. */
#include "stdio.h"

#include "log.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPLICE_CHUNK (1u << 20)
#define SPLICE_ROUNDS 16 /* per wakeup, so one busy stream cannot starve the loop */

static void copier_reset(struct pio_copier *c, struct pio *io)
{
	c->src.fd = c->dst.fd = c->hold_fd = -1;
	c->src.events = c->dst.events = 0;
	c->active = 0;
	c->dst_pollable = 0;
	c->io = io;
}

void pio_init(struct pio *io)
{
	memset(io, 0, sizeof(*io));
	copier_reset(&io->in, io);
	copier_reset(&io->out, io);
	copier_reset(&io->err, io);
	io->stdin_holder = -1;
	io->child_fds[0] = io->child_fds[1] = io->child_fds[2] = -1;
}

static void copier_stop(struct pio_copier *c)
{
	int was_output = c->active && c != &c->io->in;
	loop_del(&c->src);
	loop_del(&c->dst);
	sys_closep(&c->src.fd);
	sys_closep(&c->dst.fd);
	sys_closep(&c->hold_fd);
	c->active = 0;
	if (was_output && !pio_outputs_busy(c->io) && c->io->drained)
		c->io->drained(c->io);
}

static void copier_pump(struct pio_copier *c)
{
	for (int round = 0; round < SPLICE_ROUNDS; round++) {
		ssize_t n = splice(c->src.fd, NULL, c->dst.fd, NULL, SPLICE_CHUNK,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0)
			continue;
		if (n == 0) { /* every writer of src is gone and it is empty */
			copier_stop(c);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p = { .fd = c->dst.fd, .events = POLLOUT };
			if (c->dst_pollable && poll(&p, 1, 0) == 0) {
				/* dst is full: wait for it, and stop listening to src meanwhile. */
				if (loop_set(&c->src, 0) < 0 || loop_set(&c->dst, EPOLLOUT) < 0)
					copier_stop(c);
			}
			return;
		}
		/* EPIPE from a container that closed its stdin, or a dead destination. */
		if (errno != EPIPE)
			log_warn("stdio copy: %s", strerror(errno));
		copier_stop(c);
		return;
	}
}

static void on_src(struct loop_watch *w, uint32_t events)
{
	(void)events;
	copier_pump((struct pio_copier *)w);
}

static void on_dst(struct loop_watch *w, uint32_t events)
{
	struct pio_copier *c = (struct pio_copier *)((char *)w - offsetof(struct pio_copier, dst));
	(void)events;
	if (loop_set(&c->dst, 0) < 0 || loop_set(&c->src, EPOLLIN) < 0) {
		copier_stop(c);
		return;
	}
	copier_pump(c);
}

/* Output target: a FIFO gets a held read end (opened first, so the write open cannot block);
 * anything else is opened for appending. */
static int open_output(struct pio_copier *c, const char *path, char *err, size_t errcap)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		c->hold_fd = sys_open(path, O_RDONLY | O_NONBLOCK, 0);
		if (c->hold_fd < 0)
			goto fail;
		c->dst.fd = sys_open(path, O_WRONLY | O_NONBLOCK, 0);
		c->dst_pollable = 1;
	} else {
		c->dst.fd = sys_open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		c->dst_pollable = 0;
	}
	if (c->dst.fd >= 0)
		return 0;
fail:
	snprintf(err, errcap, "open %s: %s", path, strerror(-(c->hold_fd < 0 ? c->hold_fd : c->dst.fd)));
	return c->hold_fd < 0 ? c->hold_fd : c->dst.fd;
}

static int make_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
}

int pio_open(struct pio *io, const char *in, const char *out, const char *errp, int uid, int gid,
	     char *err, size_t errcap)
{
	int p[2], e;

	if (in && *in) {
		io->in.src.fd = sys_open(in, O_RDONLY | O_NONBLOCK, 0);
		if (io->in.src.fd < 0) {
			e = io->in.src.fd;
			snprintf(err, errcap, "open stdin %s: %s", in, strerror(-e));
			goto fail;
		}
		/* The holder: while open, the reader never sees EOF (clients may come and go). */
		io->stdin_holder = sys_open(in, O_WRONLY | O_NONBLOCK, 0);
		if ((e = make_pipe(p)) < 0) {
			snprintf(err, errcap, "pipe: %s", strerror(-e));
			goto fail;
		}
		io->child_fds[0] = p[0];
		io->in.dst.fd = p[1];
		io->in.dst_pollable = 1;
	}
	const char *paths[2] = { out, errp };
	struct pio_copier *cs[2] = { &io->out, &io->err };
	for (int i = 0; i < 2; i++) {
		if (!paths[i] || !*paths[i])
			continue;
		if ((e = open_output(cs[i], paths[i], err, errcap)) < 0)
			goto fail;
		if ((e = make_pipe(p)) < 0) {
			snprintf(err, errcap, "pipe: %s", strerror(-e));
			goto fail;
		}
		cs[i]->src.fd = p[0];
		io->child_fds[1 + i] = p[1];
	}
	for (int i = 0; i < 3; i++) {
		if (io->child_fds[i] >= 0 && uid >= 0 &&
		    fchown(io->child_fds[i], (uid_t)uid, gid >= 0 ? (gid_t)gid : (gid_t)-1) < 0) {
			e = -errno;
			snprintf(err, errcap, "chown stdio to %d:%d: %s", uid, gid, strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	pio_destroy(io);
	return e;
}

void pio_close_child_ends(struct pio *io)
{
	for (int i = 0; i < 3; i++)
		sys_closep(&io->child_fds[i]);
}

static int copier_start(struct pio_copier *c)
{
	int e;
	if (c->src.fd < 0 || c->dst.fd < 0)
		return 0;
	c->src.fn = on_src;
	c->dst.fn = on_dst;
	if ((e = sys_set_nonblock(c->src.fd, 1)) < 0 || (e = sys_set_nonblock(c->dst.fd, 1)) < 0 ||
	    (e = loop_set(&c->src, EPOLLIN)) < 0)
		return e;
	c->active = 1;
	return 0;
}

int pio_start(struct pio *io)
{
	int e;
	if ((e = copier_start(&io->in)) < 0 || (e = copier_start(&io->out)) < 0 ||
	    (e = copier_start(&io->err)) < 0)
		return e;
	return 0;
}

int pio_outputs_busy(const struct pio *io)
{
	return io->out.active || io->err.active;
}

void pio_close_stdin(struct pio *io)
{
	sys_closep(&io->stdin_holder);
}

void pio_destroy(struct pio *io)
{
	io->drained = NULL;
	pio_close_child_ends(io);
	pio_close_stdin(io);
	struct pio_copier *cs[3] = { &io->in, &io->out, &io->err };
	for (int i = 0; i < 3; i++) {
		cs[i]->active = 0;
		loop_del(&cs[i]->src);
		loop_del(&cs[i]->dst);
		sys_closep(&cs[i]->src.fd);
		sys_closep(&cs[i]->dst.fd);
		sys_closep(&cs[i]->hold_fd);
	}
}
