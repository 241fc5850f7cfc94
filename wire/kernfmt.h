/* SPDX-License-Identifier: MIT */
/*
 * Kernel text into values: lines, tokens, numbers and "key value" tables of cgroup files, and the
 * parsers of /proc/PID/cgroup, /proc/PID/mountinfo, /proc/partitions, v1 blkio files, v2 io.stat
 * and hugetlb file names. The caller reads the file and passes its text (NUL-terminated unless a
 * span [s, e) is given); results go into the caller's structs and buffers. Nothing here touches
 * a file or allocates. Errors are negative errno values, as core/cgroup returns them: -ENOENT
 * (not in the text), -ENAMETOOLONG (does not fit the buffer), -EINVAL (not a number).
 */
#ifndef SHIMBOX_WIRE_KERNFMT_H
#define SHIMBOX_WIRE_KERNFMT_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

#define KF_WARN __attribute__((warn_unused_result))

/* ---- lines, tokens, values ---- */

/*
 * The line starting at p (not NULL): sets *end to its '\n' or its NUL, and returns the start of
 * the next line, or NULL when this one is the last (a final '\n' is followed by an empty last
 * line: stop at !*p as well).
 */
const char *kf_line_next(const char *p, const char **end);
/*
 * Splits [s, e) on any of the characters of seps (runs of them count as one) into at most max
 * tokens: tok[i], len[i]. Returns how many; what follows the max-th token is not looked at.
 */
int kf_tokens(const char *s, const char *e, const char *seps, const char **tok, size_t *len,
              int max);
/*
 * A decimal value as containerd/cgroups reads one: blanks (and a trailing '\n') around it are
 * ignored, "max" is max_value, a negative number is 0, a value past 2^64-1 saturates. -EINVAL
 * for anything else (an empty span, a sign alone, a non-digit); *v is then untouched.
 */
int kf_value(const char *s, const char *e, uint64_t max_value, uint64_t *v) KF_WARN;
/*
 * The blank- or newline-separated values at the start of [s, e) into out[0..max)
 * (cpuacct.usage_percpu): stops at the end, at max, or before the first token that is not a
 * value. Returns how many were stored.
 */
uint32_t kf_value_list(const char *s, const char *e, uint64_t max_value, uint64_t *out,
                       uint32_t max);
/*
 * Fills the fields of the struct at base that the table t[0..n) names from the "key value"
 * lines of text (memory.stat, cpu.stat...): a line's first two blank-separated tokens are its
 * key and value (what follows is ignored). Entries with key NULL, keys not in the table, lines
 * of one token and values kf_value rejects are skipped; "max" reads as 2^64-1; of a key on
 * several lines the last stays. Returns how many lines were stored.
 */
int kf_kv_fill(const char *text, const struct mt_field *t, size_t n, void *base);
/* The value of key in such text (kf_kv_fill's rules), into *v: 0, or -ENOENT if none. */
int kf_kv_get(const char *text, const char *key, uint64_t *v) KF_WARN;

/* ---- mountinfo ---- */

/*
 * Decodes the octal escapes of a mountinfo field [s, s+n) ("\040" space, "\011" tab, "\012"
 * newline, "\134" backslash: any backslash with three octal digits up to \377) into dst as a C
 * string. A backslash without three digits is kept as it is. 0, or -ENAMETOOLONG when the
 * result and its NUL do not fit cap (dst then holds an unterminated prefix).
 */
int kf_unescape(char *dst, size_t cap, const char *s, size_t n) KF_WARN;

/*
 * One line of /proc/PID/mountinfo, "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
 * /dev/root rw,errors=continue": its fields as slices of the line, still escaped.
 */
struct kf_mount {
	const char *root, *point;            /* fields 4 and 5 */
	const char *fstype, *source, *super; /* after the "-" that ends the optional fields */
	size_t root_n, point_n, fstype_n, source_n, super_n;
};
/*
 * Splits the line [s, e) on spaces. -EINVAL when it has fewer than five fields. Otherwise 0;
 * fstype, source and super are set when the six fixed fields, the "-" and the three after it are
 * all there, and are NULL (length 0) when the line is cut short before them.
 */
int kf_mountinfo_line(const char *s, const char *e, struct kf_mount *m) KF_WARN;
/* 1 if a line of mountinfo text has point as its (unescaped) mount point, 0 if none has. */
int kf_mountinfo_has(const char *text, const char *point);
/*
 * In mountinfo text, a mount of the v1 hierarchy carrying controller ctl in its super options
 * (fstype "cgroup") or, ctl NULL, a cgroup2 mount. A mount point at or under /sys/fs/cgroup wins
 * over others; otherwise the first. A mount point that does not fit mcap is passed over. Copies
 * the mount point and the mount's root, unescaped. 0, -ENOENT, or -ENAMETOOLONG if the chosen
 * mount's root does not fit rcap.
 */
int kf_cgroup_mount(const char *text, const char *ctl, char *mnt, size_t mcap, char *root,
                    size_t rcap) KF_WARN;

/* ---- /proc/PID/cgroup, /proc/partitions ---- */

/*
 * In /proc/PID/cgroup text, the path of v1 controller ctl (a line whose comma-separated list
 * contains ctl, e.g. "4:cpu,cpuacct:/a"; "name=systemd" is not "systemd") or, ctl NULL, of the
 * v2 "0::" line. Copies it into path; returns its length, -ENOENT, or -ENAMETOOLONG.
 */
int kf_proc_cgroup(const char *text, const char *ctl, char *path, size_t cap) KF_WARN;
/* In /proc/partitions text, "/dev/<name>" of major:minor into out; -ENOENT if not listed,
 * -ENAMETOOLONG if it does not fit cap. */
int kf_partition(const char *text, uint64_t major, uint64_t minor, char *out, size_t cap) KF_WARN;

/* ---- cgroup statistics files ---- */

/*
 * Appends the entries of a v1 blkio file ("MAJ:MIN OP VALUE" lines, or "MAJ:MIN VALUE" for
 * blkio.sectors and blkio.time) to l, up to MT_MAX_BLKIO; the closing "Total N" line and lines
 * that do not parse are skipped. Each entry's device is named from the /proc/partitions text
 * parts ("" for a device it does not list, as the reference leaves it).
 */
void kf_blkio_v1(struct mt_v1_blkio_list *l, const char *text, const char *parts);
/*
 * Appends the lines of a v2 io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N")
 * to m->io, up to MT_MAX_BLKIO; keys other than the four of mt_v2_io are ignored, a line without
 * MAJ:MIN skipped.
 */
void kf_io_stat(const char *text, struct mt_v2 *m);
/*
 * The page size in a hugetlb file name "hugetlb.<size>.<suffix>" ("hugetlb.2MB.usage_in_bytes",
 * suffix "usage_in_bytes": "2MB") into size; the size must have no dot (so
 * "hugetlb.2MB.rsvd.max" is not a "max" file). 0, -EINVAL if name is not such a file,
 * -ENAMETOOLONG if the size does not fit cap.
 */
int kf_hugetlb_name(const char *name, const char *suffix, char *size, size_t cap) KF_WARN;

#endif
