/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the server's read path: a byte stream cut into ttrpc frames by wire/frame's reader
 * (each header checked, answered and its payload dropped if refused), each Request decoded, its
 * metadata looked up, its payload decoded by the method's decoder (targets.h) and a Response
 * encoded, as core's connection code does; each Task API request is also read as the service
 * reads it (tk_request_decode). Requests to the legacy v1 service are read as Task API requests,
 * as core/svc_v1.c does.
 */
#include "targets.h"
#include "wire/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *method;
	int target;
} methods[] = {
	{ "Create", FZ_CREATE }, { "Start", FZ_PROC },        { "Delete", FZ_PROC },
	{ "State", FZ_PROC },    { "Wait", FZ_PROC },         { "Pids", FZ_ID },
	{ "Stats", FZ_ID },      { "Connect", FZ_ID },        { "Pause", FZ_ID },
	{ "Resume", FZ_ID },     { "Exec", FZ_EXEC },         { "ResizePty", FZ_RESIZE },
	{ "Kill", FZ_KILL },     { "CloseIO", FZ_CLOSEIO },   { "Checkpoint", FZ_CHECKPOINT },
	{ "Update", FZ_UPDATE }, { "Shutdown", FZ_SHUTDOWN }, { EV_METHOD, FZ_FORWARD },
};

static void respond(int32_t code, const char *msg, const void *payload, size_t n)
{
	uint8_t out[512];
	struct pb_w w = pb_w_init(out, sizeof(out));
	tt_resp_encode(&w, code, msg, payload, n);
	/* The reply must be something a client decodes back to the same code. */
	struct tt_resp r;
	if (!w.err && (tt_resp_decode(out, w.len, &r) < 0 || r.code != code))
		__builtin_trap();
}

static void serve(const uint8_t *p, size_t n)
{
	struct tt_req req;
	struct pb_str ns;

	if (tt_req_decode(p, n, &req) < 0) {
		respond(TT_INVALID_ARGUMENT, "unmarshal request error", NULL, 0);
		return;
	}
	if (req.raw.p != p || req.raw.n != n)
		__builtin_trap();
	(void)tt_req_meta(&req, "containerd-namespace-ttrpc", &ns);
	if (pb_str_eq(req.service, V1_SERVICE)) {
		uint8_t *c = fz_copy(req.payload.p, req.payload.n);
		int e = fz_v1_translate_check(req.method, c, req.payload.n);
		free(c);
		if (e == -V1_EMETHOD)
			respond(TT_UNIMPLEMENTED, "method", NULL, 0);
		else if (e < 0)
			respond(TT_INTERNAL, "ttrpc: error unmarshalling payload", NULL, 0);
		else
			respond(TT_OK, NULL, "\x08\x01", 2);
		return;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!pb_str_eq(req.method, methods[i].method))
			continue;
		/* An exact-size copy, so a decoder reading past the payload is caught. */
		uint8_t *c = fz_copy(req.payload.p, req.payload.n);
		int e = fz_run(&fz_targets[methods[i].target], c, req.payload.n);
		int m = tk_method_of(req.method);
		struct tk_request r;
		/* What the method's decoder accepts, the service's request reader accepts. */
		if (m >= 0 && tk_request_decode((enum tk_method)m, c, req.payload.n, &r) < 0 &&
		    e == 0)
			__builtin_trap();
		free(c);
		if (e < 0)
			respond(TT_INTERNAL, "ttrpc: error unmarshalling payload", NULL, 0);
		else
			respond(TT_OK, NULL, "\x08\x01", 2);
		return;
	}
	respond(TT_UNIMPLEMENTED, "method", NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_frame f;
	uint8_t *payload = NULL;
	size_t off = 0;
	char msg[128];

	tt_frame_init(&f);
	while (off < size) {
		int ev;
		off += tt_frame_feed(&f, data + off, size - off, &ev);
		if (ev == TT_FRAME_HEADER) {
			int code = tt_hdr_check(&f.h, msg, sizeof(msg));
			if (memchr(msg, 0, sizeof(msg)) == NULL)
				__builtin_trap();
			if (code != TT_OK) {
				/* Answered at once; the payload is then discarded as it arrives. */
				respond(code, msg, NULL, 0);
				ev = tt_frame_discard(&f);
			} else if (f.h.len > size - off) {
				break; /* the stream ends inside the payload: wait for more */
			} else {
				/* Of exactly its size: a decoder reading past it is caught. */
				payload = malloc(f.h.len ? f.h.len : 1);
				if (!payload)
					abort();
				ev = tt_frame_accept(&f, payload);
			}
		}
		if (ev == TT_FRAME_DONE) {
			if (f.h.type == TT_REQUEST)
				serve(payload, f.h.len);
			free(payload);
			payload = NULL;
		}
	}
	return 0;
}
