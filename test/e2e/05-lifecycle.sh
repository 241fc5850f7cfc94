#!/bin/sh
# SPDX-License-Identifier: MIT
# 05 lifecycle: `ctr task kill`, `ctr task delete`, `ctr container delete` on a detached
# container with an image (overlay) rootfs; afterwards no shim process, no zombie, no container
# process, no mount of the bundle rootfs, no shim socket, no runc state.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"

id=$(new_id life)
# The default signal of `ctr task kill` is SIGTERM, which a namespace init ignores without a
# handler: install one.
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$id" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >&2 ||
	e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
pid=$(task_pid "$id")
spid=$(shim_pid "$id")
sock=$(shim_socket "$id")
rootfs=$(rootfs_dir "$id")
diag "init pid $pid, shim pid $spid, socket $sock"
check "while running: the shim process is found" proc_alive "${spid:-none}"
check "while running: the bundle rootfs is mounted" is_mounted "$rootfs"
check "while running: the shim socket exists" [ -S "$sock" ]
check "while running: runc has state for the container" [ -d "/run/containerd/runc/$E2E_NS/$id" ]

check "ctr task kill (SIGTERM) exits 0" cctr task kill "$id"
check "the task becomes STOPPED" wait_for 15 task_is "$id" STOPPED
check "ctr task delete exits 0" cctr task delete "$id"
check "the task is gone from ctr task ls" task_gone "$id"
check "ctr container delete exits 0" cctr container delete "$id"
check "the container is gone from ctr container ls" container_gone "$id"

check "the shim process exits (10 s)" wait_for 10 proc_dead "${spid:-none}"
check "no zombie of the shim, of the container or of containerd's children (5 s)" \
	wait_for 5 no_zombies "${spid:-none}" "${pid:-none}" "$(cd_pid)"
check "the container's init process is gone" proc_gone "${pid:-none}"
check "no leftover mount of the bundle rootfs" not_mounted "$rootfs"
check "no leftover shim socket" wait_for 5 test ! -e "$sock"
check "no leftover runc state" runc_state_gone "$id"
check "the bundle directory is removed" test ! -e "$(bundle_dir "$id")"
e2e_exit
