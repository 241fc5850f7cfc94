/* SPDX-License-Identifier: MIT */
/*
 * core/publish over ttrpc, against a fake containerd on the same loop that answers each Forward
 * a few bytes per millisecond, so that its replies reach the publisher cut at every point: events
 * arrive in order and each done() runs; a refusal drops only its event; a Response nobody asked
 * for (stream 0, while idle) and one on the wrong stream are unexpected frames, met by a
 * reconnect and a resend; every byte of the budget comes back.
 */
#include "core/budget.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/publish.h"
#include "core/sys.h"
#include "tap.h"
#include "wire/events.h"
#include "wire/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { ANSWER_OK, ANSWER_REFUSE, ANSWER_WRONG_STREAM };

/* The fake containerd: one connection at a time; replies are dripped out by a timer. */
static struct {
	struct loop_watch lw, cw;
	struct tt_frame rd;
	uint8_t req[4096];
	uint8_t out[4096];
	size_t out_len, out_off, drip;
	struct loop_timer drip_timer;
	int answer; /* for the next request only; then ANSWER_OK */
	int accepts;
	char got[32][32]; /* the container ids received, in order */
	int ngot;
	int bad;
} fk = { .lw = { .fd = -1 }, .cw = { .fd = -1 } };

static int dones;
static char logbuf[1 << 16];

static void on_done(void *ctx)
{
	(void)ctx;
	dones++;
}

static void fk_close(void)
{
	loop_del(&fk.cw);
	sys_closep(&fk.cw.fd);
	tt_frame_init(&fk.rd);
	fk.out_len = fk.out_off = 0;
	loop_timer_cancel(&fk.drip_timer);
}

/* Sends 1, 2, 3... bytes of the queued replies each millisecond. */
static void on_drip(struct loop_timer *t)
{
	(void)t;
	size_t n = 1 + fk.drip++ % 7;
	if (n > fk.out_len - fk.out_off)
		n = fk.out_len - fk.out_off;
	ssize_t r = send(fk.cw.fd, fk.out + fk.out_off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r > 0)
		fk.out_off += (size_t)r;
	if (fk.out_off < fk.out_len)
		loop_timer_arm(&fk.drip_timer, 1);
	else
		fk.out_len = fk.out_off = 0;
}

static void fk_reply(uint32_t stream, int code, const char *msg)
{
	uint8_t b[256];
	struct pb_w w = pb_w_init(b, sizeof(b));
	tt_resp_encode(&w, code, msg, NULL, 0);
	struct tt_hdr h = { (uint32_t)w.len, stream, TT_RESPONSE, 0 };
	if (fk.out_len + TT_HDR_LEN + w.len > sizeof(fk.out)) {
		fk.bad = 1;
		return;
	}
	tt_hdr_encode(fk.out + fk.out_len, &h);
	memcpy(fk.out + fk.out_len + TT_HDR_LEN, b, w.len);
	fk.out_len += TT_HDR_LEN + w.len;
	loop_timer_arm(&fk.drip_timer, 1);
}

/* A whole Forward: its container id is recorded, and it is answered as fk.answer says. */
static void fk_request(void)
{
	struct tt_req req;
	struct ev_envelope env;
	struct pb_field f;
	if (tt_req_decode(fk.req, fk.rd.h.len, &req) < 0 || !pb_str_eq(req.service, EV_SERVICE) ||
	    !pb_str_eq(req.method, EV_METHOD) ||
	    ev_forward_req_decode(req.payload.p, req.payload.n, &env) < 0) {
		fk.bad = 1;
		return;
	}
	struct pb_r r = pb_r_of(env.event.value);
	if (pb_next(&r, &f) <= 0 || f.num != 1 || fk.ngot == 32 ||
	    pb_str_copy(fk.got[fk.ngot++], sizeof(fk.got[0]), f.s) < 0)
		fk.bad = 1;
	int a = fk.answer;
	fk.answer = ANSWER_OK;
	if (a == ANSWER_REFUSE)
		fk_reply(fk.rd.h.stream, TT_INVALID_ARGUMENT, "bad envelope");
	else
		fk_reply(a == ANSWER_WRONG_STREAM ? fk.rd.h.stream + 2 : fk.rd.h.stream, TT_OK,
		         NULL);
}

static void on_fk_conn(struct loop_watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	for (;;) {
		uint8_t *at, sink[64];
		size_t want = tt_frame_want(&fk.rd, sink, sizeof(sink), &at);
		ssize_t r = recv(fk.cw.fd, at, want, MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			fk_close(); /* the publisher went away */
			return;
		}
		int ev = tt_frame_got(&fk.rd, (size_t)r);
		if (ev == TT_FRAME_HEADER && fk.rd.h.len <= sizeof(fk.req)) {
			ev = tt_frame_accept(&fk.rd, fk.req);
		} else if (ev == TT_FRAME_HEADER) {
			fk.bad = 1;
			ev = tt_frame_discard(&fk.rd);
		}
		if (ev == TT_FRAME_DONE)
			fk_request();
	}
}

static void on_fk_accept(struct loop_watch *w, uint32_t events)
{
	(void)events;
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	fk_close();
	fk.accepts++;
	fk.cw.fd = fd;
	fk.cw.fn = on_fk_conn;
	if (loop_set(&fk.cw, EPOLLIN) < 0)
		fk.bad = 1;
}

/* Runs the loop until done() says so, or for at most ms. */
static int (*until_fn)(void);
static uint64_t until_deadline;
static struct loop_timer poll_timer;

static void on_poll(struct loop_timer *t)
{
	if (until_fn() || sys_mono_ms() >= until_deadline)
		loop_stop();
	else
		loop_timer_arm(t, 2);
}

static int run_until(int (*fn)(void), unsigned ms)
{
	until_fn = fn;
	until_deadline = sys_mono_ms() + ms;
	poll_timer.fn = on_poll;
	loop_timer_arm(&poll_timer, 1);
	loop_run();
	return fn();
}

static uint64_t sent(void)
{
	uint64_t s, d;
	pub_stats(&s, &d);
	return s;
}

static uint64_t dropped(void)
{
	uint64_t s, d;
	pub_stats(&s, &d);
	return d;
}

static int four_sent(void)
{
	return sent() == 4;
}

static int five_sent(void)
{
	return sent() == 5;
}

static int six_sent(void)
{
	return sent() == 6;
}

static int seven_sent(void)
{
	return sent() == 7;
}

static int idle_closed(void)
{
	return fk.cw.fd < 0;
}

static void event(const char *id)
{
	uint8_t ev[64];
	struct pb_w w = pb_w_init(ev, sizeof(ev));
	pb_put_cstr(&w, 1, id);
	pb_put_int(&w, 3, 4242);
	pub_event_then("/tasks/exit", "containerd.events.TaskExit", ev, w.len, on_done, NULL);
}

static int got_is(int from, const char *const *ids, int n)
{
	if (fk.ngot != from + n)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(fk.got[from + i], ids[i]) != 0)
			return 0;
	return 1;
}

static const char *log_text_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return logbuf;
}

int main(void)
{
	char dir[] = "/tmp/m_forward.XXXXXX", sock[64], logp[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/containerd.sock", dir);
	snprintf(logp, sizeof(logp), "%s/log", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	log_set_fd(logfd, 0);
	fk.lw.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	fk.lw.fn = on_fk_accept;
	fk.drip_timer.fn = on_drip;
	CHECK(fk.lw.fd >= 0 && bind(fk.lw.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	          listen(fk.lw.fd, 4) == 0 && loop_init() == 0 && loop_set(&fk.lw, EPOLLIN) == 0 &&
	          pub_init(sock, "ns") == 0,
	      "a fake containerd, and a publisher towards it");

	static const char *const first[] = { "c1", "c2", "c3", "c4" };
	for (int i = 0; i < 4; i++)
		event(first[i]);
	CHECK(run_until(four_sent, 5000) && got_is(0, first, 4) && dones == 4 && !fk.bad,
	      "four events, answered a few bytes at a time, arrive in order (%d received)",
	      fk.ngot);
	CHECK(pub_queued() == 0 && budget_used() == 0,
	      "the queue is empty and the budget all given back (%zu)", budget_used());

	static const char *const second[] = { "r1", "c5" };
	fk.answer = ANSWER_REFUSE;
	event("r1");
	event("c5");
	CHECK(run_until(five_sent, 5000) && got_is(4, second, 2) && dropped() == 1 && dones == 6,
	      "a refused event is dropped and counted; the next is delivered");
	CHECK(strstr(log_text_of(logp), "publish /tasks/exit refused by containerd (code 3): bad "
	                                "envelope; dropped") != NULL,
	      "the log says which event containerd refused, and why");

	/* A Response while nothing is in flight. */
	fk_reply(0, TT_OK, NULL);
	CHECK(run_until(idle_closed, 3000) && pub_queued() == 0 && sent() == 5,
	      "a Response on stream 0 while idle is unexpected: the publisher hangs up");
	CHECK(strstr(log_text_of(logp), "unexpected frame from containerd") != NULL,
	      "and says so in the log");
	event("c6");
	CHECK(run_until(six_sent, 5000) && fk.accepts == 2 && strcmp(fk.got[6], "c6") == 0 &&
	          dones == 7,
	      "the next event goes out on a new connection (%d accepts)", fk.accepts);

	fk.answer = ANSWER_WRONG_STREAM;
	event("c7");
	CHECK(run_until(seven_sent, 5000) && fk.accepts == 3 && fk.ngot == 9 &&
	          strcmp(fk.got[7], "c7") == 0 && strcmp(fk.got[8], "c7") == 0 && dones == 8,
	      "an answer on the wrong stream: reconnected, sent again, delivered once (%d sent)",
	      fk.ngot - 7);
	CHECK(pub_queued() == 0 && budget_used() == 0 && !fk.bad,
	      "nothing left queued, the budget all given back (%zu)", budget_used());

	unlink(sock);
	unlink(logp);
	rmdir(dir);
	return tap_done();
}
