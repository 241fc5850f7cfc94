/* SPDX-License-Identifier: MIT */
/* wire/pb: varints, fixed and zigzag values, field skipping, nested lengths and the writer. */
#include "wire/pb.h"
#include "golden.h"

#include <stdlib.h>

struct varint_case {
	uint64_t v;
	uint8_t b[10];
	size_t n;
};

static const struct varint_case varints[] = {
	{ 0, { 0x00 }, 1 },
	{ 1, { 0x01 }, 1 },
	{ 127, { 0x7f }, 1 },
	{ 128, { 0x80, 0x01 }, 2 },
	{ 300, { 0xac, 0x02 }, 2 },
	{ 16383, { 0xff, 0x7f }, 2 },
	{ 16384, { 0x80, 0x80, 0x01 }, 3 },
	{ 0xffffffffu, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5 },
	{ 1ull << 63, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 10 },
	{ UINT64_MAX, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10 },
};

/* Decodes b[0..n) as one varint from an exact-size heap copy. */
static int varint_of(const uint8_t *b, size_t n, uint64_t *v, size_t *left)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	memcpy(c, b, n);
	struct pb_r r = pb_r_init(c, n);
	int e = pb_get_varint(&r, v);
	*left = r.left;
	free(c);
	return e;
}

static void test_varint(void)
{
	uint8_t buf[16];
	uint64_t v;
	size_t left;

	for (size_t i = 0; i < sizeof(varints) / sizeof(varints[0]); i++) {
		const struct varint_case *c = &varints[i];
		struct pb_w w = pb_w_init(buf, sizeof(buf));
		pb_put_varint(&w, c->v);
		CHECK(w.err == 0 && w.len == c->n && !memcmp(buf, c->b, c->n) &&
		          pb_varint_size(c->v) == c->n,
		      "varint %llu encodes in %zu bytes", (unsigned long long)c->v, c->n);
		CHECK(varint_of(c->b, c->n, &v, &left) == 0 && v == c->v && left == 0,
		      "varint %llu decodes", (unsigned long long)c->v);
		CHECK(varint_of(c->b, c->n - 1, &v, &left) == -PB_ETRUNC,
		      "varint %llu cut one byte short: ETRUNC", (unsigned long long)c->v);
	}
	static const uint8_t over10[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02
	};
	CHECK(varint_of(over10, sizeof(over10), &v, &left) == -PB_EOVERFLOW,
	      "ten bytes with more than 64 bits: EOVERFLOW");
	static const uint8_t over10b[] = { 0x80, 0x80, 0x80, 0x80, 0x80,
		                           0x80, 0x80, 0x80, 0x80, 0x7f };
	CHECK(varint_of(over10b, sizeof(over10b), &v, &left) == -PB_EOVERFLOW,
	      "tenth byte 0x7f: EOVERFLOW");
	static const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		                          0x80, 0x80, 0x80, 0x80, 0x00 };
	CHECK(varint_of(eleven, sizeof(eleven), &v, &left) == -PB_EOVERFLOW,
	      "eleven bytes: EOVERFLOW");
	CHECK(varint_of(eleven, 10, &v, &left) == -PB_EOVERFLOW,
	      "ten continuation bytes: EOVERFLOW, not a read past them");
	static const uint8_t cont[] = { 0x80 };
	CHECK(varint_of(cont, 1, &v, &left) == -PB_ETRUNC, "a lone continuation byte: ETRUNC");
	CHECK(varint_of(cont, 0, &v, &left) == -PB_ETRUNC, "no bytes: ETRUNC");
	static const uint8_t padded[] = { 0x81, 0x80, 0x00, 0x05 };
	CHECK(varint_of(padded, sizeof(padded), &v, &left) == 0 && v == 1 && left == 1,
	      "a non-minimal varint is accepted (as protoc) and the cursor advances 3");
}

static void test_fixed_zigzag(void)
{
	static const uint8_t b[] = { 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05 };
	struct pb_r r = pb_r_init(b, sizeof(b));
	uint32_t u32;
	uint64_t u64;
	uint8_t buf[16];
	struct pb_w w;

	CHECK(pb_get_fixed32(&r, &u32) == 0 && u32 == 0x01020304 && r.left == 4,
	      "fixed32 is little-endian");
	r = pb_r_init(b, sizeof(b));
	CHECK(pb_get_fixed64(&r, &u64) == 0 && u64 == 0x0506070801020304ull && r.left == 0,
	      "fixed64 is little-endian");
	r = pb_r_init(b, 3);
	CHECK(pb_get_fixed32(&r, &u32) == -PB_ETRUNC, "fixed32 with 3 bytes: ETRUNC");
	r = pb_r_init(b, 7);
	CHECK(pb_get_fixed64(&r, &u64) == -PB_ETRUNC, "fixed64 with 7 bytes: ETRUNC");

	w = pb_w_init(buf, sizeof(buf));
	pb_put_fixed32(&w, 1, 0x01020304);
	pb_put_fixed32(&w, 2, 0);
	static const uint8_t f32[] = { 0x0d, 0x04, 0x03, 0x02, 0x01 };
	CHECK_MEM(buf, w.len, f32, sizeof(f32), "pb_put_fixed32, zero omitted");
	w = pb_w_init(buf, sizeof(buf));
	pb_put_fixed64(&w, 1, 0x0506070801020304ull);
	pb_put_fixed64(&w, 3, 0);
	static const uint8_t f64[] = { 0x09, 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05 };
	CHECK_MEM(buf, w.len, f64, sizeof(f64), "pb_put_fixed64, zero omitted");

	static const struct {
		int64_t s;
		uint64_t z;
	} zz[] = {
		{ 0, 0 },
		{ -1, 1 },
		{ 1, 2 },
		{ -2, 3 },
		{ 2147483647, 4294967294u },
		{ -2147483648LL, 4294967295u },
		{ INT64_MAX, UINT64_MAX - 1 },
		{ INT64_MIN, UINT64_MAX },
	};
	int ok = 1;
	for (size_t i = 0; i < sizeof(zz) / sizeof(zz[0]); i++)
		ok &= pb_zigzag_encode(zz[i].s) == zz[i].z && pb_zigzag_decode(zz[i].z) == zz[i].s;
	CHECK(ok, "zigzag both ways, including INT64_MIN and INT64_MAX");
	w = pb_w_init(buf, sizeof(buf));
	pb_put_sint(&w, 1, -1);
	pb_put_sint(&w, 2, 0);
	CHECK(w.len == 2 && buf[0] == 0x08 && buf[1] == 0x01, "pb_put_sint(-1) is 08 01");
	w = pb_w_init(buf, sizeof(buf));
	pb_put_int(&w, 1, -1);
	CHECK(w.len == 11 && buf[0] == 0x08 && buf[1] == 0xff && buf[9] == 0xff && buf[10] == 0x01,
	      "pb_put_int(-1) is ten bytes of two's complement");
	w = pb_w_init(buf, sizeof(buf));
	pb_put_int(&w, 1, (int32_t)-2);
	CHECK(w.len == 11 && buf[1] == 0xfe, "a negative int32 is sign-extended to ten bytes");
}

static void test_next(void)
{
	static const uint8_t msg[] = {
		0x08, 0x96, 0x01,                            /* 1 varint 150 */
		0x11, 1,    2,    3,    4,    5,    6, 7, 8, /* 2 fixed64 */
		0x1a, 0x03, 'a',  'b',  'c',                 /* 3 bytes */
		0x25, 0xff, 0xff, 0xff, 0xff,                /* 4 fixed32 */
		0x2a, 0x00,                                  /* 5 empty bytes */
		0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01,          /* 2^29-1 varint */
	};
	struct pb_r r = pb_r_init(msg, sizeof(msg));
	struct pb_field f;
	CHECK(pb_next(&r, &f) == 1 && f.num == 1 && f.type == PB_VARINT && f.u == 150,
	      "pb_next: varint");
	CHECK(pb_next(&r, &f) == 1 && f.num == 2 && f.type == PB_FIXED64 &&
	          f.u == 0x0807060504030201ull,
	      "pb_next: fixed64");
	CHECK(pb_next(&r, &f) == 1 && f.num == 3 && f.type == PB_LEN && f.s.n == 3 &&
	          !memcmp(f.s.p, "abc", 3),
	      "pb_next: bytes");
	CHECK(pb_next(&r, &f) == 1 && f.num == 4 && f.type == PB_FIXED32 && f.u == 0xffffffffu,
	      "pb_next: fixed32");
	CHECK(pb_next(&r, &f) == 1 && f.num == 5 && f.s.n == 0, "pb_next: empty bytes");
	CHECK(pb_next(&r, &f) == 1 && f.num == 0x1fffffff && f.u == 1,
	      "pb_next: the largest field number");
	CHECK(pb_next(&r, &f) == 0 && pb_next(&r, &f) == 0, "pb_next: clean end, repeatedly");

	static const struct {
		uint8_t b[8];
		size_t n;
		int want;
		const char *what;
	} bad[] = {
		{ { 0x0b }, 1, -PB_EWIRETYPE, "start group" },
		{ { 0x0c }, 1, -PB_EWIRETYPE, "end group" },
		{ { 0x0e, 0x00 }, 2, -PB_EWIRETYPE, "wire type 6" },
		{ { 0x0f, 0x00 }, 2, -PB_EWIRETYPE, "wire type 7" },
		{ { 0x00, 0x01 }, 2, -PB_EFIELD, "field 0 varint" },
		{ { 0x02, 0x00 }, 2, -PB_EFIELD, "field 0 bytes" },
		{ { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 }, 6, -PB_EFIELD, "field 2^29" },
		{ { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 }, 7, -PB_EFIELD, "key over 32 bits" },
		{ { 0x0a, 0x02, 'a' }, 3, -PB_ETRUNC, "length past the end" },
		{ { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f }, 6, -PB_ETRUNC, "length 2^32-1" },
		{ { 0x0a }, 1, -PB_ETRUNC, "key without length" },
		{ { 0x08 }, 1, -PB_ETRUNC, "key without varint" },
		{ { 0x09, 1, 2, 3, 4, 5, 6, 7 }, 8, -PB_ETRUNC, "fixed64 short" },
		{ { 0x0d, 1, 2, 3 }, 4, -PB_ETRUNC, "fixed32 short" },
		{ { 0x88 }, 1, -PB_ETRUNC, "key cut in its varint" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *c = malloc(bad[i].n);
		if (!c)
			abort();
		memcpy(c, bad[i].b, bad[i].n);
		r = pb_r_init(c, bad[i].n);
		int e = pb_next(&r, &f);
		CHECK(e == bad[i].want, "pb_next rejects %s (%d)", bad[i].what, e);
		free(c);
	}
	static const uint8_t hugelen[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
		                           0xff, 0xff, 0xff, 0xff, 0x01 };
	r = pb_r_init(hugelen, sizeof(hugelen));
	CHECK(pb_next(&r, &f) == -PB_ETRUNC, "length 2^64-1 is ETRUNC, without overflow");

	/* Conversions check the wire type. */
	struct pb_field v = { 1, PB_VARINT, (1ull << 32) + 5, { NULL, 0 } };
	struct pb_field s = { 1, PB_LEN, 0, { (const uint8_t *)"x", 1 } };
	struct pb_field x = { 1, PB_FIXED32, 7, { NULL, 0 } };
	uint32_t u32;
	int32_t i32;
	int64_t i64;
	uint64_t u64;
	int b;
	struct pb_str str;
	CHECK(pb_as_u32(&v, &u32) == 0 && u32 == 5, "pb_as_u32 keeps the low 32 bits");
	CHECK(pb_as_u64(&v, &u64) == 0 && u64 == (1ull << 32) + 5, "pb_as_u64");
	v.u = UINT64_MAX;
	CHECK(pb_as_i32(&v, &i32) == 0 && i32 == -1, "pb_as_i32 of ten-byte -1");
	CHECK(pb_as_i64(&v, &i64) == 0 && i64 == -1, "pb_as_i64 of -1");
	v.u = 2;
	CHECK(pb_as_bool(&v, &b) == 0 && b == 1, "pb_as_bool(2) is true");
	CHECK(pb_as_str(&v, &str) == -PB_EWIRETYPE && pb_as_u32(&s, &u32) == -PB_EWIRETYPE &&
	          pb_as_bool(&x, &b) == -PB_EWIRETYPE && pb_as_i64(&s, &i64) == -PB_EWIRETYPE &&
	          pb_as_i32(&x, &i32) == -PB_EWIRETYPE && pb_as_u64(&s, &u64) == -PB_EWIRETYPE,
	      "conversions refuse the wrong wire type");
	CHECK(pb_as_str(&s, &str) == 0 && str.n == 1 && pb_want(&s, PB_LEN) == 0 &&
	          pb_want(&s, PB_VARINT) == -PB_EWIRETYPE,
	      "pb_as_str and pb_want");
}

static void test_repeated(void)
{
	static const uint8_t msg[] = { 0x22, 0x01, 'a', 0x08, 0x01, 0x22, 0x00,
		                       0x12, 0x01, 'z', 0x22, 0x02, 'b',  'c' };
	struct pb_r it = pb_r_init(msg, sizeof(msg));
	struct pb_str v;
	CHECK(pb_repeated_next(&it, 4, &v) == 1 && pb_str_eq(v, "a") &&
	          pb_repeated_next(&it, 4, &v) == 1 && v.n == 0 &&
	          pb_repeated_next(&it, 4, &v) == 1 && pb_str_eq(v, "bc") &&
	          pb_repeated_next(&it, 4, &v) == 0,
	      "pb_repeated_next: interleaved occurrences in order");
	static const uint8_t wrong[] = { 0x22, 0x01, 'a', 0x20, 0x01 };
	it = pb_r_init(wrong, sizeof(wrong));
	CHECK(pb_repeated_next(&it, 4, &v) == 1 && pb_repeated_next(&it, 4, &v) == -PB_EWIRETYPE,
	      "pb_repeated_next: an occurrence of the wrong type");
	static const uint8_t trunc[] = { 0x22, 0x01, 'a', 0x08 };
	it = pb_r_init(trunc, sizeof(trunc));
	CHECK(pb_repeated_next(&it, 4, &v) == 1 && pb_repeated_next(&it, 4, &v) == -PB_ETRUNC,
	      "pb_repeated_next: a malformed tail");

	static const uint8_t packed[] = { 0x01, 0x96, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00 };
	uint64_t x[4];
	it = pb_r_init(packed, sizeof(packed));
	CHECK(pb_packed_next(&it, &x[0]) == 1 && pb_packed_next(&it, &x[1]) == 1 &&
	          pb_packed_next(&it, &x[2]) == 1 && pb_packed_next(&it, &x[3]) == 1 &&
	          pb_packed_next(&it, &x[0]) == 0 && x[1] == 150 && x[2] == 0xffffffffu &&
	          x[3] == 0,
	      "pb_packed_next: 1, 150, 2^32-1, 0");
	it = pb_r_init(packed + 1, 1);
	CHECK(pb_packed_next(&it, &x[0]) == -PB_ETRUNC, "pb_packed_next: a cut value");

	CHECK(pb_str_eq(pb_str_of("abc", 3), "abc") && !pb_str_eq(pb_str_of("abc", 3), "ab") &&
	          !pb_str_eq(pb_str_of("ab", 2), "abc") && pb_str_eq(pb_str_of(NULL, 0), "") &&
	          !pb_str_eq(pb_str_of("a\0", 2), "a"),
	      "pb_str_eq");
}

/* A nested message with a body of n bytes: tag, minimal length, body; and it decodes back. */
static void nested(size_t n)
{
	size_t need = 1 + pb_varint_size(n) + n;
	uint8_t *body = malloc(n ? n : 1);
	uint8_t *buf = malloc(need);
	if (!body || !buf)
		abort();
	for (size_t i = 0; i < n; i++)
		body[i] = (uint8_t)(i * 7);
	struct pb_w w = pb_w_init(buf, need);
	size_t m = pb_begin(&w, 2);
	pb_put_raw(&w, body, n);
	pb_end(&w, m);
	int ok = w.err == 0 && w.len == need && buf[0] == 0x12;
	struct pb_r r = pb_r_init(buf, w.len);
	struct pb_field f;
	ok = ok && pb_next(&r, &f) == 1 && f.num == 2 && f.s.n == n &&
	     (n == 0 || !memcmp(f.s.p, body, n)) && r.left == 0;
	CHECK(ok, "pb_begin/pb_end with a %zu-byte body: %zu-byte length, exact buffer", n,
	      pb_varint_size(n));
	free(buf);
	/* One byte short, wherever the shortfall bites. */
	buf = malloc(need - 1);
	if (!buf)
		abort();
	w = pb_w_init(buf, need - 1);
	m = pb_begin(&w, 2);
	pb_put_raw(&w, body, n);
	pb_end(&w, m);
	CHECK(w.err == -PB_ENOSPC && w.len <= need - 1,
	      "pb_begin/pb_end with a %zu-byte body, one byte short: ENOSPC", n);
	free(buf);
	free(body);
}

static void test_writer(void)
{
	uint8_t buf[64];
	struct pb_w w;

	nested(0);
	nested(127);
	nested(128);
	nested(16383);
	nested(16384);
	nested(2097152);

	/* Nested twice, the inner field (128 bytes) making the outer length two bytes long. */
	uint8_t big[256];
	uint8_t fill[126];
	memset(fill, 'x', sizeof(fill));
	w = pb_w_init(big, 131);
	size_t outer = pb_begin(&w, 1);
	size_t inner = pb_begin(&w, 2);
	pb_put_raw(&w, fill, sizeof(fill));
	pb_end(&w, inner);
	pb_end(&w, outer);
	CHECK(w.err == 0 && w.len == 131 && big[0] == 0x0a && big[1] == 0x80 && big[2] == 0x01 &&
	          big[3] == 0x12 && big[4] == 126 && big[5] == 'x' && big[130] == 'x',
	      "nested pb_begin/pb_end: 0a 80 01 12 7e ...");
	w = pb_w_init(big, 130);
	outer = pb_begin(&w, 1);
	inner = pb_begin(&w, 2);
	pb_put_raw(&w, fill, sizeof(fill));
	pb_end(&w, inner);
	pb_end(&w, outer);
	CHECK(w.err == -PB_ENOSPC && w.len <= 130,
	      "nested: ENOSPC when only the outer length's second byte does not fit");

	w = pb_w_init(buf, 3);
	pb_put_varint(&w, 300);
	CHECK(w.err == 0 && w.len == 2, "writer: 2 of 3 bytes used");
	pb_put_raw(&w, "ab", 2);
	CHECK(w.err == -PB_ENOSPC && w.len == 2, "writer: ENOSPC, nothing partial written");
	pb_put_varint(&w, 1);
	pb_put_raw(&w, "", 0);
	size_t m = pb_begin(&w, 1);
	pb_end(&w, m);
	CHECK(w.err == -PB_ENOSPC && w.len == 2, "writer: ENOSPC is sticky");

	w = pb_w_init(NULL, 0);
	pb_put_bytes(&w, 1, "", 0);
	pb_put_cstr(&w, 1, NULL);
	pb_put_cstr(&w, 1, "");
	pb_put_uint(&w, 1, 0);
	pb_put_int(&w, 1, 0);
	pb_put_bool(&w, 1, 0);
	pb_put_str(&w, 1, pb_str_of(NULL, 0));
	CHECK(w.err == 0 && w.len == 0, "proto3: zero scalars and empty strings write nothing");
	pb_put_bool(&w, 1, 1);
	CHECK(w.err == -PB_ENOSPC, "a zero-capacity writer fails on the first byte");

	w = pb_w_init(buf, sizeof(buf));
	pb_put_bytes_always(&w, 3, NULL, 0);
	pb_put_bool(&w, 4, 7);
	pb_put_tag(&w, 0x1fffffff, PB_VARINT);
	static const uint8_t want[] = { 0x1a, 0x00, 0x20, 0x01, 0xf8, 0xff, 0xff, 0xff, 0x0f };
	CHECK_MEM(buf, w.len, want, sizeof(want),
	          "pb_put_bytes_always writes an empty field; bool is 0/1; a 5-byte tag");
}

/* Every golden vector is a well-formed message at the top level, walked by pb_next alone. */
static void test_goldens_walk(void)
{
	size_t bad = 0;
	for (size_t i = 0; i < GOLDEN_COUNT; i++) {
		struct pb_r r = pb_r_init(goldens[i].data, goldens[i].len);
		struct pb_field f;
		int e;
		while ((e = pb_next(&r, &f)) > 0)
			;
		bad += e != 0;
	}
	CHECK(bad == 0 && GOLDEN_COUNT > 40, "all %zu golden vectors walk with pb_next",
	      (size_t)GOLDEN_COUNT);
}

int main(void)
{
	test_varint();
	test_fixed_zigzag();
	test_next();
	test_repeated();
	test_writer();
	test_goldens_walk();
	return tap_done();
}
