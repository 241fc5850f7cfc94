#!/bin/sh
# SPDX-License-Identifier: MIT
# 24 metrics: `ctr task metrics` (Stats) of a running container with a 64 MiB memory limit that
# has burnt some CPU and runs one exec: memory usage > 0, the limit is 64 MiB, CPU usage at least
# the 50 ms it spun and no more than its cgroup's counter read afterwards, pids.current = 2 as in
# its pids cgroup; the table and the `--format json` form (which must parse) agree.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
command -v jq >/dev/null 2>&1 || e2e_die "jq is installed (to check the JSON form)"
e2e_import_image || e2e_die "import the busybox image"

limit=67108864
id=$(new_id measured)
# Spins 150000 shell rounds (about 150 ms of CPU here), then sleeps.
# shellcheck disable=SC2046,SC2016
tctr run -d $(run_opts) --memory-limit $limit "$E2E_IMAGE" "$id" sh -c \
	'i=0; while [ $i -lt 150000 ]; do i=$((i + 1)); done; echo spun >/tmp/spun; exec sleep 1000' >&2 ||
	e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
wait_for 20 test -f "$(rootfs_dir "$id")/tmp/spun" || not_ok "the container finished spinning (20 s)"
tctr task exec --fifo-dir "$CD_DIR/fifo" -d --exec-id second "$id" sleep 1000 >&2
wait_for 10 task_nprocs_ge "$id" 2 || not_ok "the exec runs"
if [ -d /sys/fs/cgroup/memory ]; then
	cpu_file=/sys/fs/cgroup/cpuacct/$E2E_NS/$id/cpuacct.usage
	[ -f "$cpu_file" ] || cpu_file=/sys/fs/cgroup/cpu,cpuacct/$E2E_NS/$id/cpuacct.usage
	pids_file=/sys/fs/cgroup/pids/$E2E_NS/$id/pids.current
else
	cpu_file=
	pids_file=/sys/fs/cgroup/$E2E_NS/$id/pids.current
fi

# --- table ------------------------------------------------------------------------------------
tctr task metrics "$id" >"$T/table" 2>&1
check_eq "ctr task metrics exits 0" 0 $?
sed 's/^/#   /' "$T/table"
metric() { awk -v k="$1" '$1 == k { print $2; exit }' "$T/table"; }
cg_cpu=$(cat "$cpu_file" 2>/dev/null)
if [ -d /sys/fs/cgroup/memory ]; then
	mu=$(metric memory.usage_in_bytes)
	ml=$(metric memory.limit_in_bytes)
	cu=$(metric cpuacct.usage)
else
	mu=$(metric memory.usage)
	ml=$(metric memory.limit)
	cu=$(metric cpu.usage_usec)
	[ -n "$cu" ] && cu=$((cu * 1000))
	cg_cpu=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "/sys/fs/cgroup/$E2E_NS/$id/cpu.stat" 2>/dev/null)
fi
pc=$(metric pids.current)
check "memory usage > 0 (${mu:-none})" [ "${mu:-0}" -gt 0 ]
check_eq "memory limit is the container's 64 MiB" $limit "${ml:-none}"
check "cpu usage >= 50 ms, the spinning (${cu:-none} ns)" [ "${cu:-0}" -ge 50000000 ]
check "cpu usage <= the cgroup's counter read afterwards (${cg_cpu:-none} ns)" [ "${cu:-0}" -le "${cg_cpu:-0}" ]
check_eq "pids.current is 2 (init and one exec)" 2 "${pc:-none}"
check_eq "... as in the pids cgroup" "$(cat "$pids_file" 2>/dev/null)" "${pc:-none}"

# --- JSON -------------------------------------------------------------------------------------
tctr task metrics --format json "$id" >"$T/json" 2>"$T/json.err"
check_eq "ctr task metrics --format json exits 0" 0 $?
json_ok() { jq -e . "$1" >/dev/null 2>&1; }
check "the JSON form parses" json_ok "$T/json"
j() { jq -r "$1" "$T/json" 2>/dev/null; }
if [ -d /sys/fs/cgroup/memory ]; then
	jmu=$(j '.memory.usage.usage')
	jml=$(j '.memory.usage.limit')
	jcu=$(j '.cpu.usage.total')
else
	jmu=$(j '.memory.usage')
	jml=$(j '.memory.usage_limit')
	jcu=$(j '.cpu.usage_usec * 1000')
fi
jpc=$(j '.pids.current')
check "JSON: memory usage > 0 (${jmu:-none})" [ "${jmu:-0}" -gt 0 ] 2>/dev/null
check_eq "JSON: memory limit 64 MiB" $limit "${jml:-none}"
check "JSON: cpu usage >= the table's (${jcu:-none} >= ${cu:-none})" [ "${jcu:-0}" -ge "${cu:-1}" ] 2>/dev/null
check_eq "JSON: pids.current 2" 2 "${jpc:-none}"

tctr task kill -s SIGKILL "$id" >&2
check "the task stops after SIGKILL" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
e2e_exit
