/* SPDX-License-Identifier: MIT */
/*
 * The event publisher (DESIGN.md decision 4): one ordered queue and one ttrpc client connection
 * to containerd's TTRPC_ADDRESS, one Forward in flight at a time. If containerd is away the head
 * waits and is retried with backoff; later events never overtake it. Bounded: when full, the
 * newest event is dropped and the log says so.
 */
#ifndef SHIMBOX_CORE_PUBLISH_H
#define SHIMBOX_CORE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

/* address may start with "unix://"; NULL or empty disables publishing (events are logged). */
int pub_init(const char *address, const char *ns) __attribute__((warn_unused_result));
/*
 * Exec mode, for the v1 shim: each event runs `binary --address grpc_address publish --topic T
 * --namespace NS` with the event's Any on stdin, one at a time, in order, retried on failure.
 */
int pub_init_exec(const char *binary, const char *grpc_address, const char *ns)
    __attribute__((warn_unused_result));
/* Queues an event: type_url is the bare name ("containerd.events.TaskExit"). */
void pub_event(const char *topic, const char *type_url, const void *event, size_t n);
/* The same, and done(ctx) runs once the event was delivered (or dropped). */
void pub_event_then(const char *topic, const char *type_url, const void *event, size_t n,
                    void (*done)(void *ctx), void *ctx);
size_t pub_queued(void);
/* Total events delivered, dropped (queue full or refused by containerd). */
void pub_stats(uint64_t *sent, uint64_t *dropped);

#endif
