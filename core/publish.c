/* SPDX-License-Identifier: MIT */
/*
 * The publisher's ordered, bounded queue: caps, budget, drops, done callbacks, retries with
 * backoff; one event in flight at a time, over one of the transports of pub_transport.h.
 */
#include "publish.h"

#include "address.h"
#include "budget.h"
#include "handover.h"
#include "log.h"
#include "loop.h"
#include "pub_transport.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUB_BACKOFF_MIN_MS 100
#define PUB_BACKOFF_MAX_MS 2000
#define PUB_LOG_EVERY 30

static struct pb_str cs_of(const char *s)
{
	return pb_str_of(s, strlen(s));
}

static struct {
	const struct pub_transport *t; /* NULL: events are only logged */
	char ns[80];
	struct pub_item *head, *tail;
	size_t queued, queued_bytes;
	uint64_t sent, dropped, dropped_full;
	int inflight;        /* the head is with the transport */
	int retrying;        /* a retry is scheduled: the head waits for it */
	unsigned backoff_ms; /* the last backoff; 0 after a delivery */
	struct loop_timer retry_timer;
	char last_failure[160]; /* why the last attempt failed, "" if none has */
	uint64_t last_failure_ms; /* wall clock */
} pub;

/* Sends the head of the queue if nothing is in flight. */
static void pub_kick(void)
{
	if (!pub.t || !pub.head || pub.inflight || pub.retrying)
		return;
	pub.inflight = 1;
	pub.t->send(pub.head);
}

/* The head was answered: it leaves the queue, its done() runs, and the next one is sent. */
static void pub_pop(void)
{
	struct pub_item *it = pub.head;
	pub.inflight = 0;
	pub.head = it->next;
	if (!pub.head)
		pub.tail = NULL;
	pub.queued--;
	pub.queued_bytes -= it->cost;
	budget_give(it->cost);
	if (it->done)
		it->done(it->ctx);
	free(it);
	pub_kick();
}

void pub_sent(void)
{
	pub.sent++;
	pub.backoff_ms = 0;
	pub_pop();
}

void pub_refused(void)
{
	pub.dropped++;
	pub_pop();
}

static uint64_t ms_of(int64_t sec, int32_t ns)
{
	return (uint64_t)sec * 1000 + (uint64_t)ns / 1000000;
}

static uint64_t wall_ms(void)
{
	int64_t sec;
	int32_t ns;
	sys_now(&sec, &ns);
	return ms_of(sec, ns);
}

void pub_retry(const char *why)
{
	uint32_t failures = pub.head ? ++pub.head->failures : 0;

	pub.t->reset();
	pub.inflight = 0;
	pub.backoff_ms = pub.backoff_ms ? pub.backoff_ms * 2 : PUB_BACKOFF_MIN_MS;
	if (pub.backoff_ms > PUB_BACKOFF_MAX_MS)
		pub.backoff_ms = PUB_BACKOFF_MAX_MS;
	snprintf(pub.last_failure, sizeof(pub.last_failure), "%s", why);
	pub.last_failure_ms = wall_ms();
	/* containerd away for minutes must not flood the log: the first failures, then one in
	 * PUB_LOG_EVERY (about a minute apart at the longest backoff). */
	if (failures <= 3 || failures % PUB_LOG_EVERY == 0)
		log_warn("publish %s: %s; attempt %u failed, retrying in %u ms (%zu queued)",
		         pub.head ? pub.head->topic : "?", why, failures, pub.backoff_ms, pub.queued);
	pub.retrying = 1;
	loop_timer_arm(&pub.retry_timer, pub.backoff_ms);
}

static void on_retry(struct loop_timer *t)
{
	(void)t;
	pub.retrying = 0;
	pub_kick();
}

const char *pub_namespace(void)
{
	return pub.ns;
}

/* Both set-ups: the namespace, and no transport until one is ready. */
static int pub_setup(const char *ns)
{
	pub.retry_timer.fn = on_retry;
	pub.t = NULL;
	return sys_fmt(pub.ns, sizeof(pub.ns), "%s", ns) < 0 ? -ENAMETOOLONG : 0;
}

int pub_init(const char *address, const char *ns)
{
	int e = pub_setup(ns);
	if (e < 0 || !address || !*address)
		return e;
	if ((e = pub_ttrpc_init(address_socket_path(address))) < 0)
		return e;
	pub.t = &pub_ttrpc;
	return 0;
}

int pub_init_exec(const char *binary, const char *grpc_address, const char *ns)
{
	int e = pub_setup(ns);
	if (e < 0 || (e = pub_exec_init(binary, grpc_address)) < 0)
		return e;
	pub.t = &pub_exec;
	return 0;
}

/* The container an event is about, for a log line: "?" when the event does not say. */
static void event_container(const void *event, size_t n, char *id, size_t cap)
{
	struct pb_str s;

	if (ev_container_id(event, n, &s) <= 0 || pb_str_copy(id, cap, s) < 0)
		snprintf(id, cap, "?");
}

/* Counts and logs an event that is not queued, and runs its done(ctx). */
static void pub_drop(const char *topic, const void *event, size_t n, const char *why,
                     void (*done)(void *ctx), void *ctx)
{
	char id[128];
	event_container(event, n, id, sizeof(id));
	pub.dropped++;
	pub.dropped_full++;
	log_error("dropping event %s of container %s (%zu bytes): %s (%zu events, %zu bytes "
	          "queued; %llu dropped so far)",
	          topic, id, n, why, pub.queued, pub.queued_bytes,
	          (unsigned long long)pub.dropped_full);
	if (done)
		done(ctx);
}

/* Writes the event into it as the transport sends it: in an Envelope stamped now, the time it
 * was queued. */
static int pub_encode(struct pub_item *it, size_t cap, const char *topic, const char *type_url,
                      const void *event, size_t n)
{
	struct ev_envelope env;

	memset(&env, 0, sizeof(env));
	sys_now(&env.timestamp.seconds, &env.timestamp.nanos);
	it->queued_ms = ms_of(env.timestamp.seconds, env.timestamp.nanos);
	it->failures = 0;
	env.ns = pb_str_of(pub.ns, strlen(pub.ns));
	env.topic = pb_str_of(topic, strlen(topic));
	env.event.type_url = pb_str_of(type_url, strlen(type_url));
	env.event.value.p = event;
	env.event.value.n = n;
	return pub.t->encode(it, cap, &env);
}

/*
 * A new item holding the event as the transport sends it, charged to the budget; NULL, with
 * *why saying which bound refused it.
 */
static struct pub_item *pub_item_new(const char *topic, const char *type_url, const void *event,
                                     size_t n, const char **why)
{
	/*
	 * Room for the frame around the event: header, service and method names, timeout,
	 * metadata, Envelope and Any tags, lengths and the timestamp come to less than 256 bytes.
	 */
	size_t cap = TT_HDR_LEN + n + strlen(topic) + strlen(type_url) + 2 * strlen(pub.ns) + 256;
	size_t cost = BUDGET_COST(sizeof(struct pub_item) + cap);
	struct pub_item *it;

	if (pub.queued >= PUB_QUEUE_MAX) {
		*why = "the queue's event cap is reached";
		return NULL;
	}
	if (cost > PUB_QUEUE_BYTES - pub.queued_bytes) {
		*why = "the queue's byte cap is reached";
		return NULL;
	}
	if (budget_take(cost) < 0) {
		*why = "the shim's buffer budget is spent";
		return NULL;
	}
	if (!(it = malloc(sizeof(*it) + cap))) {
		budget_give(cost);
		*why = "out of memory";
		return NULL;
	}
	if (pub_encode(it, cap, topic, type_url, event, n) < 0) {
		free(it);
		budget_give(cost);
		*why = "it cannot be encoded";
		return NULL;
	}
	it->cost = cost;
	it->next = NULL;
	snprintf(it->topic, sizeof(it->topic), "%s", topic);
	return it;
}

void pub_event_then(const char *topic, const char *type_url, const void *event, size_t n,
                    void (*done)(void *ctx), void *ctx)
{
	const char *why;

	if (!pub.t) {
		log_debug("event %s not published: no TTRPC_ADDRESS", topic);
		if (done)
			done(ctx);
		return;
	}
	struct pub_item *it = pub_item_new(topic, type_url, event, n, &why);
	if (!it) {
		pub_drop(topic, event, n, why, done, ctx);
		return;
	}
	it->done = done;
	it->ctx = ctx;
	if (pub.tail)
		pub.tail->next = it;
	else
		pub.head = it;
	pub.tail = it;
	pub.queued++;
	pub.queued_bytes += it->cost;
	log_debug("event %s queued (%zu, %zu bytes)", topic, pub.queued, pub.queued_bytes);
	pub_kick();
}

size_t pub_queued(void)
{
	return pub.queued;
}

size_t pub_queued_bytes(void)
{
	return pub.queued_bytes;
}

void pub_stats(uint64_t *sent, uint64_t *dropped)
{
	*sent = pub.sent;
	*dropped = pub.dropped;
}

uint64_t pub_dropped_full(void)
{
	return pub.dropped_full;
}

void pub_pending_each(size_t max, void (*fn)(const struct pub_pending *p, void *ctx), void *ctx)
{
	for (struct pub_item *it = pub.head; it && max; it = it->next, max--) {
		struct pub_pending p = { it->topic, { NULL, 0 }, it->queued_ms, it->failures };
		if (pub.t->event_of(it, &p.event) < 0)
			p.event = pb_str_of(NULL, 0);
		fn(&p, ctx);
	}
}

int pub_head_failing(void)
{
	return pub.head && pub.head->failures > 0;
}

const char *pub_last_failure(uint64_t *at_ms)
{
	*at_ms = pub.last_failure_ms;
	return pub.last_failure;
}

/* --- in-place upgrade ----------------------------------------------------------------------- */

int pub_quiet(void)
{
	return !pub.inflight;
}

void pub_handover_put(struct pb_w *w, struct ho_header *h,
                      int (*describe)(void (*done)(void *ctx), void *ctx, struct ho_event *e))
{
	h->events_sent = pub.sent;
	h->events_dropped = pub.dropped;
	h->events_dropped_full = pub.dropped_full;
	for (struct pub_item *it = pub.head; it; it = it->next) {
		struct ho_event e = { .topic = cs_of(it->topic),
			              .data = { it->data, it->len },
			              .queued_ms = it->queued_ms,
			              .failures = it->failures };
		if (it->done && describe(it->done, it->ctx, &e) < 0) {
			w->err = PB_ERANGE;
			return;
		}
		ho_event_put(w, &e);
	}
}

void pub_adopt_stats(const struct ho_header *h)
{
	pub.sent = h->events_sent;
	pub.dropped = h->events_dropped;
	pub.dropped_full = h->events_dropped_full;
}

int pub_adopt(const struct ho_event *e, void (*done)(void *ctx), void *ctx)
{
	size_t cost = BUDGET_COST(sizeof(struct pub_item) + e->data.n);
	struct pub_item *it = malloc(sizeof(*it) + e->data.n);
	if (!it || !pub.t || pb_str_copy(it->topic, sizeof(it->topic), e->topic) < 0) {
		free(it);
		return -ENOMEM;
	}
	if (budget_take(cost) < 0)
		cost = 0; /* it was queued before: kept, as an exit must be */
	memcpy(it->data, e->data.p, e->data.n);
	it->len = e->data.n;
	it->queued_ms = e->queued_ms ? e->queued_ms : wall_ms();
	it->failures = e->failures;
	it->cost = cost;
	it->done = done;
	it->ctx = ctx;
	it->next = NULL;
	if (pub.tail)
		pub.tail->next = it;
	else
		pub.head = it;
	pub.tail = it;
	pub.queued++;
	pub.queued_bytes += cost;
	pub_kick();
	return 0;
}
