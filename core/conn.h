/* SPDX-License-Identifier: MIT */
/*
 * ttrpc server connections: accept (with the SO_PEERCRED check), frame reading, request dispatch
 * and ordered, non-blocking replies. A request is answered exactly once, now or later, through
 * its struct call; a call outlives its connection (the reply is then dropped).
 *
 * Bounds (README "Limits"): at most CONN_MAX connections (more wait in the listener's backlog,
 * not watched until one closes; logged once a burst); with fds exhausted, one pending
 * connection is shed per wakeup so that the loop never spins. A request payload above
 * CONN_SMALL_MSG is charged to the budget (budget.h) while it is received, and refused with
 * RESOURCE_EXHAUSTED when the budget is spent (its bytes are read and dropped, the connection
 * goes on); so at most BUDGET_MAX + CONN_MAX x CONN_SMALL_MSG of request bytes are held.
 * Queued replies are charged too; a connection whose queue holds CONN_OUT_MAX is not read
 * until it drains. A peer that half-closes (SHUT_WR) still gets the replies of what it asked,
 * then is closed; a peer that is gone (HUP, also after a half-close) is closed at once, and its
 * parked calls are handed to the conn_on_close callback to be abandoned.
 */
#ifndef SHIMBOX_CORE_CONN_H
#define SHIMBOX_CORE_CONN_H

#include "wire/ttrpc.h"

#include <stddef.h>
#include <stdint.h>

struct conn;

#define CONN_MAX 256
#define CONN_SMALL_MSG (64u << 10)
#define CONN_OUT_MAX (256u << 10)
#define ACCEPT_RETRY_MS 100

/* A pending request: where its reply goes. Copy it to park a request (it holds a reference on
 * its connection until the reply); reply exactly once. */
struct call {
	struct conn *conn;
	uint32_t stream;
	unsigned tag; /* the dispatcher's word about the call: conn carries it, never reads it */
};

/* The dispatcher: must eventually call call_reply (or call_error) exactly once. */
typedef void (*conn_dispatch_fn)(struct call call, const struct tt_req *req);

/* Serves the listening socket lfd on the loop. */
int conn_listen(int lfd, conn_dispatch_fn dispatch) __attribute__((warn_unused_result));
/* Stops accepting and closes the listener. */
void conn_stop_listening(void);

void call_reply(struct call c, const void *payload, size_t n);
/* Drops a parked call without a reply: only for calls of a closed connection (conn_on_close). */
void call_abandon(struct call c);
/* The connection a call came on: to compare with conn_on_close's argument. */
struct conn *call_conn(struct call c);
/* Called when a connection with parked calls is closed (the peer is gone): the service
 * abandons every call parked for it (call_abandon). */
typedef void (*conn_closed_fn)(struct conn *c);
void conn_on_close(conn_closed_fn fn);
void call_error(struct call c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * In-place upgrade (core/upgrade.c). conn_hold_reads(1) stops reading every connection (replies
 * still go out, new connections are accepted and held too), so that no new request starts;
 * conn_quiet says whether each one's reader can be handed over (no refused payload is being
 * dropped). conn_handover_put writes every open connection (ids from 1, conn_handover_id) and
 * its fd into the document; conn_adopt, in the new image after conn_listen, takes one back, its
 * partial frame fed again and its unsent replies queued; call_adopt re-creates a parked call.
 */
struct ho_conn;
struct ho_fds;
struct pb_w;
void conn_hold_reads(int hold);
int conn_quiet(void);
int conn_listen_fd(void);
void conn_handover_put(struct pb_w *w, struct ho_fds *fds);
uint32_t conn_handover_id(const struct conn *c);
struct conn *conn_adopt(const struct ho_conn *hc);
struct call call_adopt(struct conn *c, uint32_t stream, unsigned tag);

/* Number of open connections and bytes waiting in their write queues. */
size_t conn_count(void);
size_t conn_pending_bytes(void);

#endif
