/* SPDX-License-Identifier: MIT */
/*
 * The publisher's ttrpc transport (PROTOCOL.md 4.3): one lazy client connection to containerd's
 * TTRPC_ADDRESS, one Forward call in flight, written from the queued frame itself, its reply
 * read through tt_frame, a 5 s deadline.
 */
#include "budget.h"
#include "log.h"
#include "loop.h"
#include "pub_transport.h"
#include "sys.h"
#include "wire/frame.h"
#include "wire/ttrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PUB_TIMEOUT_MS 5000

/* All zeroes until pub_ttrpc_init, so that it is in .bss, not .data. */
static struct {
	char path[108];
	struct loop_watch sock;
	struct loop_timer deadline;
	uint32_t next_stream;
	const struct pub_item *item; /* in flight, on stream; NULL: nothing is */
	uint32_t stream;
	size_t out_off;     /* bytes of item written */
	int writing;        /* item is not all written yet */
	struct tt_frame in; /* the reply being read */
	uint8_t *in_body;   /* its payload, charged to the budget while held */
	size_t in_len;
} fwd;

static void in_free(void)
{
	if (fwd.in_body)
		budget_give(BUDGET_COST(fwd.in_len));
	free(fwd.in_body);
	fwd.in_body = NULL;
}

/* Hangs up: what is in flight is forgotten (the queue sends it again). */
static void fwd_reset(void)
{
	loop_del(&fwd.sock);
	sys_closep(&fwd.sock.fd);
	fwd.item = NULL;
	fwd.stream = 0;
	fwd.writing = 0;
	in_free();
	tt_frame_init(&fwd.in);
	loop_timer_cancel(&fwd.deadline);
}

static int fwd_encode(struct pub_item *it, size_t cap, const struct ev_envelope *env)
{
	struct tt_kv meta = { "containerd-namespace-ttrpc", pub_namespace() };
	/* The header is written when the frame is sent: only then is its stream id known. */
	struct pb_w w = pb_w_init(it->data + TT_HDR_LEN, cap - TT_HDR_LEN);
	ev_forward_call_encode(&w, env, (int64_t)PUB_TIMEOUT_MS * 1000000, &meta, 1);
	it->len = TT_HDR_LEN + w.len;
	if (w.len > TT_MAX_MSG && !w.err)
		w.err = -PB_ERANGE;
	return w.err;
}

/* A whole reply to the Forward in flight. */
static void on_response(void)
{
	struct tt_resp resp;
	int e = tt_resp_decode(fwd.in_body, fwd.in_len, &resp);
	const struct pub_item *it = fwd.item;

	fwd.item = NULL;
	fwd.stream = 0;
	loop_timer_cancel(&fwd.deadline);
	if (e < 0 || fwd.writing) {
		/* A reply before the whole request was written leaves the stream mid-frame. */
		pub_retry(e < 0 ? "malformed response" : "reply before the request was sent");
		return;
	}
	if (resp.code == TT_OK) {
		in_free();
		pub_sent();
	} else if (resp.code == TT_INVALID_ARGUMENT || resp.code == TT_UNIMPLEMENTED) {
		/* containerd will refuse this event every time: retrying would block the queue. */
		log_error("publish %s refused by containerd (code %d): %.*s; dropped", it->topic,
		          resp.code, (int)resp.message.n, (const char *)resp.message.p);
		in_free(); /* only now: resp.message points into it */
		pub_refused();
	} else {
		pub_retry("containerd returned an error");
	}
}

/* The header of a reply: only the Response to the Forward in flight is read (into in_body). */
static int on_reply_header(const struct tt_hdr *h)
{
	if (h->len > TT_MAX_MSG || h->type != TT_RESPONSE || !fwd.item || h->stream != fwd.stream) {
		pub_retry("unexpected frame from containerd");
		return -1;
	}
	fwd.in_len = h->len;
	if (budget_take(BUDGET_COST(fwd.in_len)) < 0) {
		pub_retry("no budget for the reply");
		return -1;
	}
	fwd.in_body = malloc(fwd.in_len ? fwd.in_len : 1);
	if (!fwd.in_body) {
		budget_give(BUDGET_COST(fwd.in_len));
		pub_retry("out of memory");
		return -1;
	}
	return tt_frame_accept(&fwd.in, fwd.in_body);
}

/* Writes what is left of the request. 0 once all is written, 1 to wait for room, -1 if the
 * connection failed (a retry is scheduled). */
static int fwd_write(void)
{
	while (fwd.out_off < fwd.item->len) {
		ssize_t r = send(fwd.sock.fd, fwd.item->data + fwd.out_off,
		                 fwd.item->len - fwd.out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 1;
		if (r < 0) {
			pub_retry(strerror(errno));
			return -1;
		}
		fwd.out_off += (size_t)r;
	}
	fwd.writing = 0;
	if (loop_set(&fwd.sock, EPOLLIN | EPOLLRDHUP) < 0) {
		pub_retry("epoll");
		return -1;
	}
	return 0;
}

/* Reads what is there of the reply; an end of the connection, even while idle, is a retry. */
static void fwd_read(void)
{
	for (;;) {
		uint8_t *at;
		size_t want = tt_frame_want(&fwd.in, NULL, 0, &at);
		ssize_t r = recv(fwd.sock.fd, at, want, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			pub_retry(r == 0 ? "connection closed" : strerror(errno));
			return;
		}
		int ev = tt_frame_got(&fwd.in, (size_t)r);
		if (ev == TT_FRAME_HEADER && (ev = on_reply_header(&fwd.in.h)) < 0)
			return;
		if (ev == TT_FRAME_DONE) {
			on_response();
			return;
		}
	}
}

static void on_sock(struct loop_watch *w, uint32_t events)
{
	(void)w;
	if (fwd.writing && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && fwd_write() != 0)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		fwd_read();
}

static int fwd_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, fwd.path, strlen(fwd.path) + 1);
	fwd.sock.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fwd.sock.fd < 0)
		return -errno;
	fwd.sock.fn = on_sock;
	fwd.sock.events = 0;
	if (connect(fwd.sock.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		int e = -errno;
		sys_closep(&fwd.sock.fd);
		return e;
	}
	fwd.next_stream = 1;
	return 0;
}

/* Sends it on the connection (made if there is none) with the next stream id. */
static void fwd_send(struct pub_item *it)
{
	if (fwd.sock.fd < 0) {
		int e = fwd_connect();
		if (e < 0) {
			pub_retry(strerror(-e));
			return;
		}
	}
	fwd.item = it;
	fwd.stream = fwd.next_stream;
	fwd.next_stream += 2;
	struct tt_hdr h = { (uint32_t)(it->len - TT_HDR_LEN), fwd.stream, TT_REQUEST, 0 };
	tt_hdr_encode(it->data, &h);
	fwd.out_off = 0;
	fwd.writing = 1;
	if (loop_set(&fwd.sock, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0) {
		pub_retry("epoll");
		return;
	}
	loop_timer_arm(&fwd.deadline, PUB_TIMEOUT_MS);
}

static void on_deadline(struct loop_timer *t)
{
	(void)t;
	pub_retry("no reply within 5 s");
}

static int fwd_event_of(const struct pub_item *it, struct pb_str *event)
{
	struct tt_req req;
	struct ev_envelope env;
	int e = tt_req_decode(it->data + TT_HDR_LEN, it->len - TT_HDR_LEN, &req);
	if (e < 0 || (e = ev_forward_req_decode(req.payload.p, req.payload.n, &env)) < 0)
		return e;
	*event = env.event.value;
	return 0;
}

int pub_ttrpc_init(const char *socket_path)
{
	fwd.sock.fd = -1;
	fwd.deadline.fn = on_deadline;
	return sys_fmt(fwd.path, sizeof(fwd.path), "%s", socket_path) < 0 ? -ENAMETOOLONG : 0;
}

const struct pub_transport pub_ttrpc = { fwd_encode, fwd_send, fwd_reset, fwd_event_of };
