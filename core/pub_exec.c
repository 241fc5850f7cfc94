/* SPDX-License-Identifier: MIT */
/*
 * The publisher's exec transport, for the v1 shim (PROTOCOL.md 4.4): each event runs
 * `<binary> --address <grpc address> publish --topic T --namespace NS` with the event's Any on
 * stdin, one child at a time so that events arrive in order. A failed run is retried (the
 * queue's backoff) for as long as containerd's socket refuses connections, however long that
 * is: containerd is down, and the event waits for it. A run that fails while containerd
 * accepts connections counts; after PUB_EXEC_ATTEMPTS of those the event is dropped, so that a
 * broken publish binary cannot hold the queue (and v1's Wait) forever. A run that has not
 * ended after PUB_EXEC_TIMEOUT_MS is killed, and counts as failed.
 */
#include "address.h"
#include "log.h"
#include "loop.h"
#include "pub_transport.h"
#include "reaper.h"
#include "spawn.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PUB_EXEC_ATTEMPTS 6 /* as the reference's retry limit */
#define PUB_EXEC_TIMEOUT_MS 10000

/* All zeroes until pub_exec_init, so that it is in .bss, not .data. */
static struct {
	char binary[256], grpc[256];
	const struct pub_item *item; /* being published by a child */
	int stdin_fd;                /* the child's stdin, a memfd holding the event */
	int attempts;                /* failed runs for item so far, containerd reachable */
	pid_t child;                 /* the run in flight, 0 if none */
	struct loop_timer deadline;  /* kills a run that hangs */
} ex;

/* Only the envelope's event Any: `containerd publish` takes the rest from its flags. */
static int ex_encode(struct pub_item *it, size_t cap, const struct ev_envelope *env)
{
	struct pb_w w = pb_w_init(it->data, cap);
	tk_any_encode(&w, &env->event);
	it->len = w.len;
	return w.err;
}

/* 1 if containerd's socket accepts a connection now. A unix socket's connect never waits:
 * it succeeds, or fails at once (ENOENT, ECONNREFUSED; EAGAIN when its backlog is full, which
 * is a containerd that is there). */
static int containerd_reachable(void)
{
	const char *path = address_socket_path(ex.grpc);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return 1; /* cannot tell: count the failure */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	sys_close(fd);
	return r == 0 || e == EAGAIN || e == EINPROGRESS;
}

/* A run failed: retry with backoff, without end while containerd is away, or drop the event
 * after PUB_EXEC_ATTEMPTS failures with containerd there. */
static void ex_failed(const char *why)
{
	if (!containerd_reachable()) {
		char away[400];
		snprintf(away, sizeof(away), "%s (containerd is not reachable: kept)", why);
		pub_retry(away);
		return;
	}
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
	ex.child = 0;
	loop_timer_cancel(&ex.deadline);
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
	if (pid >= 0) {
		ex.child = pid;
		loop_timer_arm(&ex.deadline, PUB_EXEC_TIMEOUT_MS);
	}
	if (pid >= 0 && reap_watch(pid, on_exit_of_child, NULL) < 0) {
		kill(pid, SIGKILL); /* its exit goes to the unclaimed buffer */
		ex.child = 0;
		loop_timer_cancel(&ex.deadline);
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

/* The run hangs (a containerd that accepts but never answers): killed, its exit is the
 * failure. */
static void on_deadline(struct loop_timer *t)
{
	(void)t;
	if (ex.child > 0) {
		log_warn("publish %s: %s has not finished in %d s; killing it", ex.item->topic,
		         ex.binary, PUB_EXEC_TIMEOUT_MS / 1000);
		kill(ex.child, SIGKILL);
	}
}

int pub_exec_init(const char *binary, const char *grpc_address)
{
	ex.stdin_fd = -1;
	ex.deadline.fn = on_deadline;
	if (sys_fmt(ex.binary, sizeof(ex.binary), "%s", binary) < 0 ||
	    sys_fmt(ex.grpc, sizeof(ex.grpc), "%s", grpc_address) < 0)
		return -ENAMETOOLONG;
	return 0;
}

static int ex_event_of(const struct pub_item *it, struct pb_str *event)
{
	struct tk_any any;
	int e = tk_any_decode(it->data, it->len, &any);
	if (e >= 0)
		*event = any.value;
	return e;
}

const struct pub_transport pub_exec = { ex_encode, ex_send, ex_reset, ex_event_of };
