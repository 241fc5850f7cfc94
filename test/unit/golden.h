/* SPDX-License-Identifier: MIT */
/*
 * The golden-vector driver shared by the wire/ tests: per vector, decode, re-encode byte for byte,
 * encode into every too-small buffer, decode every truncation and thousands of mutations.
 * Inputs are copied into buffers of their exact size so ASan sees any read past the end.
 */
#ifndef SHIMBOX_TEST_GOLDEN_H
#define SHIMBOX_TEST_GOLDEN_H

#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "vectors.h"
#include "wire/pb.h"

#define GOLDEN_MUTATIONS 3000

/*
 * How a test drives one message type. decode: full decode, including iterating every repeated
 * field the API exposes; returns the first negative result or >= 0. reencode: decodes then
 * encodes into w (setting w->err if the decode fails).
 */
struct codec {
	const char *type;
	int (*decode)(const uint8_t *p, size_t n);
	void (*reencode)(const uint8_t *p, size_t n, struct pb_w *w);
};

/* Codec boilerplate for a plain decode/encode pair: name_dec and name_enc. */
#define CODEC_FNS(name, mtype, dec, enc)                                                           \
	__attribute__((unused)) static int name##_dec(const uint8_t *p, size_t n)                  \
	{                                                                                          \
		mtype m;                                                                           \
		return dec(p, n, &m);                                                              \
	}                                                                                          \
	__attribute__((unused)) static void name##_enc(const uint8_t *p, size_t n, struct pb_w *w) \
	{                                                                                          \
		mtype m;                                                                           \
		int e = dec(p, n, &m);                                                             \
		if (e < 0)                                                                         \
			w->err = e;                                                                \
		else                                                                               \
			enc(w, &m);                                                                \
	}

/* The vector of that name in a table of count vectors; exits the test if there is none. */
static inline const struct golden *golden_get_in(const struct golden *tab, size_t count,
                                                 const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
	printf("# no golden vector named %s\n", name);
	exit(1);
}

static inline const struct golden *golden_get(const char *name)
{
	return golden_get_in(goldens, GOLDEN_COUNT, name);
}

static inline struct pb_str golden_str(const char *name)
{
	const struct golden *g = golden_get(name);
	struct pb_str s = { g->data, g->len };
	return s;
}

/*
 * Decodes the vector NAME, from the table that get (golden_get, or a suite's own getter) reads,
 * with fn into m; and encodes through `call` (which writes to `w`) into a roomy buffer to check
 * protoc's bytes of NAME. DECODE and ENCODES_AS are these on the main table.
 */
#define GOLDEN_DECODE_IN(get, name, fn, m) fn((get)(name)->data, (get)(name)->len, m)
#define GOLDEN_ENCODES_AS_IN(get, name, call, ...)                                                 \
	do {                                                                                       \
		uint8_t buf_[2048];                                                                \
		struct pb_w w_ = pb_w_init(buf_, sizeof(buf_));                                    \
		struct pb_w *w = &w_;                                                              \
		call;                                                                              \
		const struct golden *g_ = (get)(name);                                             \
		CHECK(w_.err == 0 && w_.len == g_->len && memcmp(buf_, g_->data, g_->len) == 0,    \
		      __VA_ARGS__);                                                                \
	} while (0)
#define DECODE(name, fn, m) GOLDEN_DECODE_IN(golden_get, name, fn, m)
#define ENCODES_AS(name, call, ...) GOLDEN_ENCODES_AS_IN(golden_get, name, call, __VA_ARGS__)

static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Calls fn on a private copy of p[0..n) in a buffer of exactly n bytes. */
static inline int call_exact(int (*fn)(const uint8_t *, size_t), const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	int e;
	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	e = fn(b, n);
	free(b);
	return e;
}

static inline int result_sane(int e)
{
	return e >= 0 || (e <= -PB_ETRUNC && e >= -PB_ERANGE);
}

static inline void golden_truncations(const struct golden *g, const struct codec *c)
{
	unsigned char *edge = calloc(g->len + 1, 1);
	struct pb_r r = pb_r_init(g->data, g->len);
	struct pb_field f;
	size_t bad = 0, inside = 0;

	if (!edge)
		abort();
	edge[0] = 1;
	while (pb_next(&r, &f) > 0)
		edge[g->len - r.left] = 1;
	for (size_t k = 0; k < g->len; k++) {
		int e = call_exact(c->decode, g->data, k);
		if (!result_sane(e) || (edge[k] ? e < 0 : e >= 0)) {
			if (bad++ < 3)
				printf("# %s: prefix %zu -> %d\n", g->name, k, e);
		}
		inside += !edge[k];
	}
	CHECK(bad == 0, "%s: %zu truncations inside a field fail, the other %zu decode", g->name,
	      inside, g->len - inside);
	free(edge);
}

static inline void golden_mutations(const struct golden *g, const struct codec *c, uint64_t seed)
{
	uint8_t *b = malloc(g->len + 8);
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t insane = 0, failed = 0;

	if (!b)
		abort();
	for (int i = 0; i < GOLDEN_MUTATIONS; i++) {
		size_t n = g->len;
		memcpy(b, g->data, n);
		int ops = 1 + (int)(xorshift64(&s) % 3);
		for (int k = 0; k < ops; k++) {
			uint64_t x = xorshift64(&s);
			size_t at = n ? (size_t)(x >> 8) % n : 0;
			switch (x % 6) {
			case 0: /* flip one bit */
				if (n)
					b[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
				break;
			case 1: /* random byte */
				if (n)
					b[at] = (uint8_t)(x >> 32);
				break;
			case 2: /* insert a byte */
				if (n < g->len + 8) {
					memmove(b + at + 1, b + at, n - at);
					b[at] = (uint8_t)(x >> 32);
					n++;
				}
				break;
			case 3: /* delete a byte */
				if (n) {
					memmove(b + at, b + at + 1, n - at - 1);
					n--;
				}
				break;
			case 4: /* a varint continuation byte, the usual trouble */
				if (n)
					b[at] = (x >> 32) & 1 ? 0xff : 0x80;
				break;
			default: /* cut the tail */
				n = at;
			}
		}
		int e = call_exact(c->decode, b, n);
		insane += !result_sane(e);
		failed += e < 0;
	}
	CHECK(insane == 0, "%s: %d mutations decode cleanly (%zu rejected)", g->name,
	      GOLDEN_MUTATIONS, failed);
	free(b);
}

static inline void golden_reencode(const struct golden *g, const struct codec *c)
{
	uint8_t *buf = malloc(g->len + 64);
	struct pb_w w = pb_w_init(buf, g->len + 64);
	size_t bad = 0;

	if (!buf)
		abort();
	c->reencode(g->data, g->len, &w);
	CHECK(w.err == 0 && w.len == g->len && memcmp(buf, g->data, g->len) == 0,
	      "%s: re-encoded byte for byte as protoc (%zu/%zu bytes, err %d)", g->name, w.len,
	      g->len, w.err);
	free(buf);
	/* Every buffer one byte short or more: ENOSPC, and nothing written past the end. */
	for (size_t cap = 0; cap < g->len; cap++) {
		uint8_t *small = malloc(cap ? cap : 1);
		if (!small)
			abort();
		w = pb_w_init(small, cap);
		c->reencode(g->data, g->len, &w);
		if (w.err != -PB_ENOSPC || w.len > cap)
			bad++;
		free(small);
	}
	CHECK(bad == 0, "%s: all %zu short buffers give ENOSPC", g->name, g->len);
}

/*
 * Runs every vector of a table whose name starts with prefix (prefix NULL: every vector that
 * starts with none of "tt_", "ev_", "opt_", "sb_") through the codec of its type.
 */
static inline void golden_suite_in(const struct golden *tab, size_t count, const char *prefix,
                                   const struct codec *codecs, size_t ncodecs)
{
	size_t ran = 0;
	for (size_t i = 0; i < count; i++) {
		const struct golden *g = &tab[i];
		const struct codec *c = NULL;
		if (prefix ? strncmp(g->name, prefix, strlen(prefix)) != 0
		           : (!strncmp(g->name, "tt_", 3) || !strncmp(g->name, "ev_", 3) ||
		              !strncmp(g->name, "opt_", 4) || !strncmp(g->name, "sb_", 3)))
			continue;
		for (size_t k = 0; k < ncodecs; k++)
			if (strcmp(codecs[k].type, g->type) == 0)
				c = &codecs[k];
		CHECK(c != NULL, "%s: a codec for %s", g->name, g->type);
		if (!c)
			continue;
		ran++;
		CHECK(call_exact(c->decode, g->data, g->len) >= 0, "%s: decodes", g->name);
		if (g->roundtrip)
			golden_reencode(g, c);
		golden_truncations(g, c);
		golden_mutations(g, c, i + 1);
	}
	CHECK(ran > 0, "%zu golden vectors run", ran);
}

/* golden_suite_in over the main vectors (test/golden/vectors.h). */
static inline void golden_suite(const char *prefix, const struct codec *codecs, size_t ncodecs)
{
	golden_suite_in(goldens, GOLDEN_COUNT, prefix, codecs, ncodecs);
}

#endif
