/* SPDX-License-Identifier: MIT */
/*
 * wire/json: member lookup as Go's encoding/json resolves it (the last of duplicate keys, keys
 * compared after unescaping, duplicated parent objects merged), string unquoting (escapes,
 * surrogate pairs, invalid UTF-8), and malformed input: every truncation and thousands of
 * mutations of each document must be answered without reading past the slice.
 */
#include "wire/json.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

static struct pb_str S(const char *c)
{
	return pb_str_of(c, strlen(c));
}

/* json_get(doc, key) then json_string: the decoded value, or "<r>" for a result r != 1. */
static const char *get_str(const char *doc, const char *key)
{
	static char out[256];
	struct pb_str v;
	int r = json_get(S(doc), key, &v);
	if (r != 1) {
		snprintf(out, sizeof(out), "<%d>", r);
		return out;
	}
	if (json_string(v, out, sizeof(out)) < 0)
		snprintf(out, sizeof(out), "<bad string %.*s>", (int)v.n, (const char *)v.p);
	return out;
}

static int raw_is(struct pb_str v, const char *want)
{
	return v.n == strlen(want) && memcmp(v.p, want, v.n) == 0;
}

static void test_duplicates(void)
{
	CHECK(strcmp(get_str("{\"a\":\"1\",\"a\":\"2\"}", "a"), "2") == 0,
	      "the last of duplicate keys wins (Go)");
	CHECK(strcmp(get_str("{\"a\":\"1\",\"b\":\"x\",\"a\":\"2\",\"c\":{}}", "a"), "2") == 0,
	      "the last duplicate wins with other members between and after");
	CHECK(strcmp(get_str("{ \"a\" : \"1\" , \"a\" : \"3\" }", "a"), "3") == 0,
	      "the last duplicate wins with whitespace everywhere");
	CHECK(strcmp(get_str("{\"a\":\"1\",\"a\":\"2\",}", "a"), "<-1>") == 0,
	      "a trailing comma after duplicates is malformed");
	CHECK(strcmp(get_str("{\"a\":\"1\",\"a\":}", "a"), "<-1>") == 0,
	      "a malformed later duplicate makes the object malformed, not the first value");
	CHECK(strcmp(get_str("{\"a\":\"1\",\"a\"", "a"), "<-1>") == 0,
	      "a truncated later duplicate is malformed");
	CHECK(strcmp(get_str("{\"b\":1}", "a"), "<0>") == 0, "an absent key is 0");
	CHECK(strcmp(get_str("{}", "a"), "<0>") == 0, "an empty object has no members");
}

static void test_escaped_keys(void)
{
	const char *doc = "{\"\\u0061nnotations\":\"u\"}";
	CHECK(strcmp(get_str(doc, "annotations"), "u") == 0, "\\u0061nnotations is annotations");
	CHECK(strcmp(get_str("{\"\\u0041\":\"upper\"}", "A"), "upper") == 0, "\\u0041 is A");
	CHECK(strcmp(get_str("{\"a\\nb\":\"nl\"}", "a\nb"), "nl") == 0, "\\n in a key");
	CHECK(strcmp(get_str("{\"a\\\"b\":\"q\"}", "a\"b"), "q") == 0, "\\\" in a key");
	CHECK(strcmp(get_str("{\"a\\\\b\":\"bs\"}", "a\\b"), "bs") == 0, "\\\\ in a key");
	CHECK(strcmp(get_str("{\"a\\/b\":\"sl\"}", "a/b"), "sl") == 0, "\\/ in a key");
	CHECK(strcmp(get_str("{\"\\t\\r\\b\\f\":\"ws\"}", "\t\r\b\f"), "ws") == 0,
	      "\\t \\r \\b \\f in a key");
	CHECK(strcmp(get_str("{\"\\u00e9t\\u00E9\":\"e\"}", "\xc3\xa9t\xc3\xa9"), "e") == 0,
	      "\\u00e9 (either case of hex) is the UTF-8 of U+00E9");
	CHECK(strcmp(get_str("{\"\\u20ac\":\"euro\"}", "\xe2\x82\xac"), "euro") == 0,
	      "\\u20ac is a 3-byte sequence");
	CHECK(strcmp(get_str("{\"\\ud83d\\ude00\":\"smile\"}", "\xf0\x9f\x98\x80"), "smile") == 0,
	      "a surrogate pair is one 4-byte sequence");
	CHECK(strcmp(get_str("{\"\\ud83dx\":\"lone\"}", "\xef\xbf\xbdx"), "lone") == 0,
	      "a lone high surrogate is U+FFFD");
	CHECK(strcmp(get_str("{\"\\ude00\":\"low\"}", "\xef\xbf\xbd"), "low") == 0,
	      "a lone low surrogate is U+FFFD");
	CHECK(strcmp(get_str("{\"\\ud83d\\u0041\":\"hl\"}", "\xef\xbf\xbd" "A"), "hl") == 0,
	      "a high surrogate before a non-surrogate escape: U+FFFD, then the escape");
	CHECK(strcmp(get_str("{\"\\ud83d\\ud83d\\ude00\":\"hh\"}", "\xef\xbf\xbd\xf0\x9f\x98\x80"),
	             "hh") == 0,
	      "two high surrogates then a low: U+FFFD, then the pair");
	CHECK(strcmp(get_str("{\"a\xff\":\"inv\"}", "a\xef\xbf\xbd"), "inv") == 0,
	      "an invalid UTF-8 byte in a key is U+FFFD (Go)");
	CHECK(strcmp(get_str("{\"\xc0\xaf\":\"ov\"}", "\xef\xbf\xbd\xef\xbf\xbd"), "ov") == 0,
	      "an overlong sequence is one U+FFFD per byte");
	CHECK(strcmp(get_str("{\"\xed\xa0\x80\":\"sur\"}", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
	             "sur") == 0,
	      "an encoded surrogate is invalid UTF-8: U+FFFD per byte");
	CHECK(strcmp(get_str("{\"\xe2\x82\xac\":\"raw\"}", "\xe2\x82\xac"), "raw") == 0,
	      "valid raw UTF-8 in a key matches itself");
	CHECK(strcmp(get_str("{\"\\u0061\":\"1\",\"a\":\"2\"}", "a"), "2") == 0,
	      "an escaped and a plain spelling are duplicates: the last wins");
	CHECK(strcmp(get_str("{\"a\":\"1\",\"\\u0061\":\"2\"}", "a"), "2") == 0,
	      "... in either order");
	CHECK(strcmp(get_str("{\"annotationsX\":\"1\"}", "annotations"), "<0>") == 0,
	      "a longer key does not match");
	CHECK(strcmp(get_str("{\"annotation\":\"1\"}", "annotations"), "<0>") == 0,
	      "a shorter key does not match");
	CHECK(strcmp(get_str("{\"Annotations\":\"1\"}", "annotations"), "<0>") == 0,
	      "keys are compared case-sensitively (see json.h)");
	CHECK(strcmp(get_str("{\"a\\x\":\"1\"}", "a"), "<-1>") == 0,
	      "an invalid escape in a key is malformed (Go rejects the document)");
	CHECK(strcmp(get_str("{\"\\u00g1\":\"1\"}", "a"), "<-1>") == 0,
	      "a bad hex digit in \\u is malformed");
	CHECK(strcmp(get_str("{\"\\u00\":\"1\"}", "a"), "<-1>") == 0, "a short \\u is malformed");
	CHECK(strcmp(get_str("{\"a\nb\":\"1\"}", "a\nb"), "<-1>") == 0,
	      "a raw control character in a key is malformed (Go)");
}

static void test_strings(void)
{
	char out[64];
	int n = json_string(S("\"a\\u00e9\\ud83d\\ude00\\n\\\"\""), out, sizeof(out));
	CHECK(n == 9 && memcmp(out, "a\xc3\xa9\xf0\x9f\x98\x80\n\"", 10) == 0,
	      "json_string decodes escapes and a surrogate pair (%d)", n);
	n = json_string(S("\"\\ud800\""), out, sizeof(out));
	CHECK(n == 3 && memcmp(out, "\xef\xbf\xbd", 4) == 0, "a lone surrogate value is U+FFFD");
	CHECK(json_string(S("\"\\q\""), out, sizeof(out)) == -1, "an invalid escape is refused");
	CHECK(json_string(S("\"abc"), out, sizeof(out)) == -1, "an unterminated string is refused");
	CHECK(json_string(S("\"ab\\"), out, sizeof(out)) == -1, "a string ending in \\ is refused");
	CHECK(json_string(S("\"\\u12"), out, sizeof(out)) == -1, "a cut \\u is refused");
	CHECK(json_string(S("null"), out, sizeof(out)) == -1, "null is not a string");
	n = json_string(S("\"\xe2\x82\xac\xe2\x82\xac\""), out, 5);
	CHECK(n == 3 && strcmp(out, "\xe2\x82\xac") == 0,
	      "truncation keeps whole UTF-8 sequences (%d)", n);
	n = json_string(S("\"abcdef\""), out, 4);
	CHECK(n == 3 && strcmp(out, "abc") == 0, "truncated at cap-1");
	n = json_string(S("  \"\""), out, sizeof(out));
	CHECK(n == 0 && out[0] == 0, "the empty string, after whitespace");
}

static void test_nested(void)
{
	struct pb_str v;
	const char *spec =
	    "{\"ociVersion\":\"1.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]},"
	    "\"annotations\":{\"x\":\"y\"},\"linux\":{\"resources\":{}}}";
	int r = json_get_path(S(spec), &v, "linux", "namespaces", NULL);
	CHECK(r == 1 && raw_is(v, "[{\"type\":\"pid\"}]"),
	      "a duplicated parent object is merged as Go decodes it: namespaces of the first "
	      "linux survive a later linux without them");
	r = json_get_path(S("{\"a\":{\"b\":1},\"a\":{\"b\":2}}"), &v, "a", "b", NULL);
	CHECK(r == 1 && raw_is(v, "2"), "a member of both duplicated parents: the last wins");
	r = json_get_path(S("{\"a\":{\"b\":1},\"a\":null}"), &v, "a", "b", NULL);
	CHECK(r == 0, "a later null parent clears what an earlier one set");
	r = json_get_path(S("{\"a\":{\"b\":{\"c\":1}},\"a\":{\"b\":null},\"a\":{}}"), &v, "a", "b",
	                  "c", NULL);
	CHECK(r == 0, "a null deeper down clears too, and a later empty parent does not restore it");
	r = json_get_path(S("{\"a\":null,\"a\":{\"b\":3}}"), &v, "a", "b", NULL);
	CHECK(r == 1 && raw_is(v, "3"), "after a null, a later parent sets it again");
	r = json_get_path(S("{\"a\":{\"\\u0062\":4}}"), &v, "\x61", "b", NULL);
	CHECK(r == 1 && raw_is(v, "4"), "escaped keys along a path");
	r = json_get_path(S("{\"a\":\"str\"}"), &v, "a", "b", NULL);
	CHECK(r == -1, "a path through a non-object is malformed");
	r = json_get_path(S("{\"x\":{\"b\":1}}"), &v, "a", "b", NULL);
	CHECK(r == 0, "an absent parent is 0");
	r = json_get_path(S(spec), &v, NULL);
	CHECK(r == 1 && v.n == strlen(spec), "an empty path is the document");
	CHECK(strcmp(get_str("{\"o\":{\"a\":\"inner\"},\"a\":\"outer\"}", "a"), "outer") == 0,
	      "a key of a nested object is not a member of the outer one");
	CHECK(strcmp(get_str("{\"o\":[\"a\",{\"a\":\"in\"}],\"a\":\"out\"}", "a"), "out") == 0,
	      "nor one inside an array");
	CHECK(strcmp(get_str("{\"s\":\"{\\\"a\\\":1}\",\"a\":\"o\"}", "a"), "o") == 0,
	      "nor one inside a string value");
	struct pb_str it = S(" [ 1 , {\"a\":[2]} , \"]\" ] "), el;
	int k = 0;
	while ((r = json_array_next(&it, &el)) == 1)
		k++;
	CHECK(r == 0 && k == 3, "array iteration: three elements, then the end (%d, %d)", r, k);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "{\"a\" 1}",
		"{a:1}", "{\"a\":1 \"b\":2}", "{\"a\":[}", "{\"a\":{]}", "{,}", "\"a\"", "{\"a\":}",
		"{\"\\", "{\"\\u", "{\"\\ud83d\\u",
	};
	struct pb_str v;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(json_get(S(bad[i]), "a", &v) == -1, "malformed: '%s' is -1", bad[i]);
	static char deep[10002 * 2 + 1];
	for (int k = 0; k < 10000; k++) {
		deep[k] = '[';
		deep[10000 + k] = ']';
	}
	CHECK(json_skip(S(deep)) == 20000, "10000 levels of nesting are skipped (Go's limit)");
	memmove(deep + 1, deep, 20000);
	deep[0] = '[';
	deep[20001] = ']';
	CHECK(json_skip(S(deep)) == -1, "10001 are refused, in bounded stack");
	CHECK(json_skip(S("[{]}")) == -1 && json_skip(S("{[}]")) == -1,
	      "a bracket closed by the other kind is malformed");
	CHECK(json_get(S("{\"a\":1}x"), "a", &v) == 1,
	      "trailing bytes after the object are not json_get's business");
}

/* Every prefix and many mutations of each document: no result may reach past the input. */
static unsigned long rng = 12345;
static unsigned rnd(void)
{
	rng = rng * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)(rng >> 33);
}

static int within(struct pb_str outer, struct pb_str v)
{
	return v.p >= outer.p && v.p + v.n <= outer.p + outer.n;
}

static int probe(const uint8_t *p, size_t n)
{
	/* A heap copy of exactly n bytes, so ASan sees any read past the end. */
	uint8_t *c = malloc(n ? n : 1);
	char out[32];
	struct pb_str s = pb_str_of((const char *)c, n), v, it, el;
	int ok = 1;
	memcpy(c, p, n);
	static const char *keys[] = { "a", "annotations", "\xf0\x9f\x98\x80", "b" };
	for (size_t k = 0; k < 4; k++) {
		if (json_get(s, keys[k], &v) == 1) {
			ok &= within(s, v);
			(void)json_string(v, out, sizeof(out));
			long long x;
			(void)json_int(v, &x);
		}
	}
	if (json_get_path(s, &v, "a", "b", NULL) == 1)
		ok &= within(s, v);
	it = s;
	for (int k = 0; k < 64 && json_array_next(&it, &el) == 1; k++)
		ok &= within(s, el);
	long l = json_skip(s);
	ok &= l <= (long)n;
	free(c);
	return ok;
}

static void test_fuzz(void)
{
	static const char *docs[] = {
		"{\"a\":\"1\",\"a\":{\"b\":[1,2,{\"c\":null}]},\"\\u0061nnotations\":{\"x\":\"\\ud83d\\ude00\"}}",
		"[{\"a\":1},\"\\\"]\",[[[]]],{\"b\":\"\\u12\"}]",
		"{\"\xf0\x9f\x98\x80\":\"\\ud83d\",\"b\":-12345678901234567890}",
	};
	int ok = 1;
	size_t runs = 0;
	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		const uint8_t *p = (const uint8_t *)docs[d];
		size_t n = strlen(docs[d]);
		uint8_t m[256];
		for (size_t cut = 0; cut <= n; cut++, runs++)
			ok &= probe(p, cut);
		for (int round = 0; round < 4000; round++, runs++) {
			memcpy(m, p, n);
			for (int k = 0; k < 1 + (int)(rnd() % 3); k++) {
				static const char alphabet[] = "{}[]\",:\\u0dD8Ee \x80\xff";
				size_t at = rnd() % n;
				m[at] = rnd() % 2 ? (uint8_t)alphabet[rnd() % (sizeof(alphabet) - 1)]
				                  : (uint8_t)rnd();
			}
			ok &= probe(m, n - rnd() % 4);
		}
	}
	CHECK(ok, "%zu truncations and mutations: every value lies inside its input", runs);
}

int main(void)
{
	test_duplicates();
	test_escaped_keys();
	test_strings();
	test_nested();
	test_malformed();
	test_fuzz();
	return tap_done();
}
