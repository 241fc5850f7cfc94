/* SPDX-License-Identifier: MIT */
/*
 * A small, non-recursive JSON scanner over borrowed slices. Lookups resolve members as Go's
 * encoding/json does when it decodes the same document (config.json and options.json are written
 * and read by Go programs, and runc reads config.json with it): the last of duplicate keys wins,
 * keys are compared after unquoting, and a duplicated parent object is merged into the earlier one
 * rather than replacing it.
 */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* Go's encoding/json refuses documents nested deeper than this; so does json_skip. */
#define JSON_MAX_DEPTH 10000
/* Path components of json_get_path (the recursion is over the caller's path, never the data). */
#define JSON_MAX_PATH 16

static size_t skip_ws(struct pb_str s, size_t i)
{
	while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r'))
		i++;
	return i;
}

/* Length of the string starting at s.p[i] == '"', quotes included, or -1. */
static long skip_string(struct pb_str s, size_t i)
{
	size_t j = i + 1;
	while (j < s.n) {
		if (s.p[j] == '\\')
			j += 2;
		else if (s.p[j] == '"')
			return (long)(j + 1 - i);
		else
			j++;
	}
	return -1;
}

long json_skip(struct pb_str s)
{
	/* One bit per open container (1 object, 0 array), so that a '}' cannot close a '['. */
	uint8_t kinds[JSON_MAX_DEPTH / 8];
	size_t i = skip_ws(s, 0), start = i;
	long depth = 0;

	if (i >= s.n)
		return -1;
	do {
		if (i >= s.n)
			return -1;
		uint8_t c = s.p[i];
		if (c == '"') {
			long n = skip_string(s, i);
			if (n < 0)
				return -1;
			i += (size_t)n;
		} else if (c == '{' || c == '[') {
			if (depth >= JSON_MAX_DEPTH)
				return -1;
			if (c == '{')
				kinds[depth / 8] |= (uint8_t)(1u << (depth % 8));
			else
				kinds[depth / 8] &= (uint8_t)~(1u << (depth % 8));
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
				return -1;
			if (((kinds[depth / 8] >> (depth % 8)) & 1) != (c == '}'))
				return -1;
			i++;
		} else if (depth > 0) {
			i++;
		} else {
			/* A scalar at top level: up to a delimiter. */
			while (i < s.n && !strchr(",}] \t\r\n", s.p[i]))
				i++;
			if (i == start)
				return -1;
		}
	} while (depth > 0);
	return (long)i;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

/* The 4 hex digits at s.p[i], or -1. */
static long hex4(struct pb_str s, size_t i)
{
	long v = 0;
	if (i + 4 > s.n)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(s.p[i + k]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static int utf8_put(uint32_t c, uint8_t b[4])
{
	if (c < 0x80) {
		b[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (uint8_t)(0xc0 | c >> 6);
		b[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (uint8_t)(0xe0 | c >> 12);
		b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | c >> 18);
	b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
	b[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at s.p[i] (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0 if it is not one. */
static size_t utf8_valid(struct pb_str s, size_t i)
{
	uint8_t c = s.p[i];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf; /* the range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (i + n > s.n || s.p[i + 1] < lo || s.p[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((s.p[i + k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Decodes the next character of the string body at s.p[*i] (after the opening quote), as Go's
 * unquote does: escapes, \uXXXX with surrogate pairs, a lone surrogate or an invalid UTF-8 byte
 * as U+FFFD. Writes its UTF-8 to b and advances *i. Returns its length (1-4), 0 at the closing
 * quote (*i then indexes it), -1 if malformed (an unknown escape, a short \u, a raw control
 * character, no closing quote).
 */
static int str_next(struct pb_str s, size_t *i, uint8_t b[4])
{
	size_t j = *i;
	if (j >= s.n)
		return -1;
	uint8_t c = s.p[j];
	if (c == '"')
		return 0;
	if (c < 0x20)
		return -1;
	if (c != '\\') {
		size_t n = utf8_valid(s, j);
		if (n == 0) {
			*i = j + 1;
			return utf8_put(0xfffd, b);
		}
		memcpy(b, s.p + j, n);
		*i = j + n;
		return (int)n;
	}
	if (++j >= s.n)
		return -1;
	*i = j + 1;
	switch (s.p[j]) {
	case '"':
	case '\\':
	case '/':
		b[0] = s.p[j];
		return 1;
	case 'b':
		b[0] = '\b';
		return 1;
	case 'f':
		b[0] = '\f';
		return 1;
	case 'n':
		b[0] = '\n';
		return 1;
	case 'r':
		b[0] = '\r';
		return 1;
	case 't':
		b[0] = '\t';
		return 1;
	case 'u':
		break;
	default:
		return -1;
	}
	long u = hex4(s, j + 1);
	if (u < 0)
		return -1;
	*i = j + 5;
	if (u < 0xd800 || u > 0xdfff)
		return utf8_put((uint32_t)u, b);
	/* A high surrogate and an escaped low one make one character; anything else leaves the
	 * surrogate alone, which is U+FFFD, and what follows is decoded on its own. */
	if (u <= 0xdbff && *i + 1 < s.n && s.p[*i] == '\\' && s.p[*i + 1] == 'u') {
		long lo = hex4(s, *i + 2);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*i += 6;
			return utf8_put(0x10000 + (((uint32_t)u - 0xd800) << 10) +
			                    ((uint32_t)lo - 0xdc00),
			                b);
		}
	}
	return utf8_put(0xfffd, b);
}

/* 1 if the string at s.p[i] == '"' unquotes to key[0..klen), 0 if not, -1 if malformed. */
static int key_eq(struct pb_str s, size_t i, const char *key, size_t klen)
{
	size_t o = 0, j = i + 1;
	uint8_t b[4];
	int n, eq = 1;
	while ((n = str_next(s, &j, b)) > 0) {
		/* Go on to the closing quote even after a difference: a bad escape is an error. */
		if (eq && (o + (size_t)n > klen || memcmp(key + o, b, (size_t)n) != 0))
			eq = 0;
		o += (size_t)n;
	}
	if (n < 0)
		return -1;
	return eq && o == klen;
}

/*
 * The members of obj, one per call: *pos is 0 at first (obj then must start with '{'), SIZE_MAX
 * once the closing brace is seen. 1 with key (its quoted form) and value set, 0 after the last
 * one, -1 if malformed (a member or the closing brace missing, too).
 */
static int next_member(struct pb_str obj, size_t *pos, struct pb_str *key, struct pb_str *value)
{
	size_t i = *pos;
	if (i == 0) {
		i = skip_ws(obj, 0);
		if (i >= obj.n || obj.p[i] != '{')
			return -1;
		i = skip_ws(obj, i + 1);
		if (i < obj.n && obj.p[i] == '}') {
			*pos = SIZE_MAX;
			return 0;
		}
	} else {
		if (i == SIZE_MAX)
			return 0; /* the closing brace was seen */
		i = skip_ws(obj, i);
		if (i < obj.n && obj.p[i] == '}') {
			*pos = SIZE_MAX;
			return 0;
		}
		if (i >= obj.n || obj.p[i] != ',')
			return -1;
		i = skip_ws(obj, i + 1);
	}
	if (i >= obj.n || obj.p[i] != '"')
		return -1;
	long kn = skip_string(obj, i);
	if (kn < 0)
		return -1;
	key->p = obj.p + i;
	key->n = (size_t)kn;
	i = skip_ws(obj, i + (size_t)kn);
	if (i >= obj.n || obj.p[i] != ':')
		return -1;
	i = skip_ws(obj, i + 1);
	struct pb_str rest = { obj.p + i, obj.n - i };
	long vn = json_skip(rest);
	if (vn < 0)
		return -1;
	value->p = rest.p;
	value->n = (size_t)vn;
	*pos = i + (size_t)vn;
	return 1;
}

static int is_null(struct pb_str v)
{
	return v.n == 4 && memcmp(v.p, "null", 4) == 0;
}

int json_get(struct pb_str obj, const char *key, struct pb_str *value)
{
	size_t pos = 0, klen = strlen(key);
	struct pb_str k, v;
	int r, found = 0;
	while ((r = next_member(obj, &pos, &k, &v)) == 1) {
		int m = key_eq(k, 0, key, klen);
		if (m < 0)
			return -1;
		if (m) {
			*value = v;
			found = 1;
		}
	}
	return r < 0 ? -1 : found;
}

enum { PATH_UNSET, PATH_SET, PATH_CLEARED };

/*
 * keys[0..n) in obj as Go decodes it into pointers and maps: every occurrence of keys[0] is
 * decoded in turn into the same value, so a later one overrides only what it names itself; a
 * null clears everything the earlier ones set. PATH_SET (value set), PATH_UNSET, PATH_CLEARED
 * (a null cleared it, which overrides earlier occurrences of the parents too), or -1 if
 * malformed.
 */
static int get_path(struct pb_str obj, const char *const *keys, size_t n, struct pb_str *value)
{
	size_t pos = 0, klen = strlen(keys[0]);
	struct pb_str k, v, sub;
	int r, state = PATH_UNSET;
	while ((r = next_member(obj, &pos, &k, &v)) == 1) {
		int m = key_eq(k, 0, keys[0], klen);
		if (m < 0)
			return -1;
		if (!m)
			continue;
		if (n == 1) {
			*value = v;
			state = PATH_SET;
		} else if (is_null(v)) {
			state = PATH_CLEARED;
		} else if ((m = get_path(v, keys + 1, n - 1, &sub)) < 0) {
			return -1;
		} else if (m != PATH_UNSET) {
			*value = sub;
			state = m;
		}
	}
	return r < 0 ? -1 : state;
}

int json_get_path(struct pb_str doc, struct pb_str *value, ...)
{
	const char *keys[JSON_MAX_PATH];
	size_t n = 0;
	const char *k;
	va_list ap;
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL && n < JSON_MAX_PATH)
		keys[n++] = k;
	va_end(ap);
	if (k) /* a longer path than any caller has */
		return -1;
	if (n == 0) {
		*value = doc;
		return 1;
	}
	struct pb_str v;
	int r = get_path(doc, keys, n, &v);
	if (r == PATH_SET)
		*value = v;
	return r < 0 ? -1 : r == PATH_SET;
}

int json_array_next(struct pb_str *it, struct pb_str *elem)
{
	size_t i = skip_ws(*it, 0);
	if (i >= it->n)
		return -1;
	if (it->p[i] == '[') { /* first call: step inside */
		i = skip_ws(*it, i + 1);
		if (i < it->n && it->p[i] == ']') {
			it->n = 0;
			return 0;
		}
	} else if (it->p[i] == ',') {
		i = skip_ws(*it, i + 1);
	} else if (it->p[i] == ']') {
		it->n = 0;
		return 0;
	} else {
		return -1;
	}
	struct pb_str rest = { it->p + i, it->n - i };
	long n = json_skip(rest);
	if (n < 0)
		return -1;
	elem->p = rest.p;
	elem->n = (size_t)n;
	it->p = rest.p + n;
	it->n = rest.n - (size_t)n;
	/* The next call must see ',' or ']'. */
	i = skip_ws(*it, 0);
	if (i >= it->n || (it->p[i] != ',' && it->p[i] != ']'))
		return -1;
	return 1;
}

int json_string(struct pb_str v, char *out, size_t cap)
{
	size_t i = skip_ws(v, 0), o = 0;
	uint8_t b[4];
	int n, full = 0;
	if (cap == 0 || i >= v.n || v.p[i] != '"')
		return -1;
	for (i++; (n = str_next(v, &i, b)) > 0;) {
		/* Truncation keeps whole characters: no partial UTF-8 sequence at the end. */
		if (full || o + (size_t)n + 1 > cap) {
			full = 1;
			continue;
		}
		memcpy(out + o, b, (size_t)n);
		o += (size_t)n;
	}
	if (n < 0)
		return -1;
	out[o] = 0;
	return (int)o;
}

int json_int(struct pb_str v, long long *out)
{
	size_t i = skip_ws(v, 0);
	int neg = 0;
	long long x = 0;
	if (i < v.n && v.p[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= v.n || v.p[i] < '0' || v.p[i] > '9')
		return -1;
	for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		if (x > (0x7fffffffffffffffLL - 9) / 10)
			return -1;
		x = x * 10 + (v.p[i] - '0');
	}
	*out = neg ? -x : x;
	return 0;
}
