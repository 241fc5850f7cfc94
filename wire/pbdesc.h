/* SPDX-License-Identifier: MIT */
/*
 * Message descriptors, after nanopb: one static table per message names each field's number,
 * kind and place in the C struct, and one generic decoder and encoder serve every message.
 * Tables are private to wire/; the public codecs of task.h, events.h... are wrappers over them.
 */
#ifndef SHIMBOX_WIRE_PBDESC_H
#define SHIMBOX_WIRE_PBDESC_H

#include <stddef.h>

#include "pb.h"

/* Field kinds. The varint ones come first (see pbdesc.c). */
enum {
	PB_K_U32,    /* uint32_t (uint32) */
	PB_K_I32,    /* int32_t (int32 and enums: sign-extended to 64 bits when encoded) */
	PB_K_U64,    /* uint64_t */
	PB_K_I64,    /* int64_t */
	PB_K_BOOL,   /* int, 0 or 1 */
	PB_K_STR,    /* struct pb_str (string, bytes) */
	PB_K_CSTR,   /* char[cap], NUL-terminated: -PB_ERANGE if the string has a NUL or no room */
	PB_K_MSG,    /* nested message sub at off, always encoded (even when all zero) */
	PB_K_OPT,    /* nested message sub at off, present when the int at aux is set: decoding
	              * sets it, encoding is skipped without it */
	PB_K_ARRAY,  /* repeated message: elements of sub->size at off, a uint32_t count at aux,
	              * -PB_ERANGE past cap elements */
	PB_K_PACK64, /* repeated uint64, packed (encoded so) or not: array at off, uint32_t count
	              * at aux, -PB_ERANGE past cap values */
	PB_K_COUNT,  /* repeated LEN field: each occurrence checked against sub and counted into
	              * the size_t at off; encoded by copying the occurrences found in RAW */
	PB_K_CHECK,  /* repeated or unused LEN field: checked against sub, neither stored nor
	              * encoded */
	PB_K_ENUMS,  /* repeated enum, packed (LEN) or not (VARINT): neither stored nor encoded */
	PB_K_RAW,    /* not a field (number 0): the whole encoded message, a struct pb_str */
};

struct pb_fdesc {
	uint8_t num;  /* field numbers over 255 are a compile-time error (-Woverflow) */
	uint8_t kind; /* PB_K_* in the low 4 bits, the index of sub in pb_mdesc.subs */
	uint16_t off;
	uint16_t aux; /* PB_K_OPT: offset of the presence flag; PB_K_ARRAY, PB_K_PACK64: count */
	uint16_t cap; /* PB_K_CSTR: bytes; PB_K_ARRAY, PB_K_PACK64: elements */
};

/*
 * A message: its fields in field-number order (the encoding order) and the size of its struct,
 * zeroed before each decoding; size 0 leaves the struct as it is, so that the fields of a nested
 * message can be spread over the enclosing struct (offsets then are the enclosing struct's).
 */
struct pb_mdesc {
	const struct pb_fdesc *f;
	const struct pb_mdesc *const *subs; /* the nested messages its fields name, by index */
	uint16_t n;
	uint16_t size;
};

/* The sub of a PB_K_COUNT or PB_K_CHECK field whose payload is only checked to be LEN. */
extern const struct pb_mdesc pb_none;

/* Nesting limit of the decoder. Tables are static and shallow; this is the backstop. */
#define PB_MAX_DEPTH 8

/*
 * Decodes p[0..n) into out following d: unknown fields are skipped, a known field with the wrong
 * wire type is -PB_EWIRETYPE, the last occurrence of a scalar wins, and a nested message that
 * occurs twice replaces the first (unless its size is 0). out NULL only checks the message.
 * Returns 0 or -PB_E*; on error out is partly written.
 */
int pb_decode_msg(const struct pb_mdesc *d, const void *p, size_t n, void *out) PB_WARN;
/* Appends the fields of in following d, proto3 rules (zero scalars, empty strings omitted). */
void pb_encode_msg(struct pb_w *w, const struct pb_mdesc *d, const void *in);
/* Writes field num as a nested message d (present, even when empty). */
void pb_put_msg(struct pb_w *w, uint32_t num, const struct pb_mdesc *d, const void *in);

/* Descriptors of the common types: Timestamp, Any, Mount (task.c), map<string,string> entry. */
extern const struct pb_mdesc tk_timestamp_desc, tk_any_desc, tk_mount_desc, pb_str_map_desc;

/*
 * Table building. A file lists the nested messages its tables name, once, as an X-macro:
 *   #define SUBS(X) X(tk_any_desc) X(pb_none)
 *   PB_SUBS(SUBS);
 * then, for each message, defines PB_T as its struct type and
 *   PB_DESC(name, PB_STR(1, id), PB_U32(2, pid), PB_OPT(3, info, has_info, tk_any_desc), ...);
 * or, for a descriptor with external linkage or another size,
 *   PB_FIELDS(name, ...); const struct pb_mdesc name = PB_MDESC(name, size);
 * Compile-time errors: an offset past what uint16_t holds, a field number over 255, more
 * than 16 nested messages in a file (-Woverflow).
 */
#define PB_OFF(f)                                                                                  \
	((uint16_t)(offsetof(PB_T, f) + 0 * sizeof(char[offsetof(PB_T, f) < 65536 ? 1 : -1])))
#define PB_NELEM(f) (sizeof(((PB_T *)0)->f) / sizeof(((PB_T *)0)->f[0]))
#define PB_K(kind, d) ((kind) | PB_SUB_##d << 4)
#define PB_FIELD(num, kind, f)                                                                     \
	{                                                                                          \
		num, kind, PB_OFF(f), 0, 0                                                         \
	}
#define PB_U32(num, f) PB_FIELD(num, PB_K_U32, f)
#define PB_I32(num, f) PB_FIELD(num, PB_K_I32, f)
#define PB_U64(num, f) PB_FIELD(num, PB_K_U64, f)
#define PB_I64(num, f) PB_FIELD(num, PB_K_I64, f)
#define PB_BOOL(num, f) PB_FIELD(num, PB_K_BOOL, f)
#define PB_STR(num, f) PB_FIELD(num, PB_K_STR, f)
#define PB_RAW(f) PB_FIELD(0, PB_K_RAW, f)
#define PB_CSTR(num, f)                                                                            \
	{                                                                                          \
		num, PB_K_CSTR, PB_OFF(f), 0, sizeof(((PB_T *)0)->f)                               \
	}
#define PB_MSG(num, f, d)                                                                          \
	{                                                                                          \
		num, PB_K(PB_K_MSG, d), PB_OFF(f), 0, 0                                            \
	}
#define PB_OPT(num, f, has_f, d)                                                                   \
	{                                                                                          \
		num, PB_K(PB_K_OPT, d), PB_OFF(f), PB_OFF(has_f), 0                                \
	}
#define PB_ARRAY(num, f, n_f, d)                                                                   \
	{                                                                                          \
		num, PB_K(PB_K_ARRAY, d), PB_OFF(f), PB_OFF(n_f), PB_NELEM(f)                      \
	}
#define PB_PACK64(num, f, n_f)                                                                     \
	{                                                                                          \
		num, PB_K_PACK64, PB_OFF(f), PB_OFF(n_f), PB_NELEM(f)                              \
	}
#define PB_COUNT(num, f, d)                                                                        \
	{                                                                                          \
		num, PB_K(PB_K_COUNT, d), PB_OFF(f), 0, 0                                          \
	}
#define PB_CHECK(num, d)                                                                           \
	{                                                                                          \
		num, PB_K(PB_K_CHECK, d), 0, 0, 0                                                  \
	}
#define PB_ENUMS(num)                                                                              \
	{                                                                                          \
		num, PB_K_ENUMS, 0, 0, 0                                                           \
	}
/* A nested message at offset 0: the whole struct, or spread over it (sub of size 0, above). */
#define PB_FLAT(num, d)                                                                            \
	{                                                                                          \
		num, PB_K(PB_K_MSG, d), 0, 0, 0                                                    \
	}
#define PB_FLAT_OPT(num, has_f, d)                                                                 \
	{                                                                                          \
		num, PB_K(PB_K_OPT, d), 0, PB_OFF(has_f), 0                                        \
	}
#define PB_SUB_INDEX(d) PB_SUB_##d,
#define PB_SUB_ADDR(d) &d,
#define PB_SUBS(LIST)                                                                              \
	enum { LIST(PB_SUB_INDEX) };                                                               \
	static const struct pb_mdesc *const pb_subs[] = { LIST(PB_SUB_ADDR) }
#define PB_FIELDS(name, ...)                                                                       \
	static const struct pb_fdesc name##_fields[] __attribute__((aligned(8))) = { __VA_ARGS__ }
#define PB_MDESC(name, size)                                                                       \
	{                                                                                          \
		name##_fields, pb_subs, sizeof(name##_fields) / sizeof(name##_fields[0]), size     \
	}
#define PB_DESC(name, ...)                                                                         \
	PB_FIELDS(name, __VA_ARGS__);                                                              \
	static const struct pb_mdesc name = PB_MDESC(name, sizeof(PB_T))

/* Defines NAME_decode and NAME_encode (declared in a public header) as wrappers over d. */
#define PB_CODEC(name, type, d)                                                                    \
	int name##_decode(const void *p, size_t n, type *m)                                        \
	{                                                                                          \
		return pb_decode_msg(&(d), p, n, m);                                               \
	}                                                                                          \
	void name##_encode(struct pb_w *w, const type *m)                                          \
	{                                                                                          \
		pb_encode_msg(w, &(d), m);                                                         \
	}

#endif
