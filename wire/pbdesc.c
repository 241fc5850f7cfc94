/* SPDX-License-Identifier: MIT */
/* The generic, table-driven message decoder and encoder (pbdesc.h). */
#include "pbdesc.h"

#include <string.h>

#include "task.h"

/* A map<string,string> entry {key=1, value=2}, only ever checked, never stored. */
struct pb_str_map_entry {
	struct pb_str key, value;
};
const struct pb_mdesc pb_none = { NULL, NULL, 0, 0 };

#define SUBS(X) X(pb_none)
PB_SUBS(SUBS);

#define PB_T struct pb_str_map_entry
PB_FIELDS(pb_str_map_desc, PB_STR(1, key), PB_STR(2, value));
const struct pb_mdesc pb_str_map_desc = PB_MDESC(pb_str_map_desc, sizeof(PB_T));
#undef PB_T

static const struct pb_fdesc *find(const struct pb_mdesc *d, uint32_t num)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->f[i].num == num)
			return &d->f[i];
	return NULL;
}

static int decode(const struct pb_mdesc *d, struct pb_str s, char *out, unsigned depth);

/* Appends v to the array of a PB_K_PACK64 field. */
static int push64(const struct pb_fdesc *fd, char *b, uint64_t v)
{
	uint32_t *n = (uint32_t *)(void *)(b + fd->aux);
	if (*n >= fd->cap)
		return -PB_ERANGE;
	((uint64_t *)(void *)(b + fd->off))[(*n)++] = v;
	return 0;
}

/* The nested message of field fd of d (meaningful for the kinds that have one). */
static const struct pb_mdesc *sub_of(const struct pb_mdesc *d, const struct pb_fdesc *fd)
{
	return d->subs[fd->kind >> 4];
}

/* Checks a message against sub without storing it; pb_none (no fields) is not parsed. */
static int check(const struct pb_mdesc *sub, struct pb_str s, unsigned depth)
{
	return sub->n ? decode(sub, s, NULL, depth + 1) : 0;
}

/* One occurrence of a known field of d; b is the struct (NULL when only checking). */
static int field(const struct pb_mdesc *d, const struct pb_fdesc *fd, const struct pb_field *f,
                 char *b, unsigned depth)
{
	unsigned kind = fd->kind & 15;
	void *v = b ? b + fd->off : NULL;
	struct pb_r it;
	uint64_t u;
	int e;

	if (kind == PB_K_ENUMS || kind == PB_K_PACK64) {
		if (f->type != PB_VARINT && f->type != PB_LEN)
			return -PB_EWIRETYPE;
	} else if (f->type != (kind <= PB_K_BOOL ? PB_VARINT : PB_LEN)) {
		return -PB_EWIRETYPE;
	}
	switch (b ? kind : PB_K_CHECK) {
	case PB_K_U32: /* protoc truncates uint32 to the low 32 bits; so do we */
		*(uint32_t *)v = (uint32_t)f->u;
		return 0;
	case PB_K_I32:
		*(int32_t *)v = (int32_t)(uint32_t)f->u;
		return 0;
	case PB_K_U64:
	case PB_K_I64:
		*(uint64_t *)v = f->u;
		return 0;
	case PB_K_BOOL:
		*(int *)v = f->u != 0;
		return 0;
	case PB_K_STR:
		*(struct pb_str *)v = f->s;
		return 0;
	case PB_K_CSTR:
		if (f->s.n >= fd->cap || memchr(f->s.p, 0, f->s.n))
			return -PB_ERANGE;
		memcpy(v, f->s.p, f->s.n);
		((char *)v)[f->s.n] = 0;
		return 0;
	case PB_K_OPT:
		*(int *)(void *)(b + fd->aux) = 1;
		return decode(sub_of(d, fd), f->s, v, depth + 1);
	case PB_K_MSG:
		return decode(sub_of(d, fd), f->s, v, depth + 1);
	case PB_K_ARRAY: {
		uint32_t *n = (uint32_t *)(void *)(b + fd->aux);
		const struct pb_mdesc *sub = sub_of(d, fd);
		if (*n >= fd->cap)
			return -PB_ERANGE;
		return decode(sub, f->s, (char *)v + (size_t)(*n)++ * sub->size, depth + 1);
	}
	case PB_K_PACK64:
		if (f->type == PB_VARINT)
			return push64(fd, b, f->u);
		it = pb_r_of(f->s);
		while ((e = pb_packed_next(&it, &u)) > 0)
			if ((e = push64(fd, b, u)) < 0)
				return e;
		return e;
	case PB_K_COUNT:
		++*(size_t *)v;
		/* Checked now, so that iterating over RAW later fails only on bad input. */
		return check(sub_of(d, fd), f->s, depth);
	case PB_K_CHECK: /* also every kind when only checking */
		if (kind == PB_K_ENUMS || kind == PB_K_PACK64 || kind < PB_K_MSG)
			return 0;
		return check(sub_of(d, fd), f->s, depth);
	default:
		return 0;
	}
}

static int decode(const struct pb_mdesc *d, struct pb_str s, char *out, unsigned depth)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	if (depth > PB_MAX_DEPTH)
		return -PB_ERANGE;
	if (out && d->size)
		memset(out, 0, d->size);
	for (unsigned i = 0; out && i < d->n; i++)
		if (d->f[i].kind == PB_K_RAW)
			*(struct pb_str *)(void *)(out + d->f[i].off) = s;
	while ((e = pb_next(&r, &f)) > 0) {
		const struct pb_fdesc *fd = find(d, f.num);
		if (fd && (e = field(d, fd, &f, out, depth)) < 0)
			return e;
	}
	return e;
}

int pb_decode_msg(const struct pb_mdesc *d, const void *p, size_t n, void *out)
{
	return decode(d, pb_str_of(p, n), out, 0);
}

/* The number of elements of a PB_K_ARRAY or PB_K_PACK64 field to encode: at most cap. */
static uint32_t nelem(const struct pb_fdesc *fd, const char *b)
{
	uint32_t n = *(const uint32_t *)(const void *)(b + fd->aux);
	return n < fd->cap ? n : fd->cap;
}

void pb_encode_msg(struct pb_w *w, const struct pb_mdesc *d, const void *in)
{
	const char *b = in;
	const struct pb_str *raw = NULL;

	for (unsigned i = 0; i < d->n; i++)
		if (d->f[i].kind == PB_K_RAW)
			raw = (const struct pb_str *)(const void *)(b + d->f[i].off);
	for (unsigned i = 0; i < d->n; i++) {
		const struct pb_fdesc *fd = &d->f[i];
		const void *v = b + fd->off;
		uint32_t n;
		size_t mark;
		switch (fd->kind & 15) {
		case PB_K_U32:
			pb_put_uint(w, fd->num, *(const uint32_t *)v);
			break;
		case PB_K_I32:
			pb_put_int(w, fd->num, *(const int32_t *)v);
			break;
		case PB_K_U64:
		case PB_K_I64:
			pb_put_uint(w, fd->num, *(const uint64_t *)v);
			break;
		case PB_K_BOOL:
			pb_put_bool(w, fd->num, *(const int *)v);
			break;
		case PB_K_STR:
			pb_put_str(w, fd->num, *(const struct pb_str *)v);
			break;
		case PB_K_CSTR: /* a string that fills its array has no NUL: cut at the array */
			pb_put_bytes(w, fd->num, v, strnlen(v, fd->cap));
			break;
		case PB_K_OPT:
			if (!*(const int *)(const void *)(b + fd->aux))
				break;
			/* fall through */
		case PB_K_MSG:
			pb_put_msg(w, fd->num, sub_of(d, fd), v);
			break;
		case PB_K_ARRAY:
			n = nelem(fd, b);
			for (uint32_t k = 0; k < n; k++)
				pb_put_msg(w, fd->num, sub_of(d, fd),
				           (const char *)v + k * sub_of(d, fd)->size);
			break;
		case PB_K_PACK64:
			if ((n = nelem(fd, b)) == 0)
				break;
			mark = pb_begin(w, fd->num); /* one length-delimited run of varints */
			for (uint32_t k = 0; k < n; k++)
				pb_put_varint(w, ((const uint64_t *)v)[k]);
			pb_end(w, mark);
			break;
		case PB_K_COUNT:
			if (raw)
				pb_copy_repeated(w, fd->num, *raw, fd->num);
			break;
		default:
			break;
		}
	}
}

void pb_put_msg(struct pb_w *w, uint32_t num, const struct pb_mdesc *d, const void *in)
{
	size_t mark = pb_begin(w, num);
	pb_encode_msg(w, d, in);
	pb_end(w, mark);
}

void pb_copy_repeated(struct pb_w *w, uint32_t dst_num, struct pb_str src, uint32_t src_num)
{
	struct pb_r it = pb_r_of(src);
	struct pb_str v;
	int e;

	while ((e = pb_repeated_next(&it, src_num, &v)) > 0)
		pb_put_bytes_always(w, dst_num, v.p, v.n);
	/* A malformed source is the encoder's failure too: the output would silently lack items. */
	if (e < 0 && !w->err)
		w->err = e;
}
