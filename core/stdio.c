/* SPDX-License-Identifier: MIT */
/*
 * FIFO, file and pty plumbing for container stdio, copied under epoll; the logging binary of
 * binary:// URIs is stdio_logger.c's.
 */
#include "stdio.h"
#include "stdio_int.h"

#include "handover.h"
#include "log.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SPLICE_CHUNK (1u << 20)
#define COPY_ROUNDS 16 /* per wakeup, so one busy stream cannot starve the loop */
#define TTY_BUF 4096
#define TTY_GRACE_MS 50

static void copier_reset(struct pio_copier *c, struct pio *io, int is_output)
{
	memset(c, 0, sizeof(*c));
	c->src.fd = c->dst.fd = c->hold_fd = -1;
	c->is_output = is_output;
	c->io = io;
}

void pio_init(struct pio *io)
{
	memset(io, 0, sizeof(*io));
	copier_reset(&io->in, io, 0);
	copier_reset(&io->out, io, 1);
	copier_reset(&io->err, io, 1);
	io->stdin_holder = io->master = io->console_out = io->console_hold = -1;
	io->ready.fd = -1;
	io->child_fds[0] = io->child_fds[1] = io->child_fds[2] = -1;
}

static void copier_close(struct pio_copier *c)
{
	c->active = 0;
	loop_del(&c->src);
	loop_del(&c->dst);
	sys_closep(&c->src.fd);
	sys_closep(&c->dst.fd);
	sys_closep(&c->hold_fd);
	free(c->buf);
	c->buf = NULL;
}

static void copier_stop(struct pio_copier *c)
{
	int was_output = c->active && c->is_output;
	struct pio *io = c->io;
	copier_close(c);
	if (was_output && !pio_outputs_busy(io) && io->drained)
		io->drained(io);
}

/* dst is full: wait for it and stop listening to src meanwhile. */
static void copier_wait_dst(struct pio_copier *c)
{
	if (loop_set(&c->src, 0) < 0 || loop_set(&c->dst, EPOLLOUT) < 0)
		copier_stop(c);
}

static int dst_full(struct pio_copier *c)
{
	struct pollfd p = { .fd = c->dst.fd, .events = POLLOUT };
	return c->dst_pollable && poll(&p, 1, 0) == 0;
}

static void splice_pump(struct pio_copier *c)
{
	for (int round = 0; round < COPY_ROUNDS; round++) {
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
			if (dst_full(c))
				copier_wait_dst(c);
			return;
		}
		/* EPIPE from a container that closed its stdin, or a dead destination. */
		if (errno != EPIPE)
			log_warn("stdio copy: %s", strerror(errno));
		copier_stop(c);
		return;
	}
}

/* Buffered copy for terminals: read into buf when empty, write it out, wait on whichever side
 * is not ready. EIO on the master means every slave fd is closed: the process is gone. */
static void buf_pump(struct pio_copier *c)
{
	for (int round = 0; round < COPY_ROUNDS; round++) {
		if (c->off == c->len) {
			ssize_t n = sys_read(c->src.fd, c->buf, TTY_BUF);
			if (n == -EAGAIN)
				return;
			if (n == -EIO && c->is_output && !c->io->tty_final) {
				/* No slave open right now: wait for the next wakeup
				 * (edge-triggered, since the hangup would otherwise be reported
				 * without end). */
				if (loop_set(&c->src, EPOLLIN | EPOLLET) < 0)
					copier_stop(c);
				return;
			}
			if (n <= 0) {
				copier_stop(c);
				return;
			}
			if ((c->src.events & EPOLLET) && loop_set(&c->src, EPOLLIN) < 0) {
				copier_stop(c);
				return;
			}
			c->len = (size_t)n;
			c->off = 0;
		}
		ssize_t w = sys_write(c->dst.fd, c->buf + c->off, c->len - c->off);
		if (w == -EAGAIN) {
			copier_wait_dst(c);
			return;
		}
		if (w < 0) {
			if (w != -EPIPE && w != -EIO)
				log_warn("tty copy: %s", strerror((int)-w));
			copier_stop(c);
			return;
		}
		c->off += (size_t)w;
	}
}

static void pump(struct pio_copier *c)
{
	if (c->buf)
		buf_pump(c);
	else
		splice_pump(c);
}

static void on_src(struct loop_watch *w, uint32_t events)
{
	(void)events;
	pump((struct pio_copier *)w);
}

static void on_dst(struct loop_watch *w, uint32_t events)
{
	struct pio_copier *c = (struct pio_copier *)((char *)w - offsetof(struct pio_copier, dst));
	(void)events;
	if (loop_set(&c->dst, 0) < 0 || loop_set(&c->src, EPOLLIN) < 0) {
		copier_stop(c);
		return;
	}
	pump(c);
}

static const char *file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a FIFO";
}

/*
 * A plain stdio path from containerd names a FIFO it made: open both ends of it (the read end
 * first, so that the non-blocking write open finds a reader). Anything else is refused: a missing
 * path (nothing is created), a regular file or a directory, and a symbolic link, which is never
 * followed. As containerd's fifo package does, the path is opened once with O_PATH and both ends
 * are reopened through /proc/self/fd, so they are the very FIFO that was checked.
 */
static int open_fifo(const char *what, const char *path, int *rd, int *wr, struct err *err)
{
	struct stat st;
	char proc[64];
	int e, h = sys_open(path, O_PATH | O_NOFOLLOW, 0);

	if (h < 0) {
		err_msg(err, "open %s %s: %s (a plain stdio path must be an existing FIFO)",
		         what, path, strerror(-h));
		return h;
	}
	if (fstat(h, &st) < 0) {
		e = -errno;
		err_msg(err, "stat %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISFIFO(st.st_mode)) {
		e = -EINVAL;
		err_msg(err,
		         "%s %s is %s, not a FIFO: a plain stdio path must be a FIFO (symbolic links "
		         "are not followed; use a file:// URI to log to a file)",
		         what, path, file_kind(st.st_mode));
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", h);
	if ((e = *rd = sys_open(proc, O_RDONLY | O_NONBLOCK, 0)) < 0 ||
	    (e = *wr = sys_open(proc, O_WRONLY | O_NONBLOCK, 0)) < 0) {
		err_msg(err, "open %s FIFO %s: %s", what, path, strerror(-e));
		sys_closep(rd);
	}
out:
	sys_close(h);
	return e < 0 ? e : 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The path of a file:// URI as Go's url.Parse gives it to the reference: what follows the
 * authority, up to a query or fragment, percent-decoded. 0, or -EINVAL with a message.
 */
static int file_uri_path(const char *uri, char *out, size_t cap, struct err *err)
{
	const char *p = strchr(uri + 7, '/');
	size_t o = 0;
	for (; p && *p && *p != '?' && *p != '#'; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int h1 = hex_digit(p[1]), h2 = h1 < 0 ? -1 : hex_digit(p[2]);
			if (h2 < 0) {
				err_msg(err, "parse %s: invalid URL escape", uri);
				return -EINVAL;
			}
			c = h1 << 4 | h2;
			p += 2;
		}
		if (c == 0 || o + 1 >= cap) {
			err_msg(err, "parse %s: %s", uri,
			         c ? "path too long" : "NUL in the path");
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = 0;
	if (o == 0) {
		err_msg(err, "%s: no path to log to", uri);
		return -EINVAL;
	}
	return 0;
}

/*
 * file://: as the reference does it, the file's directory is created (0755), then the file is
 * opened for appending (O_CREAT, 0644); the path is the user's choice, so links are followed.
 * splice(2) refuses O_APPEND targets, so this copier goes through a buffer.
 */
static int open_log_file(const char *path, int *dst, struct err *err)
{
	char dir[PATH_MAX];
	int e;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if ((e = sys_mkdir_p(dir, 0755)) < 0) {
			err_msg(err, "mkdir %s: %s", dir, strerror(-e));
			return e;
		}
	}
	if ((e = *dst = sys_open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0) {
		err_msg(err, "open %s: %s", path, strerror(-e));
		return e;
	}
	return 0;
}

/* Output target: a FIFO (with a held read end), or the log file of a file:// URI. */
static int open_output(const char *what, const char *path, int is_file, int *dst, int *hold,
                       int *pollable, int *buffered, struct err *err)
{
	*pollable = !is_file;
	*buffered = is_file;
	return is_file ? open_log_file(path, dst, err)
	               : open_fifo(what, path, hold, dst, err);
}

int pio_pipe(int fds[2], struct err *err)
{
	if (pipe2(fds, O_CLOEXEC) == 0)
		return 0;
	err_msg(err, "pipe: %s", strerror(errno));
	return -errno;
}

/* --- setup -------------------------------------------------------------------------------- */

/* Where the output streams go, named by stdout's scheme for both (PROTOCOL.md 5.3). */
struct pio_target {
	const char *out, *err;  /* FIFO or file paths, "" for none */
	const char *logger_uri; /* binary:// or binary-v2://, else NULL */
	int is_file;            /* file://: out and err are both file */
	char file[PATH_MAX];
};

/* Reads the schemes of cfg's output paths into t (and, for binary-v2://, sets
 * io->ready_strict): 0, or -errno with a message in err. */
static int pio_target_parse(struct pio *io, const struct pio_cfg *cfg, struct pio_target *t,
                            struct err *err)
{
	int e;

	t->out = cfg->out ? cfg->out : "";
	t->err = cfg->err ? cfg->err : "";
	t->logger_uri = NULL;
	t->is_file = 0;
	if (strncmp(t->out, "binary://", 9) == 0 || strncmp(t->out, "binary-v2://", 12) == 0) {
		t->logger_uri = t->out;
		io->ready_strict = t->out[6] == '-';
	} else if (strncmp(t->out, "file://", 7) == 0) {
		if ((e = file_uri_path(t->out, t->file, sizeof(t->file), err)) < 0)
			return e;
		t->out = t->err = t->file;
		t->is_file = 1;
	} else if (strncmp(t->out, "fifo://", 7) == 0) {
		t->out += 7;
	} else if (strstr(t->out, "://")) {
		err_msg(err, "unknown STDIO scheme in %s", t->out);
		return -EINVAL;
	}
	if (strncmp(t->err, "fifo://", 7) == 0)
		t->err += 7;
	return 0;
}

/* The stdin FIFO and, without a terminal, the container's pipe from it: 0 or -errno. */
static int open_stdin(struct pio *io, const struct pio_cfg *cfg, struct err *err)
{
	int p[2], e;

	/* The holder, our write end: while open, the reader never sees EOF (clients may come and
	 * go). */
	if ((e = open_fifo("stdin", cfg->in, &io->in.src.fd, &io->stdin_holder, err)) < 0)
		return e;
	if (!cfg->terminal) {
		if ((e = pio_pipe(p, err)) < 0)
			return e;
		io->child_fds[0] = p[0];
		io->in.dst.fd = p[1];
		io->in.dst_pollable = 1;
	}
	return 0;
}

/* Without a terminal: each output's FIFO or file and the container's pipe into it. */
static int open_outputs(struct pio *io, const struct pio_target *t, struct err *err)
{
	const char *paths[2] = { t->out, t->err }, *names[2] = { "stdout", "stderr" };
	struct pio_copier *cs[2] = { &io->out, &io->err };
	int p[2], e;

	for (int i = 0; i < 2; i++) {
		if (!*paths[i])
			continue;
		if (i == 1 && t->is_file && io->out.dst.fd >= 0) {
			/* One file for both streams: share the appending writer. */
			if ((cs[1]->dst.fd = fcntl(io->out.dst.fd, F_DUPFD_CLOEXEC, 3)) < 0) {
				e = -errno;
				err_msg(err, "dup: %s", strerror(errno));
				return e;
			}
			cs[1]->buffered = 1;
		} else if ((e = open_output(names[i], paths[i], t->is_file, &cs[i]->dst.fd,
		                            &cs[i]->hold_fd, &cs[i]->dst_pollable, &cs[i]->buffered,
		                            err)) < 0) {
			return e;
		}
		if ((e = pio_pipe(p, err)) < 0)
			return e;
		cs[i]->src.fd = p[0];
		io->child_fds[1 + i] = p[1];
	}
	return 0;
}

/* Gives the container's ends to cfg's uid and gid (io_uid, io_gid), if set: 0 or -errno. */
static int chown_child_ends(struct pio *io, const struct pio_cfg *cfg, struct err *err)
{
	for (int i = 0; i < 3; i++) {
		if (io->child_fds[i] >= 0 && cfg->uid >= 0 &&
		    fchown(io->child_fds[i], (uid_t)cfg->uid,
		           cfg->gid >= 0 ? (gid_t)cfg->gid : (gid_t)-1) < 0) {
			int e = -errno;
			err_msg(err, "chown stdio to %d:%d: %s", cfg->uid, cfg->gid,
			         strerror(errno));
			return e;
		}
	}
	return 0;
}

int pio_open(struct pio *io, const struct pio_cfg *cfg, struct err *err)
{
	struct pio_target t;
	int e, ret = 0, buffered;

	io->terminal = cfg->terminal;
	if ((e = pio_target_parse(io, cfg, &t, err)) < 0)
		return e;
	if (cfg->in && *cfg->in && (e = open_stdin(io, cfg, err)) < 0)
		goto fail;
	if (t.logger_uri)
		e = ret = pio_logger_open(io, cfg, t.logger_uri, err);
	else if (cfg->terminal) /* the console's copier is buffered anyway */
		e = *t.out ? open_output("stdout", t.out, t.is_file, &io->console_out,
		                         &io->console_hold, &io->console_out_pollable, &buffered,
		                         err)
		           : 0;
	else
		e = open_outputs(io, &t, err);
	if (e < 0 || (e = chown_child_ends(io, cfg, err)) < 0)
		goto fail;
	return ret;
fail:
	pio_destroy(io);
	return e;
}

void pio_close_child_ends(struct pio *io)
{
	for (int i = 0; i < 3; i++)
		sys_closep(&io->child_fds[i]);
}

static int copier_start(struct pio_copier *c, int buffered)
{
	int e;
	if (c->src.fd < 0 || c->dst.fd < 0)
		return 0;
	c->src.fn = on_src;
	c->dst.fn = on_dst;
	if ((buffered || c->buffered) && !(c->buf = malloc(TTY_BUF)))
		return -ENOMEM;
	if ((e = sys_set_nonblock(c->src.fd, 1)) < 0 || (e = sys_set_nonblock(c->dst.fd, 1)) < 0 ||
	    (e = loop_set(&c->src, EPOLLIN)) < 0)
		return e;
	c->active = 1;
	return 0;
}

int pio_start(struct pio *io, int master)
{
	int e;
	if (io->terminal) {
		if (master < 0)
			return -EINVAL;
		io->master = master;
		/* The master is both a source and a destination: epoll needs two fds for it. */
		if (io->in.src.fd >= 0 && (io->in.dst.fd = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0)
			return -errno;
		io->in.dst_pollable = 1;
		if (io->console_out >= 0) {
			if ((io->out.src.fd = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0)
				return -errno;
			io->out.dst.fd = io->console_out;
			io->out.hold_fd = io->console_hold;
			io->out.dst_pollable = io->console_out_pollable;
			io->console_out = io->console_hold = -1;
		}
		if ((e = copier_start(&io->in, 1)) < 0 || (e = copier_start(&io->out, 1)) < 0)
			return e;
		return 0;
	}
	if ((e = copier_start(&io->in, 0)) < 0 || (e = copier_start(&io->out, 0)) < 0 ||
	    (e = copier_start(&io->err, 0)) < 0)
		return e;
	return 0;
}

static void on_tty_final(struct loop_timer *t)
{
	struct pio *io = (struct pio *)((char *)t - offsetof(struct pio, tty_timer));
	io->tty_final = 1;
	if (io->out.active && io->out.buf && !io->out.dst.events)
		buf_pump(&io->out); /* reads what is left, then stops at EIO */
}

void pio_process_exited(struct pio *io)
{
	if (!io->terminal || io->tty_final)
		return;
	io->tty_timer.fn = on_tty_final;
	loop_timer_arm(&io->tty_timer, TTY_GRACE_MS);
}

int pio_outputs_busy(const struct pio *io)
{
	return io->out.active || io->err.active;
}

void pio_close_stdin(struct pio *io)
{
	sys_closep(&io->stdin_holder);
}

int pio_resize(struct pio *io, unsigned width, unsigned height)
{
	struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
	if (io->master < 0)
		return 0;
	return ioctl(io->master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

void pio_destroy(struct pio *io)
{
	loop_timer_cancel(&io->tty_timer);
	io->drained = NULL;
	io->on_ready = NULL;
	pio_close_child_ends(io);
	pio_close_stdin(io);
	copier_close(&io->in);
	copier_close(&io->out);
	copier_close(&io->err);
	loop_del(&io->ready);
	sys_closep(&io->ready.fd);
	sys_closep(&io->master);
	sys_closep(&io->console_out);
	sys_closep(&io->console_hold);
	pio_logger_release(io);
}

/* --- in-place upgrade ----------------------------------------------------------------------- */

static void copier_get(const struct pio_copier *c, struct ho_copier *h, struct ho_fds *fds)
{
	h->src = c->src.fd;
	h->dst = c->dst.fd;
	h->hold = c->hold_fd;
	h->flags = (c->active ? HO_CP_ACTIVE : 0) | (c->dst_pollable ? HO_CP_POLLABLE : 0) |
	           (c->buffered ? HO_CP_BUFFERED : 0);
	h->src_events = c->src.events;
	h->dst_events = c->dst.events;
	if (c->buf && c->off < c->len)
		h->pending = (struct pb_str){ c->buf + c->off, c->len - c->off };
	ho_fds_keep(fds, c->src.fd);
	ho_fds_keep(fds, c->dst.fd);
	ho_fds_keep(fds, c->hold_fd);
}

void pio_handover_get(const struct pio *io, struct ho_proc *hp, struct ho_fds *fds)
{
	copier_get(&io->in, &hp->in, fds);
	copier_get(&io->out, &hp->out, fds);
	copier_get(&io->err, &hp->err, fds);
	if (io->console_out >= 0) { /* a terminal not started: its target waits in console_out */
		hp->out.dst = io->console_out;
		hp->out.hold = io->console_hold;
		hp->out.flags = HO_CP_CONSOLE | (io->console_out_pollable ? HO_CP_POLLABLE : 0);
		ho_fds_keep(fds, io->console_out);
		ho_fds_keep(fds, io->console_hold);
	}
	hp->stdin_holder = io->stdin_holder;
	hp->master = io->master;
	hp->child0 = io->child_fds[0];
	hp->child1 = io->child_fds[1];
	hp->child2 = io->child_fds[2];
	hp->logger_pid = pio_logger_pid(io);
	hp->flags |= (io->terminal ? HO_P_TERMINAL : 0) | (io->tty_final ? HO_P_TTY_FINAL : 0) |
	             (io->ready_strict ? HO_P_READY_STRICT : 0);
	ho_fds_keep(fds, io->stdin_holder);
	ho_fds_keep(fds, io->master);
	for (int i = 0; i < 3; i++)
		ho_fds_keep(fds, io->child_fds[i]);
}

static int copier_adopt(struct pio_copier *c, const struct ho_copier *h)
{
	int e;
	c->src.fd = h->src;
	c->dst.fd = h->dst;
	c->hold_fd = h->hold;
	c->dst_pollable = !!(h->flags & HO_CP_POLLABLE);
	c->buffered = !!(h->flags & HO_CP_BUFFERED);
	if (!(h->flags & HO_CP_ACTIVE))
		return 0;
	c->src.fn = on_src;
	c->dst.fn = on_dst;
	if ((c->buffered || c->io->terminal) && !(c->buf = malloc(TTY_BUF)))
		return -ENOMEM;
	if (h->pending.n > TTY_BUF)
		return -EINVAL;
	if (h->pending.n) {
		memcpy(c->buf, h->pending.p, h->pending.n);
		c->len = h->pending.n;
	}
	c->active = 1;
	if (h->dst_events && (e = loop_set(&c->dst, h->dst_events)) < 0)
		return e;
	return h->src_events ? loop_set(&c->src, h->src_events) : 0;
}

int pio_adopt(struct pio *io, const struct ho_proc *hp)
{
	int e;
	io->terminal = !!(hp->flags & HO_P_TERMINAL);
	io->tty_final = !!(hp->flags & HO_P_TTY_FINAL);
	io->ready_strict = !!(hp->flags & HO_P_READY_STRICT);
	io->stdin_holder = hp->stdin_holder;
	io->master = hp->master;
	io->child_fds[0] = hp->child0;
	io->child_fds[1] = hp->child1;
	io->child_fds[2] = hp->child2;
	if (hp->out.flags & HO_CP_CONSOLE) {
		io->console_out = hp->out.dst;
		io->console_hold = hp->out.hold;
		io->console_out_pollable = !!(hp->out.flags & HO_CP_POLLABLE);
	} else if ((e = copier_adopt(&io->out, &hp->out)) < 0) {
		return e;
	}
	if ((e = copier_adopt(&io->in, &hp->in)) < 0 || (e = copier_adopt(&io->err, &hp->err)) < 0)
		return e;
	return hp->logger_pid > 0 ? pio_logger_adopt(io, hp->logger_pid) : 0;
}
