/* SPDX-License-Identifier: MIT */
/* cgroup v1 and v2 Metrics messages: tables of uint64 fields, encoders and decoders. */
#include "metrics.h"

#include <stddef.h>
#include <string.h>

#define F(num, key, type, field)                                                                   \
	{                                                                                          \
		num, key, offsetof(type, field)                                                    \
	}

const struct mt_field mt_v1_memory_fields[MT_V1_MEMORY_NFIELDS] = {
	F(1, "cache", struct mt_v1_memory, cache),
	F(2, "rss", struct mt_v1_memory, rss),
	F(3, "rss_huge", struct mt_v1_memory, rss_huge),
	F(4, "mapped_file", struct mt_v1_memory, mapped_file),
	F(5, "dirty", struct mt_v1_memory, dirty),
	F(6, "writeback", struct mt_v1_memory, writeback),
	F(7, "pgpgin", struct mt_v1_memory, pg_pg_in),
	F(8, "pgpgout", struct mt_v1_memory, pg_pg_out),
	F(9, "pgfault", struct mt_v1_memory, pg_fault),
	F(10, "pgmajfault", struct mt_v1_memory, pg_maj_fault),
	F(11, "inactive_anon", struct mt_v1_memory, inactive_anon),
	F(12, "active_anon", struct mt_v1_memory, active_anon),
	F(13, "inactive_file", struct mt_v1_memory, inactive_file),
	F(14, "active_file", struct mt_v1_memory, active_file),
	F(15, "unevictable", struct mt_v1_memory, unevictable),
	F(16, "hierarchical_memory_limit", struct mt_v1_memory, hierarchical_memory_limit),
	F(17, "hierarchical_memsw_limit", struct mt_v1_memory, hierarchical_swap_limit),
	F(18, "total_cache", struct mt_v1_memory, total_cache),
	F(19, "total_rss", struct mt_v1_memory, total_rss),
	F(20, "total_rss_huge", struct mt_v1_memory, total_rss_huge),
	F(21, "total_mapped_file", struct mt_v1_memory, total_mapped_file),
	F(22, "total_dirty", struct mt_v1_memory, total_dirty),
	F(23, "total_writeback", struct mt_v1_memory, total_writeback),
	F(24, "total_pgpgin", struct mt_v1_memory, total_pg_pg_in),
	F(25, "total_pgpgout", struct mt_v1_memory, total_pg_pg_out),
	F(26, "total_pgfault", struct mt_v1_memory, total_pg_fault),
	F(27, "total_pgmajfault", struct mt_v1_memory, total_pg_maj_fault),
	F(28, "total_inactive_anon", struct mt_v1_memory, total_inactive_anon),
	F(29, "total_active_anon", struct mt_v1_memory, total_active_anon),
	F(30, "total_inactive_file", struct mt_v1_memory, total_inactive_file),
	F(31, "total_active_file", struct mt_v1_memory, total_active_file),
	F(32, "total_unevictable", struct mt_v1_memory, total_unevictable),
};

const struct mt_field mt_v1_throttle_fields[MT_V1_THROTTLE_NFIELDS] = {
	F(1, "nr_periods", struct mt_v1_cpu, periods),
	F(2, "nr_throttled", struct mt_v1_cpu, throttled_periods),
	F(3, "throttled_time", struct mt_v1_cpu, throttled_time),
};

const struct mt_field mt_v1_oom_fields[MT_V1_OOM_NFIELDS] = {
	F(1, "oom_kill_disable", struct mt_v1_oom, oom_kill_disable),
	F(2, "under_oom", struct mt_v1_oom, under_oom),
	F(3, "oom_kill", struct mt_v1_oom, oom_kill),
};

const struct mt_field mt_v2_cpu_fields[MT_V2_CPU_NFIELDS] = {
	F(1, "usage_usec", struct mt_v2_cpu, usage_usec),
	F(2, "user_usec", struct mt_v2_cpu, user_usec),
	F(3, "system_usec", struct mt_v2_cpu, system_usec),
	F(4, "nr_periods", struct mt_v2_cpu, nr_periods),
	F(5, "nr_throttled", struct mt_v2_cpu, nr_throttled),
	F(6, "throttled_usec", struct mt_v2_cpu, throttled_usec),
};

const struct mt_field mt_v2_memory_fields[MT_V2_MEMORY_NFIELDS] = {
	F(1, "anon", struct mt_v2_memory, anon),
	F(2, "file", struct mt_v2_memory, file),
	F(3, "kernel_stack", struct mt_v2_memory, kernel_stack),
	F(4, "slab", struct mt_v2_memory, slab),
	F(5, "sock", struct mt_v2_memory, sock),
	F(6, "shmem", struct mt_v2_memory, shmem),
	F(7, "file_mapped", struct mt_v2_memory, file_mapped),
	F(8, "file_dirty", struct mt_v2_memory, file_dirty),
	F(9, "file_writeback", struct mt_v2_memory, file_writeback),
	F(10, "anon_thp", struct mt_v2_memory, anon_thp),
	F(11, "inactive_anon", struct mt_v2_memory, inactive_anon),
	F(12, "active_anon", struct mt_v2_memory, active_anon),
	F(13, "inactive_file", struct mt_v2_memory, inactive_file),
	F(14, "active_file", struct mt_v2_memory, active_file),
	F(15, "unevictable", struct mt_v2_memory, unevictable),
	F(16, "slab_reclaimable", struct mt_v2_memory, slab_reclaimable),
	F(17, "slab_unreclaimable", struct mt_v2_memory, slab_unreclaimable),
	F(18, "pgfault", struct mt_v2_memory, pgfault),
	F(19, "pgmajfault", struct mt_v2_memory, pgmajfault),
	F(20, "workingset_refault", struct mt_v2_memory, workingset_refault),
	F(21, "workingset_activate", struct mt_v2_memory, workingset_activate),
	F(22, "workingset_nodereclaim", struct mt_v2_memory, workingset_nodereclaim),
	F(23, "pgrefill", struct mt_v2_memory, pgrefill),
	F(24, "pgscan", struct mt_v2_memory, pgscan),
	F(25, "pgsteal", struct mt_v2_memory, pgsteal),
	F(26, "pgactivate", struct mt_v2_memory, pgactivate),
	F(27, "pgdeactivate", struct mt_v2_memory, pgdeactivate),
	F(28, "pglazyfree", struct mt_v2_memory, pglazyfree),
	F(29, "pglazyfreed", struct mt_v2_memory, pglazyfreed),
	F(30, "thp_fault_alloc", struct mt_v2_memory, thp_fault_alloc),
	F(31, "thp_collapse_alloc", struct mt_v2_memory, thp_collapse_alloc),
	F(32, NULL, struct mt_v2_memory, usage),
	F(33, NULL, struct mt_v2_memory, usage_limit),
	F(34, NULL, struct mt_v2_memory, swap_usage),
	F(35, NULL, struct mt_v2_memory, swap_limit),
};

const struct mt_field mt_v2_memory_events_fields[MT_V2_MEMORY_EVENTS_NFIELDS] = {
	F(1, "low", struct mt_v2_memory_events, low),
	F(2, "high", struct mt_v2_memory_events, high),
	F(3, "max", struct mt_v2_memory_events, max),
	F(4, "oom", struct mt_v2_memory_events, oom),
	F(5, "oom_kill", struct mt_v2_memory_events, oom_kill),
};

#undef F

/* ---- shared helpers ---- */

static void put_fields(struct pb_w *w, const struct mt_field *t, size_t n, const void *base)
{
	for (size_t i = 0; i < n; i++)
		pb_put_uint(w, t[i].num,
		            *(const uint64_t *)(const void *)((const char *)base + t[i].off));
}

/* Decodes a message whose known fields all are uint64 and listed in t; others are skipped. */
static int get_fields(struct pb_str s, const struct mt_field *t, size_t n, void *base)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (t[i].num != f.num)
				continue;
			e = pb_as_u64(&f, mt_field_ptr(base, &t[i]));
			if (e < 0)
				return e;
			break;
		}
	}
	return e;
}

/* Copies a string field into a fixed array, NUL-terminated. */
static int get_cstr(const struct pb_field *f, char *dst, size_t cap)
{
	struct pb_str s;
	int e = pb_as_str(f, &s);
	if (e < 0)
		return e;
	if (s.n >= cap || memchr(s.p, 0, s.n))
		return -PB_ERANGE;
	memcpy(dst, s.p, s.n);
	dst[s.n] = 0;
	return 0;
}

/* Bounded strlen: a C string in a fixed array that may lack its NUL is cut at the array. */
static void put_fixed_str(struct pb_w *w, uint32_t num, const char *s, size_t cap)
{
	pb_put_bytes(w, num, s, strnlen(s, cap));
}

/* Checks the wire type of a nested message field and returns its body. */
static int get_msg(const struct pb_field *f, struct pb_str *s)
{
	return pb_as_str(f, s);
}

static void put_pids(struct pb_w *w, uint32_t num, const struct mt_pids *p)
{
	size_t m = pb_begin(w, num);
	pb_put_uint(w, 1, p->current);
	pb_put_uint(w, 2, p->limit);
	pb_end(w, m);
}

static int get_pids(struct pb_str s, struct mt_pids *p)
{
	static const struct mt_field t[] = {
		{ 1, "current", offsetof(struct mt_pids, current) },
		{ 2, "limit", offsetof(struct mt_pids, limit) },
	};
	return get_fields(s, t, 2, p);
}

/* ---- v1 ---- */

static void v1_put_hugetlb(struct pb_w *w, const struct mt_v1_hugetlb *h)
{
	size_t m = pb_begin(w, 1);
	pb_put_uint(w, 1, h->usage);
	pb_put_uint(w, 2, h->max);
	pb_put_uint(w, 3, h->failcnt);
	put_fixed_str(w, 4, h->pagesize, sizeof(h->pagesize));
	pb_end(w, m);
}

static void v1_put_cpu(struct pb_w *w, const struct mt_v1_cpu *c)
{
	size_t m = pb_begin(w, 3), u, pc;
	uint32_t n = c->nper_cpu < MT_MAX_CPUS ? c->nper_cpu : MT_MAX_CPUS;

	u = pb_begin(w, 1);
	pb_put_uint(w, 1, c->total);
	pb_put_uint(w, 2, c->kernel);
	pb_put_uint(w, 3, c->user);
	if (n) {
		pc = pb_begin(w, 4); /* packed: one length-delimited run of varints */
		for (uint32_t i = 0; i < n; i++)
			pb_put_varint(w, c->per_cpu[i]);
		pb_end(w, pc);
	}
	pb_end(w, u);
	u = pb_begin(w, 2);
	put_fields(w, mt_v1_throttle_fields, MT_V1_THROTTLE_NFIELDS, c);
	pb_end(w, u);
	pb_end(w, m);
}

static void v1_put_mem_entry(struct pb_w *w, uint32_t num, const struct mt_v1_mem_entry *e)
{
	size_t m = pb_begin(w, num);
	pb_put_uint(w, 1, e->limit);
	pb_put_uint(w, 2, e->usage);
	pb_put_uint(w, 3, e->max);
	pb_put_uint(w, 4, e->failcnt);
	pb_end(w, m);
}

static void v1_put_memory(struct pb_w *w, const struct mt_v1_memory *mem)
{
	size_t m = pb_begin(w, 4);
	put_fields(w, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, mem);
	v1_put_mem_entry(w, 33, &mem->usage);
	v1_put_mem_entry(w, 34, &mem->swap);
	v1_put_mem_entry(w, 35, &mem->kernel);
	v1_put_mem_entry(w, 36, &mem->kernel_tcp);
	pb_end(w, m);
}

static void v1_put_blkio(struct pb_w *w, const struct mt_v1_blkio_list *lists)
{
	size_t m = pb_begin(w, 5);
	for (uint32_t l = 0; l < MT_BLKIO_NLISTS; l++) {
		uint32_t n = lists[l].n < MT_MAX_BLKIO ? lists[l].n : MT_MAX_BLKIO;
		for (uint32_t i = 0; i < n; i++) {
			const struct mt_v1_blkio_entry *e = &lists[l].e[i];
			size_t k = pb_begin(w, l + 1);
			put_fixed_str(w, 1, e->op, sizeof(e->op));
			put_fixed_str(w, 2, e->device, sizeof(e->device));
			pb_put_uint(w, 3, e->major);
			pb_put_uint(w, 4, e->minor);
			pb_put_uint(w, 5, e->value);
			pb_end(w, k);
		}
	}
	pb_end(w, m);
}

void mt_v1_encode(struct pb_w *w, const struct mt_v1 *m)
{
	uint32_t nh = m->nhugetlb < MT_MAX_HUGETLB ? m->nhugetlb : MT_MAX_HUGETLB;
	for (uint32_t i = 0; i < nh; i++)
		v1_put_hugetlb(w, &m->hugetlb[i]);
	if (m->has_pids)
		put_pids(w, 2, &m->pids);
	if (m->has_cpu)
		v1_put_cpu(w, &m->cpu);
	if (m->has_memory)
		v1_put_memory(w, &m->memory);
	if (m->has_blkio)
		v1_put_blkio(w, m->blkio);
	if (m->has_oom) {
		size_t k = pb_begin(w, 9);
		put_fields(w, mt_v1_oom_fields, MT_V1_OOM_NFIELDS, &m->oom);
		pb_end(w, k);
	}
}

static int v1_get_hugetlb(struct pb_str s, struct mt_v1_hugetlb *h)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u64(&f, &h->usage);
			break;
		case 2:
			e = pb_as_u64(&f, &h->max);
			break;
		case 3:
			e = pb_as_u64(&f, &h->failcnt);
			break;
		case 4:
			e = get_cstr(&f, h->pagesize, sizeof(h->pagesize));
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

static int v1_get_per_cpu(const struct pb_field *f, struct mt_v1_cpu *c)
{
	uint64_t v;
	int e;

	if (f->type == PB_VARINT) {
		if (c->nper_cpu >= MT_MAX_CPUS)
			return -PB_ERANGE;
		c->per_cpu[c->nper_cpu++] = f->u;
		return 0;
	}
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	struct pb_r it = pb_r_of(f->s);
	while ((e = pb_packed_next(&it, &v)) > 0) {
		if (c->nper_cpu >= MT_MAX_CPUS)
			return -PB_ERANGE;
		c->per_cpu[c->nper_cpu++] = v;
	}
	return e;
}

static int v1_get_usage(struct pb_str s, struct mt_v1_cpu *c)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u64(&f, &c->total);
			break;
		case 2:
			e = pb_as_u64(&f, &c->kernel);
			break;
		case 3:
			e = pb_as_u64(&f, &c->user);
			break;
		case 4:
			e = v1_get_per_cpu(&f, c);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

static int v1_get_cpu(struct pb_str s, struct mt_v1_cpu *c)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	struct pb_str b;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num != 1 && f.num != 2)
			continue;
		if ((e = get_msg(&f, &b)) < 0)
			return e;
		e = f.num == 1 ? v1_get_usage(b, c)
		               : get_fields(b, mt_v1_throttle_fields, MT_V1_THROTTLE_NFIELDS, c);
		if (e < 0)
			return e;
	}
	return e;
}

static int v1_get_mem_entry(struct pb_str s, struct mt_v1_mem_entry *me)
{
	static const struct mt_field t[] = {
		{ 1, "limit", offsetof(struct mt_v1_mem_entry, limit) },
		{ 2, "usage", offsetof(struct mt_v1_mem_entry, usage) },
		{ 3, "max", offsetof(struct mt_v1_mem_entry, max) },
		{ 4, "failcnt", offsetof(struct mt_v1_mem_entry, failcnt) },
	};
	return get_fields(s, t, 4, me);
}

static int v1_get_memory(struct pb_str s, struct mt_v1_memory *mem)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	struct pb_str b;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num >= 1 && f.num <= MT_V1_MEMORY_NFIELDS) {
			e = pb_as_u64(&f, mt_field_ptr(mem, &mt_v1_memory_fields[f.num - 1]));
		} else if (f.num >= 33 && f.num <= 36) {
			struct mt_v1_mem_entry *me = f.num == 33   ? &mem->usage
			                             : f.num == 34 ? &mem->swap
			                             : f.num == 35 ? &mem->kernel
			                                           : &mem->kernel_tcp;
			e = get_msg(&f, &b);
			if (e >= 0)
				e = v1_get_mem_entry(b, me);
		}
		if (e < 0)
			return e;
	}
	return e;
}

static int v1_get_blkio_entry(struct pb_str s, struct mt_v1_blkio_entry *be)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = get_cstr(&f, be->op, sizeof(be->op));
			break;
		case 2:
			e = get_cstr(&f, be->device, sizeof(be->device));
			break;
		case 3:
			e = pb_as_u64(&f, &be->major);
			break;
		case 4:
			e = pb_as_u64(&f, &be->minor);
			break;
		case 5:
			e = pb_as_u64(&f, &be->value);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

static int v1_get_blkio(struct pb_str s, struct mt_v1_blkio_list *lists)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	struct pb_str b;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num < 1 || f.num > MT_BLKIO_NLISTS)
			continue;
		struct mt_v1_blkio_list *l = &lists[f.num - 1];
		if ((e = get_msg(&f, &b)) < 0)
			return e;
		if (l->n >= MT_MAX_BLKIO)
			return -PB_ERANGE;
		if ((e = v1_get_blkio_entry(b, &l->e[l->n])) < 0)
			return e;
		l->n++;
	}
	return e;
}

int mt_v1_decode(const void *p, size_t n, struct mt_v1 *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	struct pb_str b;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num < 1 || f.num > 9 || (f.num >= 6 && f.num <= 8))
			continue;
		if ((e = get_msg(&f, &b)) < 0)
			return e;
		switch (f.num) {
		case 1:
			if (m->nhugetlb >= MT_MAX_HUGETLB)
				return -PB_ERANGE;
			e = v1_get_hugetlb(b, &m->hugetlb[m->nhugetlb++]);
			break;
		case 2:
			m->has_pids = 1;
			e = get_pids(b, &m->pids);
			break;
		case 3:
			m->has_cpu = 1;
			e = v1_get_cpu(b, &m->cpu);
			break;
		case 4:
			m->has_memory = 1;
			e = v1_get_memory(b, &m->memory);
			break;
		case 5:
			m->has_blkio = 1;
			e = v1_get_blkio(b, m->blkio);
			break;
		default: /* 9 */
			m->has_oom = 1;
			e = get_fields(b, mt_v1_oom_fields, MT_V1_OOM_NFIELDS, &m->oom);
		}
		if (e < 0)
			return e;
	}
	return e;
}

/* ---- v2 ---- */

void mt_v2_encode(struct pb_w *w, const struct mt_v2 *m)
{
	size_t k;

	if (m->has_pids)
		put_pids(w, 1, &m->pids);
	if (m->has_cpu) {
		k = pb_begin(w, 2);
		put_fields(w, mt_v2_cpu_fields, MT_V2_CPU_NFIELDS, &m->cpu);
		pb_end(w, k);
	}
	if (m->has_memory) {
		k = pb_begin(w, 4);
		put_fields(w, mt_v2_memory_fields, MT_V2_MEMORY_NFIELDS, &m->memory);
		pb_end(w, k);
	}
	if (m->has_io) {
		uint32_t n = m->nio < MT_MAX_BLKIO ? m->nio : MT_MAX_BLKIO;
		k = pb_begin(w, 6);
		for (uint32_t i = 0; i < n; i++) {
			const struct mt_v2_io *io = &m->io[i];
			size_t u = pb_begin(w, 1);
			pb_put_uint(w, 1, io->major);
			pb_put_uint(w, 2, io->minor);
			pb_put_uint(w, 3, io->rbytes);
			pb_put_uint(w, 4, io->wbytes);
			pb_put_uint(w, 5, io->rios);
			pb_put_uint(w, 6, io->wios);
			pb_end(w, u);
		}
		pb_end(w, k);
	}
	uint32_t nh = m->nhugetlb < MT_MAX_HUGETLB ? m->nhugetlb : MT_MAX_HUGETLB;
	for (uint32_t i = 0; i < nh; i++) {
		const struct mt_v2_hugetlb *h = &m->hugetlb[i];
		k = pb_begin(w, 7);
		pb_put_uint(w, 1, h->current);
		pb_put_uint(w, 2, h->max);
		put_fixed_str(w, 3, h->pagesize, sizeof(h->pagesize));
		pb_end(w, k);
	}
	if (m->has_memory_events) {
		k = pb_begin(w, 8);
		put_fields(w, mt_v2_memory_events_fields, MT_V2_MEMORY_EVENTS_NFIELDS,
		           &m->memory_events);
		pb_end(w, k);
	}
}

static int v2_get_io(struct pb_str s, struct mt_v2 *m)
{
	static const struct mt_field t[] = {
		{ 1, "major", offsetof(struct mt_v2_io, major) },
		{ 2, "minor", offsetof(struct mt_v2_io, minor) },
		{ 3, "rbytes", offsetof(struct mt_v2_io, rbytes) },
		{ 4, "wbytes", offsetof(struct mt_v2_io, wbytes) },
		{ 5, "rios", offsetof(struct mt_v2_io, rios) },
		{ 6, "wios", offsetof(struct mt_v2_io, wios) },
	};
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	struct pb_str b;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num != 1)
			continue;
		if ((e = get_msg(&f, &b)) < 0)
			return e;
		if (m->nio >= MT_MAX_BLKIO)
			return -PB_ERANGE;
		if ((e = get_fields(b, t, 6, &m->io[m->nio])) < 0)
			return e;
		m->nio++;
	}
	return e;
}

static int v2_get_hugetlb(struct pb_str s, struct mt_v2_hugetlb *h)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u64(&f, &h->current);
			break;
		case 2:
			e = pb_as_u64(&f, &h->max);
			break;
		case 3:
			e = get_cstr(&f, h->pagesize, sizeof(h->pagesize));
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

int mt_v2_decode(const void *p, size_t n, struct mt_v2 *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	struct pb_str b;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num < 1 || f.num > 8 || f.num == 3 || f.num == 5)
			continue;
		if ((e = get_msg(&f, &b)) < 0)
			return e;
		switch (f.num) {
		case 1:
			m->has_pids = 1;
			e = get_pids(b, &m->pids);
			break;
		case 2:
			m->has_cpu = 1;
			e = get_fields(b, mt_v2_cpu_fields, MT_V2_CPU_NFIELDS, &m->cpu);
			break;
		case 4:
			m->has_memory = 1;
			e = get_fields(b, mt_v2_memory_fields, MT_V2_MEMORY_NFIELDS, &m->memory);
			break;
		case 6:
			m->has_io = 1;
			e = v2_get_io(b, m);
			break;
		case 7:
			if (m->nhugetlb >= MT_MAX_HUGETLB)
				return -PB_ERANGE;
			e = v2_get_hugetlb(b, &m->hugetlb[m->nhugetlb++]);
			break;
		default: /* 8 */
			m->has_memory_events = 1;
			e = get_fields(b, mt_v2_memory_events_fields, MT_V2_MEMORY_EVENTS_NFIELDS,
			               &m->memory_events);
		}
		if (e < 0)
			return e;
	}
	return e;
}
