/* SPDX-License-Identifier: MIT */
/*
 * One budget for every byte the shim buffers on behalf of its peers: request payloads being
 * received, replies queued for a client, events queued for containerd. Each holder charges what
 * it allocates (BUDGET_COST: the bytes plus the allocator's and the holder's overhead) before
 * it allocates, and gives it back when it frees. A charge that does not fit fails and charges
 * nothing; the holder then refuses the work with a clear error (a ttrpc RESOURCE_EXHAUSTED, a
 * paused reader), never by growing. Single-threaded, like the loop.
 *
 * There is no per-request arena: requests allocate per object, from musl's malloc, and free what
 * they took before the reply leaves (the long-lived objects, connections, containers, processes,
 * when they end). Measured (scripts/alloc-count): a State takes 3 allocations, a request of an
 * Exec/Start/Wait/Delete cycle 6.2 on average, every one freed; a malloc/free pair costs about
 * 0.2 us, so an arena could save about 0.6 us of a State's round trip and nothing measurable of
 * an exec's (runc's 20 ms), and memory after 10,000 requests already equals memory after 10
 * (`make bench`). What the budget bounds would be the same with an arena.
 */
#ifndef SHIMBOX_CORE_BUDGET_H
#define SHIMBOX_CORE_BUDGET_H

#include <stddef.h>

/* The whole budget: 32 MiB (README "Limits"). */
#define BUDGET_MAX ((size_t)32 << 20)
/* What one allocation of n bytes costs, headers included (musl's malloc: 16 bytes a chunk,
 * rounded to 16; the holder's own struct, up to 64). */
#define BUDGET_COST(n) ((((size_t)(n) + 15) & ~(size_t)15) + 80)

/* Takes n bytes: 0, or -ENOBUFS (nothing taken) if they do not fit. */
int budget_take(size_t n) __attribute__((warn_unused_result));
/* Gives back n bytes taken earlier. */
void budget_give(size_t n);
/* Bytes taken now, and the most ever taken at once (for shim-dump and tests). */
size_t budget_used(void);
size_t budget_peak(void);

#endif
