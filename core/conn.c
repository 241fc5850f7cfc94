/* SPDX-License-Identifier: MIT */
/* ttrpc server side of the loop: one object per connection, reference-counted by parked calls. */
#include "conn.h"

#include "log.h"
#include "loop.h"
#include "sys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct outbuf {
	struct outbuf *next;
	size_t len, off;
	uint8_t data[];
};

struct conn {
	struct loop_watch w;
	int refs;
	int closed;
	/* Reading: the header, then the payload (or a count of bytes to discard). */
	uint8_t hdr[TT_HDR_LEN];
	size_t hdr_got;
	struct tt_hdr h;
	uint8_t *payload;
	size_t payload_got;
	size_t discard;
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;
	struct conn *next, *prev;
};

#define CONN_OUT_MAX (8u << 20)

static struct loop_watch listen_w = { .fd = -1 };
static conn_dispatch_fn dispatch_fn;
static struct conn *conns;
static size_t nconns;

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->payload);
	while (c->out_head) {
		struct outbuf *o = c->out_head;
		c->out_head = o->next;
		free(o);
	}
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	loop_del(&c->w);
	sys_closep(&c->w.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nconns--;
	conn_unref(c);
}

static void conn_update_events(struct conn *c)
{
	/* A client that does not read its replies stops being read: the queue stays bounded. */
	uint32_t ev = c->out_bytes < CONN_OUT_MAX ? EPOLLIN | EPOLLRDHUP : 0;
	if (c->out_head)
		ev |= EPOLLOUT;
	if (!c->closed && c->w.events != ev && loop_set(&c->w, ev) < 0)
		conn_close(c);
}

static void conn_flush(struct conn *c)
{
	while (c->out_head && !c->closed) {
		struct outbuf *o = c->out_head;
		ssize_t r =
		    send(c->w.fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_close(c);
			break;
		}
		o->off += (size_t)r;
		c->out_bytes -= (size_t)r;
		if (o->off < o->len)
			continue;
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(o);
	}
	conn_update_events(c);
}

static void conn_send(struct conn *c, uint32_t stream, int code, const char *msg,
                      const void *payload, size_t n)
{
	if (c->closed)
		return;
	if (n > TT_MAX_MSG - 64) {
		code = TT_RESOURCE_EXHAUSTED;
		msg = "response exceeds the 4 MiB ttrpc limit";
		n = 0;
	}
	size_t cap = TT_HDR_LEN + n + (msg ? strlen(msg) : 0) + 32;
	struct outbuf *o = malloc(sizeof(*o) + cap);
	if (!o) {
		log_error("out of memory for a reply; closing the connection");
		conn_close(c);
		return;
	}
	struct pb_w w = pb_w_init(o->data + TT_HDR_LEN, cap - TT_HDR_LEN);
	tt_resp_encode(&w, code, msg, payload, n);
	struct tt_hdr h = { (uint32_t)w.len, stream, TT_RESPONSE, 0 };
	tt_hdr_encode(o->data, &h);
	o->len = TT_HDR_LEN + w.len;
	o->off = 0;
	o->next = NULL;
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += o->len;
	conn_flush(c);
}

/* Every call carries one reference on its connection, taken before dispatch and dropped here. */
static void call_done(struct call c)
{
	conn_unref(c.conn);
}

void call_reply(struct call c, const void *payload, size_t n)
{
	if (c.xform) {
		size_t cap = n * 2 + 256;
		uint8_t *buf = malloc(cap);
		if (!buf) {
			conn_send(c.conn, c.stream, TT_RESOURCE_EXHAUSTED, "out of memory", NULL,
			          0);
		} else {
			struct pb_w w = pb_w_init(buf, cap);
			c.xform(&w, payload, n);
			if (w.err)
				conn_send(c.conn, c.stream, TT_INTERNAL, "cannot encode the reply",
				          NULL, 0);
			else
				conn_send(c.conn, c.stream, TT_OK, NULL, buf, w.len);
			free(buf);
		}
		call_done(c);
		return;
	}
	conn_send(c.conn, c.stream, TT_OK, NULL, payload, n);
	call_done(c);
}

void call_error(struct call c, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_send(c.conn, c.stream, code, msg, NULL, 0);
	call_done(c);
}

static const char *pb_error_text(int e)
{
	switch (-e) {
	case PB_ETRUNC:
		return "unexpected end of input";
	case PB_EOVERFLOW:
		return "varint overflow";
	case PB_EWIRETYPE:
		return "invalid wire type";
	case PB_EFIELD:
		return "invalid field number";
	default:
		return "malformed protobuf";
	}
}

static void conn_frame(struct conn *c)
{
	struct tt_req req;
	struct call call = { c, c->h.stream, NULL };
	int e;

	if (c->h.type != TT_REQUEST)
		return; /* responses and data frames are ignored "for future compat" */
	c->refs++;      /* the call's reference, dropped by its reply */
	if ((e = tt_req_decode(c->payload, c->h.len, &req)) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "unmarshal request error: %s",
		           pb_error_text(e));
		return;
	}
	dispatch_fn(call, &req);
}

/* One non-blocking read: > 0 bytes, 0 when nothing is there yet, -1 at EOF or on an error. */
static ssize_t conn_recv(struct conn *c, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = recv(c->w.fd, buf, n, MSG_DONTWAIT);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 && errno == EAGAIN ? 0 : -1;
	}
}

/* Reads what is available; returns -1 once the connection is closed. */
static int conn_read(struct conn *c)
{
	for (;;) {
		if (c->hdr_got < TT_HDR_LEN) {
			ssize_t r = conn_recv(c, c->hdr + c->hdr_got, TT_HDR_LEN - c->hdr_got);
			if (r <= 0)
				return (int)r;
			c->hdr_got += (size_t)r;
			if (c->hdr_got < TT_HDR_LEN)
				continue;
			char msg[128];
			tt_hdr_decode(c->hdr, &c->h);
			int code = tt_hdr_check(&c->h, msg, sizeof(msg));
			if (code != TT_OK) {
				c->discard = c->h.len;
				struct call call = { c, c->h.stream, NULL };
				c->refs++;
				call_error(call, code, "%s", msg);
				if (c->closed)
					return -1;
			} else {
				c->payload = malloc(c->h.len ? c->h.len : 1);
				if (!c->payload)
					return -1;
				c->payload_got = 0;
			}
		}
		if (c->discard) {
			uint8_t sink[1024];
			size_t want = c->discard < sizeof(sink) ? c->discard : sizeof(sink);
			ssize_t r = conn_recv(c, sink, want);
			if (r <= 0)
				return (int)r;
			c->discard -= (size_t)r;
			if (c->discard == 0)
				c->hdr_got = 0;
			continue;
		}
		if (!c->payload) { /* a rejected header with an empty body */
			c->hdr_got = 0;
			continue;
		}
		if (c->payload_got < c->h.len) {
			ssize_t r =
			    conn_recv(c, c->payload + c->payload_got, c->h.len - c->payload_got);
			if (r <= 0)
				return (int)r;
			c->payload_got += (size_t)r;
			if (c->payload_got < c->h.len)
				continue;
		}
		c->refs++; /* the dispatcher may close us */
		conn_frame(c);
		free(c->payload);
		c->payload = NULL;
		c->hdr_got = 0;
		int closed = c->closed;
		conn_unref(c);
		if (closed)
			return -1;
	}
}

static void on_conn(struct loop_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;
	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->closed)
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		c->refs++;
		if (conn_read(c) < 0)
			conn_close(c);
		conn_unref(c);
	}
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	(void)events;
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		struct ucred cr;
		socklen_t len = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != geteuid() ||
		    cr.gid != getegid()) {
			log_warn("refusing connection after handshake: peer uid/gid differs");
			sys_close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			sys_close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.fn = on_conn;
		c->refs = 1; /* the open connection's own reference, dropped by conn_close */
		if (loop_set(&c->w, EPOLLIN | EPOLLRDHUP) < 0) {
			sys_close(fd);
			free(c);
			continue;
		}
		c->next = conns;
		if (conns)
			conns->prev = c;
		conns = c;
		nconns++;
	}
}

int conn_listen(int lfd, conn_dispatch_fn dispatch)
{
	int e = sys_set_nonblock(lfd, 1);
	if (e < 0)
		return e;
	dispatch_fn = dispatch;
	listen_w.fd = lfd;
	listen_w.fn = on_accept;
	return loop_set(&listen_w, EPOLLIN);
}

void conn_stop_listening(void)
{
	loop_del(&listen_w);
	sys_closep(&listen_w.fd);
}

size_t conn_count(void)
{
	return nconns;
}

size_t conn_pending_bytes(void)
{
	size_t n = 0;
	for (struct conn *c = conns; c; c = c->next)
		for (struct outbuf *o = c->out_head; o; o = o->next)
			n += o->len - o->off;
	return n;
}
