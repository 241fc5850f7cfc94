/* SPDX-License-Identifier: MIT */
/*
 * core/cgroup: directories found from crafted texts (the parsers themselves are t_kernfmt's);
 * metrics read from fake v1 and v2 trees with known values; the v2 OOM watch driven by inotify
 * on a fake memory.events; this process's own cgroup; and, as root, a real OOM kill in a
 * temporary memory cgroup (v1, or v2 when the cgroup2 mount has the memory controller) reported
 * by the loop-driven watch and by cg_oom_poll.
 */
#include "core/cgroup.h"
#include "core/loop.h"
#include "wire/kernfmt.h"
#include "cgroup_samples.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

static int ooms;

static void on_oom(void *ctx)
{
	int *n = ctx;
	(*n)++;
	loop_stop();
}

static void on_timer(struct loop_timer *t)
{
	(void)t;
	loop_stop();
}

/* Runs the loop until on_oom stops it or ms pass. */
static void run_loop(uint64_t ms)
{
	struct loop_timer t = { .fn = on_timer };
	loop_timer_arm(&t, ms);
	loop_run();
	loop_timer_cancel(&t);
}

/* snprintf into a PATH_MAX buffer (vsnprintf: no truncation warnings for paths). */
static void pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
}

static int put(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int put(const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], buf[4096];
	va_list ap;
	int fd, n;

	pathf(path, "%s/%s", dir, name);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = (int)write(fd, buf, (size_t)n);
	close(fd);
	return n < 0 ? -errno : 0;
}

static int mkdirf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int mkdirf(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* ---- cg_open_text (the parsers themselves: t_kernfmt) ---- */


static void open_text(void)
{
	int e;

	struct cg *cg = NULL;
	e = cg_open_text(&cg, proc_hybrid, mountinfo_hybrid, 0);
	CHECK(e == 0 && cg_version(cg) == 1 &&
	          strcmp(cg_path(cg, "memory"), "/sys/fs/cgroup/memory/default/redis") == 0 &&
	          strcmp(cg_path(cg, "cpu"), "/sys/fs/cgroup/cpu,cpuacct/default/redis") == 0 &&
	          strcmp(cg_path(cg, "cpuacct"), cg_path(cg, "cpu")) == 0 &&
	          strcmp(cg_path(cg, "pids"), "/sys/fs/cgroup/pids/default/a:b") == 0 &&
	          strcmp(cg_path(cg, "hugetlb"), "/sys/fs/cgroup/hugetlb/default/redis") == 0 &&
	          cg_path(cg, "blkio") == NULL && cg_path(cg, NULL) == NULL,
	      "open_text v1 (hybrid): per-controller directories");
	cg_close(cg);
	e = cg_open_text(&cg, proc_hybrid, mountinfo_hybrid, 1);
	CHECK(e == 0 && cg_version(cg) == 2 &&
	          strcmp(cg_path(cg, NULL), "/sys/fs/cgroup/unified/unified/redis") == 0 &&
	          cg_path(cg, "memory") == NULL,
	      "open_text v2: the 0:: path under the cgroup2 mount");
	cg_close(cg);
	e = cg_open_text(&cg, "4:memory:/kubepods/pod1/c1\n",
	                 "9 1 0:9 /kubepods /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
	                 0);
	CHECK(e == 0 && strcmp(cg_path(cg, "memory"), "/sys/fs/cgroup/memory/pod1/c1") == 0,
	      "open_text: the mount's root is stripped (%s)", e == 0 ? cg_path(cg, "memory") : "-");
	cg_close(cg);
	e = cg_open_text(&cg, "0::/\n", "9 1 0:9 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", 1);
	CHECK(e == 0 && strcmp(cg_path(cg, NULL), "/sys/fs/cgroup") == 0,
	      "open_text: the root cgroup is the mount point");
	cg_close(cg);
	CHECK(cg_open_text(&cg, "0::/x\n", mountinfo_hybrid + 0, 0) == -ENOENT && cg == NULL,
	      "open_text v1 without any v1 controller line -> ENOENT");
	CHECK(cg_open_text(&cg, proc_hybrid, "9 1 0:9 / /x rw - ext4 /dev/x rw\n", 1) == -ENOENT,
	      "open_text v2 without a cgroup2 mount -> ENOENT");
}

/* ---- fake trees ---- */

static void fake_v1(const char *top)
{
	char mi[4096], d[PATH_MAX];
	const char *ctl[] = { "memory", "cpu,cpuacct", "pids", "blkio", "hugetlb" };
	struct mt_v1 *m = malloc(sizeof(*m)), *m2 = malloc(sizeof(*m2));
	uint8_t buf[8192], buf2[8192];
	struct cg *cg = NULL;
	size_t len = 0, n = 0;
	const char *url = NULL;
	int e;

	if (!m || !m2)
		abort();
	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
		CHECK(mkdirf("%s/%s", top, ctl[i]) == 0 && mkdirf("%s/%s/ctr", top, ctl[i]) == 0,
		      "fake v1: mkdir %s", ctl[i]);
		n += (size_t)snprintf(mi + n, sizeof(mi) - n,
		                      "%zu 20 0:%zu / %s/%s rw shared:%zu - cgroup cgroup rw,%s\n",
		                      30 + i, 30 + i, top, ctl[i], i, ctl[i]);
	}
	e = cg_open_text(&cg,
	                 "9:hugetlb:/ctr\n8:blkio:/ctr\n7:pids:/ctr\n5:cpu,cpuacct:/ctr\n"
	                 "4:memory:/ctr\n1:name=systemd:/ctr\n0::/\n",
	                 mi, 0);
	CHECK(e == 0, "fake v1: open_text");
	if (e < 0)
		return;

	pathf(d, "%s/memory/ctr", top);
	put(d, "memory.stat",
	    "cache 100\nrss 200\nrss_huge 0\nswap 0\npgpgin 7\nunknown_key 5\n"
	    "hierarchical_memory_limit 9223372036854771712\n"
	    "hierarchical_memsw_limit 9223372036854771712\ntotal_unevictable 32\n");
	put(d, "memory.usage_in_bytes", "4096000\n");
	put(d, "memory.max_usage_in_bytes", "5000000\n");
	put(d, "memory.failcnt", "3\n");
	put(d, "memory.limit_in_bytes", "8388608\n");
	put(d, "memory.kmem.usage_in_bytes", "12345\n");
	put(d, "memory.kmem.limit_in_bytes", "9223372036854771712\n");
	put(d, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	put(d, "cgroup.event_control", "%s", "");
	pathf(d, "%s/cpu,cpuacct/ctr", top);
	put(d, "cpuacct.usage", "123456789\n");
	put(d, "cpuacct.stat", "user 150\nsystem 25\n");
	put(d, "cpuacct.usage_percpu", "100 200 300 \n");
	put(d, "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 3000\nnr_bursts 0\n");
	pathf(d, "%s/pids/ctr", top);
	put(d, "pids.current", "4\n");
	put(d, "pids.max", "max\n");
	pathf(d, "%s/hugetlb/ctr", top);
	put(d, "hugetlb.2MB.usage_in_bytes", "2097152\n");
	put(d, "hugetlb.2MB.max_usage_in_bytes", "4194304\n");
	put(d, "hugetlb.2MB.failcnt", "1\n");
	put(d, "hugetlb.2MB.rsvd.usage_in_bytes", "0\n");
	put(d, "hugetlb.1GB.usage_in_bytes", "0\n");
	put(d, "hugetlb.1GB.max_usage_in_bytes", "0\n");
	put(d, "hugetlb.1GB.failcnt", "0\n");
	pathf(d, "%s/blkio/ctr", top);
	put(d, "blkio.io_serviced_recursive",
	    "9999:1 Read 10\n9999:1 Write 20\n9999:1 Sync 5\n9999:1 Async 25\n"
	    "9999:1 Discard 0\n9999:1 Total 30\nTotal 30\n");
	put(d, "blkio.io_service_bytes_recursive", "9999:1 Read 4096\nTotal 4096\n");
	put(d, "blkio.sectors_recursive", "9999:1 8\n");
	put(d, "blkio.throttle.io_serviced", "9999:1 Read 1\nTotal 1\n");
	put(d, "blkio.throttle.io_service_bytes", "9999:1 Write 512\nTotal 512\n");

	long hz = sysconf(_SC_CLK_TCK);
	uint64_t h = hz > 0 ? (uint64_t)hz : 100;
	e = cg_read_v1(cg, m);
	CHECK(e == 0 && m->has_memory && m->memory.cache == 100 && m->memory.rss == 200 &&
	          m->memory.pg_pg_in == 7 &&
	          m->memory.hierarchical_swap_limit == 9223372036854771712ull &&
	          m->memory.total_unevictable == 32,
	      "fake v1: memory.stat keys (pgpgin, hierarchical_memsw_limit) mapped");
	CHECK(m->memory.usage.usage == 4096000 && m->memory.usage.max == 5000000 &&
	          m->memory.usage.failcnt == 3 && m->memory.usage.limit == 8388608 &&
	          m->memory.kernel.usage == 12345 &&
	          m->memory.kernel.limit == 9223372036854771712ull && m->memory.swap.usage == 0 &&
	          m->memory.swap.limit == 0,
	      "fake v1: usage/kmem entries, absent memsw reads as zeros");
	CHECK(m->has_oom && m->oom.oom_kill == 0, "fake v1: memory.oom_control");
	CHECK(m->has_cpu && m->cpu.total == 123456789 && m->cpu.user == 150 * 1000000000ull / h &&
	          m->cpu.kernel == 25 * 1000000000ull / h && m->cpu.nper_cpu == 3 &&
	          m->cpu.per_cpu[2] == 300 && m->cpu.periods == 10 &&
	          m->cpu.throttled_periods == 2 && m->cpu.throttled_time == 3000,
	      "fake v1: cpuacct (ticks to ns) and cpu.stat from the joined cpu,cpuacct");
	CHECK(m->has_pids && m->pids.current == 4 && m->pids.limit == 0,
	      "fake v1: pids, \"max\" is 0 as in the reference");
	CHECK(m->nhugetlb == 2 && strcmp(m->hugetlb[0].pagesize, "1GB") == 0 &&
	          strcmp(m->hugetlb[1].pagesize, "2MB") == 0 && m->hugetlb[1].usage == 2097152 &&
	          m->hugetlb[1].max == 4194304 && m->hugetlb[1].failcnt == 1,
	      "fake v1: hugetlb sizes (rsvd files ignored)");
	const struct mt_v1_blkio_list *sv = &m->blkio[MT_BLKIO_SERVICED];
	CHECK(m->has_blkio && sv->n == 6 && strcmp(sv->e[1].op, "Write") == 0 &&
	          sv->e[1].value == 20 && sv->e[1].major == 9999 && sv->e[1].minor == 1 &&
	          sv->e[1].device[0] == 0 && m->blkio[MT_BLKIO_SERVICE_BYTES].n == 1 &&
	          m->blkio[MT_BLKIO_SECTORS].n == 1 && m->blkio[MT_BLKIO_SECTORS].e[0].value == 8 &&
	          m->blkio[MT_BLKIO_SECTORS].e[0].op[0] == 0 && m->blkio[MT_BLKIO_QUEUED].n == 0,
	      "fake v1: blkio CFQ recursive files");

	e = cg_stats(cg, buf, sizeof(buf), &len, &url);
	struct pb_w w = pb_w_init(buf2, sizeof(buf2));
	mt_v1_encode(&w, m);
	CHECK(e == 0 && strcmp(url, "io.containerd.cgroups.v1.Metrics") == 0 && w.len == len &&
	          memcmp(buf, buf2, len) == 0,
	      "fake v1: cg_stats encodes what cg_read_v1 read (%zu bytes)", len);
	CHECK(mt_v1_decode(buf, len, m2) == 0 && m2->memory.usage.usage == 4096000,
	      "fake v1: cg_stats output decodes");
	CHECK(cg_stats(cg, buf, 10, &len, &url) == -ENOSPC, "fake v1: short buffer -> ENOSPC");

	pathf(d, "%s/blkio/ctr", top);
	put(d, "blkio.io_serviced_recursive", "Total 0\n");
	put(d, "blkio.io_service_bytes_recursive", "Total 0\n");
	put(d, "blkio.sectors_recursive", "%s", "");
	e = cg_read_v1(cg, m);
	CHECK(e == 0 && m->blkio[MT_BLKIO_SERVICED].n == 1 &&
	          m->blkio[MT_BLKIO_SERVICED].e[0].value == 1 &&
	          strcmp(m->blkio[MT_BLKIO_SERVICE_BYTES].e[0].op, "Write") == 0 &&
	          m->blkio[MT_BLKIO_SERVICE_BYTES].e[0].value == 512,
	      "fake v1: empty CFQ files fall back to the throttle files");

	/* The v1 counter path of cg_oom_poll (no eventfd ever fires on a fake tree). */
	ooms = 0;
	e = cg_oom_watch(cg, on_oom, &ooms);
	pathf(d, "%s/memory/ctr", top);
	put(d, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	e = e == 0 ? cg_oom_poll(cg) : e;
	CHECK(e == 2 && ooms == 2, "fake v1: poll reports 2 kills from oom_kill (%d)", e);
	CHECK(cg_oom_poll(cg) == 0 && ooms == 2, "fake v1: and nothing twice");

	pathf(d, "%s/memory/ctr", top);
	rm_tree(d);
	CHECK(cg_stats(cg, buf, sizeof(buf), &len, &url) == -ENOENT,
	      "fake v1: memory cgroup removed -> ENOENT");
	CHECK(cg_oom_poll(cg) == 0 && !cg_oom_watching(cg), "fake v1: poll after removal: 0");
	cg_close(cg);
	free(m);
	free(m2);
}

static void fake_v2(const char *top)
{
	char mi[PATH_MAX + 128], d[PATH_MAX];
	struct mt_v2 *m = malloc(sizeof(*m));
	struct cg *cg = NULL;
	uint8_t buf[4096];
	size_t len;
	const char *url;
	int e;

	if (!m)
		abort();
	snprintf(mi, sizeof(mi), "40 20 0:40 / %s rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
	         top);
	pathf(d, "%s/ctr", top);
	CHECK(mkdir(d, 0755) == 0, "fake v2: mkdir");
	put(d, "cpu.stat",
	    "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 0\nnr_throttled 0\n"
	    "throttled_usec 0\nnr_bursts 0\n");
	put(d, "memory.stat",
	    "anon 4096\nfile 8192\nkernel 100\nworkingset_refault_anon 1\npgfault 77\n"
	    "thp_collapse_alloc 2\n");
	put(d, "memory.current", "12288\n");
	put(d, "memory.max", "max\n");
	put(d, "memory.swap.current", "0\n");
	put(d, "memory.swap.max", "max\n");
	put(d, "pids.current", "2\n");
	put(d, "pids.max", "max\n");
	put(d, "io.stat",
	    "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n"
	    "259:1 rbytes=10 wbytes=20 rios=30 wios=40 dbytes=0 dios=0\n");
	put(d, "hugetlb.2MB.current", "0\n");
	put(d, "hugetlb.2MB.max", "max\n");
	put(d, "hugetlb.2MB.rsvd.max", "max\n");
	put(d, "hugetlb.2MB.events", "max 0\n");
	put(d, "hugetlb.1GB.current", "0\n");
	put(d, "hugetlb.1GB.max", "1073741824\n");
	put(d, "memory.events", "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n");
	put(d, "cgroup.events", "populated 1\nfrozen 0\n");

	e = cg_open_text(&cg, "0::/ctr\n", mi, 1);
	CHECK(e == 0 && strcmp(cg_path(cg, NULL), d) == 0, "fake v2: open_text");
	if (e < 0)
		return;
	e = cg_read_v2(cg, m);
	CHECK(e == 0 && m->has_cpu && m->cpu.usage_usec == 5000 && m->cpu.user_usec == 3000 &&
	          m->cpu.system_usec == 2000,
	      "fake v2: cpu.stat");
	CHECK(m->has_memory && m->memory.anon == 4096 && m->memory.file == 8192 &&
	          m->memory.pgfault == 77 && m->memory.thp_collapse_alloc == 2 &&
	          m->memory.workingset_refault == 0 && m->memory.usage == 12288 &&
	          m->memory.usage_limit == UINT64_MAX && m->memory.swap_usage == 0 &&
	          m->memory.swap_limit == UINT64_MAX,
	      "fake v2: memory.stat and memory.current/max/swap (\"max\" = UINT64_MAX)");
	CHECK(m->has_pids && m->pids.current == 2 && m->pids.limit == UINT64_MAX, "fake v2: pids");
	CHECK(m->has_io && m->nio == 2 && m->io[0].major == 8 && m->io[0].wios == 4 &&
	          m->io[1].major == 259 && m->io[1].minor == 1 && m->io[1].rbytes == 10,
	      "fake v2: io.stat");
	CHECK(m->nhugetlb == 2 && strcmp(m->hugetlb[0].pagesize, "1GB") == 0 &&
	          m->hugetlb[0].max == 1073741824 && strcmp(m->hugetlb[1].pagesize, "2MB") == 0 &&
	          m->hugetlb[1].max == UINT64_MAX,
	      "fake v2: hugetlb (rsvd and events files ignored)");
	CHECK(m->has_memory_events && m->memory_events.oom_kill == 1 && m->memory_events.max == 1,
	      "fake v2: memory.events");
	e = cg_stats(cg, buf, sizeof(buf), &len, &url);
	CHECK(e == 0 && strcmp(url, "io.containerd.cgroups.v2.Metrics") == 0 &&
	          mt_v2_decode(buf, len, m) == 0 && m->memory.usage == 12288,
	      "fake v2: cg_stats, type_url v2");
	struct mt_v1 *m1 = malloc(sizeof(*m1));
	CHECK(m1 && cg_read_v1(cg, m1) == -EINVAL, "fake v2: cg_read_v1 refused with EINVAL");
	free(m1);

	/* The OOM watch: the baseline is oom_kill 1; inotify on memory.events drives it. */
	ooms = 0;
	e = cg_oom_watch(cg, on_oom, &ooms);
	CHECK(e == 0 && cg_oom_watching(cg), "fake v2: watch armed");
	run_loop(50);
	CHECK(ooms == 0, "fake v2: a kill before the watch is not reported");
	put(d, "memory.events", "low 0\nhigh 0\nmax 2\noom 2\noom_kill 2\n");
	run_loop(2000);
	CHECK(ooms == 1, "fake v2: oom_kill 1 -> 2 reported once by the loop (%d)", ooms);
	put(d, "memory.events", "low 0\nhigh 0\nmax 4\noom 4\noom_kill 4\n");
	e = cg_oom_poll(cg);
	CHECK(e == 2 && ooms == 3, "fake v2: poll reports the 2 new kills at once (%d)", e);
	run_loop(100);
	CHECK(ooms == 3, "fake v2: the loop does not report them again");
	put(d, "memory.events", "low 0\nhigh 0\nmax 5\noom 4\noom_kill 4\n");
	run_loop(100);
	CHECK(ooms == 3, "fake v2: a change without a kill reports nothing");
	rm_tree(d);
	run_loop(500);
	CHECK(ooms == 3 && !cg_oom_watching(cg), "fake v2: cgroup removed: the watch stops itself");
	CHECK(cg_stats(cg, buf, sizeof(buf), &len, &url) == -ENOENT && cg_oom_poll(cg) == 0,
	      "fake v2: removed -> ENOENT, poll 0");
	cg_close(cg);
	free(m);
}

/* ---- this process ---- */

static int host_unified(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && (unsigned long)st.f_type == 0x63677270UL;
}

static void own_cgroup(void)
{
	struct cg *cg = NULL;
	uint8_t buf[16384];
	size_t len = 0;
	const char *url = NULL;
	volatile uint64_t spin = 0;
	int e;

	for (uint64_t i = 0; i < 20000000; i++)
		spin += i;
	e = cg_open(&cg, getpid());
	CHECK(e == 0, "own cgroup: cg_open(getpid()) = %d", e);
	if (e < 0)
		return;
	CHECK(cg_version(cg) == (host_unified() ? 2 : 1), "own cgroup: version %d matches the host",
	      cg_version(cg));
	e = cg_stats(cg, buf, sizeof(buf), &len, &url);
	CHECK(e == 0 && len > 0, "own cgroup: cg_stats %d, %zu bytes of %s", e, len, url);
	if (cg_version(cg) == 1) {
		struct mt_v1 *m = malloc(sizeof(*m));
		if (!m)
			abort();
		e = mt_v1_decode(buf, len, m);
		printf("# v1: memory %s, cpuacct %s\n", cg_path(cg, "memory"),
		       cg_path(cg, "cpuacct"));
		printf("# memory usage %llu limit %llu, cpu total %llu user %llu kernel %llu, "
		       "%u cpus, pids %llu\n",
		       (unsigned long long)m->memory.usage.usage,
		       (unsigned long long)m->memory.usage.limit, (unsigned long long)m->cpu.total,
		       (unsigned long long)m->cpu.user, (unsigned long long)m->cpu.kernel,
		       m->cpu.nper_cpu, (unsigned long long)m->pids.current);
		CHECK(e == 0 && strcmp(url, MT_V1_TYPE_URL) == 0, "own cgroup: v1 Metrics decode");
		CHECK(m->has_memory && m->memory.usage.usage > 0 && m->memory.usage.limit > 0 &&
		          m->memory.cache + m->memory.rss > 0,
		      "own cgroup: memory usage > 0");
		CHECK(m->has_cpu && m->cpu.total > 0 && m->cpu.nper_cpu > 0 &&
		          m->cpu.user + m->cpu.kernel > 0,
		      "own cgroup: cpu usage > 0");
		CHECK(m->has_oom, "own cgroup: memory_oom_control present");
		free(m);
	} else {
		struct mt_v2 *m = malloc(sizeof(*m));
		if (!m)
			abort();
		e = mt_v2_decode(buf, len, m);
		printf("# v2: %s: memory %llu, cpu %llu us, pids %llu\n", cg_path(cg, NULL),
		       (unsigned long long)m->memory.usage, (unsigned long long)m->cpu.usage_usec,
		       (unsigned long long)m->pids.current);
		CHECK(e == 0 && strcmp(url, MT_V2_TYPE_URL) == 0, "own cgroup: v2 Metrics decode");
		CHECK(!m->has_memory || m->memory.usage > 0, "own cgroup: memory usage > 0");
		CHECK(m->has_cpu && m->cpu.usage_usec > 0, "own cgroup: cpu usage > 0");
		free(m);
	}
	CHECK(cg_stats(cg, buf, 4, &len, &url) == -ENOSPC, "own cgroup: 4-byte buffer -> ENOSPC");
	cg_close(cg);
	CHECK(cg_open(&cg, 999999999) == -ENOENT && cg == NULL, "cg_open of no process -> ENOENT");
}

/* ---- a real OOM kill ---- */

/* A child that waits for a byte on *go, then allocates and touches 256 MiB. */
static pid_t hog(int *go)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		for (int i = 0; i < 256; i++) {
			char *b = malloc(1 << 20);
			if (!b)
				_exit(3);
			memset(b, i, 1 << 20);
		}
		_exit(0);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

static int move_to(const char *dir, pid_t pid)
{
	return put(dir, "cgroup.procs", "%d\n", (int)pid);
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static int rmdir_retry(const char *dir)
{
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		usleep(10000);
	}
	return -errno;
}

/* Creates dir with an 8 MiB limit: 1 if done, 0 to skip, -errno on failure. */
static int make_limited(const char *dir, int v2)
{
	int e;
	if (mkdir(dir, 0755) < 0)
		return -errno;
	if (v2) {
		e = put(dir, "memory.max", "8388608\n");
		char p[PATH_MAX];
		pathf(p, "%s/memory.swap.max", dir);
		if (e == 0 && access(p, F_OK) == 0)
			e = put(dir, "memory.swap.max", "0\n");
	} else {
		e = put(dir, "memory.limit_in_bytes", "8388608\n");
		char p[PATH_MAX];
		pathf(p, "%s/memory.memsw.limit_in_bytes", dir);
		if (e == 0 && access(p, F_OK) == 0)
			e = put(dir, "memory.memsw.limit_in_bytes", "8388608\n");
	}
	return e < 0 ? e : 1;
}

static void real_oom(const char *mnt, int v2)
{
	char dir[PATH_MAX];
	struct cg *cg = NULL;
	int go, st, e;
	pid_t pid;
	uint64_t t0;

	pathf(dir, "%s/shimbox-m_cgroup-%d", mnt, (int)getpid());
	e = make_limited(dir, v2);
	CHECK(e == 1, "real v%d: %s with an 8 MiB limit (%d)", v2 ? 2 : 1, dir, e);
	if (e != 1) {
		rmdir(dir);
		return;
	}

	/* 1. The loop-driven watch reports the kill. */
	pid = hog(&go);
	e = pid > 0 ? move_to(dir, pid) : -1;
	CHECK(e == 0, "real: child %d moved into the cgroup", (int)pid);
	e = cg_open(&cg, pid);
	const char *got = e == 0 ? cg_path(cg, v2 ? NULL : "memory") : NULL;
	CHECK(got && strcmp(got, dir) == 0, "real: cg_open(child) finds %s", got ? got : "-");
	ooms = 0;
	e = e == 0 ? cg_oom_watch(cg, on_oom, &ooms) : e;
	CHECK(e == 0 && cg_oom_watching(cg), "real: OOM watch armed (%d)", e);
	t0 = (uint64_t)time(NULL);
	if (write(go, "x", 1) != 1)
		printf("# write to the child failed\n");
	close(go);
	run_loop(5000);
	st = reap(pid);
	CHECK(ooms == 1, "real: the loop reported the OOM (%d) in ~%llus", ooms,
	      (unsigned long long)((uint64_t)time(NULL) - t0));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "real: the child was OOM-killed (%#x)",
	      st);
	CHECK(cg_oom_poll(cg) == 0 && ooms == 1, "real: poll after the loop: nothing new");
	cg_close(cg);
	cg = NULL;

	/* 2. The init process exits before the loop runs: poll reports the kill, once. */
	pid = hog(&go);
	e = pid > 0 ? move_to(dir, pid) : -1;
	e = e == 0 ? cg_open(&cg, pid) : e;
	ooms = 0;
	e = e == 0 ? cg_oom_watch(cg, on_oom, &ooms) : e;
	CHECK(e == 0, "real: second child, new watch (baseline: one kill already counted)");
	if (write(go, "x", 1) != 1)
		printf("# write to the child failed\n");
	close(go);
	st = reap(pid);
	e = cg && WIFSIGNALED(st) ? cg_oom_poll(cg) : -1;
	CHECK(e == 1 && ooms == 1, "real: exit seen first: cg_oom_poll reports 1 (%d, %d)", e,
	      ooms);
	run_loop(300);
	CHECK(ooms == 1, "real: the loop does not report it again (%d)", ooms);

	/* 3. Removing the cgroup stops the watch without a report. */
	e = rmdir_retry(dir);
	CHECK(e == 0, "real: cgroup removed (%d)", e);
	run_loop(300);
	CHECK(ooms == 1 && cg && !cg_oom_watching(cg), "real: removal: no report, watch stopped");
	if (cg) {
		uint8_t buf[4096];
		size_t len;
		const char *url;
		CHECK(cg_stats(cg, buf, sizeof(buf), &len, &url) == -ENOENT,
		      "real: stats of the removed cgroup -> ENOENT");
	}
	cg_close(cg);
	rmdir(dir);
}

static void real(void)
{
	static char mi[1 << 20];
	char path[PATH_MAX], mnt[PATH_MAX], root[PATH_MAX];
	int fd, n, unified = host_unified(), ran = 0;

	/* A real OOM needs root; CI and make check run as root, so not being root is a failure. */
	if (geteuid() != 0) {
		CHECK(0, "real OOM: needs root");
		return;
	}
	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	n = 0;
	while (fd >= 0 && (size_t)n < sizeof(mi) - 1) {
		int r = (int)read(fd, mi + n, sizeof(mi) - 1 - (size_t)n);
		if (r <= 0)
			break;
		n += r;
	}
	if (fd >= 0)
		close(fd);
	mi[n > 0 ? n : 0] = 0;

	if (!unified &&
	    kf_cgroup_mount(mi, "memory", mnt, sizeof(mnt), root, sizeof(root)) == 0) {
		real_oom(mnt, 0);
		ran++;
	} else if (!unified) {
		printf("# real v1 OOM: not run, no v1 memory hierarchy\n");
	}

	/* v2: under the cgroup2 mount if memory is delegated to its children already. */
	if (kf_cgroup_mount(mi, NULL, mnt, sizeof(mnt), root, sizeof(root)) == 0) {
		char sub[256] = "";
		pathf(path, "%s/cgroup.subtree_control", mnt);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : (int)read(fd, sub, sizeof(sub) - 1);
		if (fd >= 0)
			close(fd);
		sub[n > 0 ? n : 0] = 0;
		if (strstr(sub, "memory")) {
			real_oom(mnt, 1);
			ran++;
		} else {
			printf("# real v2 OOM: not run, %s does not delegate memory\n", mnt);
		}
	}
	CHECK(ran > 0, "a real OOM was provoked and reported on this host's cgroups (%d)", ran);
}

int main(void)
{
	char top[] = "/tmp/shimbox-m_cgroup.XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (loop_init() < 0) {
		printf("not ok - loop_init\n");
		return 1;
	}
	open_text();
	if (mkdtemp(top)) {
		char d[PATH_MAX];
		pathf(d, "%s/v1", top);
		mkdir(d, 0755);
		fake_v1(d);
		pathf(d, "%s/v2", top);
		mkdir(d, 0755);
		fake_v2(d);
		rm_tree(top);
	} else {
		CHECK(0, "mkdtemp");
	}
	own_cgroup();
	real();
	return tap_done();
}
