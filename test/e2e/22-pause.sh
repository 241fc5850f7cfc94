#!/bin/sh
# SPDX-License-Identifier: MIT
# 22 pause and resume: `ctr task pause` shows PAUSED in `ctr task ls`, publishes /tasks/paused,
# freezes the container's cgroup and really stops it (a counter that it writes every 0.1 s into
# its rootfs does not advance while paused); `ctr task resume` shows RUNNING, publishes
# /tasks/resumed, and the counter advances again. A second pause of a paused task and a resume of
# a running task are refused with an error naming the state, within the timeout.
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

id=$(new_id pausable)
# shellcheck disable=SC2046,SC2016
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" \
	sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/counter; sleep 0.1; done' >&2 ||
	e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
counter_file=$(rootfs_dir "$id")/tmp/counter
counter() { cat "$counter_file" 2>/dev/null; }
advances() { # the counter moves within 3 s
	_c0=$(counter)
	wait_for 3 sh -c "[ \"\$(cat '$counter_file' 2>/dev/null)\" != '$_c0' ]"
}
check "the counter advances while the task runs" advances
freezer=/sys/fs/cgroup/freezer/$E2E_NS/$id/freezer.state
[ -f "$freezer" ] || freezer=/sys/fs/cgroup/$E2E_NS/$id/cgroup.freeze
diag "freezer file: $freezer"

# --- pause ---------------------------------------------------------------------------------
tctr task pause "$id"
check_eq "ctr task pause exits 0" 0 $?
check_eq "ctr task ls shows PAUSED" PAUSED "$(task_status "$id")"
check "/tasks/paused is published (5 s)" \
	wait_for 5 sh -c "grep ' /tasks/paused ' '$ev' | grep -q '\"container_id\":\"$id\"'"
case $freezer in
*freezer.state) check_eq "the container's cgroup is FROZEN" FROZEN "$(cat "$freezer" 2>/dev/null)" ;;
*) check_eq "the container's cgroup is frozen (cgroup.freeze)" 1 "$(cat "$freezer" 2>/dev/null)" ;;
esac
sleep 0.3 # a write in flight when the freeze came lands
c1=$(counter)
sleep 1.2
c2=$(counter)
check_eq "the counter does not advance while paused (1.2 s)" "$c1" "$c2"
check_eq "still PAUSED a second later" PAUSED "$(task_status "$id")"

err=$(tctr task pause "$id" 2>&1)
rc=$?
diag "second pause: rc $rc: $(one_line "$err")"
check "pausing a paused task fails (not a timeout)" failed_in_time $rc
check "... with an error that says it is paused" matches "$err" paused
check_eq "... and the task stays PAUSED" PAUSED "$(task_status "$id")"

# --- resume --------------------------------------------------------------------------------
tctr task resume "$id"
check_eq "ctr task resume exits 0" 0 $?
check_eq "ctr task ls shows RUNNING" RUNNING "$(task_status "$id")"
check "/tasks/resumed is published (5 s)" \
	wait_for 5 sh -c "grep ' /tasks/resumed ' '$ev' | grep -q '\"container_id\":\"$id\"'"
case $freezer in
*freezer.state) check_eq "the container's cgroup is THAWED" THAWED "$(cat "$freezer" 2>/dev/null)" ;;
*) check_eq "the container's cgroup is thawed (cgroup.freeze)" 0 "$(cat "$freezer" 2>/dev/null)" ;;
esac
check "the counter advances again after resume" advances

err=$(tctr task resume "$id" 2>&1)
rc=$?
diag "resume of a running task: rc $rc: $(one_line "$err")"
check "resuming a running task fails (not a timeout)" failed_in_time $rc
check "... with an error that says it runs or is not paused" matches "$err" 'running|not paused'
check_eq "... and the task stays RUNNING" RUNNING "$(task_status "$id")"
check "the counter still advances" advances

check_eq "events: /tasks/paused then /tasks/resumed, once each" "/tasks/paused /tasks/resumed" \
	"$(events_topics "$ev" "$id" | grep -E 'paused|resumed' | tr '\n' ' ' | sed 's/ $//')"

# A second round, to see that pause and resume are repeatable.
tctr task pause "$id" && tctr task resume "$id"
check_eq "a second pause+resume round works" 0 $?
check "the counter advances after the second round" advances

tctr task kill -s SIGKILL "$id" >&2
check "the task stops after SIGKILL" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
events_stop
e2e_exit
