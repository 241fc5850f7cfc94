#!/bin/sh
# SPDX-License-Identifier: MIT
# 32 exit kept: a container exits with 42 and its shim is killed (kill -9) at once. containerd
# cleans up through the shim's `delete` action, which runs without the server, and publishes
# the /tasks/exit of that cleanup with what the action answered: shimbox kept the real exit in
# the bundle (exit.json, as containerd 2.4's reference does) before it published it, so every
# /tasks/exit of the task says 42. References before 2.4 answer 137 (SIGKILL) whatever the
# container did (not asserted for them: beyond_reference).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"
at_exit events_stop
ev=$T/events
events_start "$ev" || e2e_die "ctr events is subscribed"

id=$(new_id kept)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$id" sh -c 'sleep 1; exit 42' >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
spid=$(shim_pid "$id")
check "the shim process is found" proc_alive "${spid:-none}"
check "the shim publishes /tasks/exit with 42 (10 s)" \
	wait_for 10 event_has "$ev" /tasks/exit "$id" '"exit_status":42'
kill -9 "${spid:-none}"
check "the shim dies" wait_for 5 proc_dead "${spid:-none}"
gone_or_stopped() { task_gone "$id" || task_is "$id" STOPPED; }
check "the task goes away or is STOPPED (20 s)" wait_for 20 gone_or_stopped
# containerd's own /tasks/exit, from the delete action's answer, follows the shim's.
two_exits() { [ "$(event_lines "$ev" /tasks/exit "$id" | wc -l)" -ge 2 ]; }
all_42() { ! event_lines "$ev" /tasks/exit "$id" | grep -v '"exit_status":42' | grep -q .; }
check "containerd publishes the cleanup's /tasks/exit too (10 s)" wait_for 10 two_exits
diag "/tasks/exit of $id: $(event_lines "$ev" /tasks/exit "$id" | sed 's/.*"exit_status":\([0-9]*\).*/\1/' | tr '\n' ' ')"
beyond_reference "<2.4" "this reference's delete action always answers 137" \
	"every /tasks/exit of the task says 42, the cleanup's too" all_42
if ! task_gone "$id"; then
	check "ctr task delete exits 0" cctr task delete "$id"
fi
check "ctr container delete exits 0" cctr container delete "$id"
events_stop
e2e_exit
