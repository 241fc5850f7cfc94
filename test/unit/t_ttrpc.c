/* SPDX-License-Identifier: MIT */
/* wire/ttrpc: frame headers, Request and Response envelopes against protoc, server-side checks. */
#include "wire/ttrpc.h"
#include "golden.h"

static int streq(struct pb_str s, const char *c)
{
	return pb_str_eq(s, c);
}

static int same(struct pb_str s, const char *golden_name)
{
	struct pb_str g = golden_str(golden_name);
	return s.n == g.n && memcmp(s.p, g.p, g.n) == 0;
}

/* Copies a slice into a NUL-terminated buffer (truncating). */
static const char *cstr(char *buf, size_t cap, struct pb_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n)
		memcpy(buf, s.p, n);
	buf[n] = 0;
	return buf;
}

static int req_dec(const uint8_t *p, size_t n)
{
	struct tt_req req;
	struct pb_str v;
	int e = tt_req_decode(p, n, &req);
	if (e < 0)
		return e;
	(void)tt_req_meta(&req, "containerd-namespace-ttrpc", &v);
	(void)tt_req_meta(&req, "absent", &v);
	return e;
}

#define MAX_META 8

static void req_enc(const uint8_t *p, size_t n, struct pb_w *w)
{
	static char text[2 + 2 * MAX_META][256];
	struct tt_kv meta[MAX_META];
	struct tt_req req;
	struct pb_str kv;
	size_t nmeta = 0;
	int e = tt_req_decode(p, n, &req);
	if (e < 0) {
		w->err = e;
		return;
	}
	struct pb_r it = pb_r_of(req.raw);
	while (nmeta < MAX_META && pb_repeated_next(&it, 5, &kv) > 0) {
		struct pb_r r = pb_r_of(kv);
		struct pb_field f;
		struct pb_str k = { NULL, 0 }, v = { NULL, 0 };
		while (pb_next(&r, &f) > 0)
			if (f.num == 1)
				k = f.s;
			else if (f.num == 2)
				v = f.s;
		meta[nmeta].key = cstr(text[2 + 2 * nmeta], sizeof(text[0]), k);
		meta[nmeta].value = cstr(text[3 + 2 * nmeta], sizeof(text[0]), v);
		nmeta++;
	}
	tt_req_encode(w, cstr(text[0], sizeof(text[0]), req.service),
	              cstr(text[1], sizeof(text[1]), req.method), req.payload.p, req.payload.n,
	              req.timeout_nano, meta, nmeta);
}

static int resp_dec(const uint8_t *p, size_t n)
{
	struct tt_resp resp;
	return tt_resp_decode(p, n, &resp);
}

static void resp_enc(const uint8_t *p, size_t n, struct pb_w *w)
{
	char msg[256];
	struct tt_resp resp;
	int e = tt_resp_decode(p, n, &resp);
	if (e < 0)
		w->err = e;
	else
		tt_resp_encode(w, resp.code, cstr(msg, sizeof(msg), resp.message), resp.payload.p,
		               resp.payload.n);
}

static const struct codec codecs[] = {
	{ "Request", req_dec, req_enc },
	{ "Response", resp_dec, resp_enc },
};


static void test_hdr(void)
{
	static const uint8_t b[TT_HDR_LEN] = { 0x00, 0x40, 0x00, 0x00, 0x81,
		                               0x02, 0x03, 0x05, 0x01, 0x00 };
	struct tt_hdr h;
	uint8_t out[TT_HDR_LEN];
	char msg[128];

	tt_hdr_decode(b, &h);
	CHECK(h.len == 4194304 && h.stream == 0x81020305u && h.type == TT_REQUEST && h.flags == 0,
	      "header decode: big-endian length and stream id");
	tt_hdr_encode(out, &h);
	CHECK_MEM(out, sizeof(out), b, sizeof(b), "header encode is the inverse");
	h.len = 0xfffffffe;
	h.stream = 1;
	h.type = TT_RESPONSE;
	h.flags = 0x05;
	tt_hdr_encode(out, &h);
	static const uint8_t want[TT_HDR_LEN] = { 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 2, 5 };
	CHECK_MEM(out, sizeof(out), want, sizeof(want), "header encode: type and flags bytes");

	h.len = TT_MAX_MSG;
	h.stream = 3;
	h.type = TT_REQUEST;
	h.flags = 0;
	CHECK(tt_hdr_check(&h, msg, sizeof(msg)) == TT_OK && msg[0] == 0,
	      "4 MiB exactly is allowed");
	h.len = TT_MAX_MSG + 1;
	CHECK(tt_hdr_check(&h, msg, sizeof(msg)) == TT_RESOURCE_EXHAUSTED &&
	          strcmp(msg, "message length 4194305 exceed maximum message size of 4194304") == 0,
	      "oversize: RESOURCE_EXHAUSTED with ttrpc's message (%s)", msg);
	h.len = 0xffffffff;
	CHECK(tt_hdr_check(&h, msg, 8) == TT_RESOURCE_EXHAUSTED && strlen(msg) == 7,
	      "a small message buffer is truncated and terminated");
	h.len = 10;
	h.stream = 2;
	CHECK(tt_hdr_check(&h, msg, sizeof(msg)) == TT_INVALID_ARGUMENT &&
	          strcmp(msg, "StreamID must be odd for client initiated streams") == 0,
	      "even stream id: INVALID_ARGUMENT");
	h.stream = 0;
	CHECK(tt_hdr_check(&h, msg, sizeof(msg)) == TT_INVALID_ARGUMENT, "stream id 0 is even");
	h.type = TT_DATA;
	CHECK(tt_hdr_check(&h, msg, sizeof(msg)) == TT_OK,
	      "even ids are only checked on requests (other types are ignored by the caller)");
	h.type = TT_REQUEST;
	h.stream = 0xffffffff;
	CHECK(tt_hdr_check(&h, msg, 0) == TT_OK, "msgcap 0 is allowed");
}

static void test_request(void)
{
	struct tt_req req;
	struct pb_str v;

	CHECK(DECODE("tt_request_create", tt_req_decode, &req) == 0 &&
	          streq(req.service, "containerd.task.v2.Task") && streq(req.method, "Create") &&
	          req.timeout_nano == 99999999999 && same(req.payload, "create_req") &&
	          same(req.raw, "tt_request_create"),
	      "tt_request_create: service, method, timeout, payload is create_req");
	CHECK(tt_req_meta(&req, "containerd-namespace-ttrpc", &v) == 1 && streq(v, "default"),
	      "metadata: namespace");
	CHECK(tt_req_meta(&req, "traceparent", &v) == 1 &&
	          streq(v, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
	      "metadata: traceparent");
	CHECK(tt_req_meta(&req, "x-dup", &v) == 1 && streq(v, "first"),
	      "metadata: a repeated key gives the first value");
	CHECK(tt_req_meta(&req, "containerd", &v) == 0 && tt_req_meta(&req, "", &v) == 0 &&
	          tt_req_meta(&req, "Traceparent", &v) == 0,
	      "metadata: exact match only");

	CHECK(DECODE("tt_request_connect", tt_req_decode, &req) == 0 &&
	          streq(req.service, "containerd.task.v3.Task") && streq(req.method, "Connect") &&
	          req.timeout_nano == 0 && same(req.payload, "connect_req") &&
	          tt_req_meta(&req, "containerd-namespace-ttrpc", &v) == 1 && streq(v, "k8s.io"),
	      "tt_request_connect: v3, no deadline");
	CHECK(DECODE("tt_request_negative_timeout", tt_req_decode, &req) == 0 &&
	          req.timeout_nano == -1000000 && req.payload.n == 0 &&
	          streq(req.method, "Shutdown") && tt_req_meta(&req, "x", &v) == 0,
	      "tt_request_negative_timeout: negative int64, empty payload, no metadata");

	static const uint8_t badkv[] = { 0x2a, 0x02, 0x08, 0x01 };
	CHECK(tt_req_decode(badkv, sizeof(badkv), &req) == -PB_EWIRETYPE,
	      "a metadata key sent as varint is refused");
	static const uint8_t kvtrunc[] = { 0x2a, 0x02, 0x0a, 0x07 };
	CHECK(tt_req_decode(kvtrunc, sizeof(kvtrunc), &req) == -PB_ETRUNC,
	      "a truncated metadata entry is refused");
	static const uint8_t kvnovalue[] = { 0x2a, 0x03, 0x0a, 0x01, 'k' };
	CHECK(tt_req_decode(kvnovalue, sizeof(kvnovalue), &req) == 0 &&
	          tt_req_meta(&req, "k", &v) == 1 && v.n == 0,
	      "a metadata key without value reads as empty");
	static const uint8_t badmethod[] = { 0x10, 0x01 };
	CHECK(tt_req_decode(badmethod, sizeof(badmethod), &req) == -PB_EWIRETYPE,
	      "a method sent as varint is refused");

	uint8_t buf[64];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct tt_kv kv = { "containerd-namespace-ttrpc", "default" };
	tt_req_encode(&w, "s", "m", NULL, 0, 0, &kv, 1);
	static const uint8_t want[] = { 0x0a, 0x01, 's', 0x12, 0x01, 'm', 0x2a, 0x25, 0x0a, 0x1a };
	CHECK(w.err == 0 && w.len == sizeof(want) + 26 + 9 && !memcmp(buf, want, sizeof(want)),
	      "tt_req_encode: empty payload and zero timeout omitted");
}

static void test_response(void)
{
	struct tt_resp resp;
	uint8_t buf[128];
	struct pb_w w;

	CHECK(DECODE("tt_response_ok", tt_resp_decode, &resp) == 0 && resp.code == 0 &&
	          resp.message.n == 0 && same(resp.payload, "create_resp"),
	      "tt_response_ok: code 0, payload create_resp");
	struct pb_str pay = golden_str("create_resp");
	w = pb_w_init(buf, sizeof(buf));
	tt_resp_encode(&w, TT_OK, NULL, pay.p, pay.n);
	CHECK(w.len == 9 && buf[0] == 0x0a && buf[1] == 0x00 && buf[2] == 0x12 && buf[3] == 5 &&
	          !memcmp(buf + 4, pay.p, 5),
	      "OK response: 0a 00 (empty status) then the payload");
	w = pb_w_init(buf, sizeof(buf));
	tt_resp_encode(&w, TT_OK, "ignored", NULL, 0);
	CHECK(w.err == 0 && w.len == 2 && buf[0] == 0x0a && buf[1] == 0x00,
	      "OK response of Empty: exactly 0a 00");
	CHECK(DECODE("tt_response_ok_empty", tt_resp_decode, &resp) == 0 && resp.code == 0 &&
	          resp.payload.n == 0,
	      "tt_response_ok_empty");
	CHECK(DECODE("tt_response_error", tt_resp_decode, &resp) == 0 &&
	          resp.code == TT_NOT_FOUND &&
	          streq(resp.message, "container not created: not found") && resp.payload.n == 0,
	      "tt_response_error: NOT_FOUND and its message");
	w = pb_w_init(buf, sizeof(buf));
	tt_resp_encode(&w, TT_NOT_FOUND, "container not created: not found", "xx", 2);
	const struct golden *g = golden_get("tt_response_error");
	CHECK_MEM(buf, w.len, g->data, g->len, "error response: the payload is dropped");
	CHECK(DECODE("tt_response_details", tt_resp_decode, &resp) == 0 &&
	          resp.code == TT_INTERNAL && resp.message.n > 40 &&
	          !memcmp(resp.message.p, "ttrpc: error unmarshalling payload", 34),
	      "tt_response_details: status details are skipped");
	CHECK(tt_resp_decode(buf, 0, &resp) == 0 && resp.code == 0, "an empty Response means OK");
	static const uint8_t neg[] = { 0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff,
		                       0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(tt_resp_decode(neg, sizeof(neg), &resp) == 0 && resp.code == -1,
	      "a negative code decodes (int32, ten bytes)");
	static const uint8_t badcode[] = { 0x0a, 0x02, 0x0a, 0x00 };
	CHECK(tt_resp_decode(badcode, sizeof(badcode), &resp) == -PB_EWIRETYPE,
	      "a status code sent as bytes is refused");
	static const uint8_t varstatus[] = { 0x08, 0x00 };
	CHECK(tt_resp_decode(varstatus, sizeof(varstatus), &resp) == -PB_EWIRETYPE,
	      "a status sent as varint is refused");
}

int main(void)
{
	golden_suite("tt_", codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_hdr();
	test_request();
	test_response();
	return tap_done();
}
