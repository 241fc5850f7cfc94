/* SPDX-License-Identifier: MIT */
/*
 * Between the event publisher's queue (publish.c) and its two transports: ttrpc Events.Forward
 * on containerd's socket (pub_ttrpc.c) and `containerd publish` run once per event, for the v1
 * shim (pub_exec.c). Internal to these three files; the rest of the shim sees publish.h.
 *
 * The queue hands its head to the transport (send) when nothing is in flight and no retry is
 * scheduled, and the transport answers with exactly one of pub_sent, pub_refused or pub_retry,
 * now or later from the loop. The item stays the queue's: it is freed once answered.
 */
#ifndef SHIMBOX_CORE_PUB_TRANSPORT_H
#define SHIMBOX_CORE_PUB_TRANSPORT_H

#include "wire/events.h"

#include <stddef.h>
#include <stdint.h>

/*
 * A queued event, held as the transport sends it (no second copy is made to send it): the
 * whole frame of its Forward call, or the Any that `containerd publish` reads. cost is what it
 * holds of the budget and of the queue's byte cap.
 */
struct pub_item {
	struct pub_item *next;
	char topic[64];
	void (*done)(void *ctx);
	void *ctx;
	size_t len, cost;
	uint64_t queued_ms; /* wall clock, ms */
	uint32_t failures;  /* attempts that failed so far */
	uint8_t data[];
};

struct pub_transport {
	/* Writes env into it->data (cap bytes) as it will be sent and sets it->len; 0, or a
	 * negative PB error (-PB_ENOSPC, -PB_ERANGE over what the transport can carry). */
	int (*encode)(struct pub_item *it, size_t cap, const struct ev_envelope *env);
	/* Starts delivering it, the queue's head (the transport may write into its frame). */
	void (*send)(struct pub_item *it);
	/* Forgets what is in flight: pub_retry calls it first. */
	void (*reset)(void);
	/* The event message inside it->data (for shim-dump): 0, or a negative PB error. */
	int (*event_of)(const struct pub_item *it, struct pb_str *event);
};

extern const struct pub_transport pub_ttrpc, pub_exec;

/* Their set-up (strings are copied). 0, or -ENAMETOOLONG. */
int pub_ttrpc_init(const char *socket_path) __attribute__((warn_unused_result));
int pub_exec_init(const char *binary, const char *grpc_address) __attribute__((warn_unused_result));

/* The namespace events are published in (NUL-terminated). */
const char *pub_namespace(void);

/* Answers to send. Each may hand the next event to the transport before it returns. */
void pub_sent(void);    /* delivered: counted, done() runs */
void pub_refused(void); /* never deliverable (the transport logged why): counted as dropped */
/* Failed: the head is sent again after a backoff (logged with why). Also for a failure while
 * nothing is in flight (an idle connection lost): the next event then waits for the retry. */
void pub_retry(const char *why);

#endif
