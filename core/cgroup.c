/* SPDX-License-Identifier: MIT */
/*
 * cgroup discovery (which directories a process's cgroup has, from the texts of /proc/PID/cgroup
 * and mountinfo, parsed by wire/kernfmt), the cg object, the file readers the metrics and the OOM
 * watch share, and the Task.Stats encoding. The metrics live in cgroup_v1.c and cgroup_v2.c, the
 * OOM watch in cgroup_oom.c.
 */
#include "cgroup_int.h"

#include "log.h"
#include "sys.h"
#include "wire/kernfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define CG_CGROUP2_MAGIC 0x63677270UL /* CGROUP2_SUPER_MAGIC; musl has no linux/magic.h */
#define CG_ROOT "/sys/fs/cgroup"
#define CG_MOUNTINFO_MAX (8u << 20)

static const char *const ctl_names[CG_NCTL] = { "memory", "cpu",   "cpuacct",
	                                        "pids",   "blkio", "hugetlb" };

/* ---- open / close ---- */

/* mnt joined with the cgroup path, minus the mount's root when the path lies under it. */
static int join(char *out, size_t cap, const char *mnt, const char *root, const char *path)
{
	size_t rl = strlen(root);
	const char *rel = path;

	if (strcmp(root, "/") != 0 && strncmp(path, root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == 0))
		rel = path + rl;
	if (rel[0] == 0 || strcmp(rel, "/") == 0)
		return sys_fmt(out, cap, "%s", mnt);
	return sys_fmt(out, cap, "%s%s%s", mnt, rel[0] == '/' ? "" : "/", rel);
}

static int resolve(const char *proc_cgroup, const char *mountinfo, const char *ctl, char *out,
                   size_t cap)
{
	char path[CG_PATH_MAX], mnt[CG_PATH_MAX], root[CG_PATH_MAX];
	int e;

	if ((e = kf_proc_cgroup(proc_cgroup, ctl, path, sizeof(path))) < 0)
		return e;
	if ((e = kf_cgroup_mount(mountinfo, ctl, mnt, sizeof(mnt), root, sizeof(root))) < 0)
		return e;
	return join(out, cap, mnt, root, path);
}

int cg_open_text(struct cg **out, const char *proc_cgroup, const char *mountinfo, int unified)
{
	char(*dirs)[CG_PATH_MAX] = malloc(CG_NCTL * sizeof(*dirs));
	size_t total = 0;
	int found = 0, e;
	struct cg *cg;

	*out = NULL;
	if (!dirs)
		return -ENOMEM;
	for (int i = 0; i < CG_NCTL; i++) {
		dirs[i][0] = 0;
		if (unified && i != CG_UNIFIED)
			continue;
		e = resolve(proc_cgroup, mountinfo, unified ? NULL : ctl_names[i], dirs[i],
		            sizeof(dirs[i]));
		if (e == -ENAMETOOLONG) {
			free(dirs);
			return e;
		}
		if (e < 0) {
			dirs[i][0] = 0;
			continue;
		}
		total += strlen(dirs[i]) + 1;
		found++;
	}
	cg = found ? calloc(1, sizeof(*cg) + total) : NULL;
	if (!cg) {
		free(dirs);
		return found ? -ENOMEM : -ENOENT;
	}
	cg->v2 = unified != 0;
	cg->watch.fd = -1;
	char *s = cg->strings;
	for (int i = 0; i < CG_NCTL; i++) {
		if (!dirs[i][0])
			continue;
		size_t n = strlen(dirs[i]) + 1;
		memcpy(s, dirs[i], n);
		cg->dir[i] = s;
		s += n;
	}
	free(dirs);
	*out = cg;
	return 0;
}

/* Reads a whole file of unknown size into a malloc'd NUL-terminated buffer. */
static int read_all(const char *path, char **out)
{
	size_t cap = 16384, n = 0;
	char *b = malloc(cap);
	int fd, e = 0;

	if (!b)
		return -ENOMEM;
	if ((fd = sys_open(path, O_RDONLY, 0)) < 0) {
		free(b);
		return fd;
	}
	for (;;) {
		if (n + 1 == cap) {
			char *nb = cap >= CG_MOUNTINFO_MAX ? NULL : realloc(b, cap * 2);
			if (!nb) {
				e = cap >= CG_MOUNTINFO_MAX ? -EFBIG : -ENOMEM;
				break;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = sys_read(fd, b + n, cap - 1 - n);
		if (r <= 0) {
			e = (int)r;
			break;
		}
		n += (size_t)r;
	}
	sys_close(fd);
	if (e < 0) {
		free(b);
		return e;
	}
	b[n] = 0;
	*out = b;
	return 0;
}

static int host_unified(void)
{
	struct statfs st;
	return statfs(CG_ROOT, &st) == 0 && (unsigned long)st.f_type == CG_CGROUP2_MAGIC;
}

int cg_open(struct cg **out, pid_t pid)
{
	char path[64], *proc = NULL, *mi = NULL;
	int e;

	*out = NULL;
	if ((e = sys_fmt(path, sizeof(path), "/proc/%d/cgroup", (int)pid)) < 0)
		return e;
	if ((e = read_all(path, &proc)) < 0)
		return e == -ESRCH ? -ENOENT : e;
	if ((e = read_all("/proc/self/mountinfo", &mi)) < 0) {
		free(proc);
		return e;
	}
	e = cg_open_text(out, proc, mi, host_unified());
	if (e < 0)
		log_warn("cgroup of pid %d: not found (%d)", (int)pid, e);
	free(proc);
	free(mi);
	return e;
}

void cg_close(struct cg *cg)
{
	if (!cg)
		return;
	cg_oom_stop(cg);
	free(cg);
}

int cg_version(const struct cg *cg)
{
	return cg->v2 ? 2 : 1;
}

const char *cg_path(const struct cg *cg, const char *ctl)
{
	if (!ctl)
		return cg->v2 ? cg->dir[CG_UNIFIED] : NULL;
	if (cg->v2)
		return NULL;
	for (int i = 0; i < CG_NCTL; i++)
		if (strcmp(ctl, ctl_names[i]) == 0)
			return cg->dir[i];
	return NULL;
}

/* ---- reading files ---- */

ssize_t cg_rd(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[CG_PATH_MAX];
	ssize_t n;
	int e;

	if (!dir)
		return -ENOENT;
	if ((e = sys_fmt(path, sizeof(path), "%s/%s", dir, name)) < 0)
		return e;
	n = sys_read_file(path, buf, cap);
	if (n > 0 && (size_t)n == cap - 1) {
		char *nl = strrchr(buf, '\n');
		if (nl) {
			nl[1] = 0;
			n = nl + 1 - buf;
		}
	}
	return n;
}

int cg_rd_u64(const char *dir, const char *name, uint64_t max_value, uint64_t *v)
{
	char b[64];
	ssize_t n = cg_rd(dir, name, b, sizeof(b));
	if (n < 0)
		return (int)n;
	return kf_value(b, b + n, max_value, v);
}

int cg_gone(const struct cg *cg)
{
	struct stat st;
	for (int i = 0; i < CG_NCTL; i++)
		if (cg->dir[i])
			return stat(cg->dir[i], &st) < 0 && (errno == ENOENT || errno == ENODEV);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

int cg_hugetlb_sizes(const char *dir, const char *suffix, char sizes[][MT_PAGESIZE_MAX])
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (!dir || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)) && n < MT_MAX_HUGETLB)
		if (kf_hugetlb_name(de->d_name, suffix, sizes[n], MT_PAGESIZE_MAX) == 0)
			n++;
	closedir(d);
	qsort(sizes, (size_t)n, MT_PAGESIZE_MAX, cmp_str);
	return n;
}

/* ---- Task.Stats ---- */

int cg_stats(struct cg *cg, uint8_t *buf, size_t cap, size_t *len, const char **type_url)
{
	struct pb_w w = pb_w_init(buf, cap);
	int e;

	*len = 0;
	if (cg->v2) {
		struct mt_v2 *m = malloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		if ((e = cg_read_v2(cg, m)) == 0)
			mt_v2_encode(&w, m);
		free(m);
		*type_url = MT_V2_TYPE_URL;
	} else {
		struct mt_v1 *m = malloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		if ((e = cg_read_v1(cg, m)) == 0)
			mt_v1_encode(&w, m);
		free(m);
		*type_url = MT_V1_TYPE_URL;
	}
	if (e < 0)
		return e;
	if (w.err)
		return -ENOSPC;
	*len = w.len;
	return 0;
}
