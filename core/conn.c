/* SPDX-License-Identifier: MIT */
/* ttrpc server side of the loop: one object per connection, reference-counted by parked calls. */
#include "conn.h"

#include "budget.h"
#include "handover.h"
#include "log.h"
#include "loop.h"
#include "sys.h"
#include "wire/frame.h"

#include <errno.h>
#include <fcntl.h>
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
	size_t cost; /* what it costs in the heap (BUDGET_COST), charged to the budget */
	uint8_t data[];
};

struct conn {
	struct loop_watch w;
	int refs;
	int closed;
	struct tt_frame rd;  /* reading: the header, then the payload or bytes to discard */
	uint8_t *payload;    /* the accepted payload of rd.h */
	size_t payload_cost; /* charged to the budget for payload, 0 for a small one */
	struct outbuf *out_head, *out_tail;
	size_t out_bytes; /* not yet sent */
	size_t out_cost;  /* heap held by the queue */
	size_t calls;     /* requests dispatched and not yet answered */
	int rd_eof;       /* the peer half-closed: read nothing more, close once all is answered */
	uint32_t ho_id;   /* its id in a handover document */
	struct conn *next, *prev;
};

static struct loop_watch listen_w = { .fd = -1 };
static struct loop_timer accept_timer;
static int spare_fd = -1;   /* kept for EMFILE: closed to accept and shed one connection */
static int accept_trouble; /* a refusal burst is being logged once; reset by an accept */
static int full_logged;    /* said once a burst; the burst ends below CONN_MAX / 2 */
static conn_dispatch_fn dispatch_fn;
static conn_closed_fn closed_fn;
static struct conn *conns;
static size_t nconns;
static int reads_held; /* an upgrade is being prepared: no connection is read */

static void listen_resume(void);

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->payload);
	budget_give(c->payload_cost);
	while (c->out_head) {
		struct outbuf *o = c->out_head;
		c->out_head = o->next;
		budget_give(o->cost);
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
	/* From CONN_MAX down: the listener may have been left unwatched (on_accept). */
	if (--nconns == CONN_MAX - 1)
		listen_resume();
	if (nconns < CONN_MAX / 2)
		full_logged = 0;
	c->refs++;
	if (c->calls && closed_fn)
		closed_fn(c); /* parked calls of a peer that is gone are abandoned */
	conn_unref(c);
	conn_unref(c);
}

/* A half-closed peer is closed once nothing it asked for is left to answer or send. */
static int conn_done_after_eof(struct conn *c)
{
	if (!c->closed && c->rd_eof && c->calls == 0 && !c->out_head) {
		conn_close(c);
		return 1;
	}
	return 0;
}

static int conn_readable(const struct conn *c)
{
	return !c->rd_eof && !reads_held && c->out_cost < CONN_OUT_MAX;
}

static void conn_update_events(struct conn *c)
{
	/* A client that does not read its replies stops being read: the queue stays bounded. */
	uint32_t ev = conn_readable(c) ? EPOLLIN | EPOLLRDHUP : 0;
	if (c->out_head)
		ev |= EPOLLOUT;
	if (c->closed || conn_done_after_eof(c))
		return;
	/* Half-closed with parked calls and nothing to send: wait only for the peer to be gone
	 * (EPOLLHUP, once it closes its end too), which abandons the calls; unwatched, such a
	 * connection would be held until its calls are answered, perhaps never. */
	if (ev == 0)
		ev = EPOLLHUP;
	if (loop_set(&c->w, ev) < 0)
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
		c->out_cost -= o->cost;
		budget_give(o->cost);
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
	/* Charged, never refused: a reply is owed. conn_readable bounds the queue instead. */
	size_t cost = BUDGET_COST(sizeof(struct outbuf) + cap);
	if (budget_take(cost) < 0)
		cost = 0;
	struct outbuf *o = malloc(sizeof(*o) + cap);
	if (!o) {
		budget_give(cost);
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
	o->cost = cost;
	o->next = NULL;
	c->out_cost += cost;
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
	struct conn *conn = c.conn;
	conn->calls--;
	if (!conn_done_after_eof(conn) && !conn->closed)
		conn_update_events(conn); /* a paused reader may go on */
	conn_unref(conn);
}

void call_abandon(struct call c)
{
	call_done(c);
}

struct conn *call_conn(struct call c)
{
	return c.conn;
}

void call_reply(struct call c, const void *payload, size_t n)
{
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
	struct call call = { c, c->rd.h.stream, 0 };
	int e;

	if (c->rd.h.type != TT_REQUEST)
		return; /* responses and data frames are ignored "for future compat" */
	c->refs++; /* the call's reference, dropped by its reply */
	c->calls++;
	if ((e = tt_req_decode(c->payload, c->rd.h.len, &req)) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "unmarshal request error: %s",
		           pb_error_text(e));
		return;
	}
	dispatch_fn(call, &req);
}

/* What a read of the connection ends with, beside bytes or nothing yet (0). */
enum { RD_CLOSE = -1 /* the connection is to be closed */, RD_EOF = -2 /* the peer half-closed */ };

/* One non-blocking read: > 0 bytes, 0 when nothing is there yet, RD_EOF, or RD_CLOSE. */
static ssize_t conn_recv(struct conn *c, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = recv(c->w.fd, buf, n, MSG_DONTWAIT);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return RD_EOF;
		return errno == EAGAIN ? 0 : RD_CLOSE;
	}
}

/* A refused header is answered at once on its stream id; its payload is read and dropped. */
static int conn_refuse(struct conn *c, int code, const char *msg)
{
	struct call call = { c, c->rd.h.stream, 0 };
	c->refs++;
	c->calls++;
	call_error(call, code, "%s", msg);
	if (c->closed)
		return -1;
	return tt_frame_discard(&c->rd);
}

/*
 * A header has arrived: its payload is accepted into a buffer of its own (charged to the budget
 * when it is not small), or refused (over TT_MAX_MSG, an even stream id, the budget spent).
 * Returns the reader's next event, or -1 once the connection is to be closed.
 */
static int conn_header(struct conn *c)
{
	const struct tt_hdr *h = &c->rd.h;
	char msg[160];
	int code = tt_hdr_check(h, msg, sizeof(msg));
	if (code != TT_OK)
		return conn_refuse(c, code, msg);
	size_t cost = h->len > CONN_SMALL_MSG ? BUDGET_COST(h->len) : 0;
	if (cost && budget_take(cost) < 0) {
		snprintf(msg, sizeof(msg),
		         "request of %u bytes refused: the shim's buffer budget (%zu MiB) is spent",
		         h->len, BUDGET_MAX >> 20);
		return conn_refuse(c, TT_RESOURCE_EXHAUSTED, msg);
	}
	c->payload = malloc(h->len ? h->len : 1);
	if (!c->payload) {
		budget_give(cost);
		return -1;
	}
	c->payload_cost = cost;
	return tt_frame_accept(&c->rd, c->payload);
}

/* A whole frame: dispatched, then its payload is let go. 0, or -1 if the connection closed. */
static int conn_payload_done(struct conn *c)
{
	c->refs++; /* the dispatcher may close us */
	conn_frame(c);
	free(c->payload);
	c->payload = NULL;
	budget_give(c->payload_cost);
	c->payload_cost = 0;
	int closed = c->closed;
	conn_unref(c);
	return closed ? -1 : 0;
}

/*
 * Reads what is available, frame by frame, and stops as soon as the connection's reply queue
 * reaches CONN_OUT_MAX. Returns 0, RD_EOF, or RD_CLOSE.
 */
static int conn_read(struct conn *c)
{
	uint8_t sink[1024]; /* where a refused payload goes */

	while (conn_readable(c)) {
		uint8_t *at;
		size_t want = tt_frame_want(&c->rd, sink, sizeof(sink), &at);
		ssize_t r = conn_recv(c, at, want);
		if (r <= 0)
			return (int)r;
		int ev = tt_frame_got(&c->rd, (size_t)r);
		if (ev == TT_FRAME_HEADER && (ev = conn_header(c)) < 0)
			return RD_CLOSE;
		if (ev == TT_FRAME_DONE && conn_payload_done(c) < 0)
			return RD_CLOSE;
	}
	return 0;
}

static void on_conn(struct loop_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;
	c->refs++; /* flushing may close c (a half-closed peer, all answered) */
	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->closed) {
		conn_unref(c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* Both directions are shut (the peer closed) or the socket failed: what it sent
		 * is still served, but no reply can be delivered: its parked calls are abandoned. */
		(void)conn_read(c);
		conn_close(c);
	} else if (events & (EPOLLIN | EPOLLRDHUP)) {
		int r = conn_read(c);
		if (r == RD_CLOSE) {
			conn_close(c);
		} else {
			if (r == RD_EOF) /* half-closed (SHUT_WR): it still reads; answer what it asked */
				c->rd_eof = 1;
			conn_update_events(c);
		}
	}
	conn_unref(c);
}

static void on_accept(struct loop_watch *w, uint32_t events);

/* Watches the listener again (a no-op if it is watched; nothing once it is closed). */
static void listen_resume(void)
{
	if (listen_w.fd >= 0 && loop_set(&listen_w, EPOLLIN) < 0)
		log_error("cannot watch the listening socket again");
}

static void on_accept_timer(struct loop_timer *t)
{
	(void)t;
	listen_resume();
}

/* Sheds one pending connection while fds are exhausted (EMFILE/ENFILE), so that the listener
 * does not stay readable and spin the loop; if even that fails, stops watching it for a while. */
static void accept_exhausted(int err)
{
	if (!accept_trouble)
		log_warn("accept: %s: refusing connections until fds are free again (%zu open "
		         "connections)",
		         strerror(err), nconns);
	accept_trouble = 1;
	if (spare_fd >= 0) {
		sys_closep(&spare_fd);
		int fd = accept4(listen_w.fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			sys_close(fd);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return;
	}
	loop_del(&listen_w);
	accept_timer.fn = on_accept_timer;
	loop_timer_arm(&accept_timer, ACCEPT_RETRY_MS);
}

/* Puts a new connection on fd on the list and the loop: 0 or -errno (nothing done). */
static int conn_insert(struct conn *c, int fd)
{
	c->w.fd = fd;
	c->w.fn = on_conn;
	c->refs = 1; /* the open connection's own reference, dropped by conn_close */
	int e = loop_set(&c->w, reads_held ? EPOLLHUP : EPOLLIN | EPOLLRDHUP);
	if (e < 0)
		return e;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nconns++;
	return 0;
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	(void)events;
	for (;;) {
		if (nconns >= CONN_MAX) {
			/* Left in the kernel's backlog, not refused: accepted once one closes. */
			if (!full_logged)
				log_warn("%d connections are open: accepting more once one closes",
				         CONN_MAX);
			full_logged = 1;
			loop_del(w);
			return;
		}
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_exhausted(errno);
			else if (errno != EAGAIN)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		accept_trouble = 0;
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
		if (conn_insert(c, fd) < 0) {
			sys_close(fd);
			free(c);
		}
	}
}

int conn_listen(int lfd, conn_dispatch_fn dispatch)
{
	/* Inherited as fd 3 without FD_CLOEXEC: no runc, logger or publisher child may hold it. */
	if (fcntl(lfd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	int e = sys_set_nonblock(lfd, 1);
	if (e < 0)
		return e;
	dispatch_fn = dispatch;
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	listen_w.fd = lfd;
	listen_w.fn = on_accept;
	return loop_set(&listen_w, EPOLLIN);
}

void conn_stop_listening(void)
{
	loop_del(&listen_w);
	loop_timer_cancel(&accept_timer);
	sys_closep(&listen_w.fd);
	sys_closep(&spare_fd);
}

void conn_on_close(conn_closed_fn fn)
{
	closed_fn = fn;
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

/* --- in-place upgrade ----------------------------------------------------------------------- */

void conn_hold_reads(int hold)
{
	reads_held = hold;
	for (struct conn *c = conns, *next; c; c = next) {
		next = c->next;
		conn_update_events(c);
	}
}

int conn_quiet(void)
{
	struct pb_str hdr, payload;
	for (struct conn *c = conns; c; c = c->next)
		if (tt_frame_received(&c->rd, &hdr, &payload) < 0)
			return 0;
	return 1;
}

int conn_listen_fd(void)
{
	return listen_w.fd;
}

uint32_t conn_handover_id(const struct conn *c)
{
	return c->ho_id;
}

/* A connection's bytes in flight, both ways, copied into one buffer (in first): NULL if short. */
static uint8_t *conn_bytes(const struct conn *c, struct pb_str *in, struct pb_str *out)
{
	struct pb_str hdr, payload;
	(void)tt_frame_received(&c->rd, &hdr, &payload); /* conn_quiet holds */
	size_t nin = hdr.n + payload.n, nout = 0;
	for (const struct outbuf *o = c->out_head; o; o = o->next)
		nout += o->len - o->off;
	uint8_t *b = malloc(nin + nout + 1);
	if (!b)
		return NULL;
	memcpy(b, hdr.p, hdr.n);
	if (payload.n)
		memcpy(b + hdr.n, payload.p, payload.n);
	size_t at = nin;
	for (const struct outbuf *o = c->out_head; o; o = o->next) {
		memcpy(b + at, o->data + o->off, o->len - o->off);
		at += o->len - o->off;
	}
	*in = (struct pb_str){ b, nin };
	*out = (struct pb_str){ b + nin, nout };
	return b;
}

void conn_handover_put(struct pb_w *w, struct ho_fds *fds)
{
	uint32_t id = 0;
	for (struct conn *c = conns; c; c = c->next) {
		struct ho_conn hc = { .id = c->ho_id = ++id, .fd = c->w.fd, .rd_eof = (uint32_t)c->rd_eof };
		uint8_t *b = conn_bytes(c, &hc.in, &hc.out);
		if (!b) {
			w->err = PB_ENOSPC;
			return;
		}
		ho_conn_put(w, &hc);
		ho_fds_keep(fds, c->w.fd);
		free(b);
	}
}

/* Feeds the bytes of a frame cut by the handover to c's reader, as conn_read would. */
static int conn_replay(struct conn *c, struct pb_str in)
{
	uint8_t sink[1024];
	size_t used = 0;
	while (used < in.n) {
		uint8_t *at;
		size_t want = tt_frame_want(&c->rd, sink, sizeof(sink), &at);
		size_t n = in.n - used < want ? in.n - used : want;
		if (want == 0)
			return -1;
		memcpy(at, in.p + used, n);
		used += n;
		int ev = tt_frame_got(&c->rd, n);
		if (ev == TT_FRAME_HEADER && (ev = conn_header(c)) < 0)
			return -1;
		if (ev == TT_FRAME_DONE && conn_payload_done(c) < 0)
			return -1;
	}
	return 0;
}

struct conn *conn_adopt(const struct ho_conn *hc)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	(void)fcntl(hc->fd, F_SETFD, FD_CLOEXEC);
	if (conn_insert(c, hc->fd) < 0) {
		free(c);
		return NULL;
	}
	c->ho_id = hc->id;
	c->rd_eof = (int)hc->rd_eof;
	if (hc->out.n) {
		size_t cost = BUDGET_COST(sizeof(struct outbuf) + hc->out.n);
		struct outbuf *o = malloc(sizeof(*o) + hc->out.n);
		if (o) {
			if (budget_take(cost) < 0)
				cost = 0;
			memcpy(o->data, hc->out.p, hc->out.n);
			*o = (struct outbuf){ NULL, hc->out.n, 0, cost };
			c->out_head = c->out_tail = o;
			c->out_bytes = hc->out.n;
			c->out_cost = cost;
		}
	}
	c->refs++;
	if (conn_replay(c, hc->in) < 0)
		conn_close(c);
	else
		conn_update_events(c);
	int closed = c->closed;
	conn_unref(c);
	return closed ? NULL : c;
}

struct call call_adopt(struct conn *c, uint32_t stream, unsigned tag)
{
	struct call call = { c, stream, tag };
	c->refs++;
	c->calls++;
	return call;
}
