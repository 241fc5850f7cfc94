#!/bin/sh
# SPDX-License-Identifier: MIT
# 04 detached: `ctr run -d` returns at once and the task shows RUNNING in `ctr task ls`, with a
# live init process, a shim process and its socket.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"

id=$(new_id detached)
# shellcheck disable=SC2046
timeout 30 ctr --address "$CD_SOCK" -n "$E2E_NS" run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2
rc=$?
check "ctr run -d exits 0 (within 30 s)" [ $rc -eq 0 ]
check_eq "ctr task ls shows the task RUNNING" RUNNING "$(task_status "$id")"
pid=$(task_pid "$id")
check "the task's pid is a live process" proc_alive "${pid:-none}"
check_eq "that process runs the container's command" "sleep" \
	"$(cat "/proc/${pid:-none}/comm" 2>/dev/null)"
check_eq "ctr task ps lists the pid" "${pid:-none}" \
	"$(cctr task ps "$id" 2>&1 | awk -v p="$pid" '$1 == p { print $1 }')"
check "the shim's socket exists ($(shim_socket "$id"))" socket_exists "$id"
spid=$(shim_pid "$id")
check "a shim process serves the socket (pid ${spid:-none})" proc_alive "${spid:-none}"
check_eq "the task is still RUNNING a second later" RUNNING "$(sleep 1; task_status "$id")"

cctr task kill -s SIGKILL "$id" >/dev/null 2>&1
wait_for 10 task_is "$id" STOPPED
cctr task delete "$id" >/dev/null 2>&1
cctr container delete "$id" >/dev/null 2>&1
e2e_exit
