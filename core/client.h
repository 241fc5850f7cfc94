/* SPDX-License-Identifier: MIT */
/*
 * A small blocking ttrpc client for the applets (which may block; the server's loop never uses
 * it): one call at a time on a unix socket, odd increasing stream ids, poll-bounded deadlines and
 * the 4 MiB limit in both directions (PROTOCOL.md 1.2-1.4).
 */
#ifndef SHIMBOX_CORE_CLIENT_H
#define SHIMBOX_CORE_CLIENT_H

#include "wire/ttrpc.h"

#include <stddef.h>
#include <stdint.h>

#define TTC_META_NS "containerd-namespace-ttrpc"

/* One client connection. next_stream is the id of the next request: 1, 3, 5, ... */
struct ttc {
	int fd;
	uint32_t next_stream;
};

/*
 * Connects to a socket path or a "unix://" address within timeout_ms (< 0: no limit).
 * Returns 0, or -errno: -ENOENT (no socket there), -ECONNREFUSED (nobody listens), -ETIMEDOUT,
 * -ENAMETOOLONG (path over the 107 bytes of sun_path).
 */
int ttc_connect(struct ttc *c, const char *addr, int timeout_ms)
    __attribute__((warn_unused_result));
/* Adopts a connected stream socket (e.g. one end of a socketpair); made non-blocking. */
void ttc_init(struct ttc *c, int fd);
void ttc_close(struct ttc *c);

/*
 * Sends one Request {service, method, req, timeout_nano, meta} and waits for its Response,
 * dropping frames of other types or streams (late answers to abandoned calls). The whole call
 * is bounded by timeout_ms (< 0: no limit).
 * Returns 0 when a Response arrived: *code is its status (TT_OK on success) and msg holds the
 * status message (NUL-terminated, truncated to msgcap); on TT_OK *resp_payload is a malloc'd
 * copy of the payload (NULL when empty; the caller frees it) and *resp_len its length.
 * Returns -errno otherwise, after which the connection is unusable: -EMSGSIZE (request or
 * announced response over TT_MAX_MSG), -ETIMEDOUT, -ECONNRESET (closed before a whole
 * response), -EPROTO (a Response that does not decode), -ENOMEM, or a socket error.
 */
int ttc_call(struct ttc *c, const char *service, const char *method, const void *req, size_t reqlen,
             const struct tt_kv *meta, size_t nmeta, int timeout_ms, uint8_t **resp_payload,
             size_t *resp_len, int *code, char *msg, size_t msgcap)
    __attribute__((warn_unused_result));

/* "NOT_FOUND" for TT_NOT_FOUND etc.; "UNKNOWN_CODE" outside 0..16. */
const char *ttc_code_name(int code);

#endif
