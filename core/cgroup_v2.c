/* SPDX-License-Identifier: MIT */
/*
 * The v2 metrics (io.containerd.cgroups.v2.Metrics): the files of the one unified cgroup
 * directory (pids, cpu, memory, io, hugetlb, memory.events), read as containerd/cgroups reads
 * them ("max" is 2^64-1).
 */
#include "cgroup_int.h"

#include "sys.h"
#include "wire/kernfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void v2_hugetlb(const char *dir, struct mt_v2 *m)
{
	char cur[MT_MAX_HUGETLB][MT_PAGESIZE_MAX], max[MT_MAX_HUGETLB][MT_PAGESIZE_MAX];
	char name[64];
	int nc = cg_hugetlb_sizes(dir, "current", cur), nm = cg_hugetlb_sizes(dir, "max", max);

	/* Sizes with a .current file, then any with only a .max (both lists are sorted). */
	for (int pass = 0; pass < 2; pass++) {
		int n = pass ? nm : nc;
		for (int i = 0; i < n && m->nhugetlb < MT_MAX_HUGETLB; i++) {
			const char *size = pass ? max[i] : cur[i];
			int dup = 0;
			for (uint32_t k = 0; k < m->nhugetlb; k++)
				dup |= strcmp(m->hugetlb[k].pagesize, size) == 0;
			if (dup)
				continue;
			struct mt_v2_hugetlb *h = &m->hugetlb[m->nhugetlb++];
			memset(h, 0, sizeof(*h));
			memcpy(h->pagesize, size, sizeof(h->pagesize));
			if (sys_fmt(name, sizeof(name), "hugetlb.%s.current", size) >= 0)
				(void)cg_rd_u64(dir, name, UINT64_MAX, &h->current);
			if (sys_fmt(name, sizeof(name), "hugetlb.%s.max", size) >= 0)
				(void)cg_rd_u64(dir, name, UINT64_MAX, &h->max);
		}
	}
}

int cg_read_v2(struct cg *cg, struct mt_v2 *m)
{
	const char *dir = cg->dir[CG_UNIFIED];
	char *buf;

	if (!cg->v2)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (cg_gone(cg))
		return -ENOENT;
	if (!(buf = malloc(CG_BUF)))
		return -ENOMEM;
	if (cg_rd_u64(dir, "pids.current", 0, &m->pids.current) == 0) {
		m->has_pids = 1;
		(void)cg_rd_u64(dir, "pids.max", UINT64_MAX, &m->pids.limit);
	}
	if (cg_rd(dir, "cpu.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		kf_kv_fill(buf, mt_v2_cpu_fields, MT_V2_CPU_NFIELDS, &m->cpu);
	}
	if (cg_rd(dir, "memory.stat", buf, CG_BUF) >= 0) {
		m->has_memory = 1;
		kf_kv_fill(buf, mt_v2_memory_fields, MT_V2_MEMORY_NFIELDS, &m->memory);
	}
	if (cg_rd_u64(dir, "memory.current", UINT64_MAX, &m->memory.usage) == 0)
		m->has_memory = 1;
	if (m->has_memory) {
		(void)cg_rd_u64(dir, "memory.max", UINT64_MAX, &m->memory.usage_limit);
		(void)cg_rd_u64(dir, "memory.swap.current", UINT64_MAX, &m->memory.swap_usage);
		(void)cg_rd_u64(dir, "memory.swap.max", UINT64_MAX, &m->memory.swap_limit);
	}
	if (cg_rd(dir, "io.stat", buf, CG_BUF) >= 0) {
		m->has_io = 1;
		kf_io_stat(buf, m);
	}
	v2_hugetlb(dir, m);
	if (cg_rd(dir, "memory.events", buf, CG_BUF) >= 0) {
		m->has_memory_events = 1;
		kf_kv_fill(buf, mt_v2_memory_events_fields, MT_V2_MEMORY_EVENTS_NFIELDS,
		           &m->memory_events);
	}
	free(buf);
	return cg_gone(cg) ? -ENOENT : 0;
}
