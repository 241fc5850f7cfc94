#!/bin/sh
# SPDX-License-Identifier: MIT
# 23 update and pids. Update: ctr 1.6 has no `ctr task update`, so UpdateTaskRequest goes to
# the shim's socket through build/e2e/ttclient (`call`), resources as containerd sends them (an
# Any of JSON LinuxResources). The container's cgroup must take the new limits
# (memory.limit_in_bytes, cpu.shares, pids.max on this cgroup v1 machine; memory.max and
# pids.max on v2), also while the task is paused; an update of a stopped task is refused with an
# error naming the state. Pids: `ctr task ps` lists the init pid and an exec's pid, the exec's
# with its exec id, and nothing else.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"
TT=$E2E_BIN/ttclient
[ -x "$TT" ] || e2e_die "build/e2e/ttclient is built"
TTCLIENT_NS=$E2E_NS
export TTCLIENT_NS

# pb_field and hex_of: scripts/e2e-lib.sh.
field() { pb_field "$@"; }
# update ID JSON: UpdateTaskRequest{id, resources: Any{LinuxResources, JSON}}; prints the result.
update() {
	_any=$(field 1 "$(hex_of types.containerd.io/opencontainers/runtime-spec/1/LinuxResources)")$(field 2 "$(hex_of "$2")")
	"$TT" "$sock" call "$TTCLIENT_SERVICE" Update "$(field 1 "$(hex_of "$1")")$(field 2 "$_any")" 2>&1
}

id=$(new_id limited)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
init_pid=$(task_pid "$id")
sock=$(shim_socket "$id")
if [ -d /sys/fs/cgroup/memory ]; then
	mem=/sys/fs/cgroup/memory/$E2E_NS/$id/memory.limit_in_bytes
	cpu=/sys/fs/cgroup/cpu,cpuacct/$E2E_NS/$id/cpu.shares
	[ -f "$cpu" ] || cpu=/sys/fs/cgroup/cpu/$E2E_NS/$id/cpu.shares
	pids=/sys/fs/cgroup/pids/$E2E_NS/$id/pids.max
else
	mem=/sys/fs/cgroup/$E2E_NS/$id/memory.max
	cpu=/sys/fs/cgroup/$E2E_NS/$id/cpu.weight
	pids=/sys/fs/cgroup/$E2E_NS/$id/pids.max
fi
diag "cgroup files: $mem $cpu $pids"
[ -f "$mem" ] || e2e_die "the container's memory cgroup exists ($mem)"
diag "memory limit before: $(cat "$mem")"

# --- update ------------------------------------------------------------------------------
r=$(update "$id" '{"memory":{"limit":33554432}}')
check_eq "Update {memory.limit: 32 MiB} answers OK" "code=0 payload=" "$r"
check_eq "the cgroup's memory limit is 32 MiB" 33554432 "$(cat "$mem")"

r=$(update "$id" '{"memory":{"limit":50331648},"cpu":{"shares":512},"pids":{"limit":64}}')
check_eq "Update {memory 48 MiB, cpu shares 512, pids 64} answers OK" "code=0 payload=" "$r"
check_eq "the memory limit is 48 MiB" 50331648 "$(cat "$mem")"
case $cpu in
*cpu.shares) check_eq "cpu.shares is 512" 512 "$(cat "$cpu" 2>/dev/null)" ;;
*) check "cpu.weight changed from the default 100" [ "$(cat "$cpu" 2>/dev/null)" != 100 ] ;;
esac
check_eq "pids.max is 64" 64 "$(cat "$pids" 2>/dev/null)"

tctr task pause "$id" >&2 || not_ok "ctr task pause"
r=$(update "$id" '{"memory":{"limit":41943040}}')
check_eq "Update while paused answers OK" "code=0 payload=" "$r"
check_eq "... and the memory limit is 40 MiB" 41943040 "$(cat "$mem")"
tctr task resume "$id" >&2 || not_ok "ctr task resume"
check_eq "the task runs again" RUNNING "$(task_status "$id")"

r=$(update "no-such-container" '{"memory":{"limit":41943040}}')
check "Update of an unknown container: NOT_FOUND (code 5): $r" matches "$r" '^code=5 '

# --- pids ------------------------------------------------------------------------------------
tctr task exec --fifo-dir "$CD_DIR/fifo" -d --exec-id pslisted "$id" sleep 1001 >&2
has_exec() { tctr task ps "$id" 2>/dev/null | grep -Eq "$(ps_exec_ere pslisted)"; }
check "an exec 'pslisted' is listed by ctr task ps" wait_for 10 has_exec
tctr task ps "$id" >"$CD_DIR/$E2E_NAME.ps" 2>&1
sed 's/^/#   /' "$CD_DIR/$E2E_NAME.ps"
check_eq "ctr task ps lists two processes" 2 "$(tail -n +2 "$CD_DIR/$E2E_NAME.ps" | grep -c .)"
check_eq "... the init pid $init_pid without exec details" "$init_pid -" \
	"$(awk -v p="$init_pid" '$1 == p { print $1, $2 }' "$CD_DIR/$E2E_NAME.ps")"
epid=$(grep -E "$(ps_exec_ere pslisted)" "$CD_DIR/$E2E_NAME.ps" | awk '{ print $1 }')
check_eq "... and the exec's pid, with ExecID:pslisted, which runs 'sleep 1001'" "sleep 1001" \
	"$(tr '\0' ' ' <"/proc/${epid:-none}/cmdline" 2>/dev/null | sed 's/ $//')"

# --- update of a stopped task ----------------------------------------------------------------
tctr task kill -s SIGKILL "$id" >&2
check "the task stops after SIGKILL" wait_for 10 task_is "$id" STOPPED
r=$(update "$id" '{"memory":{"limit":33554432}}')
diag "update of the stopped task: $r"
check "Update of a stopped task is refused with an error naming the state" matches "$r" '^code=[1-9][0-9]* msg=.*stopped'
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
e2e_exit
