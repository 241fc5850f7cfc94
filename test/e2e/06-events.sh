#!/bin/sh
# SPDX-License-Identifier: MIT
# 06 events: `ctr events`, subscribed before the container starts, shows /tasks/create,
# /tasks/start, /tasks/exit and /tasks/delete for the task, once each and in that order, for an
# attached `ctr run --rm` and for a detached task that is killed and deleted; the exit event
# carries the exit status and the init pid.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"
at_exit events_stop

want="/tasks/create /tasks/start /tasks/exit /tasks/delete"
ev=$T/events
check "ctr events is subscribed" events_start "$ev"

id=$(new_id ev-attached)
# shellcheck disable=SC2046
cctr run --rm $(run_opts) "$E2E_IMAGE" "$id" sh -c 'echo hi; exit 3' >/dev/null 2>&1
check "attached: the task's /tasks/delete arrives (5 s)" wait_for 5 event_has "$ev" /tasks/delete "$id"
check_eq "attached: topics in order" "$want" "$(events_topics "$ev" "$id" | xargs)"
check "attached: /tasks/exit carries exit_status 3" \
	event_has "$ev" /tasks/exit "$id" '"exit_status":3[,}]'

id=$(new_id ev-detached)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >/dev/null 2>&1
wait_for 10 task_is "$id" RUNNING
pid=$(task_pid "$id")
cctr task kill -s SIGKILL "$id" >/dev/null 2>&1
wait_for 10 task_is "$id" STOPPED
cctr task delete "$id" >/dev/null 2>&1
cctr container delete "$id" >/dev/null 2>&1
check "detached: the task's /tasks/delete arrives (5 s)" wait_for 5 event_has "$ev" /tasks/delete "$id"
check_eq "detached: topics in order" "$want" "$(events_topics "$ev" "$id" | xargs)"
check "detached: /tasks/exit carries exit_status 137" \
	event_has "$ev" /tasks/exit "$id" '"exit_status":137[,}]'
check "detached: /tasks/exit carries the init pid $pid" \
	event_has "$ev" /tasks/exit "$id" "\"pid\":${pid:-none}[,}]"
events_stop
diag "events seen:"
grep /tasks/ "$ev" | cut -c1-160 | sed 's/^/#   /'
e2e_exit
