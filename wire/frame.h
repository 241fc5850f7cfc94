/* SPDX-License-Identifier: MIT */
/*
 * The incremental ttrpc frame reader (PROTOCOL.md 1.2) of every ttrpc peer in core/: the 10-byte
 * header, which may arrive cut at any byte, then its payload into a buffer the caller chose, or a
 * count of bytes to drop. The caller owns the struct and every buffer: the reader says how many
 * bytes it wants next and where they go, so that they can be received straight into place.
 *
 * A read loop:
 *     n = tt_frame_want(&f, sink, sizeof(sink), &at);   recv up to n bytes into at
 *     ev = tt_frame_got(&f, received);
 *     TT_FRAME_HEADER: look at f.h, then ev = tt_frame_accept(&f, buf) or tt_frame_discard(&f)
 *     TT_FRAME_DONE:   f.h's payload is in buf
 * The reader decides nothing: what a header may announce (TT_MAX_MSG, a budget, the stream id
 * expected) is the caller's to check before it accepts. It allocates nothing and keeps no state
 * outside the struct.
 */
#ifndef SHIMBOX_WIRE_FRAME_H
#define SHIMBOX_WIRE_FRAME_H

#include "ttrpc.h"

/* What tt_frame_got, tt_frame_accept and tt_frame_discard report. */
enum {
	TT_FRAME_MORE = 0, /* more bytes are wanted: tt_frame_want says how many and where */
	TT_FRAME_HEADER,   /* f->h is whole: answer with tt_frame_accept or tt_frame_discard */
	TT_FRAME_DONE,     /* f->h's payload is whole in the buffer given to tt_frame_accept */
};

/*
 * A reader. All zeroes (tt_frame_init) is a reader at a frame boundary. Callers read h only: it
 * is the announced header from TT_FRAME_HEADER on, and stays valid after TT_FRAME_DONE until the
 * next TT_FRAME_HEADER. The other fields are the reader's.
 */
struct tt_frame {
	struct tt_hdr h;
	uint8_t hdr[TT_HDR_LEN]; /* the header as it arrives */
	uint8_t state;
	uint32_t got;     /* bytes of the header, payload or discarded payload received */
	uint8_t *payload; /* the accepted buffer */
};

void tt_frame_init(struct tt_frame *f);

/*
 * The bytes wanted next: returns how many (> 0) and sets *at to where they go, inside the header,
 * inside the accepted payload, or (while discarding) at sink, the caller's scratch, in which case
 * at most sinkcap are wanted and what lands there is dropped. Returns 0 with *at NULL while a
 * header waits for tt_frame_accept or tt_frame_discard (and when discarding with sinkcap 0).
 */
size_t tt_frame_want(struct tt_frame *f, uint8_t *sink, size_t sinkcap, uint8_t **at);

/*
 * n bytes arrived where tt_frame_want said, 0 < n <= what it returned. Returns TT_FRAME_MORE,
 * TT_FRAME_HEADER once the header is whole (f->h decoded), or TT_FRAME_DONE once an accepted
 * payload is whole; the reader is then at the next frame's boundary. The end of a discarded
 * payload is reported as TT_FRAME_MORE: the reader goes on to the next header.
 */
int tt_frame_got(struct tt_frame *f, size_t n);

/*
 * Answers TT_FRAME_HEADER. accept: the payload is to be received into buf, which has room for
 * f->h.len bytes (NULL allowed when f->h.len is 0); returns TT_FRAME_DONE at once for an empty
 * payload, else TT_FRAME_MORE. discard: the f->h.len bytes are to be received into the caller's
 * sink and dropped (any length, up to 2^32 - 1); returns TT_FRAME_MORE.
 */
int tt_frame_accept(struct tt_frame *f, uint8_t *buf);
int tt_frame_discard(struct tt_frame *f);

/*
 * The same fed from a buffer: copies from p[0..n) what the reader wants, up to its next event,
 * and returns how many bytes it used; *ev gets the event (TT_FRAME_MORE when all n were used
 * without one). Discarded bytes are skipped, not copied. Uses nothing while a header waits.
 */
size_t tt_frame_feed(struct tt_frame *f, const void *p, size_t n, int *ev);

/*
 * The bytes of the current frame received so far, as they arrived: the header (whole or cut),
 * then, once accepted, its payload so far (borrowed from the reader and the accepted buffer).
 * Fed to a fresh reader, they put it where this one is (an in-place upgrade hands a connection
 * over so). 0, or -1 while a header waits for its answer or a refused payload is being dropped:
 * that state is the caller's decision and has no bytes to replay.
 */
int tt_frame_received(const struct tt_frame *f, struct pb_str *hdr, struct pb_str *payload);

#endif
