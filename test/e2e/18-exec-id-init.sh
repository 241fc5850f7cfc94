#!/bin/sh
# SPDX-License-Identifier: MIT
# 18 the exec id `init`: an exec's pid file is <bundle>/<exec id>.pid, so this id would name the
# init's own init.pid: runc exec would overwrite it and the exec's delete remove it (which the
# reference does: it accepts the id), and the shim's `delete` cleanup after a crash reads it.
# shimbox refuses the id (INVALID_ARGUMENT, a message naming it), init.pid keeps the init's pid,
# the container runs on, and other execs work.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"

id=$(new_id exec-init)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
init_pid=$(task_pid "$id")
pidfile=$(bundle_dir "$id")/init.pid

out=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id init "$id" sh -c 'echo ran; sleep 0.3' 2>&1)
rc=$?
diag "exec --exec-id init: status $rc: $(one_line "$out")"
beyond_reference "" "the reference runs it, with init.pid as its pid file" \
	"ctr task exec --exec-id init is refused, in time" failed_in_time "$rc"
beyond_reference "" "the reference runs it, with init.pid as its pid file" \
	"... with a message naming the exec id as invalid" matches "$out" 'invalid.*init|init.*invalid'
tctr task delete --exec-id init "$id" >/dev/null 2>&1
beyond_reference "" "the reference's exec delete removes init.pid" \
	"init.pid still holds the init's pid ($init_pid)" test "$(cat "$pidfile" 2>/dev/null)" = "$init_pid"
check "the container still runs" task_is "$id" RUNNING
out=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id other "$id" sh -c 'echo ran; sleep 0.3' 2>&1)
check_eq "another exec runs" "ran" "$out"
tctr task kill -s SIGKILL "$id" >/dev/null 2>&1
check "the container exits when killed (10 s)" wait_for 10 task_is "$id" STOPPED
tctr task delete "$id" >/dev/null 2>&1
check "its task deletes" task_gone "$id"
tctr container delete "$id" >/dev/null 2>&1
e2e_exit
