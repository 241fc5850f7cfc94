/* SPDX-License-Identifier: MIT */
/* Kernel text of a hybrid cgroup host, shared by t_kernfmt (the parsers) and m_cgroup
 * (cg_open_text): joined cpu,cpuacct, a bind mount of memory elsewhere first, optional fields,
 * a line without the separator and a last line without its newline. */
#ifndef SHIMBOX_TEST_CGROUP_SAMPLES_H
#define SHIMBOX_TEST_CGROUP_SAMPLES_H

static const char proc_hybrid[] = "13:rdma:/\n"
                                  "12:hugetlb:/default/redis\n"
                                  "3:cpuset:/elsewhere\n"
                                  "11:cpu,cpuacct:/default/redis\n"
                                  "8:pids:/default/a:b\n"
                                  "4:memory:/default/redis\n"
                                  "1:name=systemd:/default/redis\n"
                                  "0::/unified/redis\n";

static const char mountinfo_hybrid[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "90 22 0:32 / /var/lib/bind/memory rw - cgroup cgroup rw,memory\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
    "27 25 0:25 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
    "30 25 0:28 / /sys/fs/cgroup/cpuset rw shared:14 - cgroup cgroup rw,cpuset\n"
    "31 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
    "32 25 0:32 / /sys/fs/cgroup/memory rw shared:16 opt:x - cgroup cgroup rw,memory\n"
    "33 25 0:33 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "garbage line without separator\n"
    "34 25 0:34 / /sys/fs/cgroup/hugetlb rw - cgroup cgroup rw,hugetlb";

#endif
