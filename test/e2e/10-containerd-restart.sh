#!/bin/sh
# SPDX-License-Identifier: MIT
# 10 containerd restart: containerd stops and starts again (same config) while a container runs.
# The shim keeps running; the new containerd reconnects through the bundle's address file, and
# the task is still listed RUNNING, killable and deletable, after which the shim exits.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"

id=$(new_id survivor)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
pid=$(task_pid "$id")
spid=$(shim_pid "$id")
sock=$(shim_socket "$id")
diag "init pid $pid, shim pid $spid, containerd pid $(cd_pid)"

check "containerd stops" cd_stop
check "the shim survives containerd's exit" proc_alive "${spid:-none}"
check "the container survives containerd's exit" proc_alive "${pid:-none}"
check "containerd starts again" cd_start
diag "new containerd pid $(cd_pid)"
wait_for 10 task_is "$id" RUNNING
check_eq "after the restart the task is listed RUNNING" RUNNING "$(task_status "$id")"
check_eq "... with the same pid" "${pid:-none}" "$(task_pid "$id")"
check_eq "... served by the same shim" "${spid:-none}" "$(shim_pid "$id")"
check "ctr task kill -s SIGKILL exits 0" cctr task kill -s SIGKILL "$id"
check "the task becomes STOPPED" wait_for 15 task_is "$id" STOPPED
check "ctr task delete exits 0" cctr task delete "$id"
check "ctr container delete exits 0" cctr container delete "$id"
check "the shim exits (10 s)" wait_for 10 proc_dead "${spid:-none}"
check "no leftover shim socket" wait_for 5 test ! -e "$sock"
check "no leftover mount of the bundle rootfs" not_mounted "$(rootfs_dir "$id")"
check "no zombie of the shim or the container (5 s)" wait_for 5 no_zombies "${spid:-none}" "${pid:-none}"
e2e_exit
