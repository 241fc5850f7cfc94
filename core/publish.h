/* SPDX-License-Identifier: MIT */
/*
 * The event publisher (DESIGN.md decision 4): one ordered queue, one event in flight at a time,
 * over one transport: ttrpc Events.Forward on one client connection to containerd's
 * TTRPC_ADDRESS (pub_init), or, for the v1 shim, `containerd publish` run once per event
 * (pub_init_exec). If containerd is away the head waits and is retried with backoff; later
 * events never overtake it. The queue is publish.c, the transports pub_ttrpc.c and pub_exec.c
 * (pub_transport.h between them).
 *
 * Bounds. A queued event is held as the frame that is sent (no second copy is made to send it);
 * it charges BUDGET_COST of that allocation to core/budget.h before it is queued and gives it
 * back once delivered or dropped. The queue also keeps caps of its own: PUB_QUEUE_MAX events and
 * PUB_QUEUE_BYTES of such costs. Events come from exits and state changes, which cannot be
 * refused, so an event that does not fit (either cap, the budget, memory) is dropped at once:
 * the log names its topic and container, pub_dropped_full() counts it, and done(ctx) still runs.
 * The events already queued keep their order; a later event that fits is queued after them.
 */
#ifndef SHIMBOX_CORE_PUBLISH_H
#define SHIMBOX_CORE_PUBLISH_H

#include "wire/pb.h"

#include <stddef.h>
#include <stdint.h>

#define PUB_QUEUE_MAX 4096               /* events */
#define PUB_QUEUE_BYTES ((size_t)4 << 20) /* bytes, BUDGET_COST of each event's frame */

/* address may start with "unix://"; NULL or empty disables publishing (events are logged). */
int pub_init(const char *address, const char *ns) __attribute__((warn_unused_result));
/*
 * Exec mode, for the v1 shim: each event runs `binary --address grpc_address publish --topic T
 * --namespace NS` with the event's Any on stdin, one at a time, in order, retried on failure
 * and dropped after six failed runs.
 */
int pub_init_exec(const char *binary, const char *grpc_address, const char *ns)
    __attribute__((warn_unused_result));
/*
 * Queues an event: type_url is the bare name ("containerd.events.TaskExit"). done(ctx), if
 * given, runs once the event was delivered or dropped (possibly at once).
 */
void pub_event_then(const char *topic, const char *type_url, const void *event, size_t n,
                    void (*done)(void *ctx), void *ctx);
/* Events queued, and what they cost (the bytes counted against PUB_QUEUE_BYTES). */
size_t pub_queued(void);
size_t pub_queued_bytes(void);
/* Total events delivered, dropped (did not fit, or refused by containerd or the publisher). */
void pub_stats(uint64_t *sent, uint64_t *dropped);
/* Events dropped because they did not fit (a cap, the budget, memory) or could not be encoded. */
uint64_t pub_dropped_full(void);
/*
 * shim-dump: the first max queued events, head first, each as fn sees it (valid during the
 * call): its topic, the event message (empty if it cannot be found in the frame), when it was
 * queued (wall clock, ms) and how many attempts to deliver it failed. pub_last_failure: why
 * the last attempt failed and when ("" and 0 if none has).
 */
struct pub_pending {
	const char *topic;
	struct pb_str event;
	uint64_t queued_ms;
	uint32_t failures;
};
void pub_pending_each(size_t max, void (*fn)(const struct pub_pending *p, void *ctx), void *ctx);
const char *pub_last_failure(uint64_t *at_ms);
/* 1 while the event at the head of the queue has failed to be delivered at least once. */
int pub_head_failing(void);

/*
 * In-place upgrade (core/upgrade.c). pub_quiet: no event is with the transport (so none can be
 * delivered twice). pub_handover_put writes the queue, in order, with the counters; describe
 * names an item's done callback in the document (0), or refuses it (-1: the upgrade fails).
 * pub_adopt queues an event of the document as it was (its frame is not encoded again).
 */
struct ho_event;
struct ho_header;
struct pb_w;
int pub_quiet(void);
void pub_handover_put(struct pb_w *w, struct ho_header *h,
                      int (*describe)(void (*done)(void *ctx), void *ctx, struct ho_event *e));
void pub_adopt_stats(const struct ho_header *h);
int pub_adopt(const struct ho_event *e, void (*done)(void *ctx), void *ctx)
    __attribute__((warn_unused_result));

#endif
