/* SPDX-License-Identifier: MIT */
/*
 * cgroup discovery, metrics and the OOM watch. The text is parsed by wire/kernfmt; the readers
 * follow containerd/cgroups' choices of files and units so that `ctr task metrics` and CRI see
 * the values the reference shim would report.
 */
#include "cgroup.h"

#include "log.h"
#include "loop.h"
#include "sys.h"
#include "wire/kernfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CG_CGROUP2_MAGIC 0x63677270UL /* CGROUP2_SUPER_MAGIC; musl has no linux/magic.h */
#define CG_ROOT "/sys/fs/cgroup"
/* Cgroup paths are short; small buffers keep the loop's stack (and so the shim's RSS) small. */
#define CG_PATH_MAX 1024
#define CG_BUF 16384 /* one cgroup file; longer ones are cut at a line end */
#define CG_MOUNTINFO_MAX (8u << 20)

/* v1 controllers we read; v2 keeps its one directory in dir[CG_UNIFIED]. */
enum { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_BLKIO, CG_HUGETLB, CG_NCTL };
#define CG_UNIFIED 0
static const char *const ctl_names[CG_NCTL] = { "memory", "cpu",   "cpuacct",
	                                        "pids",   "blkio", "hugetlb" };

struct cg {
	int v2;
	char *dir[CG_NCTL];      /* point into strings[]; NULL: not mounted or not listed */
	struct loop_watch watch; /* the eventfd (v1) or inotify fd (v2); fd -1 when none */
	void (*on_oom)(void *ctx);
	void *ctx;
	int have_base;
	uint64_t base;     /* the oom_kill counter when the watch was first armed */
	uint64_t events;   /* v1: eventfd notifications counted so far */
	uint64_t reported; /* on_oom calls made */
	char strings[];
};

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

static void watch_stop(struct cg *cg)
{
	loop_del(&cg->watch);
	sys_closep(&cg->watch.fd);
}

void cg_close(struct cg *cg)
{
	if (!cg)
		return;
	watch_stop(cg);
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

/* Reads dir/name into buf; a file longer than buf is cut after its last whole line. */
static ssize_t rd(const char *dir, const char *name, char *buf, size_t cap)
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

static int rd_u64(const char *dir, const char *name, uint64_t max_value, uint64_t *v)
{
	char b[64];
	ssize_t n = rd(dir, name, b, sizeof(b));
	if (n < 0)
		return (int)n;
	return kf_value(b, b + n, max_value, v);
}

/* Is the cgroup still there? Its first known directory decides. */
static int gone(const struct cg *cg)
{
	struct stat st;
	for (int i = 0; i < CG_NCTL; i++)
		if (cg->dir[i])
			return stat(cg->dir[i], &st) < 0 && (errno == ENOENT || errno == ENODEV);
	return 1;
}

static void v1_memory(const struct cg *cg, struct mt_v1 *m, char *buf)
{
	static const char *const mod[4] = { "memory", "memory.memsw", "memory.kmem",
		                            "memory.kmem.tcp" };
	const char *dir = cg->dir[CG_MEMORY];
	struct mt_v1_mem_entry *ent[4] = { &m->memory.usage, &m->memory.swap, &m->memory.kernel,
		                           &m->memory.kernel_tcp };
	char name[64];

	if (rd(dir, "memory.stat", buf, CG_BUF) >= 0) {
		m->has_memory = 1;
		kf_kv_fill(buf, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, &m->memory);
		/* An absent module (no swap accounting, no kmem on new kernels) reads as zeros. */
		for (int i = 0; i < 4; i++) {
			if (sys_fmt(name, sizeof(name), "%s.usage_in_bytes", mod[i]) >= 0)
				(void)rd_u64(dir, name, 0, &ent[i]->usage);
			if (sys_fmt(name, sizeof(name), "%s.max_usage_in_bytes", mod[i]) >= 0)
				(void)rd_u64(dir, name, 0, &ent[i]->max);
			if (sys_fmt(name, sizeof(name), "%s.failcnt", mod[i]) >= 0)
				(void)rd_u64(dir, name, 0, &ent[i]->failcnt);
			if (sys_fmt(name, sizeof(name), "%s.limit_in_bytes", mod[i]) >= 0)
				(void)rd_u64(dir, name, 0, &ent[i]->limit);
		}
	}
	if (rd(dir, "memory.oom_control", buf, CG_BUF) >= 0) {
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

	if (rd_u64(acct, "cpuacct.usage", 0, &c->total) == 0)
		m->has_cpu = 1;
	if (rd(acct, "cpuacct.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		if (kf_kv_get(buf, "user", &v) == 0)
			c->user = ticks_ns(v);
		if (kf_kv_get(buf, "system", &v) == 0)
			c->kernel = ticks_ns(v);
	}
	ssize_t n = rd(acct, "cpuacct.usage_percpu", buf, CG_BUF);
	if (n >= 0) {
		m->has_cpu = 1;
		c->nper_cpu = kf_value_list(buf, buf + n, 0, c->per_cpu, MT_MAX_CPUS);
	}
	if (rd(cg->dir[CG_CPU], "cpu.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		kf_kv_fill(buf, mt_v1_throttle_fields, MT_V1_THROTTLE_NFIELDS, c);
	}
}

static void v1_pids(const struct cg *cg, struct mt_v1 *m)
{
	if (rd_u64(cg->dir[CG_PIDS], "pids.current", 0, &m->pids.current) < 0)
		return;
	m->has_pids = 1;
	(void)rd_u64(cg->dir[CG_PIDS], "pids.max", 0, &m->pids.limit); /* v1: "max" is 0 */
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
	if (rd(dir, "blkio.io_serviced_recursive", buf, CG_BUF) >= 0) {
		for (size_t i = 0; i < ARRAY_LEN(cfq); i++) {
			if (rd(dir, cfq[i].file, buf, CG_BUF) >= 0)
				kf_blkio_v1(&m->blkio[cfq[i].list], buf, parts);
			total += m->blkio[cfq[i].list].n;
		}
	}
	if (total)
		return;
	for (size_t i = 0; i < ARRAY_LEN(cfq); i++)
		m->blkio[i].n = 0;
	for (size_t i = 0; i < ARRAY_LEN(throttle); i++)
		if (rd(dir, throttle[i].file, buf, CG_BUF) >= 0)
			kf_blkio_v1(&m->blkio[throttle[i].list], buf, parts);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The page sizes of the hugetlb files in dir, sorted: names "hugetlb.<size>.<suffix>" with a
 * size without dots. Returns how many (at most MT_MAX_HUGETLB).
 */
static int hugetlb_sizes(const char *dir, const char *suffix, char sizes[][MT_PAGESIZE_MAX])
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

static void v1_hugetlb(const struct cg *cg, struct mt_v1 *m)
{
	char sizes[MT_MAX_HUGETLB][MT_PAGESIZE_MAX], name[64];
	const char *dir = cg->dir[CG_HUGETLB];
	int n = hugetlb_sizes(dir, "usage_in_bytes", sizes);

	for (int i = 0; i < n; i++) {
		struct mt_v1_hugetlb *h = &m->hugetlb[m->nhugetlb];
		memset(h, 0, sizeof(*h));
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.usage_in_bytes", sizes[i]) < 0 ||
		    rd_u64(dir, name, 0, &h->usage) < 0)
			continue;
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.max_usage_in_bytes", sizes[i]) >= 0)
			(void)rd_u64(dir, name, 0, &h->max);
		if (sys_fmt(name, sizeof(name), "hugetlb.%s.failcnt", sizes[i]) >= 0)
			(void)rd_u64(dir, name, 0, &h->failcnt);
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
	if (gone(cg))
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
	return gone(cg) ? -ENOENT : 0;
}

static void v2_hugetlb(const char *dir, struct mt_v2 *m)
{
	char cur[MT_MAX_HUGETLB][MT_PAGESIZE_MAX], max[MT_MAX_HUGETLB][MT_PAGESIZE_MAX];
	char name[64];
	int nc = hugetlb_sizes(dir, "current", cur), nm = hugetlb_sizes(dir, "max", max);

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
				(void)rd_u64(dir, name, UINT64_MAX, &h->current);
			if (sys_fmt(name, sizeof(name), "hugetlb.%s.max", size) >= 0)
				(void)rd_u64(dir, name, UINT64_MAX, &h->max);
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
	if (gone(cg))
		return -ENOENT;
	if (!(buf = malloc(CG_BUF)))
		return -ENOMEM;
	if (rd_u64(dir, "pids.current", 0, &m->pids.current) == 0) {
		m->has_pids = 1;
		(void)rd_u64(dir, "pids.max", UINT64_MAX, &m->pids.limit);
	}
	if (rd(dir, "cpu.stat", buf, CG_BUF) >= 0) {
		m->has_cpu = 1;
		kf_kv_fill(buf, mt_v2_cpu_fields, MT_V2_CPU_NFIELDS, &m->cpu);
	}
	if (rd(dir, "memory.stat", buf, CG_BUF) >= 0) {
		m->has_memory = 1;
		kf_kv_fill(buf, mt_v2_memory_fields, MT_V2_MEMORY_NFIELDS, &m->memory);
	}
	if (rd_u64(dir, "memory.current", UINT64_MAX, &m->memory.usage) == 0)
		m->has_memory = 1;
	if (m->has_memory) {
		(void)rd_u64(dir, "memory.max", UINT64_MAX, &m->memory.usage_limit);
		(void)rd_u64(dir, "memory.swap.current", UINT64_MAX, &m->memory.swap_usage);
		(void)rd_u64(dir, "memory.swap.max", UINT64_MAX, &m->memory.swap_limit);
	}
	if (rd(dir, "io.stat", buf, CG_BUF) >= 0) {
		m->has_io = 1;
		kf_io_stat(buf, m);
	}
	v2_hugetlb(dir, m);
	if (rd(dir, "memory.events", buf, CG_BUF) >= 0) {
		m->has_memory_events = 1;
		kf_kv_fill(buf, mt_v2_memory_events_fields, MT_V2_MEMORY_EVENTS_NFIELDS,
		        &m->memory_events);
	}
	free(buf);
	return gone(cg) ? -ENOENT : 0;
}

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

/* ---- OOM ---- */

/* The cgroup's oom_kill counter: v1 memory.oom_control (0 before Linux 4.13, which lacks the
 * key), v2 memory.events. -ENOENT/-ENODEV when the cgroup is gone. */
static int oom_kills(const struct cg *cg, uint64_t *v)
{
	char buf[512];
	ssize_t n = cg->v2 ? rd(cg->dir[CG_UNIFIED], "memory.events", buf, sizeof(buf))
	                   : rd(cg->dir[CG_MEMORY], "memory.oom_control", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (kf_kv_get(buf, "oom_kill", v) < 0)
		*v = 0;
	return 0;
}

static int is_gone_err(int e)
{
	return e == -ENOENT || e == -ENODEV;
}

/* Calls on_oom until `happened` OOMs (counted from the baseline) have been reported. */
static int report(struct cg *cg, uint64_t happened)
{
	int n = 0;
	while (cg->reported < happened && cg->on_oom) {
		cg->reported++;
		n++;
		cg->on_oom(cg->ctx);
	}
	return n;
}

static uint64_t since_base(const struct cg *cg, uint64_t kills)
{
	return kills > cg->base ? kills - cg->base : 0;
}

/* v1: the eventfd's pending count (0 if none or no watch); reading resets it. */
static uint64_t eventfd_take(struct cg *cg)
{
	uint64_t n = 0;
	if (cg->v2 || cg->watch.fd < 0 || sys_read(cg->watch.fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/*
 * One reconciliation, from the loop or from cg_oom_poll. v1: the kernel signals the eventfd
 * before it kills (and also when the cgroup is removed, which is told apart by the cgroup being
 * gone), so the count of OOMs is the larger of notifications and kills. v2: kills.
 */
static int reconcile(struct cg *cg)
{
	uint64_t pending = eventfd_take(cg), kills = 0;
	int e = oom_kills(cg, &kills);

	if (e < 0) {
		if (is_gone_err(e)) {
			if (cg->watch.fd >= 0)
				log_debug("cgroup removed: OOM watch stopped");
			watch_stop(cg);
		} else {
			log_warn("OOM watch: reading the oom_kill counter: %s", strerror(-e));
		}
		return 0;
	}
	if (cg->v2)
		return report(cg, since_base(cg, kills));
	cg->events += pending;
	uint64_t k = since_base(cg, kills);
	return report(cg, cg->events > k ? cg->events : k);
}

static void on_watch(struct loop_watch *w, uint32_t events)
{
	struct cg *cg = (struct cg *)(void *)((char *)w - offsetof(struct cg, watch));

	(void)events;
	if (cg->v2) {
		/* Drain the inotify events: what matters is the counter, read below. */
		union {
			struct inotify_event ev;
			char b[1024];
		} u;
		while (sys_read(w->fd, u.b, sizeof(u.b)) > 0)
			;
	}
	(void)reconcile(cg);
}

static int arm_v1(struct cg *cg)
{
	const char *dir = cg->dir[CG_MEMORY];
	char path[CG_PATH_MAX], line[64];
	int efd, ofd, cfd, e;

	if (!dir)
		return -ENOENT;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	if ((e = sys_fmt(path, sizeof(path), "%s/memory.oom_control", dir)) < 0 ||
	    (e = ofd = sys_open(path, O_RDONLY, 0)) < 0) {
		sys_close(efd);
		return e;
	}
	if ((e = sys_fmt(path, sizeof(path), "%s/cgroup.event_control", dir)) >= 0 &&
	    (e = cfd = sys_open(path, O_WRONLY, 0)) >= 0) {
		if ((e = sys_fmt(line, sizeof(line), "%d %d", efd, ofd)) >= 0)
			e = sys_write_all(cfd, line, strlen(line));
		sys_close(cfd);
	}
	sys_close(ofd); /* the registration holds its own reference */
	if (e < 0) {
		sys_close(efd);
		return e;
	}
	cg->watch.fd = efd;
	return 0;
}

static int arm_v2(struct cg *cg)
{
	const char *dir = cg->dir[CG_UNIFIED];
	char path[CG_PATH_MAX];
	int fd, e;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((e = sys_fmt(path, sizeof(path), "%s/memory.events", dir)) < 0 ||
	    (e = inotify_add_watch(fd, path, IN_MODIFY) < 0 ? -errno : 0) < 0) {
		sys_close(fd);
		return e;
	}
	/* cgroup.events changes when the cgroup empties: one more look at memory.events then. */
	if (sys_fmt(path, sizeof(path), "%s/cgroup.events", dir) >= 0 &&
	    inotify_add_watch(fd, path, IN_MODIFY) < 0)
		log_debug("OOM watch: %s: %s", path, strerror(errno));
	cg->watch.fd = fd;
	return 0;
}

int cg_oom_watch(struct cg *cg, void (*on_oom)(void *ctx), void *ctx)
{
	uint64_t kills = 0;
	int e;

	cg->on_oom = on_oom;
	cg->ctx = ctx;
	if (cg->watch.fd >= 0)
		return 0;
	e = oom_kills(cg, &kills);
	if (!cg->have_base && e == 0) {
		cg->have_base = 1;
		cg->base = kills;
	}
	if (e < 0)
		return e;
	e = cg->v2 ? arm_v2(cg) : arm_v1(cg);
	if (e < 0) {
		log_warn("OOM watch on %s: %s", cg->dir[cg->v2 ? CG_UNIFIED : CG_MEMORY],
		         strerror(-e));
		return e;
	}
	cg->watch.fn = on_watch;
	if ((e = loop_set(&cg->watch, EPOLLIN)) < 0) {
		log_warn("OOM watch: epoll: %s", strerror(-e));
		sys_closep(&cg->watch.fd);
		return e;
	}
	return 0;
}

int cg_oom_poll(struct cg *cg)
{
	if (!cg->on_oom)
		return 0;
	return reconcile(cg);
}

int cg_oom_watching(const struct cg *cg)
{
	return cg->watch.fd >= 0;
}
