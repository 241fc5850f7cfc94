/* SPDX-License-Identifier: MIT */
/* Protobuf primitives: every length is checked against what is left before it is used. */
#include "pb.h"

#include <string.h>

int pb_get_varint(struct pb_r *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (i >= r->left)
			return -PB_ETRUNC;
		uint8_t b = r->p[i];
		/* The tenth byte may carry only bit 63. */
		if (i == 9 && (b & 0xfe))
			return -PB_EOVERFLOW;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			r->p += i + 1;
			r->left -= i + 1;
			*v = x;
			return 0;
		}
	}
	return -PB_EOVERFLOW;
}

int pb_get_fixed32(struct pb_r *r, uint32_t *v)
{
	if (r->left < 4)
		return -PB_ETRUNC;
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	     (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return 0;
}

int pb_get_fixed64(struct pb_r *r, uint64_t *v)
{
	uint32_t lo, hi;
	int e = pb_get_fixed32(r, &lo);
	if (e == 0)
		e = pb_get_fixed32(r, &hi);
	if (e == 0)
		*v = (uint64_t)hi << 32 | lo;
	return e;
}

int pb_next(struct pb_r *r, struct pb_field *f)
{
	uint64_t key, n;
	uint32_t u32;
	int e;

	if (r->left == 0)
		return 0;
	if ((e = pb_get_varint(r, &key)) < 0)
		return e;
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -PB_EFIELD;
	f->num = (uint32_t)(key >> 3);
	f->type = (uint32_t)(key & 7);
	f->u = 0;
	f->s.p = NULL;
	f->s.n = 0;
	switch (f->type) {
	case PB_VARINT:
		e = pb_get_varint(r, &f->u);
		break;
	case PB_FIXED64:
		e = pb_get_fixed64(r, &f->u);
		break;
	case PB_FIXED32:
		if ((e = pb_get_fixed32(r, &u32)) == 0)
			f->u = u32;
		break;
	case PB_LEN:
		if ((e = pb_get_varint(r, &n)) < 0)
			break;
		if (n > r->left)
			return -PB_ETRUNC;
		f->s.p = r->p;
		f->s.n = (size_t)n;
		r->p += n;
		r->left -= (size_t)n;
		break;
	default:
		return -PB_EWIRETYPE;
	}
	return e < 0 ? e : 1;
}

int pb_as_u64(const struct pb_field *f, uint64_t *v)
{
	if (f->type != PB_VARINT)
		return -PB_EWIRETYPE;
	*v = f->u;
	return 0;
}

int pb_as_i64(const struct pb_field *f, int64_t *v)
{
	if (f->type != PB_VARINT)
		return -PB_EWIRETYPE;
	*v = (int64_t)f->u;
	return 0;
}

int pb_as_u32(const struct pb_field *f, uint32_t *v)
{
	if (f->type != PB_VARINT)
		return -PB_EWIRETYPE;
	/* protoc truncates uint32 to the low 32 bits; so do we. */
	*v = (uint32_t)f->u;
	return 0;
}

int pb_as_i32(const struct pb_field *f, int32_t *v)
{
	if (f->type != PB_VARINT)
		return -PB_EWIRETYPE;
	*v = (int32_t)(uint32_t)f->u;
	return 0;
}

int pb_as_bool(const struct pb_field *f, int *v)
{
	if (f->type != PB_VARINT)
		return -PB_EWIRETYPE;
	*v = f->u != 0;
	return 0;
}

int pb_as_str(const struct pb_field *f, struct pb_str *v)
{
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	*v = f->s;
	return 0;
}

int pb_repeated_next(struct pb_r *it, uint32_t num, struct pb_str *v)
{
	struct pb_field f;
	int e;

	while ((e = pb_next(it, &f)) > 0) {
		if (f.num != num)
			continue;
		if (f.type != PB_LEN)
			return -PB_EWIRETYPE;
		*v = f.s;
		return 1;
	}
	return e;
}

int pb_packed_next(struct pb_r *it, uint64_t *v)
{
	if (it->left == 0)
		return 0;
	int e = pb_get_varint(it, v);
	return e < 0 ? e : 1;
}

int pb_str_eq(struct pb_str s, const char *c)
{
	size_t n = strlen(c);
	return s.n == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

int pb_str_copy(char *dst, size_t cap, struct pb_str s)
{
	if (s.n >= cap || (s.n && memchr(s.p, 0, s.n)))
		return -1;
	if (s.n)
		memcpy(dst, s.p, s.n);
	dst[s.n] = 0;
	return 0;
}

size_t pb_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void pb_put_raw(struct pb_w *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = -PB_ENOSPC;
		return;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void pb_put_varint(struct pb_w *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	pb_put_raw(w, b, n);
}

void pb_put_tag(struct pb_w *w, uint32_t num, uint32_t type)
{
	pb_put_varint(w, (uint64_t)num << 3 | type);
}

void pb_put_uint(struct pb_w *w, uint32_t num, uint64_t v)
{
	if (!v)
		return;
	pb_put_tag(w, num, PB_VARINT);
	pb_put_varint(w, v);
}

void pb_put_int(struct pb_w *w, uint32_t num, int64_t v)
{
	pb_put_uint(w, num, (uint64_t)v);
}

void pb_put_sint(struct pb_w *w, uint32_t num, int64_t v)
{
	pb_put_uint(w, num, pb_zigzag_encode(v));
}

void pb_put_bool(struct pb_w *w, uint32_t num, int v)
{
	pb_put_uint(w, num, v ? 1 : 0);
}

void pb_put_fixed32(struct pb_w *w, uint32_t num, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	if (!v)
		return;
	pb_put_tag(w, num, PB_FIXED32);
	pb_put_raw(w, b, 4);
}

void pb_put_fixed64(struct pb_w *w, uint32_t num, uint64_t v)
{
	uint8_t b[8];
	if (!v)
		return;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	pb_put_tag(w, num, PB_FIXED64);
	pb_put_raw(w, b, 8);
}

void pb_put_bytes_always(struct pb_w *w, uint32_t num, const void *p, size_t n)
{
	pb_put_tag(w, num, PB_LEN);
	pb_put_varint(w, n);
	pb_put_raw(w, p, n);
}

void pb_put_bytes(struct pb_w *w, uint32_t num, const void *p, size_t n)
{
	if (n)
		pb_put_bytes_always(w, num, p, n);
}

void pb_put_cstr(struct pb_w *w, uint32_t num, const char *s)
{
	if (s)
		pb_put_bytes(w, num, s, strlen(s));
}

void pb_put_str(struct pb_w *w, uint32_t num, struct pb_str s)
{
	pb_put_bytes(w, num, s.p, s.n);
}

size_t pb_begin(struct pb_w *w, uint32_t num)
{
	pb_put_tag(w, num, PB_LEN);
	pb_put_raw(w, "", 1); /* one byte reserved for the length */
	return w->len;
}

void pb_end(struct pb_w *w, size_t mark)
{
	if (w->err)
		return;
	size_t body = w->len - mark;
	size_t k = pb_varint_size(body);
	if (k - 1 > w->cap - w->len) {
		w->err = -PB_ENOSPC;
		return;
	}
	memmove(w->buf + mark + k - 1, w->buf + mark, body);
	size_t end = w->len + k - 1;
	w->len = mark - 1;
	pb_put_varint(w, body);
	w->len = end;
}
