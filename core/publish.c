/* SPDX-License-Identifier: MIT */
/* Ordered, retried event delivery over ttrpc Events.Forward. */
#include "publish.h"

#include "address.h"
#include "budget.h"
#include "log.h"
#include "loop.h"
#include "sys.h"
#include "wire/events.h"
#include "wire/frame.h"
#include "wire/ttrpc.h"

#include "reaper.h"
#include "spawn.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PUB_TIMEOUT_MS 5000
#define PUB_BACKOFF_MIN_MS 100
#define PUB_BACKOFF_MAX_MS 2000

/*
 * A queued event: the whole ttrpc frame of its Forward call (header, then the Request; the
 * stream id is written when it is sent), or (exec mode) the encoded Any. cost is what it holds
 * of the budget and of the queue's byte cap.
 */
struct pub_item {
	struct pub_item *next;
	char topic[64];
	void (*done)(void *ctx);
	void *ctx;
	size_t len, cost;
	uint8_t data[];
};

static char pub_path[108];
/* Exec mode (the v1 shim): `<binary> --address <address> publish --topic T --namespace NS`. */
static char pub_binary[256], pub_grpc[256];
static pid_t pub_child;
static int exec_attempts;
#define PUB_EXEC_ATTEMPTS 6 /* as the reference's retry limit */
static int exec_stdin = -1; /* the running publisher's stdin memfd */
static char pub_ns[80];
static struct pub_item *head, *tail;
static size_t queued, queued_bytes;
static uint64_t sent_total, dropped_total, dropped_full;

static struct loop_watch sock = { .fd = -1 };
static struct loop_timer retry_timer, deadline_timer;
static uint32_t next_stream = 1;
static uint32_t inflight_stream; /* 0: nothing in flight */
static const uint8_t *out;       /* the frame being written: the head's, never a copy */
static size_t out_len, out_off;
static struct tt_frame in;  /* the reply being read */
static uint8_t *in_body;    /* its payload */
static size_t in_len;
static unsigned backoff_ms;
static int busy_retry; /* a retry is scheduled */

static void pub_kick(void);

/* An Any as a top-level message (what `containerd publish` reads on stdin). */
static void tk_any_encode_top(struct pb_w *w, const struct tk_any *a)
{
	pb_put_str(w, 1, a->type_url);
	pb_put_str(w, 2, a->value);
}

/* The reply being received, charged to the budget while it is held. */
static void in_free(void)
{
	if (in_body)
		budget_give(BUDGET_COST(in_len));
	free(in_body);
	in_body = NULL;
}

static void pub_disconnect(void)
{
	loop_del(&sock);
	sys_closep(&sock.fd);
	out = NULL;
	in_free();
	tt_frame_init(&in);
	inflight_stream = 0;
	loop_timer_cancel(&deadline_timer);
}

static void pub_retry_later(const char *why)
{
	pub_disconnect();
	backoff_ms = backoff_ms ? backoff_ms * 2 : PUB_BACKOFF_MIN_MS;
	if (backoff_ms > PUB_BACKOFF_MAX_MS)
		backoff_ms = PUB_BACKOFF_MAX_MS;
	log_warn("publish %s: %s; retrying in %u ms (%zu queued)", head ? head->topic : "?", why,
	         backoff_ms, queued);
	busy_retry = 1;
	loop_timer_arm(&retry_timer, backoff_ms);
}

static void pub_pop(void)
{
	struct pub_item *it = head;
	head = it->next;
	if (!head)
		tail = NULL;
	out = NULL; /* a reply can come before the whole request was written */
	queued--;
	queued_bytes -= it->cost;
	budget_give(it->cost);
	if (it->done)
		it->done(it->ctx);
	free(it);
}

static void on_response(void)
{
	struct tt_resp resp;
	int e = tt_resp_decode(in_body, in_len, &resp);
	inflight_stream = 0;
	loop_timer_cancel(&deadline_timer);
	if (e < 0 || out) {
		/* out: a reply before the whole request was written leaves the stream mid-frame. */
		pub_retry_later(e < 0 ? "malformed response" : "reply before the request was sent");
		return;
	}
	if (resp.code == TT_OK) {
		sent_total++;
		backoff_ms = 0;
	} else if (resp.code == TT_INVALID_ARGUMENT || resp.code == TT_UNIMPLEMENTED) {
		/* containerd will refuse this event every time: retrying would block the queue. */
		log_error("publish %s refused by containerd (code %d): %.*s; dropped", head->topic,
		          resp.code, (int)resp.message.n, (const char *)resp.message.p);
		dropped_total++;
	} else {
		pub_retry_later("containerd returned an error");
		return;
	}
	in_free(); /* only now: resp.message points into it */
	pub_pop();
	pub_kick();
}

/* The header of a reply: only the Response to the Forward in flight is read (into in_body). */
static int on_reply_header(const struct tt_hdr *h)
{
	if (h->len > TT_MAX_MSG || h->type != TT_RESPONSE || !inflight_stream ||
	    h->stream != inflight_stream) {
		pub_retry_later("unexpected frame from containerd");
		return -1;
	}
	in_len = h->len;
	if (budget_take(BUDGET_COST(in_len)) < 0) {
		pub_retry_later("no budget for the reply");
		return -1;
	}
	in_body = malloc(in_len ? in_len : 1);
	if (!in_body) {
		budget_give(BUDGET_COST(in_len));
		pub_retry_later("out of memory");
		return -1;
	}
	return tt_frame_accept(&in, in_body);
}

static void on_sock(struct loop_watch *w, uint32_t events)
{
	(void)w;
	if (out && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		while (out_off < out_len) {
			ssize_t r = send(sock.fd, out + out_off, out_len - out_off,
			                 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				return;
			if (r < 0) {
				pub_retry_later(strerror(errno));
				return;
			}
			out_off += (size_t)r;
		}
		out = NULL;
		if (loop_set(&sock, EPOLLIN | EPOLLRDHUP) < 0) {
			pub_retry_later("epoll");
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		uint8_t *at;
		size_t want = tt_frame_want(&in, NULL, 0, &at);
		ssize_t r = recv(sock.fd, at, want, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			pub_retry_later(r == 0 ? "connection closed" : strerror(errno));
			return;
		}
		int ev = tt_frame_got(&in, (size_t)r);
		if (ev == TT_FRAME_HEADER && (ev = on_reply_header(&in.h)) < 0)
			return;
		if (ev == TT_FRAME_DONE) {
			on_response();
			return;
		}
	}
}

static int pub_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, pub_path, strlen(pub_path) + 1);
	sock.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock.fd < 0)
		return -errno;
	sock.fn = on_sock;
	sock.events = 0;
	if (connect(sock.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		int e = -errno;
		sys_closep(&sock.fd);
		return e;
	}
	next_stream = 1;
	return 0;
}

/* A publisher run failed: retry with backoff, or drop the event after PUB_EXEC_ATTEMPTS so that
 * a broken publish binary cannot hold the queue (and v1's Wait) forever. */
static void exec_failed(const char *why)
{
	if (++exec_attempts < PUB_EXEC_ATTEMPTS) {
		pub_retry_later(why);
		return;
	}
	log_error("publish %s: %s, %d times; dropped", head->topic, why, exec_attempts);
	dropped_total++;
	exec_attempts = 0;
	pub_pop();
	pub_kick();
}

static void on_exec_exit(void *ctx, const struct reap_exit *e)
{
	(void)ctx;
	pub_child = 0;
	sys_closep(&exec_stdin);
	if (e->status != 0) {
		char why[320];
		snprintf(why, sizeof(why), "%s exited with %d", pub_binary, e->status);
		exec_failed(why);
		return;
	}
	sent_total++;
	backoff_ms = 0;
	exec_attempts = 0;
	pub_pop();
	pub_kick();
}

/* Exec mode: one publisher child at a time, so events arrive in order. */
static void pub_kick_exec(void)
{
	const char *argv[] = { pub_binary,  "--address",   pub_grpc, "publish", "--topic",
		               head->topic, "--namespace", pub_ns,   NULL };
	int fd = memfd_create("event", MFD_CLOEXEC);
	if (fd < 0 || sys_write_all(fd, head->data, head->len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		sys_close(fd);
		exec_failed("cannot stage the event");
		return;
	}
	struct spawn_opts o = {
		.argv = argv, .fds = { fd, -1, -1 }, .fd3 = -1, .pdeathsig = SIGKILL
	};
	pid_t pid = spawn(&o);
	if (pid >= 0 && reap_watch(pid, on_exec_exit, NULL) < 0) {
		kill(pid, SIGKILL); /* its exit goes to the unclaimed buffer */
		pid = -ENOMEM;
	}
	if (pid < 0) {
		char why[320];
		sys_close(fd);
		snprintf(why, sizeof(why), "cannot run %s: %s", pub_binary, strerror((int)-pid));
		exec_failed(why);
		return;
	}
	pub_child = pid;
	exec_stdin = fd;
}

/* Sends the head of the queue if nothing is in flight. */
static void pub_kick(void)
{
	if (pub_binary[0]) {
		if (head && !pub_child && !busy_retry)
			pub_kick_exec();
		return;
	}
	if (!head || inflight_stream || busy_retry || !pub_path[0])
		return;
	if (sock.fd < 0) {
		int e = pub_connect();
		if (e < 0) {
			pub_retry_later(strerror(-e));
			return;
		}
	}
	inflight_stream = next_stream;
	next_stream += 2;
	struct tt_hdr h = { (uint32_t)(head->len - TT_HDR_LEN), inflight_stream, TT_REQUEST, 0 };
	tt_hdr_encode(head->data, &h);
	out = head->data;
	out_len = head->len;
	out_off = 0;
	if (loop_set(&sock, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		pub_retry_later("epoll");
		return;
	}
	loop_timer_arm(&deadline_timer, PUB_TIMEOUT_MS);
}

static void on_retry(struct loop_timer *t)
{
	(void)t;
	busy_retry = 0;
	pub_kick();
}

static void on_deadline(struct loop_timer *t)
{
	(void)t;
	pub_retry_later("no reply within 5 s");
}

int pub_init(const char *address, const char *ns)
{
	retry_timer.fn = on_retry;
	deadline_timer.fn = on_deadline;
	if (sys_fmt(pub_ns, sizeof(pub_ns), "%s", ns) < 0)
		return -ENAMETOOLONG;
	if (!address || !*address)
		return 0;
	if (sys_fmt(pub_path, sizeof(pub_path), "%s", address_socket_path(address)) < 0)
		return -ENAMETOOLONG;
	return 0;
}

int pub_init_exec(const char *binary, const char *grpc_address, const char *ns)
{
	retry_timer.fn = on_retry;
	deadline_timer.fn = on_deadline;
	if (sys_fmt(pub_ns, sizeof(pub_ns), "%s", ns) < 0 ||
	    sys_fmt(pub_binary, sizeof(pub_binary), "%s", binary) < 0 ||
	    sys_fmt(pub_grpc, sizeof(pub_grpc), "%s", grpc_address) < 0)
		return -ENAMETOOLONG;
	return 0;
}

void pub_event(const char *topic, const char *type_url, const void *event, size_t n)
{
	pub_event_then(topic, type_url, event, n, NULL, NULL);
}

/* The container an event is about: field 1 of every task event (PROTOCOL.md 4.1). */
static void event_container(const void *event, size_t n, char *id, size_t cap)
{
	struct pb_r r = pb_r_init(event, n);
	struct pb_field f;
	struct pb_str s;

	snprintf(id, cap, "?");
	while (pb_next(&r, &f) > 0) {
		if (f.num == 1) {
			if (pb_as_str(&f, &s) < 0 || pb_str_copy(id, cap, s) < 0)
				snprintf(id, cap, "?");
			return;
		}
	}
}

/* Counts and logs an event that is not queued, and runs its done(ctx). */
static void pub_drop(const char *topic, const void *event, size_t n, const char *why,
                     void (*done)(void *ctx), void *ctx)
{
	char id[128];
	event_container(event, n, id, sizeof(id));
	dropped_total++;
	dropped_full++;
	log_error("dropping event %s of container %s (%zu bytes): %s (%zu events, %zu bytes "
	          "queued; %llu dropped so far)",
	          topic, id, n, why, queued, queued_bytes, (unsigned long long)dropped_full);
	if (done)
		done(ctx);
}

void pub_event_then(const char *topic, const char *type_url, const void *event, size_t n,
                    void (*done)(void *ctx), void *ctx)
{
	struct ev_envelope env;
	struct tt_kv meta = { "containerd-namespace-ttrpc", pub_ns };

	if (!pub_path[0] && !pub_binary[0]) {
		log_debug("event %s not published: no TTRPC_ADDRESS", topic);
		if (done)
			done(ctx);
		return;
	}
	/*
	 * Room for the frame around the event: header, service and method names, timeout,
	 * metadata, Envelope and Any tags, lengths and the timestamp come to less than 256 bytes.
	 */
	size_t cap = TT_HDR_LEN + n + strlen(topic) + strlen(type_url) + 2 * strlen(pub_ns) + 256;
	size_t cost = BUDGET_COST(sizeof(struct pub_item) + cap);
	if (queued >= PUB_QUEUE_MAX) {
		pub_drop(topic, event, n, "the queue's event cap is reached", done, ctx);
		return;
	}
	if (cost > PUB_QUEUE_BYTES - queued_bytes) {
		pub_drop(topic, event, n, "the queue's byte cap is reached", done, ctx);
		return;
	}
	if (budget_take(cost) < 0) {
		pub_drop(topic, event, n, "the shim's buffer budget is spent", done, ctx);
		return;
	}
	struct pub_item *it = malloc(sizeof(*it) + cap);
	if (!it) {
		budget_give(cost);
		pub_drop(topic, event, n, "out of memory", done, ctx);
		return;
	}
	memset(&env, 0, sizeof(env));
	sys_now(&env.timestamp.seconds, &env.timestamp.nanos);
	env.ns = pb_str_of(pub_ns, strlen(pub_ns));
	env.topic = pb_str_of(topic, strlen(topic));
	env.event.type_url = pb_str_of(type_url, strlen(type_url));
	env.event.value.p = event;
	env.event.value.n = n;
	struct pb_w w;
	if (pub_binary[0]) {
		w = pb_w_init(it->data, cap);
		tk_any_encode_top(&w, &env.event);
		it->len = w.len;
	} else {
		w = pb_w_init(it->data + TT_HDR_LEN, cap - TT_HDR_LEN);
		ev_forward_call_encode(&w, &env, (int64_t)PUB_TIMEOUT_MS * 1000000, &meta, 1);
		it->len = TT_HDR_LEN + w.len;
		if (w.len > TT_MAX_MSG && !w.err)
			w.err = -PB_ERANGE;
	}
	if (w.err) {
		free(it);
		budget_give(cost);
		pub_drop(topic, event, n, "it cannot be encoded", done, ctx);
		return;
	}
	it->done = done;
	it->ctx = ctx;
	it->cost = cost;
	it->next = NULL;
	snprintf(it->topic, sizeof(it->topic), "%s", topic);
	if (tail)
		tail->next = it;
	else
		head = it;
	tail = it;
	queued++;
	queued_bytes += cost;
	log_debug("event %s queued (%zu, %zu bytes)", topic, queued, queued_bytes);
	pub_kick();
}

size_t pub_queued(void)
{
	return queued;
}

size_t pub_queued_bytes(void)
{
	return queued_bytes;
}

void pub_stats(uint64_t *sent, uint64_t *dropped)
{
	*sent = sent_total;
	*dropped = dropped_total;
}

uint64_t pub_dropped_full(void)
{
	return dropped_full;
}
