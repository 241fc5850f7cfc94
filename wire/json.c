/* SPDX-License-Identifier: MIT */
/* A small, non-recursive JSON scanner over borrowed slices. */
#include "json.h"

#include <stdarg.h>
#include <string.h>

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
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
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

int json_get(struct pb_str obj, const char *key, struct pb_str *value)
{
	size_t i = skip_ws(obj, 0), klen = strlen(key);
	if (i >= obj.n || obj.p[i] != '{')
		return -1;
	i = skip_ws(obj, i + 1);
	if (i < obj.n && obj.p[i] == '}')
		return 0;
	while (i < obj.n) {
		if (obj.p[i] != '"')
			return -1;
		long kn = skip_string(obj, i);
		if (kn < 0)
			return -1;
		int match = (size_t)kn == klen + 2 && memcmp(obj.p + i + 1, key, klen) == 0;
		i = skip_ws(obj, i + (size_t)kn);
		if (i >= obj.n || obj.p[i] != ':')
			return -1;
		i = skip_ws(obj, i + 1);
		struct pb_str rest = { obj.p + i, obj.n - i };
		long vn = json_skip(rest);
		if (vn < 0)
			return -1;
		if (match) {
			value->p = rest.p;
			value->n = (size_t)vn;
			return 1;
		}
		i = skip_ws(obj, i + (size_t)vn);
		if (i < obj.n && obj.p[i] == '}')
			return 0;
		if (i >= obj.n || obj.p[i] != ',')
			return -1;
		i = skip_ws(obj, i + 1);
	}
	return -1;
}

int json_get_path(struct pb_str doc, struct pb_str *value, ...)
{
	va_list ap;
	const char *k;
	struct pb_str cur = doc;
	int r = 1;
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		r = json_get(cur, k, &cur);
		if (r <= 0)
			break;
	}
	va_end(ap);
	if (r == 1)
		*value = cur;
	return r;
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

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

int json_string(struct pb_str v, char *out, size_t cap)
{
	size_t i = skip_ws(v, 0), o = 0;
	if (cap == 0 || i >= v.n || v.p[i] != '"')
		return -1;
	for (i++; i < v.n && v.p[i] != '"'; i++) {
		uint32_t c = v.p[i];
		if (c == '\\') {
			if (++i >= v.n)
				return -1;
			switch (v.p[i]) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				if (i + 4 >= v.n)
					return -1;
				c = 0;
				for (int k = 1; k <= 4; k++) {
					int h = hexval(v.p[i + k]);
					if (h < 0)
						return -1;
					c = c << 4 | (uint32_t)h;
				}
				i += 4;
				break;
			default:
				c = v.p[i];
			}
		}
		/* Encode as UTF-8 (surrogate pairs are passed through as two sequences). */
		uint8_t b[4];
		size_t k = 0;
		if (c < 0x80) {
			b[k++] = (uint8_t)c;
		} else if (c < 0x800) {
			b[k++] = (uint8_t)(0xc0 | c >> 6);
			b[k++] = (uint8_t)(0x80 | (c & 0x3f));
		} else {
			b[k++] = (uint8_t)(0xe0 | c >> 12);
			b[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
			b[k++] = (uint8_t)(0x80 | (c & 0x3f));
		}
		for (size_t j = 0; j < k && o + 1 < cap; j++)
			out[o++] = (char)b[j];
	}
	if (i >= v.n)
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
