/* SPDX-License-Identifier: MIT */
/*
 * wire/metrics: the cgroup v1/v2 Metrics messages against protoc's bytes
 * (test/golden/metrics_vectors.h, made by scripts/golden-metrics), from decoded and from
 * hand-built structs; short buffers, truncations, mutations and the documented limits.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "test/golden/metrics_vectors.h"
#include "wire/metrics.h"

#define MUTATIONS 3000

static const struct mgolden *vec(const char *name)
{
	for (size_t i = 0; i < MGOLDEN_COUNT; i++)
		if (strcmp(mgoldens[i].name, name) == 0)
			return &mgoldens[i];
	printf("# no vector %s\n", name);
	exit(1);
}

/* The value the generator gave field i (0-based) of the "full" vectors. */
static uint64_t val(unsigned i)
{
	static const uint64_t base[8] = { 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455 };
	return base[i % 8] * (i / 8 + 1) + i;
}

/* Decoded structs are big: one of each, on the heap. */
static struct mt_v1 *v1a, *v1b;
static struct mt_v2 *v2a, *v2b;

static int is_v1(const struct mgolden *g)
{
	return strcmp(g->type, "V1.Metrics") == 0;
}

static int decode(const struct mgolden *g, const uint8_t *p, size_t n)
{
	return is_v1(g) ? mt_v1_decode(p, n, v1a) : mt_v2_decode(p, n, v2a);
}

/* Decodes a private copy of exactly n bytes, so ASan sees any read past the end. */
static int decode_exact(const struct mgolden *g, const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	int e;
	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	e = decode(g, b, n);
	free(b);
	return e;
}

static void encode_decoded(const struct mgolden *g, struct pb_w *w)
{
	if (is_v1(g))
		mt_v1_encode(w, v1a);
	else
		mt_v2_encode(w, v2a);
}

static int sane(int e)
{
	return e >= 0 || (e <= -PB_ETRUNC && e >= -PB_ERANGE);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void vector_suite(const struct mgolden *g, uint64_t seed)
{
	uint8_t *out = malloc(g->len + 64);
	struct pb_w w;
	size_t bad = 0;

	if (!out)
		abort();
	CHECK(decode_exact(g, g->data, g->len) >= 0, "%s: decodes", g->name);
	w = pb_w_init(out, g->len + 64);
	encode_decoded(g, &w);
	CHECK(w.err == 0 && w.len == g->len && memcmp(out, g->data, g->len) == 0,
	      "%s: re-encoded byte for byte as protoc (%zu/%zu bytes, err %d)", g->name, w.len,
	      g->len, w.err);
	for (size_t cap = 0; cap < g->len; cap++) {
		uint8_t *small = malloc(cap ? cap : 1);
		if (!small)
			abort();
		w = pb_w_init(small, cap);
		encode_decoded(g, &w);
		bad += w.err != -PB_ENOSPC || w.len > cap;
		free(small);
	}
	CHECK(bad == 0, "%s: all %zu short buffers give ENOSPC", g->name, g->len);

	/* Prefixes: those at a top-level field boundary decode, all others fail cleanly. */
	unsigned char *edge = calloc(g->len + 1, 1);
	struct pb_r r = pb_r_init(g->data, g->len);
	struct pb_field f;
	if (!edge)
		abort();
	edge[0] = 1;
	while (pb_next(&r, &f) > 0)
		edge[g->len - r.left] = 1;
	bad = 0;
	for (size_t k = 0; k < g->len; k++) {
		int e = decode_exact(g, g->data, k);
		bad += !sane(e) || (edge[k] ? e < 0 : e >= 0);
	}
	CHECK(bad == 0, "%s: every truncation decodes or fails as it should", g->name);
	free(edge);

	/* Mutations: never a crash, never an undocumented error. */
	uint8_t *b = malloc(g->len + 8);
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t insane = 0;
	if (!b)
		abort();
	for (int i = 0; i < MUTATIONS; i++) {
		size_t n = g->len;
		memcpy(b, g->data, n);
		for (int k = 0; k < 1 + (int)(xorshift(&s) % 3); k++) {
			uint64_t x = xorshift(&s);
			size_t at = n ? (size_t)(x >> 8) % n : 0;
			switch (x % 5) {
			case 0:
				if (n)
					b[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
				break;
			case 1:
				if (n)
					b[at] = (uint8_t)(x >> 32);
				break;
			case 2:
				if (n < g->len + 8) {
					memmove(b + at + 1, b + at, n - at);
					b[at] = (uint8_t)(x >> 32);
					n++;
				}
				break;
			case 3:
				if (n)
					b[at] = (x >> 32) & 1 ? 0xff : 0x80;
				break;
			default:
				n = at;
			}
		}
		insane += !sane(decode_exact(g, b, n));
	}
	CHECK(insane == 0, "%s: %d mutations decode or fail cleanly", g->name, MUTATIONS);
	free(b);
	free(out);
}

static void full_values(void)
{
	const struct mgolden *g = vec("v1_full");
	int e = mt_v1_decode(g->data, g->len, v1a);
	int mem_ok = 1;

	CHECK(e >= 0 && v1a->has_pids && v1a->has_cpu && v1a->has_memory && v1a->has_blkio &&
	          v1a->has_oom,
	      "v1_full: every submessage present");
	for (unsigned i = 0; i < MT_V1_MEMORY_NFIELDS; i++) {
		uint64_t want = val(i);
		if (i == 15)
			want = 9223372036854771712ull;
		if (i == 16)
			want = UINT64_MAX;
		mem_ok &= *mt_field_ptr(&v1a->memory, &mt_v1_memory_fields[i]) == want;
	}
	CHECK(mem_ok && v1a->memory.pg_pg_in == val(6) && v1a->memory.total_unevictable == val(31),
	      "v1_full: the 32 memory.stat fields land in the right members");
	CHECK(v1a->memory.usage.failcnt == 52 && v1a->memory.swap.limit == 16777216 &&
	          v1a->memory.kernel.max == 1306624 &&
	          v1a->memory.kernel_tcp.limit == 9223372036854771712ull,
	      "v1_full: usage, swap, kernel, kernel_tcp entries");
	CHECK(v1a->cpu.nper_cpu == 4 && v1a->cpu.per_cpu[1] == 0 &&
	          v1a->cpu.per_cpu[3] == UINT64_MAX && v1a->cpu.total == 123456789012ull &&
	          v1a->cpu.kernel == 40000000000ull && v1a->cpu.throttled_time == 345678901,
	      "v1_full: cpu usage, packed per_cpu, throttling");
	CHECK(v1a->nhugetlb == 2 && strcmp(v1a->hugetlb[0].pagesize, "2MB") == 0 &&
	          v1a->hugetlb[0].failcnt == 3 && strcmp(v1a->hugetlb[1].pagesize, "1GB") == 0,
	      "v1_full: hugetlb entries");
	CHECK(v1a->blkio[MT_BLKIO_SERVICE_BYTES].n == 3 && v1a->blkio[MT_BLKIO_SERVICED].n == 3 &&
	          v1a->blkio[MT_BLKIO_QUEUED].n == 1 && v1a->blkio[MT_BLKIO_SECTORS].n == 2 &&
	          strcmp(v1a->blkio[MT_BLKIO_SERVICED].e[1].op, "Write") == 0 &&
	          v1a->blkio[MT_BLKIO_SERVICED].e[1].value == 2005 &&
	          strcmp(v1a->blkio[MT_BLKIO_SECTORS].e[1].device, "/dev/nvme0n1") == 0 &&
	          v1a->blkio[MT_BLKIO_SECTORS].e[1].major == 259 &&
	          v1a->blkio[MT_BLKIO_SECTORS].e[1].op[0] == 0,
	      "v1_full: blkio lists by field number");
	CHECK(v1a->oom.oom_kill_disable == 1 && v1a->oom.under_oom == 1 && v1a->oom.oom_kill == 2,
	      "v1_full: memory_oom_control");

	g = vec("v2_full");
	e = mt_v2_decode(g->data, g->len, v2a);
	mem_ok = 1;
	for (unsigned i = 0; i < MT_V2_MEMORY_NFIELDS; i++) {
		uint64_t want = (i == 32 || i == 34) ? UINT64_MAX : val(i);
		mem_ok &= *mt_field_ptr(&v2a->memory, &mt_v2_memory_fields[i]) == want;
	}
	CHECK(e >= 0 && mem_ok && v2a->memory.usage == val(31) && v2a->memory.anon == 1,
	      "v2_full: the 35 memory fields land in the right members");
	CHECK(v2a->has_pids && v2a->pids.current == 3 && v2a->pids.limit == UINT64_MAX &&
	          v2a->has_cpu && v2a->cpu.usage_usec == 5123456 &&
	          v2a->cpu.throttled_usec == 123456,
	      "v2_full: pids and cpu (cpu is field 2)");
	CHECK(v2a->has_io && v2a->nio == 2 && v2a->io[0].rbytes == 4096000 &&
	          v2a->io[1].major == 259 && v2a->io[1].minor == 3 && v2a->io[1].wbytes == 1,
	      "v2_full: io usage entries");
	CHECK(v2a->nhugetlb == 2 && v2a->hugetlb[0].max == UINT64_MAX &&
	          strcmp(v2a->hugetlb[1].pagesize, "1GB") == 0 && v2a->has_memory_events &&
	          v2a->memory_events.max == 300 && v2a->memory_events.oom_kill == 5,
	      "v2_full: hugetlb and memory_events");
}

/* What core/cgroup.c builds for a small container; must give protoc's bytes exactly. */
static void hand_built(void)
{
	uint8_t out[1024];
	struct pb_w w;
	const struct mgolden *g;

	memset(v1b, 0, sizeof(*v1b));
	v1b->has_pids = v1b->has_cpu = v1b->has_memory = v1b->has_blkio = v1b->has_oom = 1;
	v1b->pids.current = 1;
	v1b->cpu.total = 28310425;
	v1b->cpu.kernel = 10000000;
	v1b->cpu.user = 10000000;
	v1b->cpu.nper_cpu = 2;
	v1b->cpu.per_cpu[0] = 20107411;
	v1b->cpu.per_cpu[1] = 8203014;
	struct mt_v1_memory *m = &v1b->memory;
	m->cache = m->total_cache = 135168;
	m->rss = m->total_rss = 245760;
	m->mapped_file = m->total_mapped_file = 135168;
	m->pg_pg_in = m->total_pg_pg_in = 211;
	m->pg_pg_out = m->total_pg_pg_out = 118;
	m->pg_fault = m->total_pg_fault = 327;
	m->pg_maj_fault = m->total_pg_maj_fault = 1;
	m->inactive_anon = m->total_inactive_anon = 245760;
	m->active_file = m->total_active_file = 135168;
	m->hierarchical_memory_limit = m->hierarchical_swap_limit = 9223372036854771712ull;
	m->usage.limit = 9223372036854771712ull;
	m->usage.usage = 954368;
	m->usage.max = 1335296;
	m->kernel.limit = 9223372036854771712ull;
	m->kernel.usage = 245760;
	m->kernel.max = 270336;
	m->kernel_tcp.limit = 9223372036854771712ull;
	g = vec("v1_typical");
	w = pb_w_init(out, sizeof(out));
	mt_v1_encode(&w, v1b);
	CHECK(
	    w.err == 0 && w.len == g->len && memcmp(out, g->data, g->len) == 0,
	    "v1_typical from a hand-built struct: protoc's bytes, empty submessages kept (%zu/%zu)",
	    w.len, g->len);

	memset(v1b, 0, sizeof(*v1b));
	w = pb_w_init(out, sizeof(out));
	mt_v1_encode(&w, v1b);
	CHECK(w.err == 0 && w.len == 0, "v1 with no controller read: the empty message");

	memset(v2b, 0, sizeof(*v2b));
	v2b->has_pids = v2b->has_cpu = v2b->has_memory = v2b->has_io = v2b->has_memory_events = 1;
	v2b->pids.current = 1;
	v2b->pids.limit = UINT64_MAX;
	v2b->cpu.usage_usec = 28310;
	v2b->cpu.user_usec = 10000;
	v2b->cpu.system_usec = 18310;
	struct mt_v2_memory *m2 = &v2b->memory;
	m2->anon = m2->inactive_anon = 245760;
	m2->file = m2->file_mapped = m2->active_file = 135168;
	m2->kernel_stack = 16384;
	m2->slab = 98304;
	m2->slab_reclaimable = 40960;
	m2->slab_unreclaimable = 57344;
	m2->pgfault = 327;
	m2->pgmajfault = 1;
	m2->usage = 954368;
	m2->usage_limit = m2->swap_limit = UINT64_MAX;
	v2b->nhugetlb = 2;
	strcpy(v2b->hugetlb[0].pagesize, "2MB");
	strcpy(v2b->hugetlb[1].pagesize, "1GB");
	v2b->hugetlb[0].max = v2b->hugetlb[1].max = UINT64_MAX;
	g = vec("v2_typical");
	w = pb_w_init(out, sizeof(out));
	mt_v2_encode(&w, v2b);
	CHECK(w.err == 0 && w.len == g->len && memcmp(out, g->data, g->len) == 0,
	      "v2_typical from a hand-built struct: protoc's bytes (%zu/%zu)", w.len, g->len);
}

static void limits(void)
{
	uint8_t buf[8192], inner[4096];
	struct pb_w w, iw;
	size_t mu, mc;
	int e;

	/* per_cpu unpacked (each value its own varint field) is accepted too. */
	w = pb_w_init(buf, sizeof(buf));
	mc = pb_begin(&w, 3);
	mu = pb_begin(&w, 1);
	pb_put_uint(&w, 4, 7);
	pb_put_uint(&w, 1, 99);
	pb_put_uint(&w, 4, 8);
	pb_end(&w, mu);
	pb_end(&w, mc);
	e = mt_v1_decode(buf, w.len, v1a);
	CHECK(e >= 0 && v1a->cpu.nper_cpu == 2 && v1a->cpu.per_cpu[0] == 7 &&
	          v1a->cpu.per_cpu[1] == 8 && v1a->cpu.total == 99,
	      "v1 per_cpu unpacked: decoded");

	/* MT_MAX_CPUS + 1 per_cpu values: ERANGE. */
	iw = pb_w_init(inner, sizeof(inner));
	for (int i = 0; i <= MT_MAX_CPUS; i++)
		pb_put_varint(&iw, (uint64_t)i);
	w = pb_w_init(buf, sizeof(buf));
	mc = pb_begin(&w, 3);
	mu = pb_begin(&w, 1);
	pb_put_bytes(&w, 4, inner, iw.len);
	pb_end(&w, mu);
	pb_end(&w, mc);
	CHECK(mt_v1_decode(buf, w.len, v1a) == -PB_ERANGE, "v1: %d per_cpu values -> ERANGE",
	      MT_MAX_CPUS + 1);

	/* The encoder never writes more than the arrays hold, whatever the count says. */
	memset(v1b, 0, sizeof(*v1b));
	v1b->has_cpu = 1;
	v1b->cpu.nper_cpu = 100000;
	w = pb_w_init(buf, sizeof(buf));
	mt_v1_encode(&w, v1b);
	e = mt_v1_decode(buf, w.len, v1a);
	CHECK(w.err == 0 && e >= 0 && v1a->cpu.nper_cpu == MT_MAX_CPUS,
	      "v1: an oversized per_cpu count is clamped to MT_MAX_CPUS");

	/* 17 hugetlb entries: ERANGE; a page size longer than its array: ERANGE. */
	w = pb_w_init(buf, sizeof(buf));
	for (int i = 0; i <= MT_MAX_HUGETLB; i++) {
		size_t k = pb_begin(&w, 7);
		pb_put_cstr(&w, 3, "2MB");
		pb_end(&w, k);
	}
	CHECK(mt_v2_decode(buf, w.len, v2a) == -PB_ERANGE, "v2: %d hugetlb entries -> ERANGE",
	      MT_MAX_HUGETLB + 1);
	w = pb_w_init(buf, sizeof(buf));
	mc = pb_begin(&w, 1);
	pb_put_cstr(&w, 4, "0123456789abcdef");
	pb_end(&w, mc);
	CHECK(mt_v1_decode(buf, w.len, v1a) == -PB_ERANGE, "v1: a 16-byte page size -> ERANGE");

	/* 65 entries in one blkio list: ERANGE. */
	w = pb_w_init(buf, sizeof(buf));
	mc = pb_begin(&w, 5);
	for (int i = 0; i <= MT_MAX_BLKIO; i++) {
		size_t k = pb_begin(&w, 2);
		pb_put_uint(&w, 5, 1);
		pb_end(&w, k);
	}
	pb_end(&w, mc);
	CHECK(mt_v1_decode(buf, w.len, v1a) == -PB_ERANGE, "v1: %d blkio entries -> ERANGE",
	      MT_MAX_BLKIO + 1);

	/* A known field with the wrong wire type. */
	w = pb_w_init(buf, sizeof(buf));
	pb_put_uint(&w, 4, 1);
	CHECK(mt_v1_decode(buf, w.len, v1a) == -PB_EWIRETYPE &&
	          mt_v2_decode(buf, w.len, v2a) == -PB_EWIRETYPE,
	      "memory as a varint -> EWIRETYPE");

	/* Unknown fields (rdma, network, cgroup_stats) are skipped. */
	w = pb_w_init(buf, sizeof(buf));
	pb_put_bytes(&w, 6, "\x0a\x00", 2);
	pb_put_bytes(&w, 7, "\x0a\x01x", 3);
	pb_put_bytes(&w, 8, "\x08\x01", 2);
	mc = pb_begin(&w, 2);
	pb_put_uint(&w, 1, 5);
	pb_end(&w, mc);
	e = mt_v1_decode(buf, w.len, v1a);
	CHECK(e >= 0 && v1a->has_pids && v1a->pids.current == 5 && !v1a->has_memory,
	      "v1: rdma, network, cgroup_stats skipped");
}

/* Every array full, every string at its longest, every number at 2^64-1: the largest messages. */
static void worst_case(void)
{
	size_t cap = 256 * 1024;
	uint8_t *buf = malloc(cap);
	struct pb_w w;

	if (!buf)
		abort();
	memset(v1b, 0xff, sizeof(*v1b));
	v1b->nhugetlb = MT_MAX_HUGETLB;
	for (int i = 0; i < MT_MAX_HUGETLB; i++)
		v1b->hugetlb[i].pagesize[MT_PAGESIZE_MAX - 1] = 0;
	v1b->cpu.nper_cpu = MT_MAX_CPUS;
	for (int l = 0; l < MT_BLKIO_NLISTS; l++) {
		v1b->blkio[l].n = MT_MAX_BLKIO;
		for (int i = 0; i < MT_MAX_BLKIO; i++) {
			v1b->blkio[l].e[i].op[MT_OP_MAX - 1] = 0;
			v1b->blkio[l].e[i].device[MT_DEVICE_MAX - 1] = 0;
		}
	}
	w = pb_w_init(buf, cap);
	mt_v1_encode(&w, v1b);
	CHECK(w.err == 0 && w.len <= MT_V1_MAX_SIZE, "v1 worst case: %zu bytes <= MT_V1_MAX_SIZE",
	      w.len);
	memset(v2b, 0xff, sizeof(*v2b));
	v2b->nio = MT_MAX_BLKIO;
	v2b->nhugetlb = MT_MAX_HUGETLB;
	for (int i = 0; i < MT_MAX_HUGETLB; i++)
		v2b->hugetlb[i].pagesize[MT_PAGESIZE_MAX - 1] = 0;
	w = pb_w_init(buf, cap);
	mt_v2_encode(&w, v2b);
	CHECK(w.err == 0 && w.len <= MT_V2_MAX_SIZE, "v2 worst case: %zu bytes <= MT_V2_MAX_SIZE",
	      w.len);
	free(buf);
}

int main(void)
{
	v1a = malloc(sizeof(*v1a));
	v1b = malloc(sizeof(*v1b));
	v2a = malloc(sizeof(*v2a));
	v2b = malloc(sizeof(*v2b));
	if (!v1a || !v1b || !v2a || !v2b)
		abort();
	for (size_t i = 0; i < MGOLDEN_COUNT; i++)
		vector_suite(&mgoldens[i], i + 1);
	full_values();
	hand_built();
	limits();
	worst_case();
	CHECK(strcmp(MT_V1_TYPE_URL, "io.containerd.cgroups.v1.Metrics") == 0 &&
	          strcmp(MT_V2_TYPE_URL, "io.containerd.cgroups.v2.Metrics") == 0,
	      "type URLs are the bare message names");
	free(v1a);
	free(v1b);
	free(v2a);
	free(v2b);
	return tap_done();
}
