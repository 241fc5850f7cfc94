/* SPDX-License-Identifier: MIT */
/*
 * wire/frame: a stream of frames (empty payloads, payloads shorter and longer than a header,
 * frames to drop, every header byte distinct) fed cut at every byte position, a byte at a time
 * and in random chunks, pushed (tt_frame_feed) and pulled (tt_frame_want into place, a small
 * sink for what is dropped); what comes out must be the frames that went in. Then a header
 * announcing more than TT_MAX_MSG, dropped without holding it, and the reader's edges.
 */
#include "wire/frame.h"
#include "tap.h"

#include <stdlib.h>

/* The test's rule: a frame with this flag, or over TT_MAX_MSG, is dropped. */
#define DROP_FLAG 0x80

struct spec {
	uint32_t len, stream;
	uint8_t type, flags;
};

static const struct spec specs[] = {
	{ 0, 1, TT_REQUEST, 0 },
	{ 1, 3, TT_REQUEST, 0 },
	{ 10, 5, TT_RESPONSE, 0x01 },
	{ 300, 0xa1b2c3d5, TT_DATA, 0x04 },
	{ 0, 7, TT_REQUEST, DROP_FLAG },
	{ 77, 9, TT_REQUEST, DROP_FLAG },
	{ 9, 0xffffffff, 0xff, 0x7f },
	{ 1500, 11, TT_REQUEST, 0 },
	{ 600, 13, TT_REQUEST, DROP_FLAG | 1 },
	{ 3, 15, TT_RESPONSE, 0 },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static uint8_t stream[NSPECS * TT_HDR_LEN + 4096];
static size_t stream_len;
static size_t payload_at[NSPECS];

static uint8_t pattern(size_t frame, size_t i)
{
	return (uint8_t)(frame * 31 + i * 7 + (i >> 8));
}

static void build_stream(void)
{
	for (size_t k = 0; k < NSPECS; k++) {
		struct tt_hdr h = { specs[k].len, specs[k].stream, specs[k].type, specs[k].flags };
		tt_hdr_encode(stream + stream_len, &h);
		stream_len += TT_HDR_LEN;
		payload_at[k] = stream_len;
		for (size_t i = 0; i < h.len; i++)
			stream[stream_len++] = pattern(k, i);
	}
}

/* One pass over the stream: what came out so far, compared as it comes. */
struct run {
	struct tt_frame f;
	size_t headers, done; /* headers announced, accepted payloads completed */
	uint8_t *buf;         /* the accepted payload, an allocation of exactly its length */
	int bad;
	char why[128];
};

static void fail(struct run *r, const char *why)
{
	if (!r->bad)
		snprintf(r->why, sizeof(r->why), "%s (frame %zu)", why, r->headers);
	r->bad = 1;
}

static int dropped(const struct tt_hdr *h)
{
	return (h->flags & DROP_FLAG) || h->len > TT_MAX_MSG;
}

static void on_event(struct run *r, int ev)
{
	if (ev == TT_FRAME_HEADER) {
		const struct tt_hdr *h = &r->f.h;
		const struct spec *s = r->headers < NSPECS ? &specs[r->headers] : NULL;
		if (!s || h->len != s->len || h->stream != s->stream || h->type != s->type ||
		    h->flags != s->flags)
			fail(r, "a header differs");
		r->headers++;
		if (dropped(h)) {
			ev = tt_frame_discard(&r->f);
		} else {
			r->buf = h->len ? malloc(h->len) : NULL;
			ev = tt_frame_accept(&r->f, r->buf);
		}
		if (ev == TT_FRAME_HEADER)
			fail(r, "accept or discard announced a header");
	}
	if (ev == TT_FRAME_DONE) {
		size_t k = r->headers - 1;
		if (k >= NSPECS || dropped(&r->f.h) || r->f.h.len != specs[k].len ||
		    (specs[k].len && memcmp(r->buf, stream + payload_at[k], specs[k].len) != 0))
			fail(r, "a payload differs");
		r->done++;
		free(r->buf);
		r->buf = NULL;
	}
}

/* Pushes p[0..n) through tt_frame_feed, answering every header. */
static void push(struct run *r, const uint8_t *p, size_t n)
{
	while (n > 0 && !r->bad) {
		int ev;
		size_t used = tt_frame_feed(&r->f, p, n, &ev);
		if (used == 0 && ev == TT_FRAME_MORE) {
			fail(r, "feed used nothing");
			return;
		}
		on_event(r, ev);
		p += used;
		n -= used;
	}
}

/* Pulls p[0..n) as recv() would deliver it: at most what is wanted, at most chunk at a time
 * (0: all there is), what is dropped into a sink of sinkcap bytes. */
static void pull(struct run *r, const uint8_t *p, size_t n, size_t chunk, size_t sinkcap)
{
	uint8_t sink[64];
	while (n > 0 && !r->bad) {
		uint8_t *at;
		size_t k = tt_frame_want(&r->f, sink, sinkcap, &at);
		if (k == 0 || !at || k > (at == sink ? sinkcap : TT_MAX_MSG)) {
			fail(r, "want gave nothing, or too much");
			return;
		}
		if (k > n)
			k = n;
		if (chunk && k > chunk)
			k = chunk;
		memcpy(at, p, k);
		on_event(r, tt_frame_got(&r->f, k));
		p += k;
		n -= k;
	}
}

static size_t kept(void)
{
	size_t n = 0;
	for (size_t k = 0; k < NSPECS; k++)
		n += !(specs[k].flags & DROP_FLAG);
	return n;
}

/* Whether the run saw every frame and ended at a frame boundary. */
static int complete(struct run *r)
{
	uint8_t *at;
	if (!r->bad && (r->headers != NSPECS || r->done != kept()))
		fail(r, "frames missing");
	if (!r->bad && (tt_frame_want(&r->f, NULL, 0, &at) != TT_HDR_LEN || at != r->f.hdr))
		fail(r, "not at a frame boundary");
	free(r->buf);
	return !r->bad;
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	tt_frame_init(&r->f);
}

static void test_every_split(void)
{
	struct run r;
	size_t bad_push = 0, bad_pull = 0, first_push = 0, first_pull = 0;

	for (size_t at = 0; at <= stream_len; at++) {
		run_init(&r);
		push(&r, stream, at);
		push(&r, stream + at, stream_len - at);
		if (!complete(&r) && bad_push++ == 0)
			first_push = at;
		run_init(&r);
		pull(&r, stream, at, 0, 5);
		pull(&r, stream + at, stream_len - at, 0, 5);
		if (!complete(&r) && bad_pull++ == 0)
			first_pull = at;
	}
	CHECK(bad_push == 0,
	      "pushed, cut at each of the %zu byte positions: same frames out "
	      "(%zu bad, first at %zu)",
	      stream_len + 1, bad_push, first_push);
	CHECK(bad_pull == 0,
	      "pulled into place with a 5-byte sink, cut at each position: same "
	      "frames out (%zu bad, first at %zu)",
	      bad_pull, first_pull);

	/* Two cuts: every position inside every header, against every position after it. */
	size_t bad2 = 0, runs = 0;
	for (size_t k = 0; k < NSPECS; k++) {
		size_t h0 = payload_at[k] - TT_HDR_LEN;
		for (size_t a = h0; a < payload_at[k]; a++)
			for (size_t b = a; b <= stream_len; b += 1 + (b - a) / 4) {
				run_init(&r);
				push(&r, stream, a);
				push(&r, stream + a, b - a);
				push(&r, stream + b, stream_len - b);
				bad2 += !complete(&r);
				runs++;
			}
	}
	CHECK(bad2 == 0, "cut twice, once inside a header: %zu runs, %zu bad", runs, bad2);

	run_init(&r);
	pull(&r, stream, stream_len, 1, 1);
	CHECK(complete(&r), "a byte at a time, pulled: same frames out %s", r.why);
	run_init(&r);
	for (size_t i = 0; i < stream_len; i++)
		push(&r, stream + i, 1);
	CHECK(complete(&r), "a byte at a time, pushed: same frames out %s", r.why);
}

static uint32_t rng = 0x9e3779b9;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_random_chunks(void)
{
	size_t bad = 0;
	struct run r;

	for (int i = 0; i < 2000; i++) {
		size_t max = i % 3 == 0 ? 3 : i % 3 == 1 ? 40 : 2000;
		run_init(&r);
		if (i & 1) {
			size_t off = 0;
			while (off < stream_len) {
				size_t c = 1 + rnd() % max;
				if (c > stream_len - off)
					c = stream_len - off;
				push(&r, stream + off, c);
				off += c;
			}
		} else {
			pull(&r, stream, stream_len, 1 + rnd() % max, 1 + rnd() % 64);
		}
		bad += !complete(&r);
	}
	CHECK(bad == 0,
	      "2000 runs in random chunks (1-3, 1-40, 1-2000 bytes), pushed and pulled: "
	      "%zu bad",
	      bad);
}

/* A header over TT_MAX_MSG between two frames: dropped through a small sink, never held. */
static void test_oversize(void)
{
	size_t n = 3 * TT_HDR_LEN + 4 + TT_MAX_MSG + 1 + 2;
	uint8_t *s = malloc(n), *p = s, sink[1024];
	struct tt_hdr a = { 4, 1, TT_REQUEST, 0 }, big = { TT_MAX_MSG + 1, 3, TT_REQUEST, 0 },
	              b = { 2, 5, TT_REQUEST, 0 };
	struct tt_frame f;
	char msg[128];
	int ev = 0, headers = 0, done = 0, ok = 1;
	uint8_t pa[4], pb[2], *at;

	tt_hdr_encode(p, &a);
	memcpy(p + TT_HDR_LEN, "abcd", 4);
	p += TT_HDR_LEN + 4;
	tt_hdr_encode(p, &big);
	memset(p + TT_HDR_LEN, 0xee, big.len);
	p += TT_HDR_LEN + big.len;
	tt_hdr_encode(p, &b);
	memcpy(p + TT_HDR_LEN, "xy", 2);

	tt_frame_init(&f);
	size_t off = 0, most = 0;
	while (off < n && ok) {
		size_t k = tt_frame_want(&f, sink, sizeof(sink), &at);
		size_t c = 1 + rnd() % 3000;
		k = k < c ? k : c;
		k = k < n - off ? k : n - off;
		if (k == 0) {
			ok = 0;
			break;
		}
		if (at == sink && k > most)
			most = k;
		memcpy(at, s + off, k);
		off += k;
		ev = tt_frame_got(&f, k);
		if (ev == TT_FRAME_HEADER) {
			headers++;
			if (f.h.len > TT_MAX_MSG) {
				ok &=
				    tt_hdr_check(&f.h, msg, sizeof(msg)) == TT_RESOURCE_EXHAUSTED &&
				    f.h.stream == 3;
				ev = tt_frame_discard(&f);
			} else {
				ev = tt_frame_accept(&f, f.h.stream == 1 ? pa : pb);
			}
		}
		if (ev == TT_FRAME_DONE) {
			done++;
			ok &= f.h.stream == 1 ? !memcmp(pa, "abcd", 4) : !memcmp(pb, "xy", 2);
		}
	}
	CHECK(ok && off == n && headers == 3 && done == 2 && most <= sizeof(sink),
	      "a header announcing %u bytes (over TT_MAX_MSG) is dropped through a %zu-byte sink; "
	      "the frames around it come out whole",
	      big.len, sizeof(sink));

	/* The largest announcement there is can be dropped too: it is only counted. */
	uint8_t hb[TT_HDR_LEN];
	struct tt_hdr huge = { 0xffffffff, 7, TT_REQUEST, 0 };
	tt_hdr_encode(hb, &huge);
	tt_frame_init(&f);
	(void)tt_frame_feed(&f, hb, sizeof(hb), &ev);
	ok = ev == TT_FRAME_HEADER && f.h.len == 0xffffffff &&
	     tt_frame_discard(&f) == TT_FRAME_MORE &&
	     tt_frame_want(&f, NULL, SIZE_MAX, &at) == 0xffffffff && at == NULL &&
	     tt_frame_want(&f, sink, sizeof(sink), &at) == sizeof(sink) && at == sink;
	CHECK(ok, "a 0xffffffff announcement: 4 GiB to drop, asked for a sink at a time");
	free(s);
}

static void test_edges(void)
{
	struct tt_frame f;
	struct tt_hdr h = { 0, 9, TT_RESPONSE, 0 }, seen;
	uint8_t two[2 * TT_HDR_LEN], *at;
	int ev;

	tt_hdr_encode(two, &h);
	h.len = 5;
	h.stream = 11;
	tt_hdr_encode(two + TT_HDR_LEN, &h);

	tt_frame_init(&f);
	CHECK(tt_frame_want(&f, NULL, 0, &at) == TT_HDR_LEN && at == f.hdr,
	      "a new reader wants a whole header");
	size_t used = tt_frame_feed(&f, two, TT_HDR_LEN - 1, &ev);
	CHECK(used == TT_HDR_LEN - 1 && ev == TT_FRAME_MORE &&
	          tt_frame_want(&f, NULL, 0, &at) == 1 && at == f.hdr + TT_HDR_LEN - 1,
	      "nine header bytes: no header yet, one byte wanted");
	used = tt_frame_feed(&f, two + TT_HDR_LEN - 1, TT_HDR_LEN + 1, &ev);
	CHECK(used == 1 && ev == TT_FRAME_HEADER && f.h.len == 0 && f.h.stream == 9,
	      "the tenth byte announces the header, and the feed stops there");
	CHECK(tt_frame_want(&f, NULL, 0, &at) == 0 && at == NULL &&
	          tt_frame_feed(&f, two + TT_HDR_LEN, TT_HDR_LEN, &ev) == 0,
	      "an unanswered header wants nothing and takes nothing");
	CHECK(tt_frame_accept(&f, NULL) == TT_FRAME_DONE && f.h.stream == 9,
	      "an empty payload is done at once, accepted with no buffer");
	seen = f.h;
	CHECK(tt_frame_want(&f, NULL, 0, &at) == TT_HDR_LEN && f.h.stream == seen.stream,
	      "after it, the next header is wanted; h still describes the finished frame");
	used = tt_frame_feed(&f, two + TT_HDR_LEN, TT_HDR_LEN, &ev);
	CHECK(used == TT_HDR_LEN && ev == TT_FRAME_HEADER && f.h.len == 5 && f.h.stream == 11,
	      "the next header replaces it");
	CHECK(tt_frame_discard(&f) == TT_FRAME_MORE && tt_frame_want(&f, NULL, 0, &at) == 0 &&
	          tt_frame_want(&f, two, 3, &at) == 3 && at == two,
	      "discarding wants at most the sink's size, into the sink (none: nothing)");
	used = tt_frame_feed(&f, "12345", 5, &ev);
	CHECK(used == 5 && ev == TT_FRAME_MORE && tt_frame_want(&f, NULL, 0, &at) == TT_HDR_LEN,
	      "the end of a dropped payload is silent: the next header is wanted");

	h.len = 0;
	h.stream = 13;
	tt_hdr_encode(two, &h);
	(void)tt_frame_feed(&f, two, TT_HDR_LEN, &ev);
	CHECK(ev == TT_FRAME_HEADER && tt_frame_discard(&f) == TT_FRAME_MORE &&
	          tt_frame_want(&f, NULL, 0, &at) == TT_HDR_LEN,
	      "dropping an empty payload goes straight to the next header");
}

int main(void)
{
	build_stream();
	test_every_split();
	test_random_chunks();
	test_oversize();
	test_edges();
	return tap_done();
}
