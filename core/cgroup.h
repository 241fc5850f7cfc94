/* SPDX-License-Identifier: MIT */
/*
 * The container's cgroup (PROTOCOL.md 5.7, 5.8): where it is, its metrics for Task.Stats, and the
 * OOM watch. v1 ("hybrid" counts as v1) reads the memory, cpu, cpuacct, pids, blkio and hugetlb
 * hierarchies, whose mount points come from mountinfo; v2 (unified: /sys/fs/cgroup is cgroup2fs)
 * reads the "0::" cgroup under the cgroup2 mount. Every function returns >= 0 or -errno; nothing
 * exits and nothing blocks (cgroup files are read synchronously: they are in memory).
 * Implemented by cgroup.c (discovery, the files, Stats), cgroup_v1.c and cgroup_v2.c (the
 * metrics of each version) and cgroup_oom.c (the OOM watch); the text is parsed by wire/kernfmt.
 */
#ifndef SHIMBOX_CORE_CGROUP_H
#define SHIMBOX_CORE_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire/metrics.h"

#define CG_WARN __attribute__((warn_unused_result))

struct cg;

/*
 * Finds the cgroup of pid from /proc/<pid>/cgroup and /proc/self/mountinfo, and remembers its
 * directories. -ENOENT if the process is gone or none of the controllers above is mounted (v2:
 * there is no "0::" line or no cgroup2 mount). *out is freed by cg_close.
 */
int cg_open(struct cg **out, pid_t pid) CG_WARN;
/* Tears down the OOM watch (if any) and frees cg. NULL is fine. */
void cg_close(struct cg *cg);

/* 1 or 2. */
int cg_version(const struct cg *cg);
/* The directory of a v1 controller ("memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb") or,
 * with ctl NULL, of the v2 cgroup; NULL when not known. Valid until cg_close. */
const char *cg_path(const struct cg *cg, const char *ctl);

/*
 * Reads the controllers and encodes io.containerd.cgroups.v1.Metrics or .v2.Metrics into
 * buf[0..cap): *len is its size, *type_url the static name for the Any. A controller whose files
 * cannot be read is left out (proto3: absent submessage). -ENOENT when the cgroup is gone,
 * -ENOSPC when buf is too small (MT_V1_MAX_SIZE, 60 KiB, always suffices; a small container
 * needs well under 1 KiB), -ENOMEM.
 */
int cg_stats(struct cg *cg, uint8_t *buf, size_t cap, size_t *len, const char **type_url) CG_WARN;
/* The same reads, into the structs (for tests and for the service's own use). -ENOENT if gone;
 * -EINVAL if cg is of the other version. */
int cg_read_v1(struct cg *cg, struct mt_v1 *m) CG_WARN;
int cg_read_v2(struct cg *cg, struct mt_v2 *m) CG_WARN;

/*
 * Arms the OOM watch on the loop (loop_init must have run): v1 an eventfd registered through
 * cgroup.event_control for memory.oom_control; v2 inotify IN_MODIFY on memory.events and
 * cgroup.events. on_oom(ctx) runs from the loop once per OOM. OOM kills counted before this call
 * are not reported. The watch stops by itself when the cgroup is removed, and is torn down by
 * cg_close. on_oom must not call cg_close. Calling it again replaces the callback (the fds are
 * kept). On failure (-ENOENT: no memory controller) the callback and the baseline are still
 * kept, so cg_oom_poll works.
 */
int cg_oom_watch(struct cg *cg, void (*on_oom)(void *ctx), void *ctx) CG_WARN;
/*
 * Synchronously reports OOMs that happened but were not reported yet: calls on_oom for each and
 * returns how many (0 if no watch callback was ever set or the cgroup is gone). The service calls
 * it when the init process exits, so that TaskOOM is published before TaskExit. v1 counts both
 * the eventfd's pending notifications (the kernel signals them before it kills) and the
 * memory.oom_control oom_kill counter, and reports the larger; v2 reads memory.events oom_kill.
 */
int cg_oom_poll(struct cg *cg);
/* 1 while the watch's fd is on the loop; 0 before cg_oom_watch and after the cgroup went away. */
int cg_oom_watching(const struct cg *cg);

/*
 * Builds a cg from the texts of /proc/<pid>/cgroup and mountinfo (for the tests; cg_open reads
 * them): unified selects v2. The parsing is wire/kernfmt's kf_proc_cgroup and kf_cgroup_mount. A
 * path under the mount's root has the root stripped (cgroup namespaces, bind-mounted subtrees).
 */
int cg_open_text(struct cg **out, const char *proc_cgroup, const char *mountinfo,
                 int unified) CG_WARN;

#endif
