/* SPDX-License-Identifier: MIT */
/* ttrpc framing: the 10-byte header, Request, Response and google.rpc.Status (PROTOCOL.md 1). */
#ifndef SHIMBOX_WIRE_TTRPC_H
#define SHIMBOX_WIRE_TTRPC_H

#include "pb.h"

#define TT_HDR_LEN 10
#define TT_MAX_MSG (4u << 20) /* payload limit, header excluded */

enum { TT_REQUEST = 1, TT_RESPONSE = 2, TT_DATA = 3 };

/* gRPC status codes. */
enum {
	TT_OK = 0,
	TT_CANCELLED = 1,
	TT_UNKNOWN = 2,
	TT_INVALID_ARGUMENT = 3,
	TT_DEADLINE_EXCEEDED = 4,
	TT_NOT_FOUND = 5,
	TT_ALREADY_EXISTS = 6,
	TT_PERMISSION_DENIED = 7,
	TT_RESOURCE_EXHAUSTED = 8,
	TT_FAILED_PRECONDITION = 9,
	TT_ABORTED = 10,
	TT_OUT_OF_RANGE = 11,
	TT_UNIMPLEMENTED = 12,
	TT_INTERNAL = 13,
	TT_UNAVAILABLE = 14,
	TT_DATA_LOSS = 15,
	TT_UNAUTHENTICATED = 16,
};

struct tt_hdr {
	uint32_t len; /* payload bytes that follow the header */
	uint32_t stream;
	uint8_t type;
	uint8_t flags;
};

/* Header codec over exactly TT_HDR_LEN bytes; big-endian integers. Cannot fail. */
void tt_hdr_decode(const uint8_t b[TT_HDR_LEN], struct tt_hdr *h);
void tt_hdr_encode(uint8_t b[TT_HDR_LEN], const struct tt_hdr *h);

/* A request's slices borrow from the payload given to tt_req_decode. */
struct tt_req {
	struct pb_str service;
	struct pb_str method;
	struct pb_str payload;
	int64_t timeout_nano;
	struct pb_str raw; /* the whole Request, for tt_req_meta */
};

struct tt_kv {
	const char *key;
	const char *value;
};

int tt_req_decode(const void *p, size_t n, struct tt_req *req) PB_WARN;
/* Finds the first metadata value for key (exact match; keys are sent lowercase). 1 if found. */
int tt_req_meta(const struct tt_req *req, const char *key, struct pb_str *value);
/* Encodes a Request with nmeta metadata pairs. Check w->err afterwards. */
void tt_req_encode(struct pb_w *w, const char *service, const char *method, const void *payload,
                   size_t payload_len, int64_t timeout_nano, const struct tt_kv *meta,
                   size_t nmeta);

struct tt_resp {
	int32_t code;
	struct pb_str message;
	struct pb_str payload;
};

int tt_resp_decode(const void *p, size_t n, struct tt_resp *resp) PB_WARN;
/*
 * Encodes a Response. code 0: an empty Status (as the Go server sends) and the payload.
 * Otherwise Status{code, message} and no payload.
 */
void tt_resp_encode(struct pb_w *w, int32_t code, const char *message, const void *payload,
                    size_t payload_len);

/*
 * Validates a header received by a server. Returns TT_OK, or the status code to answer on
 * h->stream with, filling msg (a NUL-terminated text of at most msgcap bytes):
 * RESOURCE_EXHAUSTED for len > TT_MAX_MSG, INVALID_ARGUMENT for an even stream id.
 * Frames of a type other than Request are the caller's to ignore.
 */
int tt_hdr_check(const struct tt_hdr *h, char *msg, size_t msgcap);

#endif
