/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes wire/kernfmt: the input is kernel text, as the shim reads mountinfo, /proc/PID/cgroup,
 * /proc/partitions and cgroup files. Every parser runs on it, with output buffers of exactly
 * their size (roomy ones, and ones a few bytes long), and what must hold for any text is
 * checked: a slice lies inside its line, unescaping never grows a field, a mount or a cgroup path
 * found is one the text has, counts stay within their arrays. A violation traps.
 */
#include "wire/kernfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *alloc(size_t n)
{
	char *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void within(const char *s, size_t n, const char *line, const char *e)
{
	if (s && (s < line || s + n > e))
		__builtin_trap();
}

/* A field unescaped into a buffer of exactly its length plus the NUL: it always fits. */
static void unescape_field(const char *s, size_t n)
{
	char *b = alloc(n + 1);
	if (kf_unescape(b, n + 1, s, n) < 0 || strlen(b) > n)
		__builtin_trap();
	free(b);
}

static void mount_lines(const char *text)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		struct kf_mount m;
		next = kf_line_next(p, &e);
		if (e < p || (next && next != e + 1))
			__builtin_trap();
		if (kf_mountinfo_line(p, e, &m) < 0)
			continue;
		within(m.root, m.root_n, p, e);
		within(m.point, m.point_n, p, e);
		within(m.fstype, m.fstype_n, p, e);
		within(m.source, m.source_n, p, e);
		within(m.super, m.super_n, p, e);
		if (!m.root || !m.point || !m.fstype != !m.super || !m.fstype != !m.source)
			__builtin_trap();
		unescape_field(m.root, m.root_n);
		unescape_field(m.point, m.point_n);
	}
}

/* kf_cgroup_mount with outputs of exactly mcap and rcap bytes. */
static void cgroup_mount(const char *text, const char *ctl, size_t mcap, size_t rcap)
{
	char *mnt = alloc(mcap), *root = alloc(rcap);
	int e = kf_cgroup_mount(text, ctl, mnt, mcap, root, rcap);
	if (e == 0) {
		if (strlen(mnt) >= mcap || strlen(root) >= rcap)
			__builtin_trap();
		/* The mount point chosen is one the text lists (unless a \000 cut it short). */
		if (!strstr(text, "\\000") && kf_mountinfo_has(text, mnt) != 1)
			__builtin_trap();
	} else if (e != -ENOENT && e != -ENAMETOOLONG) {
		__builtin_trap();
	}
	free(mnt);
	free(root);
}

static void proc_cgroup(const char *text, const char *ctl, size_t cap)
{
	char *path = alloc(cap);
	int n = kf_proc_cgroup(text, ctl, path, cap);
	if (n >= 0 && ((size_t)n >= cap || strlen(path) != (size_t)n || !strstr(text, path)))
		__builtin_trap();
	free(path);
}

static void stat_files(const char *text)
{
	static struct mt_v1_blkio_list l;
	static struct mt_v2 m;
	struct mt_v1_memory mem;
	uint64_t v, list[8];
	char dev[MT_DEVICE_MAX];

	l.n = 0;
	kf_blkio_v1(&l, text, text);
	m.nio = 0;
	kf_io_stat(text, &m);
	if (l.n > MT_MAX_BLKIO || m.nio > MT_MAX_BLKIO)
		__builtin_trap();
	for (uint32_t i = 0; i < l.n; i++)
		if (!memchr(l.e[i].op, 0, sizeof(l.e[i].op)) ||
		    !memchr(l.e[i].device, 0, sizeof(l.e[i].device)))
			__builtin_trap();
	(void)kf_kv_fill(text, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, &mem);
	(void)kf_kv_get(text, "oom_kill", &v);
	if (kf_value_list(text, text + strlen(text), 0, list, 8) > 8)
		__builtin_trap();
	(void)kf_value(text, text + strlen(text), UINT64_MAX, &v);
	if (kf_partition(text, 254, 0, dev, sizeof(dev)) == 0 && strncmp(dev, "/dev/", 5) != 0)
		__builtin_trap();
}

static void names(const char *text)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		char z[MT_PAGESIZE_MAX], name[256];
		next = kf_line_next(p, &e);
		size_t n = (size_t)(e - p);
		if (n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = 0;
		if (kf_hugetlb_name(name, "max", z, sizeof(z)) == 0 &&
		    (strlen(z) >= n || strchr(z, '.') || !strstr(name, z)))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, NUL-terminated as the shim's reads are: ASan catches reads past it.
	 */
	char *text = alloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	static const char *const ctls[] = { "memory", "cpu", "cpuacct", "name=systemd", NULL };
	mount_lines(text);
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		cgroup_mount(text, ctls[i], 1024, 1024);
		cgroup_mount(text, ctls[i], 8, 3);
		proc_cgroup(text, ctls[i], 1024);
		proc_cgroup(text, ctls[i], 2);
	}
	(void)kf_mountinfo_has(text, "/sys/fs/cgroup");
	stat_files(text);
	names(text);
	free(text);
	return 0;
}
