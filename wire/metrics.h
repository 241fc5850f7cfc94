/* SPDX-License-Identifier: MIT */
/*
 * cgroup metrics messages for Task.Stats (PROTOCOL.md 5.8): io.containerd.cgroups.v1.Metrics and
 * io.containerd.cgroups.v2.Metrics, with the field numbers of containerd/cgroups
 * stats/v1/metrics.proto and v2/stats/metrics.proto. Each message is a plain C struct of integers
 * (and short fixed strings) with fixed-size arrays for repeated entries; nothing is allocated.
 *
 * Proto3 rules: zero scalars and empty strings are not encoded. A submessage is encoded, even when
 * all its fields are zero, exactly when its has_ flag is set (the controller was read). As in the
 * reference, v1 memory always carries its four MemoryEntry submessages and v1 cpu its usage and
 * throttling submessages. rdma, network and cgroup_stats are never produced (not decoded either).
 *
 * Decoders skip unknown fields, reject a known field with the wrong wire type, and return
 * -PB_ERANGE when a repeated field has more entries than the array holds or a string does not
 * fit its array (strings are NUL-terminated in the struct). Both wire forms of per_cpu (packed,
 * which protoc and the reference write, and unpacked) are accepted.
 */
#ifndef SHIMBOX_WIRE_METRICS_H
#define SHIMBOX_WIRE_METRICS_H

#include "pb.h"

#define MT_V1_TYPE_URL "io.containerd.cgroups.v1.Metrics"
#define MT_V2_TYPE_URL "io.containerd.cgroups.v2.Metrics"

#define MT_MAX_CPUS 256    /* v1 cpu.usage.per_cpu values */
#define MT_MAX_BLKIO 64    /* entries in each v1 blkio list, and v2 io.usage entries */
#define MT_MAX_HUGETLB 16  /* hugetlb page sizes */
#define MT_PAGESIZE_MAX 16 /* "2MB", "1GB": with the NUL */
#define MT_OP_MAX 16       /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
#define MT_DEVICE_MAX 48   /* "/dev/" + a /proc/partitions name */

/* Upper bounds of an encoded message with every array full (t_metrics checks them): a buffer of
 * this size never gives -PB_ENOSPC. */
#define MT_V1_MAX_SIZE (60 * 1024)
#define MT_V2_MAX_SIZE (8 * 1024)

/*
 * One uint64 field of a message, for table-driven encoding and for parsing cgroup "key value"
 * files: the field number, the key naming it in the file it is read from (NULL when it is not
 * read from such a file) and its offset in the C struct. Tables are sorted by field number.
 */
struct mt_field {
	uint32_t num;
	const char *key;
	size_t off;
};

/* Both versions: PidsStat {current=1, limit=2}. */
struct mt_pids {
	uint64_t current, limit;
};

/* ---- io.containerd.cgroups.v1.Metrics ---- */

/* HugetlbStat {usage=1, max=2, failcnt=3, pagesize=4}. */
struct mt_v1_hugetlb {
	uint64_t usage, max, failcnt;
	char pagesize[MT_PAGESIZE_MAX];
};

/* CPUStat {usage=1 CPUUsage{total=1, kernel=2, user=3, per_cpu=4}, throttling=2 Throttle{...}}. */
struct mt_v1_cpu {
	uint64_t total, kernel, user; /* nanoseconds */
	uint32_t nper_cpu;
	uint64_t per_cpu[MT_MAX_CPUS];
	uint64_t periods, throttled_periods, throttled_time; /* Throttle 1..3 */
};

/* MemoryEntry {limit=1, usage=2, max=3, failcnt=4}. */
struct mt_v1_mem_entry {
	uint64_t limit, usage, max, failcnt;
};

/* MemoryStat: fields 1..32 from memory.stat (see mt_v1_memory_fields), then 33..36. */
struct mt_v1_memory {
	uint64_t cache, rss, rss_huge, mapped_file, dirty, writeback, pg_pg_in, pg_pg_out, pg_fault,
	    pg_maj_fault, inactive_anon, active_anon, inactive_file, active_file, unevictable,
	    hierarchical_memory_limit, hierarchical_swap_limit, total_cache, total_rss,
	    total_rss_huge, total_mapped_file, total_dirty, total_writeback, total_pg_pg_in,
	    total_pg_pg_out, total_pg_fault, total_pg_maj_fault, total_inactive_anon,
	    total_active_anon, total_inactive_file, total_active_file, total_unevictable;
	struct mt_v1_mem_entry usage, swap, kernel, kernel_tcp; /* 33..36, always encoded */
};

/* BlkIOEntry {op=1, device=2, major=3, minor=4, value=5}. */
struct mt_v1_blkio_entry {
	char op[MT_OP_MAX];
	char device[MT_DEVICE_MAX];
	uint64_t major, minor, value;
};

/* BlkIOStat: eight repeated lists, field numbers 1..8 in this order. */
enum {
	MT_BLKIO_SERVICE_BYTES, /* io_service_bytes_recursive = 1 */
	MT_BLKIO_SERVICED,      /* io_serviced_recursive = 2 */
	MT_BLKIO_QUEUED,        /* io_queued_recursive = 3 */
	MT_BLKIO_SERVICE_TIME,  /* io_service_time_recursive = 4 */
	MT_BLKIO_WAIT_TIME,     /* io_wait_time_recursive = 5 */
	MT_BLKIO_MERGED,        /* io_merged_recursive = 6 */
	MT_BLKIO_TIME,          /* io_time_recursive = 7 */
	MT_BLKIO_SECTORS,       /* sectors_recursive = 8 */
	MT_BLKIO_NLISTS
};

struct mt_v1_blkio_list {
	uint32_t n;
	struct mt_v1_blkio_entry e[MT_MAX_BLKIO];
};

/* MemoryOomControl {oom_kill_disable=1, under_oom=2, oom_kill=3} (memory.oom_control keys). */
struct mt_v1_oom {
	uint64_t oom_kill_disable, under_oom, oom_kill;
};

/* Metrics {hugetlb=1 rep, pids=2, cpu=3, memory=4, blkio=5, memory_oom_control=9}. */
struct mt_v1 {
	int has_pids, has_cpu, has_memory, has_blkio, has_oom;
	uint32_t nhugetlb;
	struct mt_v1_hugetlb hugetlb[MT_MAX_HUGETLB];
	struct mt_pids pids;
	struct mt_v1_cpu cpu;
	struct mt_v1_memory memory;
	struct mt_v1_blkio_list blkio[MT_BLKIO_NLISTS];
	struct mt_v1_oom oom;
};

/* MemoryStat 1..32, keyed by memory.stat names ("pgpgin" is pg_pg_in, "hierarchical_memsw_limit"
 * is hierarchical_swap_limit); offsets into struct mt_v1_memory. */
#define MT_V1_MEMORY_NFIELDS 32
extern const struct mt_field mt_v1_memory_fields[MT_V1_MEMORY_NFIELDS];
/* Throttle 1..3 keyed by cpu.stat names (nr_periods, nr_throttled, throttled_time); offsets into
 * struct mt_v1_cpu. */
#define MT_V1_THROTTLE_NFIELDS 3
extern const struct mt_field mt_v1_throttle_fields[MT_V1_THROTTLE_NFIELDS];
/* MemoryOomControl 1..3 keyed by memory.oom_control names; offsets into struct mt_v1_oom. */
#define MT_V1_OOM_NFIELDS 3
extern const struct mt_field mt_v1_oom_fields[MT_V1_OOM_NFIELDS];

/* Appends the message to w (errors in w->err). */
void mt_v1_encode(struct pb_w *w, const struct mt_v1 *m);
/* Decodes into *m (fully overwritten; about 50 KiB: not for the stack of a deep call). */
int mt_v1_decode(const void *p, size_t n, struct mt_v1 *m) PB_WARN;

/* ---- io.containerd.cgroups.v2.Metrics ---- */

/* CPUStat {usage_usec=1, user_usec=2, system_usec=3, nr_periods=4, nr_throttled=5,
 * throttled_usec=6}: every key of cpu.stat with the same name. */
struct mt_v2_cpu {
	uint64_t usage_usec, user_usec, system_usec, nr_periods, nr_throttled, throttled_usec;
};

/* MemoryStat: 1..31 are memory.stat keys of the same name; 32..35 come from memory.current,
 * memory.max, memory.swap.current and memory.swap.max ("max" = UINT64_MAX, as the reference). */
struct mt_v2_memory {
	uint64_t anon, file, kernel_stack, slab, sock, shmem, file_mapped, file_dirty,
	    file_writeback, anon_thp, inactive_anon, active_anon, inactive_file, active_file,
	    unevictable, slab_reclaimable, slab_unreclaimable, pgfault, pgmajfault,
	    workingset_refault, workingset_activate, workingset_nodereclaim, pgrefill, pgscan,
	    pgsteal, pgactivate, pgdeactivate, pglazyfree, pglazyfreed, thp_fault_alloc,
	    thp_collapse_alloc;
	uint64_t usage, usage_limit, swap_usage, swap_limit;
};

/* IOEntry {major=1, minor=2, rbytes=3, wbytes=4, rios=5, wios=6}: one line of io.stat. */
struct mt_v2_io {
	uint64_t major, minor, rbytes, wbytes, rios, wios;
};

/* HugeTlbStat {current=1, max=2, pagesize=3}. */
struct mt_v2_hugetlb {
	uint64_t current, max;
	char pagesize[MT_PAGESIZE_MAX];
};

/* MemoryEvents {low=1, high=2, max=3, oom=4, oom_kill=5}: the memory.events keys. */
struct mt_v2_memory_events {
	uint64_t low, high, max, oom, oom_kill;
};

/* Metrics {pids=1, cpu=2, memory=4, io=6 {usage=1 rep}, hugetlb=7 rep, memory_events=8}. */
struct mt_v2 {
	int has_pids, has_cpu, has_memory, has_io, has_memory_events;
	struct mt_pids pids;
	struct mt_v2_cpu cpu;
	struct mt_v2_memory memory;
	uint32_t nio;
	struct mt_v2_io io[MT_MAX_BLKIO];
	uint32_t nhugetlb;
	struct mt_v2_hugetlb hugetlb[MT_MAX_HUGETLB];
	struct mt_v2_memory_events memory_events;
};

#define MT_V2_CPU_NFIELDS 6
extern const struct mt_field mt_v2_cpu_fields[MT_V2_CPU_NFIELDS];
/* All 35 MemoryStat fields; key NULL for 32..35 (not from memory.stat). */
#define MT_V2_MEMORY_NFIELDS 35
extern const struct mt_field mt_v2_memory_fields[MT_V2_MEMORY_NFIELDS];
#define MT_V2_MEMORY_EVENTS_NFIELDS 5
extern const struct mt_field mt_v2_memory_events_fields[MT_V2_MEMORY_EVENTS_NFIELDS];

void mt_v2_encode(struct pb_w *w, const struct mt_v2 *m);
int mt_v2_decode(const void *p, size_t n, struct mt_v2 *m) PB_WARN;

/* The uint64 a table entry names inside the struct at base. */
static inline uint64_t *mt_field_ptr(void *base, const struct mt_field *f)
{
	return (uint64_t *)(void *)((char *)base + f->off);
}

#endif
