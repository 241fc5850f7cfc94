/* SPDX-License-Identifier: MIT */
/* wire/shimbox: the Dump reply and RuntimeInfo against protoc's bytes, field by field, damaged. */
#include "wire/shimbox.h"
#include "wire/options.h"
#include "golden.h"

static struct pb_str S(const char *c)
{
	return pb_str_of(c, strlen(c));
}

static int streq(struct pb_str s, const char *c)
{
	return pb_str_eq(s, c);
}

CODEC_FNS(dump, struct sb_dump_resp, sb_dump_resp_decode, sb_dump_resp_encode)
CODEC_FNS(info, struct sb_runtime_info, sb_runtime_info_decode, sb_runtime_info_encode)

static const struct codec codecs[] = {
	{ "DumpResponse", dump_dec, dump_enc },
	{ "RuntimeInfo", info_dec, info_enc },
};



static void test_dump(void)
{
	struct sb_dump_resp m;
	char doc[2048];

	CHECK(DECODE("sb_dump_resp", sb_dump_resp_decode, &m) == 0 && m.json.n > 100 &&
	          !memcmp(m.json.p, "{\"pid\":4242,", 12) && m.json.p[m.json.n - 1] == '}',
	      "sb_dump_resp: the JSON document, whole");
	CHECK(pb_str_copy(doc, sizeof(doc), m.json) == 0, "sb_dump_resp: the document fits");
	memset(&m, 0, sizeof(m));
	m.json = S(doc);
	ENCODES_AS("sb_dump_resp", sb_dump_resp_encode(w, &m),
	           "sb_dump_resp from the document, as core/dump.c answers it");

	CHECK(sb_dump_resp_decode("", 0, &m) == 0 && m.json.n == 0,
	      "dump: an empty reply decodes to an empty document (shim-dump: \"an empty dump\")");
	static const uint8_t varint[] = { 0x08, 0x01 };
	CHECK(sb_dump_resp_decode(varint, sizeof(varint), &m) == -PB_EWIRETYPE,
	      "dump: a varint json field is refused");
	static const uint8_t twice[] = { 0x0a, 0x01, 'a', 0x12, 0x00, 0x0a, 0x02, '{', '}' };
	CHECK(sb_dump_resp_decode(twice, sizeof(twice), &m) == 0 && streq(m.json, "{}"),
	      "dump: unknown fields skipped, the last json wins");
	static const uint8_t cut[] = { 0x0a, 0x05, '{', '}' };
	CHECK(sb_dump_resp_decode(cut, sizeof(cut), &m) == -PB_ETRUNC,
	      "dump: a json field cut short is refused");
}

static void test_runtime_info(void)
{
	struct sb_runtime_info m;
	struct opt_runc ro;
	const char *url = "types.containerd.io/opencontainers/runtime-spec/1/features/Features";

	CHECK(DECODE("sb_runtime_info", sb_runtime_info_decode, &m) == 0 &&
	          streq(m.name, "io.containerd.shimbox.v2") && streq(m.version.version, "0.1.0") &&
	          streq(m.version.revision, "234f472"),
	      "sb_runtime_info: name and version");
	CHECK(m.has_options && streq(m.options.type_url, OPT_RUNC_OPTIONS_URL) &&
	          opt_runc_decode(m.options.value.p, m.options.value.n, &ro) == 0 &&
	          streq(ro.binary_name, "runc"),
	      "sb_runtime_info: the runc options given on stdin, back");
	CHECK(m.has_features && streq(m.features.type_url, url) && m.features.value.n > 20 &&
	          !memcmp(m.features.value.p, "{\n    \"ociVersionMin\"", 20),
	      "sb_runtime_info: the features JSON");

	/* As print_info builds it. */
	struct sb_runtime_info in = {
		.name = S("io.containerd.shimbox.v2"),
		.version = { S("0.1.0"), S("234f472") },
		.options = m.options,
		.has_options = 1,
		.features = { S(url), m.features.value },
		.has_features = 1,
	};
	ENCODES_AS("sb_runtime_info", sb_runtime_info_encode(w, &in),
	           "sb_runtime_info from C values");
	in.has_options = in.has_features = 0;
	ENCODES_AS("sb_runtime_info_min", sb_runtime_info_encode(w, &in),
	           "sb_runtime_info_min: options and features left out when not had");

	CHECK(DECODE("sb_runtime_info_min", sb_runtime_info_decode, &m) == 0 && !m.has_options &&
	          !m.has_features && streq(m.version.revision, "234f472"),
	      "sb_runtime_info_min: no options, no features");
	CHECK(DECODE("sb_runtime_info_annotations", sb_runtime_info_decode, &m) == 0 &&
	          streq(m.name, "io.containerd.runc.v2") && streq(m.version.version, "2.4.2") &&
	          m.version.revision.n == 0,
	      "sb_runtime_info_annotations: the map is checked and skipped");

	uint8_t buf[64];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	memset(&in, 0, sizeof(in));
	sb_runtime_info_encode(&w, &in);
	static const uint8_t empty_version[] = { 0x12, 0x00 };
	CHECK_MEM(buf, w.len, empty_version, sizeof(empty_version),
	          "runtime info: version is always encoded, even empty; an empty name is not");
	static const uint8_t bad_map[] = { 0x2a, 0x02, 0x08, 0x01 };
	CHECK(sb_runtime_info_decode(bad_map, sizeof(bad_map), &m) == -PB_EWIRETYPE,
	      "runtime info: an annotation entry with a varint key is refused");
	static const uint8_t bad_any[] = { 0x1a, 0x02, 0x08, 0x01 };
	CHECK(sb_runtime_info_decode(bad_any, sizeof(bad_any), &m) == -PB_EWIRETYPE,
	      "runtime info: options with a varint type_url are refused");
	static const uint8_t empty_any[] = { 0x22, 0x00 };
	CHECK(sb_runtime_info_decode(empty_any, sizeof(empty_any), &m) == 0 && m.has_features &&
	          !m.has_options && m.features.type_url.n == 0,
	      "runtime info: an empty features Any is present");
}

int main(void)
{
	golden_suite("sb_", codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_dump();
	test_runtime_info();
	return tap_done();
}
