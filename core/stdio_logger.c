/* SPDX-License-Identifier: MIT */
/*
 * The logging binary of binary:// and binary-v2:// stdio URIs (PROTOCOL.md 5.3): spawned with the
 * container's output pipes on fds 3 and 4 and a ready pipe on fd 5, watched until it exits, and
 * sent SIGTERM, then SIGKILL after LOGGER_KILL_MS, once its pio is destroyed.
 */
#include "stdio.h"
#include "stdio_int.h"

#include "log.h"
#include "reaper.h"
#include "spawn.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define LOGGER_KILL_MS 12000

/* Lives until the binary exits, which may be after its pio is gone. */
struct pio_logger {
	pid_t pid;
	struct loop_timer kill_timer;
	struct pio *io; /* NULL once the pio is destroyed */
};

static void on_logger_exit(void *ctx, const struct reap_exit *e)
{
	struct pio_logger *lg = ctx;
	log_debug("logger %d exited with %d", (int)e->pid, e->status);
	loop_timer_cancel(&lg->kill_timer);
	if (lg->io)
		lg->io->logger = NULL;
	free(lg);
}

static void on_logger_kill(struct loop_timer *t)
{
	struct pio_logger *lg =
	    (struct pio_logger *)((char *)t - offsetof(struct pio_logger, kill_timer));
	kill(lg->pid, SIGKILL);
}

static void ready_done(struct pio *io, int ok)
{
	loop_del(&io->ready);
	sys_closep(&io->ready.fd);
	if (io->on_ready)
		io->on_ready(io, ok);
}

static void on_ready_fd(struct loop_watch *w, uint32_t events)
{
	struct pio *io = (struct pio *)((char *)w - offsetof(struct pio, ready));
	char b;
	(void)events;
	ssize_t n = sys_read(w->fd, &b, 1);
	if (n == -EAGAIN)
		return;
	/* A byte: ready. EOF (fd 5 closed): ready for binary://, as ever; a binary-v2:// logger
	 * must write the byte, so EOF there means it crashed or exited before it was ready. */
	if (n == 0 && io->ready_strict)
		log_warn("logging binary did not call ready (it may have crashed or exited prematurely)");
	ready_done(io, n > 0 || (n == 0 && !io->ready_strict));
}

/* binary:///path?k=v&k2=v2 (or binary-v2://): args are each key followed by its value. */
static int start_logger(struct pio *io, const struct pio_cfg *cfg, const char *uri, int out_r,
                        int err_r, struct err *err)
{
	char buf[2048], env_id[256], env_ns[256];
	const char *argv[34];
	const char *envp[3] = { env_id, env_ns, NULL };
	size_t n = 0;
	int ready[2], e;

	snprintf(buf, sizeof(buf), "%s", strstr(uri, "://") + 3);
	char *q = strchr(buf, '?');
	if (q)
		*q++ = 0;
	argv[n++] = buf;
	for (char *kv = q ? strtok(q, "&") : NULL; kv && n + 2 < ARRAY_LEN(argv);
	     kv = strtok(NULL, "&")) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq++ = 0;
		argv[n++] = kv;
		if (eq)
			argv[n++] = eq;
	}
	argv[n] = NULL;
	snprintf(env_id, sizeof(env_id), "CONTAINER_ID=%s", cfg->id ? cfg->id : "");
	snprintf(env_ns, sizeof(env_ns), "CONTAINER_NAMESPACE=%s", cfg->ns ? cfg->ns : "");
	if ((e = pio_pipe(ready, err)) < 0)
		return e;
	struct spawn_opts o = { .path = buf,
		                .argv = argv,
		                .fds = { -1, -1, -1 },
		                .fd3 = out_r,
		                .fd4 = err_r,
		                .fd5 = ready[1],
		                .envp = envp };
	pid_t pid = spawn(&o);
	sys_close(ready[1]);
	if (pid < 0) {
		sys_close(ready[0]);
		err_msg(err, "start logging binary %s: %s", buf, strerror((int)-pid));
		return (int)pid;
	}
	struct pio_logger *lg = calloc(1, sizeof(*lg));
	if (!lg || reap_watch(pid, on_logger_exit, lg) < 0) {
		free(lg);
		kill(pid, SIGKILL);
		sys_close(ready[0]);
		err_msg(err, "out of memory");
		return -ENOMEM;
	}
	lg->pid = pid;
	lg->io = io;
	lg->kill_timer.fn = on_logger_kill;
	io->logger = lg;
	io->ready.fd = ready[0];
	io->ready.fn = on_ready_fd;
	if ((e = sys_set_nonblock(ready[0], 1)) < 0 || (e = loop_set(&io->ready, EPOLLIN)) < 0) {
		err_msg(err, "watch logger: %s", strerror(-e));
		return e;
	}
	return PIO_WAIT;
}

int pio_logger_open(struct pio *io, const struct pio_cfg *cfg, const char *uri, struct err *err)
{
	int lr[2] = { -1, -1 }, ler[2] = { -1, -1 }, e;

	if ((e = pio_pipe(lr, err)) < 0)
		return e;
	if (!cfg->terminal && (e = pio_pipe(ler, err)) < 0) {
		sys_close(lr[0]);
		sys_close(lr[1]);
		return e;
	}
	if (cfg->terminal) {
		io->console_out = lr[1]; /* console output feeds the logger's stdout pipe */
		io->console_out_pollable = 1;
	} else {
		io->child_fds[1] = lr[1];
		io->child_fds[2] = ler[1];
	}
	e = start_logger(io, cfg, uri, lr[0], ler[0], err);
	sys_close(lr[0]);
	sys_close(ler[0]);
	return e;
}

void pio_logger_release(struct pio *io)
{
	if (!io->logger)
		return;
	io->logger->io = NULL;
	kill(io->logger->pid, SIGTERM);
	loop_timer_arm(&io->logger->kill_timer, LOGGER_KILL_MS);
	io->logger = NULL;
}

pid_t pio_logger_pid(const struct pio *io)
{
	return io->logger ? io->logger->pid : 0;
}

int pio_logger_adopt(struct pio *io, pid_t pid)
{
	struct pio_logger *lg = calloc(1, sizeof(*lg));
	if (!lg || reap_watch(pid, on_logger_exit, lg) < 0) {
		free(lg);
		return -ENOMEM;
	}
	lg->pid = pid;
	lg->io = io;
	lg->kill_timer.fn = on_logger_kill;
	io->logger = lg;
	return 0;
}
