/* SPDX-License-Identifier: MIT */
/* Protobuf primitives over caller-owned buffers: a bounded reader and an appending writer. */
#ifndef SHIMBOX_WIRE_PB_H
#define SHIMBOX_WIRE_PB_H

#include <stddef.h>
#include <stdint.h>

#define PB_WARN __attribute__((warn_unused_result))

/* Wire types. */
enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_SGROUP = 3, PB_EGROUP = 4, PB_FIXED32 = 5 };

/* Errors returned (negated) by every decoder in wire/. */
enum {
	PB_OK = 0,
	PB_ETRUNC = 1,    /* input ends inside a field */
	PB_EOVERFLOW = 2, /* varint longer than 10 bytes or over 64 bits */
	PB_EWIRETYPE = 3, /* wire type 6/7, or a group, or a known field with the wrong type */
	PB_EFIELD = 4,    /* field number 0 or over 2^29-1 */
	PB_ENOSPC = 5,    /* writer: buffer too small */
	PB_ERANGE = 6,    /* value does not fit its declared type, or exceeds a documented limit */
};

/* A byte slice borrowed from an input buffer; never NUL-terminated. */
struct pb_str {
	const uint8_t *p;
	size_t n;
};

/* Reader cursor. Invariant: the next read never touches bytes at or past p + left. */
struct pb_r {
	const uint8_t *p;
	size_t left;
};

/* One decoded field: number, wire type and its value (varint/fixed in u, bytes in s). */
struct pb_field {
	uint32_t num;
	uint32_t type;
	uint64_t u;
	struct pb_str s;
};

static inline struct pb_r pb_r_init(const void *p, size_t n)
{
	struct pb_r r = { (const uint8_t *)p, n };
	return r;
}

static inline struct pb_r pb_r_of(struct pb_str s)
{
	return pb_r_init(s.p, s.n);
}

static inline struct pb_str pb_str_of(const char *s, size_t n)
{
	struct pb_str v = { (const uint8_t *)s, n };
	return v;
}

/* Primitives. Return 0 or -PB_E*; on error the cursor is unspecified. */
int pb_get_varint(struct pb_r *r, uint64_t *v) PB_WARN;
int pb_get_fixed32(struct pb_r *r, uint32_t *v) PB_WARN;
int pb_get_fixed64(struct pb_r *r, uint64_t *v) PB_WARN;

/*
 * Reads the next field of a message into *f. Returns 1 when a field was read, 0 at the clean end
 * of the input, or -PB_E*. Groups (wire types 3/4) are rejected: proto3 never emits them.
 */
int pb_next(struct pb_r *r, struct pb_field *f) PB_WARN;

/* Checks that f has wire type t; otherwise -PB_EWIRETYPE. */
static inline int pb_want(const struct pb_field *f, uint32_t t)
{
	return f->type == t ? 0 : -PB_EWIRETYPE;
}

/* Scalar conversions of a varint field, checking its wire type and the type's range. */
int pb_as_u32(const struct pb_field *f, uint32_t *v) PB_WARN;
int pb_as_i32(const struct pb_field *f, int32_t *v) PB_WARN;
int pb_as_u64(const struct pb_field *f, uint64_t *v) PB_WARN;
int pb_as_i64(const struct pb_field *f, int64_t *v) PB_WARN;
int pb_as_bool(const struct pb_field *f, int *v) PB_WARN;
int pb_as_str(const struct pb_field *f, struct pb_str *v) PB_WARN;

static inline int64_t pb_zigzag_decode(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint64_t pb_zigzag_encode(int64_t v)
{
	/* All ones for a negative v, without shifting a signed value (implementation-defined). */
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

/*
 * Iterates over the occurrences of one repeated length-delimited field of a whole message:
 * `it` starts as pb_r_of(message); each call sets *v to the next occurrence of field `num`.
 * Returns 1, 0 at the end, or -PB_E* if the message is malformed.
 */
int pb_repeated_next(struct pb_r *it, uint32_t num, struct pb_str *v) PB_WARN;

/* Iterates over a packed repeated varint field's payload: 1 per value, 0 at the end, or -PB_E*. */
int pb_packed_next(struct pb_r *it, uint64_t *v) PB_WARN;

/* Compares a slice with a C string. */
int pb_str_eq(struct pb_str s, const char *c);
/* Copies a slice into dst[cap] as a C string: 0, or -1 (dst untouched) if it does not fit or
 * holds a NUL byte (which a C string would silently cut). */
int pb_str_copy(char *dst, size_t cap, struct pb_str s) PB_WARN;

/*
 * Writer: appends to buf[0..cap). The first failure sets err (sticky) and later calls do nothing,
 * so an encoder checks w->err once at the end. len never exceeds cap.
 */
struct pb_w {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

static inline struct pb_w pb_w_init(void *buf, size_t cap)
{
	struct pb_w w = { (uint8_t *)buf, cap, 0, 0 };
	return w;
}

void pb_put_raw(struct pb_w *w, const void *p, size_t n);
void pb_put_varint(struct pb_w *w, uint64_t v);
void pb_put_tag(struct pb_w *w, uint32_t num, uint32_t type);

/* Field writers following proto3: zero scalars and empty strings are omitted. */
void pb_put_uint(struct pb_w *w, uint32_t num, uint64_t v);
void pb_put_int(struct pb_w *w, uint32_t num, int64_t v);  /* int32/int64: two's complement */
void pb_put_sint(struct pb_w *w, uint32_t num, int64_t v); /* sint32/sint64: zigzag */
void pb_put_bool(struct pb_w *w, uint32_t num, int v);
void pb_put_fixed32(struct pb_w *w, uint32_t num, uint32_t v);
void pb_put_fixed64(struct pb_w *w, uint32_t num, uint64_t v);
void pb_put_bytes(struct pb_w *w, uint32_t num, const void *p, size_t n);
void pb_put_cstr(struct pb_w *w, uint32_t num, const char *s);
void pb_put_str(struct pb_w *w, uint32_t num, struct pb_str s);
/* Like pb_put_bytes but written even when empty (a present, empty message or repeated entry). */
void pb_put_bytes_always(struct pb_w *w, uint32_t num, const void *p, size_t n);

/*
 * Nested messages: `size_t m = pb_begin(w, num); ...fields...; pb_end(w, m);`. The nested
 * message is always written, even when empty (proto3 presence). pb_end moves the body to make
 * room for the minimal length varint, so the bytes equal protoc's.
 */
size_t pb_begin(struct pb_w *w, uint32_t num);
void pb_end(struct pb_w *w, size_t mark);

/* Number of bytes of the varint encoding of v. */
size_t pb_varint_size(uint64_t v);

#endif
