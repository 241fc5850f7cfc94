#!/bin/sh
# SPDX-License-Identifier: MIT
# 09 shim killed: kill -9 of the shim while its container runs. containerd notices the closed
# connection and cleans up through the shim's `delete` action: the task goes away (or is left
# STOPPED and deletable), the container process dies, the container can be deleted, and no runc
# state or rootfs mount is left.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"
at_exit events_stop
events_start "$T/events" || diag "ctr events did not subscribe"

id=$(new_id victim)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
pid=$(task_pid "$id")
spid=$(shim_pid "$id")
rootfs=$(rootfs_dir "$id")
diag "init pid $pid, shim pid $spid"
check "the shim process is found" proc_alive "${spid:-none}"
check "the bundle rootfs is mounted" is_mounted "$rootfs"

kill -9 "${spid:-none}"
check "the shim dies" wait_for 5 proc_dead "${spid:-none}"
gone_or_stopped() { task_gone "$id" || task_is "$id" STOPPED; }
check "the task goes away or is STOPPED (20 s)" wait_for 20 gone_or_stopped
diag "ctr task ls now: $(cctr task ls 2>&1 | tail -n +2 | tr '\n' ' ')"
if ! task_gone "$id"; then
	check "ctr task delete of the dead shim's task exits 0" cctr task delete "$id"
fi
check "the task is gone from ctr task ls" task_gone "$id"
check "the container process is killed (10 s)" wait_for 10 proc_dead "${pid:-none}"
check "ctr container delete exits 0" cctr container delete "$id"
check "no leftover runc state" wait_for 5 runc_state_gone "$id"
check "no leftover mount of the bundle rootfs" wait_for 5 not_mounted "$rootfs"
check "no zombie of the shim or of the container (5 s)" wait_for 5 no_zombies "${spid:-none}" "${pid:-none}"
check "containerd published /tasks/exit for the task" wait_for 5 event_has "$T/events" /tasks/exit "$id"
events_stop
e2e_exit
