/* SPDX-License-Identifier: MIT */
/* ttrpc framing and envelopes. */
#include "ttrpc.h"

#include <stdio.h>
#include <string.h>

#include "pbdesc.h"

static const struct pb_mdesc status_desc;
#define SUBS(X) X(pb_str_map_desc) X(status_desc)
PB_SUBS(SUBS);

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

void tt_hdr_decode(const uint8_t b[TT_HDR_LEN], struct tt_hdr *h)
{
	h->len = be32(b);
	h->stream = be32(b + 4);
	h->type = b[8];
	h->flags = b[9];
}

void tt_hdr_encode(uint8_t b[TT_HDR_LEN], const struct tt_hdr *h)
{
	put_be32(b, h->len);
	put_be32(b + 4, h->stream);
	b[8] = h->type;
	b[9] = h->flags;
}

int tt_hdr_check(const struct tt_hdr *h, char *msg, size_t msgcap)
{
	if (h->len > TT_MAX_MSG) {
		snprintf(msg, msgcap, "message length %u exceed maximum message size of %u",
		         (unsigned)h->len, (unsigned)TT_MAX_MSG);
		return TT_RESOURCE_EXHAUSTED;
	}
	if (h->type == TT_REQUEST && (h->stream & 1) == 0) {
		snprintf(msg, msgcap, "StreamID must be odd for client initiated streams");
		return TT_INVALID_ARGUMENT;
	}
	if (msgcap)
		msg[0] = 0;
	return TT_OK;
}

/* metadata (5): KeyValue entries validated here so that tt_req_meta can trust the message. */
#define PB_T struct tt_req
PB_DESC(req_desc, PB_RAW(raw), PB_STR(1, service), PB_STR(2, method), PB_STR(3, payload),
        PB_I64(4, timeout_nano), PB_CHECK(5, pb_str_map_desc));
#undef PB_T

int tt_req_decode(const void *p, size_t n, struct tt_req *req)
{
	return pb_decode_msg(&req_desc, p, n, req);
}

int tt_req_meta(const struct tt_req *req, const char *key, struct pb_str *value)
{
	struct pb_r it = pb_r_of(req->raw);
	struct pb_str kv;

	while (pb_repeated_next(&it, 5, &kv) > 0) {
		struct pb_r r = pb_r_of(kv);
		struct pb_field f;
		struct pb_str k = { NULL, 0 }, v = { NULL, 0 };
		while (pb_next(&r, &f) > 0) {
			if (f.num == 1 && f.type == PB_LEN)
				k = f.s;
			else if (f.num == 2 && f.type == PB_LEN)
				v = f.s;
		}
		if (pb_str_eq(k, key)) {
			*value = v;
			return 1;
		}
	}
	return 0;
}

void tt_req_encode(struct pb_w *w, const char *service, const char *method, const void *payload,
                   size_t payload_len, int64_t timeout_nano, const struct tt_kv *meta, size_t nmeta)
{
	pb_put_cstr(w, 1, service);
	pb_put_cstr(w, 2, method);
	pb_put_bytes(w, 3, payload, payload_len);
	pb_put_int(w, 4, timeout_nano);
	for (size_t i = 0; i < nmeta; i++) {
		size_t m = pb_begin(w, 5);
		pb_put_cstr(w, 1, meta[i].key);
		pb_put_cstr(w, 2, meta[i].value);
		pb_end(w, m);
	}
}

/*
 * Response {status=1 Status{code=1, message=2}, payload=2}. Status's fields live in tt_resp
 * itself (its descriptor has size 0): a second Status merges into the first.
 */
#define PB_T struct tt_resp
PB_FIELDS(status_desc, PB_I32(1, code), PB_STR(2, message));
static const struct pb_mdesc status_desc = PB_MDESC(status_desc, 0);
PB_DESC(resp_desc, PB_FLAT(1, status_desc), PB_STR(2, payload));
#undef PB_T

int tt_resp_decode(const void *p, size_t n, struct tt_resp *resp)
{
	return pb_decode_msg(&resp_desc, p, n, resp);
}

void tt_resp_encode(struct pb_w *w, int32_t code, const char *message, const void *payload,
                    size_t payload_len)
{
	size_t m = pb_begin(w, 1);
	if (code != TT_OK) {
		pb_put_int(w, 1, code);
		pb_put_cstr(w, 2, message);
	}
	pb_end(w, m);
	if (code == TT_OK)
		pb_put_bytes(w, 2, payload, payload_len);
}
