/* SPDX-License-Identifier: MIT */
/* cgroup v1 and v2 Metrics messages: field lists, their key tables and message descriptors. */
#include "metrics.h"

#include "pbdesc.h"

static const struct pb_mdesc pids, v1_hugetlb, v1_usage, v1_throttle, v1_cpu, v1_mem_entry,
    v1_memory, v1_blkio_entry, v1_oom, v1_blkio, v2_cpu, v2_memory, v2_io_entry, v2_hugetlb,
    v2_memory_events, v2_io;
/* clang-format 14 does not settle on the layout of this macro. */
// clang-format off
#define SUBS(X) \
	X(pids) X(v1_hugetlb) X(v1_usage) X(v1_throttle) X(v1_cpu) X(v1_mem_entry) X(v1_memory) \
	X(v1_blkio_entry) X(v1_oom) X(v1_blkio) X(v2_cpu) X(v2_memory) X(v2_io_entry) X(v2_hugetlb) \
	X(v2_memory_events) X(v2_io)
// clang-format on
PB_SUBS(SUBS);

/*
 * The uint64 fields read from cgroup "key value" files, one list each, expanded twice: into the
 * public key tables (mt_field) and into the message descriptors.
 */
#define MT_V1_MEMORY(X)                                                                            \
	X(1, "cache", cache)                                                                       \
	X(2, "rss", rss)                                                                           \
	X(3, "rss_huge", rss_huge)                                                                 \
	X(4, "mapped_file", mapped_file)                                                           \
	X(5, "dirty", dirty)                                                                       \
	X(6, "writeback", writeback)                                                               \
	X(7, "pgpgin", pg_pg_in)                                                                   \
	X(8, "pgpgout", pg_pg_out)                                                                 \
	X(9, "pgfault", pg_fault)                                                                  \
	X(10, "pgmajfault", pg_maj_fault)                                                          \
	X(11, "inactive_anon", inactive_anon)                                                      \
	X(12, "active_anon", active_anon)                                                          \
	X(13, "inactive_file", inactive_file)                                                      \
	X(14, "active_file", active_file)                                                          \
	X(15, "unevictable", unevictable)                                                          \
	X(16, "hierarchical_memory_limit", hierarchical_memory_limit)                              \
	X(17, "hierarchical_memsw_limit", hierarchical_swap_limit)                                 \
	X(18, "total_cache", total_cache)                                                          \
	X(19, "total_rss", total_rss)                                                              \
	X(20, "total_rss_huge", total_rss_huge)                                                    \
	X(21, "total_mapped_file", total_mapped_file)                                              \
	X(22, "total_dirty", total_dirty)                                                          \
	X(23, "total_writeback", total_writeback)                                                  \
	X(24, "total_pgpgin", total_pg_pg_in)                                                      \
	X(25, "total_pgpgout", total_pg_pg_out)                                                    \
	X(26, "total_pgfault", total_pg_fault)                                                     \
	X(27, "total_pgmajfault", total_pg_maj_fault)                                              \
	X(28, "total_inactive_anon", total_inactive_anon)                                          \
	X(29, "total_active_anon", total_active_anon)                                              \
	X(30, "total_inactive_file", total_inactive_file)                                          \
	X(31, "total_active_file", total_active_file)                                              \
	X(32, "total_unevictable", total_unevictable)

#define MT_V1_THROTTLE(X)                                                                          \
	X(1, "nr_periods", periods)                                                                \
	X(2, "nr_throttled", throttled_periods)                                                    \
	X(3, "throttled_time", throttled_time)

#define MT_V1_OOM(X)                                                                               \
	X(1, "oom_kill_disable", oom_kill_disable)                                                 \
	X(2, "under_oom", under_oom)                                                               \
	X(3, "oom_kill", oom_kill)

#define MT_V2_CPU(X)                                                                               \
	X(1, "usage_usec", usage_usec)                                                             \
	X(2, "user_usec", user_usec)                                                               \
	X(3, "system_usec", system_usec)                                                           \
	X(4, "nr_periods", nr_periods)                                                             \
	X(5, "nr_throttled", nr_throttled)                                                         \
	X(6, "throttled_usec", throttled_usec)

#define MT_V2_MEMORY(X)                                                                            \
	X(1, "anon", anon)                                                                         \
	X(2, "file", file)                                                                         \
	X(3, "kernel_stack", kernel_stack)                                                         \
	X(4, "slab", slab)                                                                         \
	X(5, "sock", sock)                                                                         \
	X(6, "shmem", shmem)                                                                       \
	X(7, "file_mapped", file_mapped)                                                           \
	X(8, "file_dirty", file_dirty)                                                             \
	X(9, "file_writeback", file_writeback)                                                     \
	X(10, "anon_thp", anon_thp)                                                                \
	X(11, "inactive_anon", inactive_anon)                                                      \
	X(12, "active_anon", active_anon)                                                          \
	X(13, "inactive_file", inactive_file)                                                      \
	X(14, "active_file", active_file)                                                          \
	X(15, "unevictable", unevictable)                                                          \
	X(16, "slab_reclaimable", slab_reclaimable)                                                \
	X(17, "slab_unreclaimable", slab_unreclaimable)                                            \
	X(18, "pgfault", pgfault)                                                                  \
	X(19, "pgmajfault", pgmajfault)                                                            \
	X(20, "workingset_refault", workingset_refault)                                            \
	X(21, "workingset_activate", workingset_activate)                                          \
	X(22, "workingset_nodereclaim", workingset_nodereclaim)                                    \
	X(23, "pgrefill", pgrefill)                                                                \
	X(24, "pgscan", pgscan)                                                                    \
	X(25, "pgsteal", pgsteal)                                                                  \
	X(26, "pgactivate", pgactivate)                                                            \
	X(27, "pgdeactivate", pgdeactivate)                                                        \
	X(28, "pglazyfree", pglazyfree)                                                            \
	X(29, "pglazyfreed", pglazyfreed)                                                          \
	X(30, "thp_fault_alloc", thp_fault_alloc)                                                  \
	X(31, "thp_collapse_alloc", thp_collapse_alloc)                                            \
	X(32, NULL, usage)                                                                         \
	X(33, NULL, usage_limit)                                                                   \
	X(34, NULL, swap_usage)                                                                    \
	X(35, NULL, swap_limit)

#define MT_V2_MEMORY_EVENTS(X)                                                                     \
	X(1, "low", low)                                                                           \
	X(2, "high", high)                                                                         \
	X(3, "max", max)                                                                           \
	X(4, "oom", oom)                                                                           \
	X(5, "oom_kill", oom_kill)

#define MT_KEY(num, key, f) { num, key, offsetof(PB_T, f) },
#define MT_U64(num, key, f) PB_U64(num, f),

#define PB_T struct mt_v1_memory
const struct mt_field mt_v1_memory_fields[MT_V1_MEMORY_NFIELDS] = { MT_V1_MEMORY(MT_KEY) };
#undef PB_T
#define PB_T struct mt_v1_cpu
const struct mt_field mt_v1_throttle_fields[MT_V1_THROTTLE_NFIELDS] = { MT_V1_THROTTLE(MT_KEY) };
#undef PB_T
#define PB_T struct mt_v1_oom
const struct mt_field mt_v1_oom_fields[MT_V1_OOM_NFIELDS] = { MT_V1_OOM(MT_KEY) };
#undef PB_T
#define PB_T struct mt_v2_cpu
const struct mt_field mt_v2_cpu_fields[MT_V2_CPU_NFIELDS] = { MT_V2_CPU(MT_KEY) };
#undef PB_T
#define PB_T struct mt_v2_memory
const struct mt_field mt_v2_memory_fields[MT_V2_MEMORY_NFIELDS] = { MT_V2_MEMORY(MT_KEY) };
#undef PB_T
#define PB_T struct mt_v2_memory_events
const struct mt_field mt_v2_memory_events_fields[MT_V2_MEMORY_EVENTS_NFIELDS] = {
	MT_V2_MEMORY_EVENTS(MT_KEY)
};
#undef PB_T

/*
 * Descriptors. Nested messages have size 0: the whole Metrics is zeroed once and a submessage
 * that occurs twice merges, as protobuf specifies. Array elements are fresh when decoded.
 */
#define PB_T struct mt_pids
PB_FIELDS(pids, PB_U64(1, current), PB_U64(2, limit));
static const struct pb_mdesc pids = PB_MDESC(pids, 0);
#undef PB_T

/* ---- v1 ---- */

#define PB_T struct mt_v1_hugetlb
PB_DESC(v1_hugetlb, PB_U64(1, usage), PB_U64(2, max), PB_U64(3, failcnt), PB_CSTR(4, pagesize));
#undef PB_T

#define PB_T struct mt_v1_cpu
PB_FIELDS(v1_usage, PB_U64(1, total), PB_U64(2, kernel), PB_U64(3, user),
          PB_PACK64(4, per_cpu, nper_cpu));
static const struct pb_mdesc v1_usage = PB_MDESC(v1_usage, 0);
PB_FIELDS(v1_throttle, MT_V1_THROTTLE(MT_U64));
static const struct pb_mdesc v1_throttle = PB_MDESC(v1_throttle, 0);
/* CPUStat's usage and throttling are always encoded; both are spread over struct mt_v1_cpu. */
PB_FIELDS(v1_cpu, PB_FLAT(1, v1_usage), PB_FLAT(2, v1_throttle));
static const struct pb_mdesc v1_cpu = PB_MDESC(v1_cpu, 0);
#undef PB_T

#define PB_T struct mt_v1_mem_entry
PB_FIELDS(v1_mem_entry, PB_U64(1, limit), PB_U64(2, usage), PB_U64(3, max), PB_U64(4, failcnt));
static const struct pb_mdesc v1_mem_entry = PB_MDESC(v1_mem_entry, 0);
#undef PB_T

#define PB_T struct mt_v1_memory
PB_FIELDS(v1_memory, MT_V1_MEMORY(MT_U64) PB_MSG(33, usage, v1_mem_entry),
          PB_MSG(34, swap, v1_mem_entry), PB_MSG(35, kernel, v1_mem_entry),
          PB_MSG(36, kernel_tcp, v1_mem_entry));
static const struct pb_mdesc v1_memory = PB_MDESC(v1_memory, 0);
#undef PB_T

#define PB_T struct mt_v1_blkio_entry
PB_DESC(v1_blkio_entry, PB_CSTR(1, op), PB_CSTR(2, device), PB_U64(3, major), PB_U64(4, minor),
        PB_U64(5, value));
#undef PB_T

#define PB_T struct mt_v1_oom
PB_FIELDS(v1_oom, MT_V1_OOM(MT_U64));
static const struct pb_mdesc v1_oom = PB_MDESC(v1_oom, 0);
#undef PB_T

#define PB_T struct mt_v1
#define MT_BLKIO_LIST(num) PB_ARRAY(num, blkio[num - 1].e, blkio[num - 1].n, v1_blkio_entry)
/* BlkIOStat: its eight lists are spread over struct mt_v1. */
PB_FIELDS(v1_blkio, MT_BLKIO_LIST(1), MT_BLKIO_LIST(2), MT_BLKIO_LIST(3), MT_BLKIO_LIST(4),
          MT_BLKIO_LIST(5), MT_BLKIO_LIST(6), MT_BLKIO_LIST(7), MT_BLKIO_LIST(8));
static const struct pb_mdesc v1_blkio = PB_MDESC(v1_blkio, 0);
PB_DESC(v1, PB_ARRAY(1, hugetlb, nhugetlb, v1_hugetlb), PB_OPT(2, pids, has_pids, pids),
        PB_OPT(3, cpu, has_cpu, v1_cpu), PB_OPT(4, memory, has_memory, v1_memory),
        PB_FLAT_OPT(5, has_blkio, v1_blkio), PB_OPT(9, oom, has_oom, v1_oom));
#undef MT_BLKIO_LIST
#undef PB_T

void mt_v1_encode(struct pb_w *w, const struct mt_v1 *m)
{
	pb_encode_msg(w, &v1, m);
}

int mt_v1_decode(const void *p, size_t n, struct mt_v1 *m)
{
	return pb_decode_msg(&v1, p, n, m);
}

/* ---- v2 ---- */

#define PB_T struct mt_v2_cpu
PB_FIELDS(v2_cpu, MT_V2_CPU(MT_U64));
static const struct pb_mdesc v2_cpu = PB_MDESC(v2_cpu, 0);
#undef PB_T

#define PB_T struct mt_v2_memory
PB_FIELDS(v2_memory, MT_V2_MEMORY(MT_U64));
static const struct pb_mdesc v2_memory = PB_MDESC(v2_memory, 0);
#undef PB_T

#define PB_T struct mt_v2_io
PB_DESC(v2_io_entry, PB_U64(1, major), PB_U64(2, minor), PB_U64(3, rbytes), PB_U64(4, wbytes),
        PB_U64(5, rios), PB_U64(6, wios));
#undef PB_T

#define PB_T struct mt_v2_hugetlb
PB_DESC(v2_hugetlb, PB_U64(1, current), PB_U64(2, max), PB_CSTR(3, pagesize));
#undef PB_T

#define PB_T struct mt_v2_memory_events
PB_FIELDS(v2_memory_events, MT_V2_MEMORY_EVENTS(MT_U64));
static const struct pb_mdesc v2_memory_events = PB_MDESC(v2_memory_events, 0);
#undef PB_T

#define PB_T struct mt_v2
/* IOStat {usage=1 rep}: its entries are spread over struct mt_v2. */
PB_FIELDS(v2_io, PB_ARRAY(1, io, nio, v2_io_entry));
static const struct pb_mdesc v2_io = PB_MDESC(v2_io, 0);
PB_DESC(v2, PB_OPT(1, pids, has_pids, pids), PB_OPT(2, cpu, has_cpu, v2_cpu),
        PB_OPT(4, memory, has_memory, v2_memory), PB_FLAT_OPT(6, has_io, v2_io),
        PB_ARRAY(7, hugetlb, nhugetlb, v2_hugetlb),
        PB_OPT(8, memory_events, has_memory_events, v2_memory_events));
#undef PB_T

void mt_v2_encode(struct pb_w *w, const struct mt_v2 *m)
{
	pb_encode_msg(w, &v2, m);
}

int mt_v2_decode(const void *p, size_t n, struct mt_v2 *m)
{
	return pb_decode_msg(&v2, p, n, m);
}
