/* SPDX-License-Identifier: MIT */
/*
 * The v1 metrics (io.containerd.cgroups.v1.Metrics): the memory, cpu, cpuacct, pids, blkio and
 * hugetlb controllers' files, read with the files and units containerd/cgroups uses, so that
 * `ctr task metrics` and CRI see the values the reference shim would report.
 */
#include "cgroup_int.h"

#include "sys.h"
#include "wire/kernfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void v1_memory(const struct cg *cg, struct mt_v1 *m, char *buf)
{
	static const char *const mod[4] = { "memory", "memory.memsw", "memory.kmem",
		                            "memory.kmem.tcp" };
	const char *dir = cg->dir[CG_MEMORY];
	struct mt_v1_mem_entry *ent[4] = { &m->memory.usage, &m->memory.swap, &m->memory.kernel,
		                           &m->memory.kernel_tcp };
	char name[64];

	if (cg_rd(dir, "memory.stat", buf, CG_BUF) >= 0) {
		m->has_memory = 1;
		kf_kv_fill(buf, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, &m->memory);
		/* An absent module (no swap accounting, no kmem on new kernels) reads as zeros. */
		for (int i = 0; i < 4; i++) {
			if (sys_fmt(name, sizeof(name), "%s.usage_in_bytes", mod[i]) >= 0)
				(void)cg_rd_u64(dir, name, 0, &ent[i]->usage);
			if (sys_fmt(name, sizeof(name), "%s.max_usage_in_bytes", mod[i]) >= 0)
				(void)cg_rd_u64(dir, name, 0, &ent[i]->max);
			if (sys_fmt(name, sizeof(name), "%s.failcnt", mod[i]) >= 0)
				(void)cg_rd_u64(dir, name, 0, &ent[i]->failcnt);
			if (sys_fmt(name, sizeof(name), "%s.limit_in_bytes", mod[i]) >= 0)
				(void)cg_rd_u64(dir, name, 0, &ent[i]->limit);
		}
	}
	if (cg_rd(dir, "memory.oom_control", buf, CG_BUF) >= 0) {
		m->has_oom = 1;
		kf_kv_fill(buf, mt_v1_oom_fields, MT_V1_OOM_NFIELDS, &m->oom);
	}
}

/* USER_HZ ticks to nanoseconds, without overflow for any realistic count. */
static uint64_t ticks_ns(uint64_t t)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t h = hz > 0 ? (uint64_t)hz : 100;
	return t / h * 1000000000ull + t % h * 1000000000ull / h;
}

static void v1_cpu(const struct cg *cg, struct mt_v1 *m, char *buf)
{
	const char *acct = cg->dir[CG_CPUACCT];
	struct mt_v1_cpu *c = &m->cpu;
	uint64_t v;

	if (cg_rd_u64(acct, "cpuacct.usage", 0, &c->total) == 0)
		m->has_cpu = 1;
	if (cg_rd(acct, "cpuacct.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		if (kf_kv_get(buf, "user", &v) == 0)
			c->user = ticks_ns(v);
		if (kf_kv_get(buf, "system", &v) == 0)
			c->kernel = ticks_ns(v);
	}
	ssize_t n = cg_rd(acct, "cpuacct.usage_percpu", buf, CG_BUF);
	if (n >= 0) {
		m->has_cpu = 1;
		c->nper_cpu = kf_value_list(buf, buf + n, 0, c->per_cpu, MT_MAX_CPUS);
	}
	if (cg_rd(cg->dir[CG_CPU], "cpu.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		kf_kv_fill(buf, mt_v1_throttle_fields, MT_V1_THROTTLE_NFIELDS, c);
	}
}

static void v1_pids(const struct cg *cg, struct mt_v1 *m)
{
	if (cg_rd_u64(cg->dir[CG_PIDS], "pids.current", 0, &m->pids.current) < 0)
		return;
	m->has_pids = 1;
	(void)cg_rd_u64(cg->dir[CG_PIDS], "pids.max", 0, &m->pids.limit); /* v1: "max" is 0 */
}

static void v1_blkio(const struct cg *cg, struct mt_v1 *m, char *buf, char *parts)
{
	static const struct {
		const char *file;
		int list;
	} cfq[] = {
		{ "blkio.sectors_recursive", MT_BLKIO_SECTORS },
		{ "blkio.io_service_bytes_recursive", MT_BLKIO_SERVICE_BYTES },
		{ "blkio.io_serviced_recursive", MT_BLKIO_SERVICED },
		{ "blkio.io_queued_recursive", MT_BLKIO_QUEUED },
		{ "blkio.io_service_time_recursive", MT_BLKIO_SERVICE_TIME },
		{ "blkio.io_wait_time_recursive", MT_BLKIO_WAIT_TIME },
		{ "blkio.io_merged_recursive", MT_BLKIO_MERGED },
		{ "blkio.time_recursive", MT_BLKIO_TIME },
	}, throttle[] = {
		{ "blkio.throttle.io_serviced", MT_BLKIO_SERVICED },
		{ "blkio.throttle.io_service_bytes", MT_BLKIO_SERVICE_BYTES },
	};
	const char *dir = cg->dir[CG_BLKIO];
	uint32_t total = 0;
	struct stat st;

	if (!dir || stat(dir, &st) < 0)
		return;
	m->has_blkio = 1;
	if (sys_read_file("/proc/partitions", parts, CG_BUF) < 0)
		parts[0] = 0;
	/* As the reference: the CFQ files if the kernel has them and they say anything, else the
	 * throttle files, which every kernel keeps. */
	if (cg_rd(dir, "blkio.io_serviced_recursive", buf, CG_BUF) >= 0) {
		for (size_t i = 0; i < ARRAY_LEN(cfq); i++) {
			if (cg_rd(dir, cfq[i].file, buf, CG_BUF) >= 0)
				kf_blkio_v1(&m->blkio[cfq[i].list], buf, parts);
			total += m->blkio[cfq[i].list].n;
		}
	}
	if (total)
		return;
	for (size_t i = 0; i < ARRAY_LEN(cfq); i++)
		m->blkio[i].n = 0;
	for (size_t i = 0; i < ARRAY_LEN(throttle); i++)
		if (cg_rd(dir, throttle[i].file, buf, CG_BUF) >= 0)
			kf_blkio_v1(&m->blkio[throttle[i].list], buf, parts);
}

static void v1_hugetlb(const struct cg *cg, struct mt_v1 *m)
{
	char sizes[MT_MAX_HUGETLB][MT_PAGESIZE_MAX], name[64];
	const char *dir = cg->dir[CG_HUGETLB];
	int n = cg_hugetlb_sizes(dir, "usage_in_bytes", sizes);

	for (int i = 0; i < n; i++) {
		struct mt_v1_hugetlb *h = &m->hugetlb[m->nhugetlb];
		memset(h, 0, sizeof(*h));
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.usage_in_bytes", sizes[i]) < 0 ||
		    cg_rd_u64(dir, name, 0, &h->usage) < 0)
			continue;
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.max_usage_in_bytes", sizes[i]) >= 0)
			(void)cg_rd_u64(dir, name, 0, &h->max);
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.failcnt", sizes[i]) >= 0)
			(void)cg_rd_u64(dir, name, 0, &h->failcnt);
		memcpy(h->pagesize, sizes[i], sizeof(h->pagesize));
		m->nhugetlb++;
	}
}

int cg_read_v1(struct cg *cg, struct mt_v1 *m)
{
	char *buf;

	if (cg->v2)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (cg_gone(cg))
		return -ENOENT;
	if (!(buf = malloc(2 * CG_BUF)))
		return -ENOMEM;
	v1_hugetlb(cg, m);
	v1_pids(cg, m);
	v1_cpu(cg, m, buf);
	v1_memory(cg, m, buf);
	v1_blkio(cg, m, buf, buf + CG_BUF);
	free(buf);
	/* Removed while we read: report it rather than half a message. */
	return cg_gone(cg) ? -ENOENT : 0;
}
