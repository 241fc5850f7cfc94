/* SPDX-License-Identifier: MIT */
/*
 * The cgroup module's internal interface: struct cg and the file readers that cgroup.c shares
 * with the v1 and v2 metrics readers (cgroup_v1.c, cgroup_v2.c) and the OOM watch (cgroup_oom.c).
 */
#ifndef SHIMBOX_CORE_CGROUP_INT_H
#define SHIMBOX_CORE_CGROUP_INT_H

#include "cgroup.h"
#include "loop.h"

#include <sys/types.h>

/* Cgroup paths are short; small buffers keep the loop's stack (and so the shim's RSS) small. */
#define CG_PATH_MAX 1024
#define CG_BUF 16384 /* one cgroup file; longer ones are cut at a line end */

/* v1 controllers we read; v2 keeps its one directory in dir[CG_UNIFIED]. */
enum { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_BLKIO, CG_HUGETLB, CG_NCTL };
#define CG_UNIFIED 0

struct cg {
	int v2;
	char *dir[CG_NCTL];      /* point into strings[]; NULL: not mounted or not listed */
	struct loop_watch watch; /* the eventfd (v1) or inotify fd (v2); fd -1 when none */
	void (*on_oom)(void *ctx);
	void *ctx;
	int have_base;
	uint64_t base;     /* the oom_kill counter when the watch was first armed */
	uint64_t events;   /* v1: eventfd notifications counted so far */
	uint64_t reported; /* on_oom calls made */
	char strings[];
};

/*
 * Reads dir/name into buf[0..cap) as a C string; a file longer than that is cut after its last
 * whole line. The length, or -errno (-ENOENT also when dir is NULL).
 */
ssize_t cg_rd(const char *dir, const char *name, char *buf, size_t cap);
/* dir/name as one value (kf_value: "max" is max_value): 0 or -errno. */
int cg_rd_u64(const char *dir, const char *name, uint64_t max_value, uint64_t *v);
/* 1 when the cgroup was removed: its first known directory is gone (or no directory is known). */
int cg_gone(const struct cg *cg);
/*
 * The page sizes of the "hugetlb.<size>.<suffix>" files in dir, sorted (strcmp) into sizes.
 * Returns how many, at most MT_MAX_HUGETLB; 0 when dir is NULL or cannot be listed.
 */
int cg_hugetlb_sizes(const char *dir, const char *suffix, char sizes[][MT_PAGESIZE_MAX]);
/* Takes the OOM watch's fd off the loop and closes it; nothing when there is none. */
void cg_oom_stop(struct cg *cg);

#endif
