/* SPDX-License-Identifier: MIT */
/*
 * The publisher's exec transport, for the v1 shim (PROTOCOL.md 4.4): each event runs
 * `<binary> --address <grpc address> publish --topic T --namespace NS` with the event's Any on
 * stdin, one child at a time so that events arrive in order; a failed run is retried, and the
 * event dropped after PUB_EXEC_ATTEMPTS.
 */
#include "log.h"
#include "pub_transport.h"
#include "reaper.h"
#include "spawn.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PUB_EXEC_ATTEMPTS 6 /* as the reference's retry limit */

/* All zeroes until pub_exec_init, so that it is in .bss, not .data. */
static struct {
	char binary[256], grpc[256];
	const struct pub_item *item; /* being published by a child */
	int stdin_fd;                /* the child's stdin, a memfd holding the event */
	int attempts;                /* failed runs for item so far */
} ex;

/* Only the envelope's event Any: `containerd publish` takes the rest from its flags. */
static int ex_encode(struct pub_item *it, size_t cap, const struct ev_envelope *env)
{
	struct pb_w w = pb_w_init(it->data, cap);
	tk_any_encode(&w, &env->event);
	it->len = w.len;
	return w.err;
}

/* A run failed: retry with backoff, or drop the event after PUB_EXEC_ATTEMPTS so that a broken
 * publish binary cannot hold the queue (and v1's Wait) forever. */
static void ex_failed(const char *why)
{
	if (++ex.attempts < PUB_EXEC_ATTEMPTS) {
		pub_retry(why);
		return;
	}
	log_error("publish %s: %s, %d times; dropped", ex.item->topic, why, ex.attempts);
	ex.attempts = 0;
	ex.item = NULL;
	pub_refused();
}

static void on_exit_of_child(void *ctx, const struct reap_exit *e)
{
	(void)ctx;
	sys_closep(&ex.stdin_fd);
	if (e->status != 0) {
		char why[320];
		snprintf(why, sizeof(why), "%s exited with %d", ex.binary, e->status);
		ex_failed(why);
		return;
	}
	ex.attempts = 0;
	ex.item = NULL;
	pub_sent();
}

static void ex_send(struct pub_item *it)
{
	const char *argv[] = { ex.binary, "--address",   ex.grpc,         "publish", "--topic",
		               it->topic, "--namespace", pub_namespace(), NULL };
	char why[320];

	ex.item = it;
	int fd = memfd_create("event", MFD_CLOEXEC);
	if (fd < 0 || sys_write_all(fd, it->data, it->len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		sys_close(fd);
		ex_failed("cannot stage the event");
		return;
	}
	struct spawn_opts o = {
		.argv = argv, .fds = { fd, -1, -1 }, .fd3 = -1, .pdeathsig = SIGKILL
	};
	pid_t pid = spawn(&o);
	ex.stdin_fd = fd; /* closed by the exit, whenever reap_watch runs it */
	if (pid >= 0 && reap_watch(pid, on_exit_of_child, NULL) < 0) {
		kill(pid, SIGKILL); /* its exit goes to the unclaimed buffer */
		pid = -ENOMEM;
	}
	if (pid < 0) {
		sys_closep(&ex.stdin_fd);
		snprintf(why, sizeof(why), "cannot run %s: %s", ex.binary, strerror((int)-pid));
		ex_failed(why);
	}
}

/* Nothing to forget: a retry comes only once the child is gone, or before it ran. */
static void ex_reset(void)
{
}

int pub_exec_init(const char *binary, const char *grpc_address)
{
	ex.stdin_fd = -1;
	if (sys_fmt(ex.binary, sizeof(ex.binary), "%s", binary) < 0 ||
	    sys_fmt(ex.grpc, sizeof(ex.grpc), "%s", grpc_address) < 0)
		return -ENAMETOOLONG;
	return 0;
}

const struct pub_transport pub_exec = { ex_encode, ex_send, ex_reset };
