/* SPDX-License-Identifier: MIT */
/*
 * Just enough JSON for a shim: look up members of objects, walk arrays, unquote strings.
 * Values are slices of the input; nothing is allocated and nesting is skipped iteratively, so
 * any input, however deep or malformed, is handled in bounded stack.
 *
 * Members are found as Go's encoding/json finds them when containerd, runc or the reference shim
 * decode the same document: the last of duplicate keys wins, and keys are compared after
 * unquoting ("\u0061nnotations" is "annotations"; \uXXXX with surrogate pairs; a lone surrogate
 * or an invalid UTF-8 byte is U+FFFD). Go also matches a struct field's name case-insensitively
 * when no key matches exactly; this does not: it cannot tell a struct (folded in Go) from a map
 * (exact in Go, e.g. "annotations"), and the documents we read are written by Go from the exact
 * field tags, so only hand-written input could differ. A key must be valid UTF-8.
 */
#ifndef SHIMBOX_WIRE_JSON_H
#define SHIMBOX_WIRE_JSON_H

#include "pb.h"

/*
 * Finds member `key` of the object `obj` (leading whitespace allowed): the last one when the key
 * is duplicated. 1 found (value may be `null`), 0 not, -1 if the object is malformed (anywhere
 * in it, not only before the member: a bad key escape, a member cut short, no closing brace).
 */
int json_get(struct pb_str obj, const char *key, struct pb_str *value);
/*
 * Follows a path of nested object members: json_get_path(doc, v, "linux", "namespaces", NULL).
 * Duplicated objects along the path are merged as Go decodes them into pointers and maps: each
 * occurrence overrides only the members it has, and a null parent clears what earlier ones set.
 * So {"linux":{"namespaces":[..]},"linux":{"resources":{}}} still has linux.namespaces.
 * 1 found, 0 not, -1 malformed (or a path of more than 16 keys). An empty path is doc itself.
 */
int json_get_path(struct pb_str doc, struct pb_str *value, ...);
/*
 * Array iteration: *it starts as the array; each call sets *elem to the next element.
 * 1 per element, 0 at the end, -1 if malformed.
 */
int json_array_next(struct pb_str *it, struct pb_str *elem);
/*
 * Decodes a JSON string value into out (NUL-terminated; truncated to what fits in cap-1 bytes,
 * never inside a UTF-8 sequence). Escapes as for keys above. Its length, or -1 if v is not a
 * well-formed string (an unknown escape, a short \u, a raw control character, no closing quote).
 */
int json_string(struct pb_str v, char *out, size_t cap);
/* Parses an integer value. 0 or -1. */
int json_int(struct pb_str v, long long *out);
/*
 * Skips one value at the start of s; returns its length, or -1 if malformed (unbalanced or
 * mismatched brackets, an unterminated string, nesting deeper than Go's limit of 10000).
 * Scalars are delimited, not validated.
 */
long json_skip(struct pb_str s);

#endif
