/* SPDX-License-Identifier: MIT */
/*
 * Just enough JSON for a shim: look up members of objects, walk arrays, unquote strings.
 * Values are slices of the input; nothing is allocated and nesting is skipped iteratively, so
 * any input, however deep or malformed, is handled in bounded stack.
 */
#ifndef SHIMBOX_WIRE_JSON_H
#define SHIMBOX_WIRE_JSON_H

#include "pb.h"

/* Finds member `key` of the object `obj` (leading whitespace allowed). 1 found, 0 not, -1 bad. */
int json_get(struct pb_str obj, const char *key, struct pb_str *value);
/* Follows a path of nested object members: json_get_path(doc, v, "linux", "namespaces", NULL). */
int json_get_path(struct pb_str doc, struct pb_str *value, ...);
/*
 * Array iteration: *it starts as the array; each call sets *elem to the next element.
 * 1 per element, 0 at the end, -1 if malformed.
 */
int json_array_next(struct pb_str *it, struct pb_str *elem);
/* Decodes a JSON string value into out (NUL-terminated, truncated at cap-1). Length or -1. */
int json_string(struct pb_str v, char *out, size_t cap);
/* Parses an integer value. 0 or -1. */
int json_int(struct pb_str v, long long *out);
/* Skips one value at the start of s; returns its length, or -1 if malformed. */
long json_skip(struct pb_str s);

#endif
