/* SPDX-License-Identifier: MIT */
/*
 * ttrpc server connections: accept (with the SO_PEERCRED check), frame reading, request dispatch
 * and ordered, non-blocking replies. A request is answered exactly once, now or later, through
 * its struct call; a call outlives its connection (the reply is then dropped).
 */
#ifndef SHIMBOX_CORE_CONN_H
#define SHIMBOX_CORE_CONN_H

#include "wire/ttrpc.h"

#include <stddef.h>
#include <stdint.h>

struct conn;

/* A pending request: where its reply goes. Copy it to park a request (it holds a reference on
 * its connection until the reply); reply exactly once. */
struct call {
	struct conn *conn;
	uint32_t stream;
	/* Optional: rewrites a successful reply's payload (a service served in another dialect,
	 * such as the v1 shim's StartResponse). NULL: sent as is. */
	void (*xform)(struct pb_w *out, const void *payload, size_t n);
};

/* The dispatcher: must eventually call call_reply (or call_error) exactly once. */
typedef void (*conn_dispatch_fn)(struct call call, const struct tt_req *req);

/* Serves the listening socket lfd on the loop. */
int conn_listen(int lfd, conn_dispatch_fn dispatch) __attribute__((warn_unused_result));
/* Stops accepting and closes the listener. */
void conn_stop_listening(void);

void call_reply(struct call c, const void *payload, size_t n);
void call_error(struct call c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Number of open connections and bytes waiting in their write queues. */
size_t conn_count(void);
size_t conn_pending_bytes(void);

#endif
