#!/bin/sh
# SPDX-License-Identifier: MIT
# 25 OOM: a container with `--memory-limit` 16 MiB whose init reads 64 MB into a shell variable
# is OOM-killed: ctr exits 137, and `ctr events` shows /tasks/oom for it before its /tasks/exit
# (137, init's pid). A container that stays under its limit gets no /tasks/oom until an exec in
# it goes over: then /tasks/oom comes, the exec exits 137, and the container keeps running.
# (No swap on these machines; with swap the cgroup could swap instead of OOM-killing.)
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
limit=16777216
# shellcheck disable=SC2016
hog='x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived ${#x}'
oom_count() { grep ' /tasks/oom ' "$ev" | grep -c "\"container_id\":\"$1\""; }
line_of() { # TOPIC ID: first line of TOPIC for container ID
	awk -v t=" $1 " -v id="\"container_id\":\"$2\"" 'index($0, t) && index($0, id) { print NR; exit }' "$ev"
}

# --- init goes over its limit ----------------------------------------------------------------
id=$(new_id oom-init)
# shellcheck disable=SC2046
tctr run --rm $(run_opts) --memory-limit $limit "$E2E_IMAGE" "$id" sh -c "$hog" >"$T/init.out" 2>&1
rc=$?
check_eq "ctr run of the memory hog exits 137 (OOM-killed)" 137 $rc
check "it did not survive" sh -c "! grep -q survived '$T/init.out'"
check "/tasks/exit for it arrives (5 s)" wait_for 5 test -n "$(line_of /tasks/exit "$id")"
check "/tasks/oom for it arrives" wait_for 2 test -n "$(line_of /tasks/oom "$id")"
o=$(line_of /tasks/oom "$id")
x=$(line_of /tasks/exit "$id")
check "/tasks/oom comes before /tasks/exit (lines ${o:-none} < ${x:-none})" [ "${o:-999999}" -lt "${x:-0}" ]
check "/tasks/exit carries 137" sh -c "grep ' /tasks/exit ' '$ev' | grep '\"container_id\":\"$id\"' | grep -q '\"exit_status\":137'"
pid=$(awk -v id="\"container_id\":\"$id\"" '/ \/tasks\/start / && index($0, id)' "$ev" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
check "... and init's pid ${pid:-none} (init itself was killed)" \
	sh -c "grep ' /tasks/exit ' '$ev' | grep '\"id\":\"$id\"' | grep -q '\"pid\":${pid:-none}[,}]'"

# --- an exec goes over the limit --------------------------------------------------------------
id=$(new_id oom-exec)
# shellcheck disable=SC2046
tctr run -d $(run_opts) --memory-limit $limit "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id small "$id" sh -c 'x=$(head -c 4000000 /dev/zero | tr "\0" a); echo ${#x}' >"$T/small.out" 2>&1
check_eq "an exec that stays under the limit completes (4 MB)" 4000000 "$(cat "$T/small.out")"
sleep 0.5
check_eq "no /tasks/oom for a container under its limit" 0 "$(oom_count "$id")"
# The exec's processes ask to be the OOM killer's first choice: once the hog is killed, a second
# OOM (its memory not yet released while head and tr still allocate) must not pick init's sleep,
# whose oom_score_adj is as low as theirs otherwise (seen once on CI). Raising it needs no
# privilege; the shim's handling is what is tested, not the kernel's choice of victim.
tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id hog "$id" \
	sh -c "echo 1000 >/proc/self/oom_score_adj && $hog" >"$T/exec.out" 2>&1
check_eq "the exec over the limit exits 137" 137 $?
check "/tasks/oom for the container arrives (5 s)" wait_for 5 test "$(oom_count "$id")" -ge 1
check "the exec's /tasks/exit (137) is published" \
	wait_for 5 sh -c "grep ' /tasks/exit ' '$ev' | grep '\"id\":\"hog\"' | grep -q '\"exit_status\":137'"
check_eq "the container's init still runs" RUNNING "$(task_status "$id")"

tctr task kill -s SIGKILL "$id" >&2
check "the task stops after SIGKILL" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
events_stop
[ "$E2E_FAILS" -eq 0 ] || grep -E '/tasks/(oom|exit|start)' "$ev" | sed 's/^.* UTC [^ ]* //; s/^/#   /'
e2e_exit
