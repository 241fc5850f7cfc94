/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes wire/frame, the incremental frame reader: input byte 0 picks how much a frame may
 * carry to be accepted (bits 0-2: 0 to 64 KiB; more, or over TT_MAX_MSG, is discarded) and a
 * seed for the cutting (bits 3-7); the rest is the byte stream. It is read four ways, all at once
 * (tt_frame_feed), a byte at a time, and in pseudo-random chunks pushed and pulled (tt_frame_want
 * into place, a small sink for what is dropped), each payload accepted into an allocation of
 * exactly its size; every way must give the headers and payloads of a plain parse of the stream,
 * and end where it does. A difference traps.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t limits[8] = { 0, 1, 9, 10, 11, 300, 4096, 65536 };

/* The plain parse's view of one frame: where its header and payload are. */
struct ref {
	size_t at;    /* offset of the header in the stream */
	int whole;    /* the payload is all in the stream */
	int accepted; /* within the limit */
};

#define MAX_REFS 4096

static struct ref refs[MAX_REFS];
static size_t nrefs;

struct run {
	struct tt_frame f;
	const uint8_t *s;
	size_t headers;
	uint8_t *buf;
};

static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void on_event(struct run *r, int ev)
{
	if (ev == TT_FRAME_HEADER) {
		struct tt_hdr h;
		check(r->headers < nrefs);
		const struct ref *x = &refs[r->headers++];
		tt_hdr_decode(r->s + x->at, &h);
		check(h.len == r->f.h.len && h.stream == r->f.h.stream && h.type == r->f.h.type &&
		      h.flags == r->f.h.flags);
		if (x->accepted) {
			r->buf = h.len ? malloc(h.len) : NULL;
			check(h.len == 0 || r->buf != NULL);
			ev = tt_frame_accept(&r->f, r->buf);
		} else {
			ev = tt_frame_discard(&r->f);
		}
		check(ev != TT_FRAME_HEADER);
	}
	if (ev == TT_FRAME_DONE) {
		check(r->headers > 0);
		const struct ref *x = &refs[r->headers - 1];
		check(x->accepted && x->whole);
		check(r->f.h.len == 0 ||
		      memcmp(r->buf, r->s + x->at + TT_HDR_LEN, r->f.h.len) == 0);
		free(r->buf);
		r->buf = NULL;
	}
}

static void push(struct run *r, const uint8_t *p, size_t n)
{
	while (n > 0) {
		int ev;
		size_t used = tt_frame_feed(&r->f, p, n, &ev);
		check(used > 0 || ev != TT_FRAME_MORE);
		on_event(r, ev);
		p += used;
		n -= used;
	}
}

/* Pulls p[0..n) in chunks of at most chunk (0: whatever is wanted), dropping into a sink. */
static void pull(struct run *r, const uint8_t *p, size_t n, size_t chunk, size_t sinkcap)
{
	uint8_t sink[64];
	while (n > 0) {
		uint8_t *at;
		size_t k = tt_frame_want(&r->f, sink, sinkcap, &at);
		check(k > 0 && at != NULL && (at != sink || k <= sinkcap));
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

/* The run saw every header of the stream and stopped where the stream stops. */
static void finish(struct run *r, size_t n)
{
	uint8_t *at, sink[64];
	size_t want = tt_frame_want(&r->f, sink, sizeof(sink), &at);
	check(r->headers == nrefs);
	if (nrefs && !refs[nrefs - 1].whole) {
		const struct ref *x = &refs[nrefs - 1];
		size_t left = x->at + TT_HDR_LEN + r->f.h.len - n;
		check(want == (x->accepted ? left : left < sizeof(sink) ? left : sizeof(sink)));
	} else {
		size_t at_hdr = nrefs ? refs[nrefs - 1].at + TT_HDR_LEN + r->f.h.len : 0;
		check(want == TT_HDR_LEN - (n - at_hdr) && at == r->f.hdr + (n - at_hdr));
	}
	free(r->buf);
}

static void parse(const uint8_t *s, size_t n, uint32_t limit)
{
	size_t off = 0;
	nrefs = 0;
	while (n - off >= TT_HDR_LEN && nrefs < MAX_REFS) {
		struct tt_hdr h;
		tt_hdr_decode(s + off, &h);
		struct ref *x = &refs[nrefs++];
		x->at = off;
		x->accepted = h.len <= limit && h.len <= TT_MAX_MSG;
		x->whole = h.len <= n - off - TT_HDR_LEN;
		if (!x->whole)
			return;
		off += TT_HDR_LEN + h.len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t limit = limits[data[0] & 7];
	const uint8_t *s = data + 1;
	size_t n = size - 1;
	parse(s, n, limit);
	if (nrefs == MAX_REFS)
		return 0; /* too many frames to follow: not interesting */

	for (int way = 0; way < 4; way++) {
		struct run r = { .s = s };
		tt_frame_init(&r.f);
		rng = 0x9e3779b9u ^ (uint32_t)(data[0] >> 3) * 0x85ebca6bu;
		if (way == 0) {
			push(&r, s, n);
		} else if (way == 1) {
			pull(&r, s, n, 1, 1 + rnd() % 64);
		} else if (way == 2) {
			size_t off = 0;
			while (off < n) {
				size_t c = 1 + rnd() % (rnd() % 2 ? 12 : 400);
				c = c < n - off ? c : n - off;
				push(&r, s + off, c);
				off += c;
			}
		} else {
			pull(&r, s, n, 1 + rnd() % 300, 1 + rnd() % 64);
		}
		finish(&r, n);
	}
	return 0;
}
