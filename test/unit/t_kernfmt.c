/* SPDX-License-Identifier: MIT */
/*
 * wire/kernfmt: every parser on text copied from a host with the hybrid v1 layout plus the
 * unified mount (mountinfo, /proc/self/cgroup, /proc/partitions, cgroup files), and on crafted
 * text: escaped mount points, optional fields, lines cut short, values at and past 2^64-1, full
 * arrays; then every prefix of the real texts in a buffer of exactly its size (ASan catches a
 * read past it).
 */
#include "wire/kernfmt.h"
#include "cgroup_samples.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- real text, copied verbatim (long lines split between literals) ---- */

/* cat /proc/self/mountinfo (a container rootfs of an e2e run included) */
static const char host_mountinfo[] =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs "
    "rw,size=12334096k,nr_inodes=3083524,mode=755\n"
    "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683568k\n"
    "26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda "
    "rw,discard,resv_strict,resuid=65534,resgid=65534\n"
    "28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs "
    "model_tools_unavailable ro,size=4k,mode=755\n"
    "29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
    "30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683568k\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "47 27 0:40 / "
    "/tmp/sbx.PLRI/state/io.containerd.runtime.v2.task/sbx-PLRI-12/bounds/rootfs rw,relatime "
    "- overlay overlay "
    "rw,lowerdir=/tmp/sbx.PLRI/root/io.containerd.snapshotter.v1.overlayfs/snapshots/68/fs,"
    "upperdir=/tmp/sbx.PLRI/root/io.containerd.snapshotter.v1.overlayfs/snapshots/69/fs,"
    "workdir=/tmp/sbx.PLRI/root/io.containerd.snapshotter.v1.overlayfs/snapshots/69/work\n";

/* cat /proc/self/cgroup */
static const char host_cgroup[] = "9:name=systemd:/\n"
                                  "8:pids:/\n"
                                  "7:blkio:/\n"
                                  "6:freezer:/\n"
                                  "5:devices:/\n"
                                  "4:memory:/process_api/77424a2a3f77e3dd499a13c1c4e2d4c3\n"
                                  "3:cpuset:/\n"
                                  "2:cpuacct:/\n"
                                  "1:cpu:/\n"
                                  "0::/\n";

/* cat /proc/partitions */
static const char host_partitions[] = "major minor  #blocks  name\n"
                                      "\n"
                                      " 254        0  268435456 vda\n";

/* /sys/fs/cgroup/memory/<our cgroup>/memory.stat */
static const char host_memory_stat[] = "cache 740376576\n"
                                       "rss 2125824\n"
                                       "rss_huge 0\n"
                                       "shmem 0\n"
                                       "mapped_file 303104\n"
                                       "dirty 290816\n"
                                       "writeback 0\n"
                                       "workingset_refault_anon 0\n"
                                       "workingset_refault_file 129050\n"
                                       "swap 0\n"
                                       "swapcached 0\n"
                                       "pgpgin 6641741\n"
                                       "pgpgout 6496438\n"
                                       "pgfault 8568734\n"
                                       "pgmajfault 400\n"
                                       "inactive_anon 1986560\n"
                                       "active_anon 12288\n"
                                       "inactive_file 453939200\n"
                                       "active_file 286437376\n"
                                       "unevictable 0\n"
                                       "hierarchical_memory_limit 9223372036854771712\n"
                                       "hierarchical_memsw_limit 9223372036854771712\n"
                                       "total_cache 740376576\n"
                                       "total_rss 2125824\n"
                                       "total_rss_huge 0\n"
                                       "total_shmem 0\n"
                                       "total_mapped_file 303104\n"
                                       "total_dirty 290816\n"
                                       "total_writeback 0\n"
                                       "total_workingset_refault_anon 0\n"
                                       "total_workingset_refault_file 129050\n"
                                       "total_swap 0\n"
                                       "total_swapcached 0\n"
                                       "total_pgpgin 6641741\n"
                                       "total_pgpgout 6496438\n"
                                       "total_pgfault 8568734\n"
                                       "total_pgmajfault 400\n"
                                       "total_inactive_anon 1986560\n"
                                       "total_active_anon 12288\n"
                                       "total_inactive_file 453939200\n"
                                       "total_active_file 286437376\n"
                                       "total_unevictable 0\n";

/* the same cgroup's memory.oom_control */
static const char host_oom_control[] = "oom_kill_disable 0\n"
                                       "under_oom 0\n"
                                       "oom_kill 0\n";

/* /sys/fs/cgroup/cpu/cpu.stat */
static const char host_v1_cpu_stat[] = "nr_periods 0\n"
                                       "nr_throttled 0\n"
                                       "throttled_time 0\n"
                                       "nr_bursts 0\n"
                                       "burst_time 0\n";

/* /sys/fs/cgroup/cpuacct/cpuacct.stat */
static const char host_cpuacct_stat[] = "user 1576259\n"
                                        "system 581063\n";

/* /sys/fs/cgroup/cpuacct/cpuacct.usage_percpu (2 CPUs, a trailing blank) */
static const char host_usage_percpu[] = "10557518582919 11015719004287 \n";

/* /sys/fs/cgroup/unified/cpu.stat (the root: no cpu controller, so no nr_periods) */
static const char host_v2_cpu_stat[] = "usage_usec 21132056138\n"
                                       "user_usec 15440245886\n"
                                       "system_usec 5691810251\n"
                                       "nice_usec 10555648733\n";

/* cgroup.events of a fresh child of /sys/fs/cgroup/unified */
static const char host_cgroup_events[] = "populated 0\n"
                                         "frozen 0\n";

/* blkio.throttle.io_service_bytes of a child of /sys/fs/cgroup/blkio with a throttle rule on 254:0,
 * after dd with O_DIRECT wrote and read 4 MiB in it */
static const char host_blkio_bytes[] = "254:0 Read 4378624\n"
                                       "254:0 Write 4468736\n"
                                       "254:0 Sync 8847360\n"
                                       "254:0 Async 0\n"
                                       "254:0 Discard 0\n"
                                       "254:0 Total 8847360\n"
                                       "Total 8847360\n";

/* its blkio.throttle.io_serviced */
static const char host_blkio_serviced[] = "254:0 Read 101\n"
                                          "254:0 Write 196\n"
                                          "254:0 Sync 297\n"
                                          "254:0 Async 0\n"
                                          "254:0 Discard 0\n"
                                          "254:0 Total 297\n"
                                          "Total 297\n";

/* the same files of the blkio root: nothing but the total */
static const char host_blkio_empty[] = "Total 0\n";

/* ---- crafted text ---- */

/* proc_hybrid, mountinfo_hybrid: cgroup_samples.h */

/* ---- helpers ---- */

static int span_is(const char *s, size_t n, const char *want)
{
	return s && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* The line of text that starts with prefix (its '\n' excluded), for kf_mountinfo_line. */
static const char *line_of(const char *text, const char *prefix, const char **end)
{
	for (const char *p = text, *e, *next; p && *p; p = next) {
		next = kf_line_next(p, &e);
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			*end = e;
			return p;
		}
	}
	*end = NULL;
	return NULL;
}

static int mi_line(const char *line, struct kf_mount *m)
{
	return kf_mountinfo_line(line, line + strlen(line), m);
}

/* ---- lines, tokens, values ---- */

static void test_lines(void)
{
	const char *e, *next;
	int n = 0, last_empty = 0;

	next = kf_line_next("ab\ncd", &e);
	CHECK(next && *next == 'c' && e && *e == '\n' && e - next == -1, "line_next: first line");
	next = kf_line_next("cd", &e);
	CHECK(next == NULL && *e == 0 && e[-1] == 'd', "line_next: the last line, no newline");
	next = kf_line_next("cd\n", &e);
	CHECK(next && *next == 0, "line_next: after a final newline, an empty line");
	for (const char *p = host_mountinfo; p && *p; p = next) {
		next = kf_line_next(p, &e);
		n++;
		last_empty = next && !*next;
	}
	CHECK(n == 21 && last_empty, "line_next: 21 lines in the host's mountinfo (%d)", n);
}

static void test_tokens(void)
{
	const char *tok[4], *s = " 254        0  268435456 vda";
	size_t len[4];
	int n;

	n = kf_tokens(s, s + strlen(s), " \t", tok, len, 4);
	CHECK(n == 4 && span_is(tok[0], len[0], "254") && span_is(tok[1], len[1], "0") &&
	          span_is(tok[2], len[2], "268435456") && span_is(tok[3], len[3], "vda"),
	      "tokens: a /proc/partitions line, runs of blanks count as one");
	n = kf_tokens(s, s + strlen(s), " \t", tok, len, 2);
	CHECK(n == 2 && span_is(tok[1], len[1], "0"), "tokens: at most max");
	s = "254:0 Read\t4378624";
	n = kf_tokens(s, s + strlen(s), " :\t", tok, len, 4);
	CHECK(n == 4 && span_is(tok[1], len[1], "0") && span_is(tok[3], len[3], "4378624"),
	      "tokens: several separators (blkio)");
	s = " \t \t";
	CHECK(kf_tokens(s, s + strlen(s), " \t", tok, len, 4) == 0 &&
	          kf_tokens(s, s, " ", tok, len, 4) == 0,
	      "tokens: only separators, or an empty span: none");
	s = "a b c";
	n = kf_tokens(s, s + 3, " ", tok, len, 4);
	CHECK(n == 2 && span_is(tok[1], len[1], "b"), "tokens: the span's end is respected");
}

/* kf_value on a C string; *v is preset to 77 so that "untouched" shows. */
static int val(const char *s, uint64_t max_value, uint64_t *v)
{
	*v = 77;
	return kf_value(s, s + strlen(s), max_value, v);
}

static void test_values(void)
{
	uint64_t v;

	CHECK(val("0", 0, &v) == 0 && v == 0, "value: 0");
	CHECK(val("9223372036854771712\n", 0, &v) == 0 && v == 9223372036854771712ull,
	      "value: the host's memory.limit_in_bytes (%llu)", (unsigned long long)v);
	CHECK(val("18446744073709551614", 0, &v) == 0 && v == UINT64_MAX - 1,
	      "value: 2^64-2 is itself");
	CHECK(val("18446744073709551615", 0, &v) == 0 && v == UINT64_MAX, "value: 2^64-1 exactly");
	CHECK(val("18446744073709551616", 0, &v) == 0 && v == UINT64_MAX, "value: 2^64 saturates");
	CHECK(val("99999999999999999999999999", 0, &v) == 0 && v == UINT64_MAX,
	      "value: far past 2^64 saturates");
	CHECK(val("max", 0, &v) == 0 && v == 0, "value: max as 0 (v1 pids.max)");
	CHECK(val("max\n", UINT64_MAX, &v) == 0 && v == UINT64_MAX, "value: max as 2^64-1 (v2)");
	CHECK(val("max", 7, &v) == 0 && v == 7, "value: max is whatever the caller says");
	CHECK(val(" \t42 \t\n", 0, &v) == 0 && v == 42, "value: blanks around it");
	CHECK(val("-5", 0, &v) == 0 && v == 0, "value: negative is 0 (cpu.cfs_quota_us of -1)");
	CHECK(val("-", 0, &v) == -EINVAL && v == 77, "value: a sign alone is -EINVAL, v untouched");
	CHECK(val("", 0, &v) == -EINVAL && val(" \n", 0, &v) == -EINVAL && v == 77,
	      "value: empty is -EINVAL");
	CHECK(val("4x2", 0, &v) == -EINVAL && val("+1", 0, &v) == -EINVAL &&
	          val("1 2", 0, &v) == -EINVAL && v == 77,
	      "value: a non-digit inside is -EINVAL");
	CHECK(val("maxi", 0, &v) == -EINVAL && val("MAX", 0, &v) == -EINVAL, "value: only \"max\"");
	const char *s = "12345";
	CHECK(kf_value(s, s + 3, 0, &v) == 0 && v == 123, "value: the span's end is respected");
}

static void test_value_list(void)
{
	uint64_t out[4] = { 0 };
	const char *s = host_usage_percpu;
	uint32_t n;

	n = kf_value_list(s, s + strlen(s), 0, out, 4);
	CHECK(n == 2 && out[0] == 10557518582919ull && out[1] == 11015719004287ull,
	      "value_list: the host's cpuacct.usage_percpu (%u)", n);
	out[1] = 5;
	n = kf_value_list(s, s + strlen(s), 0, out, 1);
	CHECK(n == 1 && out[1] == 5, "value_list: at most max, nothing written past it");
	s = "1 2\nx 3";
	n = kf_value_list(s, s + strlen(s), 0, out, 4);
	CHECK(n == 2 && out[1] == 2, "value_list: stops before the first non-value");
	s = " \n";
	CHECK(kf_value_list(s, s + strlen(s), 0, out, 4) == 0, "value_list: blank text: none");
}

static void test_kv(void)
{
	struct mt_v1_memory mem;
	struct mt_v1_cpu cpu;
	struct mt_v2_cpu c2;
	uint64_t v;
	int hits;

	memset(&mem, 0xaa, sizeof(mem));
	hits = kf_kv_fill(host_memory_stat, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, &mem);
	CHECK(hits == 32 && mem.cache == 740376576 && mem.rss == 2125824 && mem.rss_huge == 0 &&
	          mem.pg_pg_in == 6641741 && mem.pg_maj_fault == 400 &&
	          mem.hierarchical_swap_limit == 9223372036854771712ull &&
	          mem.total_active_file == 286437376 && mem.total_unevictable == 0,
	      "kv_fill: the host's v1 memory.stat, all 32 keys, renamed ones too (%d)", hits);
	CHECK(mem.usage.usage == 0xaaaaaaaaaaaaaaaaull,
	      "kv_fill: fields the table does not name are untouched");
	memset(&cpu, 0xaa, sizeof(cpu));
	hits = kf_kv_fill(host_v1_cpu_stat, mt_v1_throttle_fields, MT_V1_THROTTLE_NFIELDS, &cpu);
	CHECK(hits == 3 && cpu.periods == 0 && cpu.throttled_periods == 0 &&
	          cpu.throttled_time == 0 && cpu.total == 0xaaaaaaaaaaaaaaaaull,
	      "kv_fill: the host's v1 cpu.stat; nr_bursts and burst_time ignored (%d)", hits);
	memset(&c2, 0xaa, sizeof(c2));
	hits = kf_kv_fill(host_v2_cpu_stat, mt_v2_cpu_fields, MT_V2_CPU_NFIELDS, &c2);
	CHECK(hits == 3 && c2.usage_usec == 21132056138ull && c2.user_usec == 15440245886ull &&
	          c2.system_usec == 5691810251ull && c2.nr_periods == 0xaaaaaaaaaaaaaaaaull,
	      "kv_fill: the host's v2 cpu.stat; nice_usec ignored, nr_periods absent (%d)", hits);

	CHECK(kf_kv_get(host_cpuacct_stat, "user", &v) == 0 && v == 1576259 &&
	          kf_kv_get(host_cpuacct_stat, "system", &v) == 0 && v == 581063,
	      "kv_get: cpuacct.stat");
	v = 9;
	CHECK(kf_kv_get(host_oom_control, "oom_kill", &v) == 0 && v == 0,
	      "kv_get: oom_kill of memory.oom_control, not oom_kill_disable");
	CHECK(kf_kv_get(host_oom_control, "oom", &v) == -ENOENT &&
	          kf_kv_get(host_oom_control, "under", &v) == -ENOENT,
	      "kv_get: a prefix of a key is not the key");
	CHECK(kf_kv_get(host_cgroup_events, "populated", &v) == 0 && v == 0 &&
	          kf_kv_get(host_cgroup_events, "frozen", &v) == 0,
	      "kv_get: cgroup.events");
	static const char events[] = "low 0\nhigh 0\nmax 1\noom 2\noom_kill 3\noom_group_kill 4\n";
	CHECK(kf_kv_get(events, "oom", &v) == 0 && v == 2 &&
	          kf_kv_get(events, "oom_kill", &v) == 0 && v == 3 &&
	          kf_kv_get(events, "max", &v) == 0 && v == 1,
	      "kv_get: v2 memory.events, the key \"max\" is a key");
	CHECK(kf_kv_get("b\na 1 2\n", "b", &v) == -ENOENT &&
	          kf_kv_get("b\na 1 2\n", "a", &v) == 0 && v == 1,
	      "kv_get: a line of one token is skipped; of three, the third is ignored");
	CHECK(kf_kv_get("a x\na 5\n", "a", &v) == 0 && v == 5, "kv_get: a bad value is skipped");
	CHECK(kf_kv_get("a 1\na 2\n", "a", &v) == 0 && v == 2, "kv_get: the last of duplicates");
	CHECK(kf_kv_get("a\tmax\n", "a", &v) == 0 && v == UINT64_MAX, "kv_get: tab, \"max\"");
	CHECK(kf_kv_get("", "a", &v) == -ENOENT, "kv_get: empty text");
}

/* ---- mountinfo ---- */

static void test_unescape(void)
{
	char b[64];
	const char *s;

	s = "/mnt/my\\040cg\\134x";
	CHECK(kf_unescape(b, sizeof(b), s, strlen(s)) == 0 && strcmp(b, "/mnt/my cg\\x") == 0,
	      "unescape: \\040 is a space, \\134 a backslash (%s)", b);
	s = "a\\011b\\012c\\377";
	CHECK(kf_unescape(b, sizeof(b), s, strlen(s)) == 0 && strcmp(b, "a\tb\nc\377") == 0,
	      "unescape: tab, newline, \\377");
	s = "\\400\\08\\x";
	CHECK(kf_unescape(b, sizeof(b), s, strlen(s)) == 0 && strcmp(b, s) == 0,
	      "unescape: not three octal digits up to \\377: kept as it is (%s)", b);
	s = "ab\\04";
	CHECK(kf_unescape(b, sizeof(b), s, strlen(s)) == 0 && strcmp(b, s) == 0,
	      "unescape: an escape cut by the field's end is kept");
	s = "x\\040y";
	CHECK(kf_unescape(b, sizeof(b), s, 4) == 0 && strcmp(b, "x\\04") == 0,
	      "unescape: n bounds the escape, not the NUL");
	s = "abc";
	CHECK(kf_unescape(b, 4, s, 3) == 0 && strcmp(b, "abc") == 0, "unescape: exactly fits");
	CHECK(kf_unescape(b, 3, s, 3) == -ENAMETOOLONG, "unescape: one short: ENAMETOOLONG");
	s = "\\040\\040";
	CHECK(kf_unescape(b, 3, s, strlen(s)) == 0 && strcmp(b, "  ") == 0,
	      "unescape: the decoded length is what must fit");
	CHECK(kf_unescape(b, 0, "", 0) == -ENAMETOOLONG && kf_unescape(b, 1, "", 0) == 0 && !b[0],
	      "unescape: empty field; no room even for the NUL");
}

static void test_mountinfo_line(void)
{
	struct kf_mount m;
	const char *l, *e;

	l = line_of(host_mountinfo, "27 1 254:0", &e);
	CHECK(l && kf_mountinfo_line(l, e, &m) == 0 && span_is(m.root, m.root_n, "/") &&
	          span_is(m.point, m.point_n, "/") && span_is(m.fstype, m.fstype_n, "ext4") &&
	          span_is(m.source, m.source_n, "/dev/vda") &&
	          span_is(m.super, m.super_n, "rw,discard,resv_strict,resuid=65534,resgid=65534"),
	      "mountinfo_line: the host's root filesystem");
	l = line_of(host_mountinfo, "47 27", &e);
	CHECK(l && kf_mountinfo_line(l, e, &m) == 0 &&
	          span_is(m.point, m.point_n,
	                  "/tmp/sbx.PLRI/state/io.containerd.runtime.v2.task/sbx-PLRI-12/bounds/"
	                  "rootfs") &&
	          span_is(m.fstype, m.fstype_n, "overlay") && m.super_n > 200 &&
	          m.super + m.super_n == e,
	      "mountinfo_line: a container's overlay rootfs, its super options to the line's end");
	CHECK(mi_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 propagate_from:2 "
	              "unbindable - ext3 /dev/root rw,errors=continue",
	              &m) == 0 &&
	          span_is(m.root, m.root_n, "/mnt1") && span_is(m.point, m.point_n, "/mnt2") &&
	          span_is(m.fstype, m.fstype_n, "ext3") &&
	          span_is(m.source, m.source_n, "/dev/root") &&
	          span_is(m.super, m.super_n, "rw,errors=continue"),
	      "mountinfo_line: four optional fields");
	CHECK(mi_line("61 25 0:52 /my\\040dir /mnt/a\\040b\\011c rw shared:3 - tmpfs my\\040src rw",
	              &m) == 0 &&
	          span_is(m.root, m.root_n, "/my\\040dir") &&
	          span_is(m.point, m.point_n, "/mnt/a\\040b\\011c") &&
	          span_is(m.source, m.source_n, "my\\040src"),
	      "mountinfo_line: escaped spaces and tabs stay in one field, still escaped");
	CHECK(mi_line("1 2 0:1 - /x rw shared:1 - tmpfs none rw", &m) == 0 &&
	          span_is(m.root, m.root_n, "-") && span_is(m.fstype, m.fstype_n, "tmpfs"),
	      "mountinfo_line: a \"-\" among the six fixed fields is not the separator");
	CHECK(mi_line("1 2 0:1 / /x rw -:1 - tmpfs none rw", &m) == 0 &&
	          span_is(m.fstype, m.fstype_n, "tmpfs"),
	      "mountinfo_line: only a lone \"-\" is the separator");
	CHECK(mi_line("36 35 98:0 /mnt1 /mnt2 rw master:1 - ext3 /dev/root", &m) == 0 &&
	          span_is(m.point, m.point_n, "/mnt2") && !m.fstype && !m.source && !m.super &&
	          m.fstype_n == 0,
	      "mountinfo_line: cut before the super options: point only");
	CHECK(mi_line("36 35 98:0 /mnt1 /mnt2 rw master:1 -", &m) == 0 && !m.fstype &&
	          mi_line("36 35 98:0 /mnt1 /mnt2 rw master:1", &m) == 0 && !m.fstype &&
	          mi_line("36 35 98:0 /mnt1 /mnt2", &m) == 0 && !m.fstype &&
	          span_is(m.point, m.point_n, "/mnt2"),
	      "mountinfo_line: cut at the separator, in the optional fields, before the options");
	CHECK(mi_line("36 35 98:0 /mnt1", &m) == -EINVAL && mi_line("", &m) == -EINVAL &&
	          mi_line("    ", &m) == -EINVAL,
	      "mountinfo_line: fewer than five fields: EINVAL");
	l = "1 2 0:1 / /x rw - tmpfs none rw\n3 4 0:2 / /y rw - ext4 sda rw";
	CHECK(kf_mountinfo_line(l, strchr(l, '\n'), &m) == 0 && span_is(m.super, m.super_n, "rw"),
	      "mountinfo_line: the span's end is the line's");
}

static void test_mountinfo_has(void)
{
	CHECK(
	    kf_mountinfo_has(host_mountinfo,
	                     "/tmp/sbx.PLRI/state/io.containerd.runtime.v2.task/sbx-PLRI-12/bounds/"
	                     "rootfs") == 1,
	    "mountinfo_has: a container rootfs on the host");
	CHECK(kf_mountinfo_has(host_mountinfo, "/proc") == 1 &&
	          kf_mountinfo_has(host_mountinfo, "/sys/fs/cgroup/unified") == 1 &&
	          kf_mountinfo_has(host_mountinfo, "/") == 1,
	      "mountinfo_has: the first line and others");
	CHECK(kf_mountinfo_has(host_mountinfo, "/sys/fs/cgroup/unifie") == 0 &&
	          kf_mountinfo_has(host_mountinfo, "/sys/fs/cgroup/unified/") == 0 &&
	          kf_mountinfo_has(host_mountinfo, "/sys/fs") == 0,
	      "mountinfo_has: a prefix or an extension of a mount point is not one");
	CHECK(kf_mountinfo_has(host_mountinfo, "/dev/vda") == 0 &&
	          kf_mountinfo_has(host_mountinfo, "rw,relatime") == 0,
	      "mountinfo_has: only field 5 counts (not the source or options)");
	static const char esc[] = "12 1 0:3 / /run/a\\040b\\011c rw - tmpfs t rw\n"
	                          "cut\n"
	                          "13 1 0:4 / /run/back\\134slash rw - tmpfs t rw";
	CHECK(kf_mountinfo_has(esc, "/run/a b\tc") == 1 &&
	          kf_mountinfo_has(esc, "/run/a\\040b\\011c") == 0,
	      "mountinfo_has: compared unescaped");
	CHECK(kf_mountinfo_has(esc, "/run/back\\slash") == 1,
	      "mountinfo_has: after a line cut short, on a last line without newline");
	CHECK(kf_mountinfo_has("", "/") == 0, "mountinfo_has: empty text");
}

static void test_cgroup_mount(void)
{
	char p[1024], r[1024];
	int e;

	e = kf_cgroup_mount(host_mountinfo, "memory", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/memory") == 0 && strcmp(r, "/") == 0,
	      "cgroup_mount: the host's memory (%s)", p);
	e = kf_cgroup_mount(host_mountinfo, "cpu", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/cpu") == 0, "cgroup_mount: the host's cpu (%s)",
	      p);
	e = kf_cgroup_mount(host_mountinfo, "cpuacct", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/cpuacct") == 0,
	      "cgroup_mount: the host's cpuacct, apart from cpu (%s)", p);
	e = kf_cgroup_mount(host_mountinfo, NULL, p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/unified") == 0,
	      "cgroup_mount: the host's cgroup2 (%s)", p);
	CHECK(kf_cgroup_mount(host_mountinfo, "hugetlb", p, sizeof(p), r, sizeof(r)) == -ENOENT &&
	          kf_cgroup_mount(host_mountinfo, "systemd", p, sizeof(p), r, sizeof(r)) == -ENOENT,
	      "cgroup_mount: hugetlb not mounted, and name=systemd is not systemd");
	e = kf_cgroup_mount(host_mountinfo, "name=systemd", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/systemd") == 0, "cgroup_mount: name=systemd");

	e = kf_cgroup_mount(mountinfo_hybrid, "memory", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/memory") == 0 && strcmp(r, "/") == 0,
	      "cgroup_mount: memory under /sys/fs/cgroup wins over an earlier bind mount (%s)", p);
	e = kf_cgroup_mount(mountinfo_hybrid, "cpuacct", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/cpu,cpuacct") == 0,
	      "cgroup_mount: joined cpu,cpuacct (%s)", p);
	e = kf_cgroup_mount(mountinfo_hybrid, "cpu", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/cpu,cpuacct") == 0,
	      "cgroup_mount: cpu is not cpuset (%s)", p);
	e = kf_cgroup_mount(mountinfo_hybrid, NULL, p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/unified") == 0, "cgroup_mount: cgroup2 (%s)", p);
	e = kf_cgroup_mount(mountinfo_hybrid, "hugetlb", p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/sys/fs/cgroup/hugetlb") == 0,
	      "cgroup_mount: last line without a newline");
	CHECK(kf_cgroup_mount(mountinfo_hybrid, "blkio", p, sizeof(p), r, sizeof(r)) == -ENOENT,
	      "cgroup_mount: blkio not mounted -> ENOENT");
	e = kf_cgroup_mount("5 1 0:5 /ns\\040root /mnt/my\\040cg\\134x rw - cgroup2 none rw\n",
	                    NULL, p, sizeof(p), r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/mnt/my cg\\x") == 0 && strcmp(r, "/ns root") == 0,
	      "cgroup_mount: octal escapes decoded (%s, %s)", p, r);
	e = kf_cgroup_mount(mountinfo_hybrid, "memory", p, 21, r, sizeof(r));
	CHECK(e == 0 && strcmp(p, "/var/lib/bind/memory") == 0,
	      "cgroup_mount: a mount point that does not fit is passed over (%s)", p);
	CHECK(kf_cgroup_mount(mountinfo_hybrid, "pids", p, 20, r, sizeof(r)) == 0 &&
	          kf_cgroup_mount(mountinfo_hybrid, "pids", p, 19, r, sizeof(r)) == -ENOENT,
	      "cgroup_mount: the only one just fits; one short: ENOENT");
	CHECK(kf_cgroup_mount("9 1 0:9 /kubepods /x rw - cgroup cgroup rw,memory\n", "memory", p,
	                      sizeof(p), r, 9) == -ENAMETOOLONG,
	      "cgroup_mount: a root that does not fit: ENAMETOOLONG");
	CHECK(kf_cgroup_mount("9 1 0:9 / /other rw - cgroup2 none rw\n"
	                      "9 1 0:9 / /sys/fs/cgroupx rw - cgroup2 none rw\n",
	                      NULL, p, sizeof(p), r, sizeof(r)) == 0 &&
	          strcmp(p, "/other") == 0,
	      "cgroup_mount: /sys/fs/cgroupx is not under /sys/fs/cgroup (%s)", p);
	CHECK(kf_cgroup_mount("9 1 0:9 / /sys/fs/cgroup/memory rw - cgroup2 none rw,memory\n",
	                      "memory", p, sizeof(p), r, sizeof(r)) == -ENOENT &&
	          kf_cgroup_mount("9 1 0:9 / /sys/fs/cgroup rw - cgroup none rw\n", NULL, p,
	                          sizeof(p), r, sizeof(r)) == -ENOENT,
	      "cgroup_mount: v1 wants fstype cgroup, v2 cgroup2");
	CHECK(kf_cgroup_mount("9 1 0:9 / /sys/fs/cgroup/memory rw - cgroup cgroup\n", "memory", p,
	                      sizeof(p), r, sizeof(r)) == -ENOENT,
	      "cgroup_mount: a line cut before the super options is skipped");
}

/* ---- /proc/PID/cgroup, /proc/partitions ---- */

static void test_proc_cgroup(void)
{
	char p[1024];
	int e;

	e = kf_proc_cgroup(host_cgroup, "memory", p, sizeof(p));
	CHECK(e == 45 && strcmp(p, "/process_api/77424a2a3f77e3dd499a13c1c4e2d4c3") == 0,
	      "proc_cgroup: the host's memory (%d %s)", e, p);
	CHECK(kf_proc_cgroup(host_cgroup, "cpu", p, sizeof(p)) == 1 && strcmp(p, "/") == 0 &&
	          kf_proc_cgroup(host_cgroup, NULL, p, sizeof(p)) == 1,
	      "proc_cgroup: the host's cpu and 0::");
	CHECK(kf_proc_cgroup(host_cgroup, "hugetlb", p, sizeof(p)) == -ENOENT &&
	          kf_proc_cgroup(host_cgroup, "systemd", p, sizeof(p)) == -ENOENT &&
	          kf_proc_cgroup(host_cgroup, "name=systemd", p, sizeof(p)) == 1,
	      "proc_cgroup: hugetlb absent; name=systemd only by its whole name");
	CHECK(kf_proc_cgroup(host_cgroup, "cpu", p, 2) == 1 &&
	          kf_proc_cgroup(host_cgroup, "cpu", p, 1) == -ENAMETOOLONG,
	      "proc_cgroup: exactly fits, one short");

	e = kf_proc_cgroup(proc_hybrid, "memory", p, sizeof(p));
	CHECK(e > 0 && strcmp(p, "/default/redis") == 0, "proc_cgroup: memory -> %s", p);
	e = kf_proc_cgroup(proc_hybrid, "cpu", p, sizeof(p));
	CHECK(e > 0 && strcmp(p, "/default/redis") == 0,
	      "proc_cgroup: cpu found in cpu,cpuacct, not in cpuset (%s)", p);
	e = kf_proc_cgroup(proc_hybrid, "cpuacct", p, sizeof(p));
	CHECK(e > 0 && strcmp(p, "/default/redis") == 0, "proc_cgroup: cpuacct");
	e = kf_proc_cgroup(proc_hybrid, "pids", p, sizeof(p));
	CHECK(e > 0 && strcmp(p, "/default/a:b") == 0, "proc_cgroup: a path with a colon (%s)", p);
	e = kf_proc_cgroup(proc_hybrid, NULL, p, sizeof(p));
	CHECK(e > 0 && strcmp(p, "/unified/redis") == 0, "proc_cgroup: the 0:: line (%s)", p);
	CHECK(kf_proc_cgroup(proc_hybrid, "blkio", p, sizeof(p)) == -ENOENT,
	      "proc_cgroup: absent controller -> ENOENT");
	CHECK(kf_proc_cgroup(proc_hybrid, "memory", p, 5) == -ENAMETOOLONG,
	      "proc_cgroup: short buffer -> ENAMETOOLONG");
	CHECK(kf_proc_cgroup("0::/\n", "memory", p, sizeof(p)) == -ENOENT &&
	          kf_proc_cgroup("0::/system.slice/containerd.service\n", NULL, p, sizeof(p)) ==
	              32 &&
	          strcmp(p, "/system.slice/containerd.service") == 0,
	      "proc_cgroup: pure v2 text");
	CHECK(kf_proc_cgroup("no colons\n1:memory\n0::/a\n", "memory", p, sizeof(p)) == -ENOENT &&
	          kf_proc_cgroup("10::/x\n0:memory:/y\n", NULL, p, sizeof(p)) == -ENOENT,
	      "proc_cgroup: lines without two colons skipped; 0:: is hierarchy 0 with no list");
}

static void test_partitions(void)
{
	static const char parts[] = "major minor  #blocks  name\n\n"
	                            " 254        0  268435456 vda\n"
	                            " 254        1     102400 vda1\n"
	                            " 259        0  500107608 nvme0n1\n";
	char p[64];

	CHECK(kf_partition(host_partitions, 254, 0, p, sizeof(p)) == 0 &&
	          strcmp(p, "/dev/vda") == 0,
	      "partition: the host's 254:0 -> %s", p);
	CHECK(kf_partition(host_partitions, 254, 1, p, sizeof(p)) == -ENOENT,
	      "partition: not on the host -> ENOENT");
	CHECK(kf_partition(parts, 259, 0, p, sizeof(p)) == 0 && strcmp(p, "/dev/nvme0n1") == 0,
	      "partition: 259:0 -> %s", p);
	CHECK(kf_partition(parts, 254, 1, p, sizeof(p)) == 0 && strcmp(p, "/dev/vda1") == 0,
	      "partition: 254:1 -> %s", p);
	CHECK(kf_partition(parts, 8, 0, p, sizeof(p)) == -ENOENT,
	      "partition: unknown device -> ENOENT");
	CHECK(kf_partition(host_partitions, 254, 0, p, 9) == 0 &&
	          kf_partition(host_partitions, 254, 0, p, 8) == -ENAMETOOLONG,
	      "partition: exactly fits, one short");
}

/* ---- cgroup statistics files ---- */

static void test_blkio(void)
{
	static struct mt_v1_blkio_list l;
	char big[MT_MAX_BLKIO * 2 * 16 + 1];
	size_t at = 0;

	memset(&l, 0, sizeof(l));
	kf_blkio_v1(&l, host_blkio_bytes, host_partitions);
	CHECK(l.n == 6 && strcmp(l.e[0].op, "Read") == 0 && l.e[0].value == 4378624 &&
	          l.e[0].major == 254 && l.e[0].minor == 0 &&
	          strcmp(l.e[0].device, "/dev/vda") == 0 && strcmp(l.e[1].op, "Write") == 0 &&
	          l.e[1].value == 4468736 && strcmp(l.e[5].op, "Total") == 0 &&
	          l.e[5].value == 8847360,
	      "blkio: the host's io_service_bytes: 6 entries, the device's Total kept, the last "
	      "Total line not (%u)",
	      l.n);
	kf_blkio_v1(&l, host_blkio_serviced, host_partitions);
	CHECK(l.n == 12 && strcmp(l.e[8].op, "Sync") == 0 && l.e[8].value == 297,
	      "blkio: a second file appends (%u)", l.n);
	memset(&l, 0, sizeof(l));
	kf_blkio_v1(&l, host_blkio_empty, host_partitions);
	CHECK(l.n == 0, "blkio: \"Total 0\" alone gives no entry");
	kf_blkio_v1(&l, "8:16 2048\n9999:1 Read 1\n", host_partitions);
	CHECK(l.n == 2 && l.e[0].op[0] == 0 && l.e[0].value == 2048 && l.e[0].minor == 16 &&
	          l.e[1].device[0] == 0 && strcmp(l.e[1].op, "Read") == 0,
	      "blkio: sectors without an op; a device /proc/partitions does not list has no name");
	memset(&l, 0, sizeof(l));
	kf_blkio_v1(&l,
	            "8:0 Read x\n8:0 AVeryLongOperation 5\n8:0 Write 99999999999999999999999\n"
	            "8:0\nx:0 Read 1\n",
	            "");
	CHECK(l.n == 1 && strcmp(l.e[0].op, "Write") == 0 && l.e[0].value == UINT64_MAX,
	      "blkio: bad value, op too long, short and bad lines skipped; a huge value saturates");
	for (int i = 0; i < MT_MAX_BLKIO + 6; i++)
		at += (size_t)snprintf(big + at, sizeof(big) - at, "8:%d %d\n", i % 100, i);
	memset(&l, 0, sizeof(l));
	kf_blkio_v1(&l, big, "");
	CHECK(l.n == MT_MAX_BLKIO && l.e[MT_MAX_BLKIO - 1].value == MT_MAX_BLKIO - 1,
	      "blkio: at most MT_MAX_BLKIO entries (%u)", l.n);
}

static void test_io_stat(void)
{
	static struct mt_v2 m;
	char big[MT_MAX_BLKIO * 2 * 24 + 1];
	size_t at = 0;

	/* The kernel's format (this host's unified hierarchy has no io controller to copy from). */
	memset(&m, 0, sizeof(m));
	kf_io_stat("254:0 rbytes=4378624 wbytes=4468736 rios=101 wios=196 dbytes=0 dios=0\n"
	           "259:0 rbytes=18446744073709551615 wbytes=1 rios=2 wios=3 dbytes=7 dios=8\n",
	           &m);
	CHECK(m.nio == 2 && m.io[0].major == 254 && m.io[0].minor == 0 &&
	          m.io[0].rbytes == 4378624 && m.io[0].wbytes == 4468736 && m.io[0].rios == 101 &&
	          m.io[0].wios == 196 && m.io[1].major == 259 && m.io[1].rbytes == UINT64_MAX &&
	          m.io[1].wios == 3,
	      "io_stat: two devices, dbytes and dios ignored (%u)", m.nio);
	kf_io_stat("8:16 wios=9 rbytes=1\n", &m);
	CHECK(m.nio == 3 && m.io[2].minor == 16 && m.io[2].wios == 9 && m.io[2].rbytes == 1 &&
	          m.io[2].wbytes == 0,
	      "io_stat: keys in any order, absent ones 0, appended after what was there");
	memset(&m, 0, sizeof(m));
	kf_io_stat("no colon here\nx:1 rbytes=5\n8:x rbytes=5\n\n8:0 rbytes rios=x wios=4 = =\n",
	           &m);
	CHECK(m.nio == 1 && m.io[0].wios == 4 && m.io[0].rbytes == 0 && m.io[0].rios == 0,
	      "io_stat: lines without MAJ:MIN skipped; a key without a value or a bad one ignored");
	for (int i = 0; i < MT_MAX_BLKIO + 6; i++)
		at += (size_t)snprintf(big + at, sizeof(big) - at, "8:%d rios=%d\n", i % 100, i);
	memset(&m, 0, sizeof(m));
	kf_io_stat(big, &m);
	CHECK(m.nio == MT_MAX_BLKIO && m.io[MT_MAX_BLKIO - 1].rios == MT_MAX_BLKIO - 1,
	      "io_stat: at most MT_MAX_BLKIO entries (%u)", m.nio);
}

static void test_hugetlb_name(void)
{
	char z[MT_PAGESIZE_MAX];

	CHECK(kf_hugetlb_name("hugetlb.2MB.usage_in_bytes", "usage_in_bytes", z, sizeof(z)) == 0 &&
	          strcmp(z, "2MB") == 0,
	      "hugetlb_name: v1 usage_in_bytes (%s)", z);
	CHECK(kf_hugetlb_name("hugetlb.1GB.max_usage_in_bytes", "usage_in_bytes", z, sizeof(z)) ==
	          -EINVAL,
	      "hugetlb_name: max_usage_in_bytes is not a usage_in_bytes file");
	CHECK(kf_hugetlb_name("hugetlb.1GB.max", "max", z, sizeof(z)) == 0 &&
	          strcmp(z, "1GB") == 0 &&
	          kf_hugetlb_name("hugetlb.2MB.current", "current", z, sizeof(z)) == 0,
	      "hugetlb_name: v2 max and current");
	CHECK(kf_hugetlb_name("hugetlb.2MB.rsvd.max", "max", z, sizeof(z)) == -EINVAL &&
	          kf_hugetlb_name("hugetlb.2MB.events.local", "local", z, sizeof(z)) == -EINVAL,
	      "hugetlb_name: a size with a dot (rsvd.max, events.local) is not a size");
	CHECK(kf_hugetlb_name("hugetlb..max", "max", z, sizeof(z)) == -EINVAL &&
	          kf_hugetlb_name("hugetlb.max", "max", z, sizeof(z)) == -EINVAL &&
	          kf_hugetlb_name("cpu.max", "max", z, sizeof(z)) == -EINVAL &&
	          kf_hugetlb_name("hugetlb.2MBmax", "max", z, sizeof(z)) == -EINVAL,
	      "hugetlb_name: an empty size, no size, another controller, no dot before the suffix");
	CHECK(kf_hugetlb_name("hugetlb.123456789012345.max", "max", z, sizeof(z)) == 0 &&
	          kf_hugetlb_name("hugetlb.1234567890123456.max", "max", z, sizeof(z)) ==
	              -ENAMETOOLONG,
	      "hugetlb_name: a size of 15 fits MT_PAGESIZE_MAX, 16 does not");
}

/* ---- every prefix, in a buffer of exactly its size ---- */

/* Lines of text that kf_mountinfo_line reads in full (through the super options). */
static int complete_mounts(const char *text)
{
	int k = 0;
	for (const char *p = text, *e, *next; p && *p; p = next) {
		struct kf_mount m;
		next = kf_line_next(p, &e);
		k += kf_mountinfo_line(p, e, &m) == 0 && m.super;
	}
	return k;
}

/* Every parser on every prefix of text (ASan: no read past it); the count of complete mount
 * lines never falls as the prefix grows and ends at mounts. */
static void sweep(const char *name, const char *text, int mounts)
{
	size_t n = strlen(text);
	int bad = 0, prev = 0;

	for (size_t k = 0; k <= n; k++) {
		char *c = malloc(k + 1), p[1024], r[1024];
		static struct mt_v1_blkio_list l;
		static struct mt_v2 m;
		struct mt_v1_memory mem;
		uint64_t v;
		if (!c)
			abort();
		memcpy(c, text, k);
		c[k] = 0;
		(void)kf_cgroup_mount(c, "memory", p, sizeof(p), r, sizeof(r));
		(void)kf_cgroup_mount(c, NULL, p, sizeof(p), r, sizeof(r));
		(void)kf_mountinfo_has(c, "/sys/fs/cgroup/unified");
		(void)kf_proc_cgroup(c, "memory", p, sizeof(p));
		(void)kf_partition(c, 254, 0, p, sizeof(p));
		(void)kf_kv_fill(c, mt_v1_memory_fields, MT_V1_MEMORY_NFIELDS, &mem);
		(void)kf_kv_get(c, "total_unevictable", &v);
		l.n = 0;
		kf_blkio_v1(&l, c, c);
		m.nio = 0;
		kf_io_stat(c, &m);
		int k2 = complete_mounts(c);
		bad |= l.n > MT_MAX_BLKIO || m.nio > MT_MAX_BLKIO || k2 < prev;
		prev = k2;
		free(c);
	}
	CHECK(!bad && prev == mounts,
	      "every prefix of the host's %s, %zu bytes, in an exact buffer (%d mounts)", name, n,
	      prev);
}

int main(void)
{
	test_lines();
	test_tokens();
	test_values();
	test_value_list();
	test_kv();
	test_unescape();
	test_mountinfo_line();
	test_mountinfo_has();
	test_cgroup_mount();
	test_proc_cgroup();
	test_partitions();
	test_blkio();
	test_io_stat();
	test_hugetlb_name();
	sweep("mountinfo", host_mountinfo, 21);
	sweep("cgroup", host_cgroup, 0);
	sweep("memory.stat", host_memory_stat, 0);
	sweep("blkio.throttle.io_service_bytes", host_blkio_bytes, 0);
	return tap_done();
}
