/* SPDX-License-Identifier: MIT */
/* The ttrpc frame reader: a header, then a payload received in place or dropped. */
#include "frame.h"

#include <stdint.h>
#include <string.h>

/* Where the reader is in the current frame. Zero is a frame boundary (tt_frame_init). */
enum { FR_HEADER, FR_DECIDE, FR_PAYLOAD, FR_DISCARD };

void tt_frame_init(struct tt_frame *f)
{
	memset(f, 0, sizeof(*f));
}

/* The next frame: its header is wanted. h stays as it is for the caller. */
static void frame_next(struct tt_frame *f)
{
	f->state = FR_HEADER;
	f->got = 0;
	f->payload = NULL;
}

size_t tt_frame_want(struct tt_frame *f, uint8_t *sink, size_t sinkcap, uint8_t **at)
{
	size_t left;

	switch (f->state) {
	case FR_HEADER:
		*at = f->hdr + f->got;
		return TT_HDR_LEN - f->got;
	case FR_PAYLOAD:
		*at = f->payload + f->got;
		return f->h.len - f->got;
	case FR_DISCARD:
		left = f->h.len - f->got;
		*at = sink;
		return left < sinkcap ? left : sinkcap;
	default:
		*at = NULL;
		return 0;
	}
}

int tt_frame_got(struct tt_frame *f, size_t n)
{
	/* n is at most what tt_frame_want returned, so got never passes the length it counts to. */
	f->got += (uint32_t)n;
	switch (f->state) {
	case FR_HEADER:
		if (f->got < TT_HDR_LEN)
			return TT_FRAME_MORE;
		tt_hdr_decode(f->hdr, &f->h);
		f->state = FR_DECIDE;
		f->got = 0;
		return TT_FRAME_HEADER;
	case FR_PAYLOAD:
		if (f->got < f->h.len)
			return TT_FRAME_MORE;
		frame_next(f);
		return TT_FRAME_DONE;
	case FR_DISCARD:
		if (f->got == f->h.len)
			frame_next(f);
		return TT_FRAME_MORE;
	default:
		return TT_FRAME_MORE;
	}
}

int tt_frame_accept(struct tt_frame *f, uint8_t *buf)
{
	if (f->h.len == 0) {
		frame_next(f);
		return TT_FRAME_DONE;
	}
	f->state = FR_PAYLOAD;
	f->got = 0;
	f->payload = buf;
	return TT_FRAME_MORE;
}

int tt_frame_discard(struct tt_frame *f)
{
	if (f->h.len == 0) {
		frame_next(f);
		return TT_FRAME_MORE;
	}
	f->state = FR_DISCARD;
	f->got = 0;
	return TT_FRAME_MORE;
}

size_t tt_frame_feed(struct tt_frame *f, const void *p, size_t n, int *ev)
{
	const uint8_t *b = p;
	size_t used = 0;

	*ev = TT_FRAME_MORE;
	while (used < n && *ev == TT_FRAME_MORE) {
		uint8_t *at;
		size_t k = tt_frame_want(f, NULL, SIZE_MAX, &at);
		if (k == 0)
			break; /* a header waits for its answer */
		if (k > n - used)
			k = n - used;
		if (at)
			memcpy(at, b + used, k);
		used += k;
		*ev = tt_frame_got(f, k);
	}
	return used;
}

int tt_frame_received(const struct tt_frame *f, struct pb_str *hdr, struct pb_str *payload)
{
	hdr->p = f->hdr;
	payload->p = f->payload;
	payload->n = 0;
	switch (f->state) {
	case FR_HEADER:
		hdr->n = f->got;
		return 0;
	case FR_PAYLOAD:
		hdr->n = TT_HDR_LEN;
		payload->n = f->got;
		return 0;
	default: /* a header being decided, or a refused payload being dropped */
		hdr->n = 0;
		return -1;
	}
}
