#!/bin/sh
# SPDX-License-Identifier: MIT
# 28 pods: two containers with the same OCI annotation io.containerd.runc.v2.group=<name>
# (`ctr run --annotation`) are served by ONE shim process on one socket,
# /run/containerd/s/<sha256(address/namespace/<name>)>. Each has its own state (pausing one
# leaves the other running), its own output and its own events (create, start, exit with its own
# pid). After the first is deleted the shim still serves the second (exec, ps, kill); after the
# second is deleted no shim and no socket are left. A third container without the annotation
# gets a shim of its own.
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

group=$(new_id pod1) # recorded like an id: the group's socket is named after it
a=$(new_id pod1-a)
b=$(new_id pod1-b)
solo=$(new_id solo)
gsock=$(socket_for "$E2E_NS" "$group")
# Shim server processes of this namespace and containerd.
shims_of_ns() {
	for _d in /proc/[0-9]*; do
		[ "$(readlink "$_d/exe" 2>/dev/null)" = "$SHIM_EXE" ] || continue
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | awk -v ns="$E2E_NS" -v s="$CD_SOCK" '
			prev == "-namespace" && $0 == ns { n = 1 } $0 == s { k = 1 } { prev = $0; last = $0 }
			END { exit !(n && k && last != "start" && last != "delete") }' && echo "${_d#/proc/}"
	done
}
count_shims() { shims_of_ns | grep -c .; }

for c in "$a" "$b"; do
	# shellcheck disable=SC2046,SC2016
	tctr run -d $(run_opts) --annotation "io.containerd.runc.v2.group=$group" \
		--log-uri "file://$T/$c.log" "$E2E_IMAGE" "$c" \
		sh -c "echo $c >/tmp/me; echo I am $c; trap 'exit 0' TERM; while :; do sleep 0.2; done" >&2 ||
		e2e_die "ctr run -d $c in group $group"
	wait_for 10 task_is "$c" RUNNING || e2e_die "task $c RUNNING"
done
pa=$(task_pid "$a")
pb=$(task_pid "$b")
differ() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }
check "two tasks with two different init pids ($pa, $pb)" differ "$pa" "$pb"
check_eq "both bundles name the group's socket ($gsock)" "$gsock $gsock" \
	"$(shim_socket "$a") $(shim_socket "$b")"
check "the group's socket exists" test -S "$gsock"
spid=$(pids_on_socket "$gsock" | head -1)
check_eq "one shim process serves the namespace (pid ${spid:-none})" 1 "$(count_shims)"
check_eq "it is the one listening on the group's socket" "${spid:-none}" "$(shims_of_ns | head -1)"
check_eq "both inits are children of that shim" "${spid:-none} ${spid:-none}" "$(proc_ppid "$pa") $(proc_ppid "$pb")"

# --- own output, own state, own events -----------------------------------------------------------
check "each has its own output: $a's log" wait_for 5 sh -c "[ \"\$(cat '$T/$a.log')\" = 'I am $a' ]"
check "each has its own output: $b's log" wait_for 5 sh -c "[ \"\$(cat '$T/$b.log')\" = 'I am $b' ]"
check_eq "an exec into $a runs in $a (its /tmp/me)" "$a" "$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id who "$a" cat /tmp/me 2>&1)"
check_eq "an exec into $b runs in $b" "$b" "$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id who "$b" cat /tmp/me 2>&1)"
tctr task pause "$a" >&2
check_eq "pausing $a: $a PAUSED" PAUSED "$(task_status "$a")"
check_eq "... $b still RUNNING" RUNNING "$(task_status "$b")"
tctr task resume "$a" >&2
check_eq "after resume both RUNNING" "RUNNING RUNNING" "$(task_status "$a") $(task_status "$b")"
for c in "$a" "$b"; do
	p=$(task_pid "$c")
	check "$c's /tasks/create and /tasks/start carry its own pid $p" sh -c "
		grep ' /tasks/create ' '$ev' | grep '\"container_id\":\"$c\"' | grep -q '\"pid\":${p}[,}]' &&
		grep ' /tasks/start ' '$ev' | grep '\"container_id\":\"$c\"' | grep -q '\"pid\":${p}[,}]'"
done

# --- delete the first --------------------------------------------------------------------------
tctr task kill "$a" >&2
check "$a stops after SIGTERM" wait_for 10 task_is "$a" STOPPED
check_eq "... and $b is still RUNNING" RUNNING "$(task_status "$b")"
check "$a's /tasks/exit carries its pid $pa and status 0" \
	wait_for 5 sh -c "grep ' /tasks/exit ' '$ev' | grep '\"id\":\"$a\"' | grep '\"pid\":${pa}[,}]' | grep '\"container_id\":\"$a\"' | grep -vq '\"exit_status\":[1-9]'"
check "no /tasks/exit for $b's init" sh -c "! grep ' /tasks/exit ' '$ev' | grep -q '\"id\":\"$b\"'"
check "ctr task delete $a exits 0" tctr task delete "$a"
check "ctr container delete $a exits 0" tctr container delete "$a"
sleep 1
check "the shim still runs after $a's delete (pid ${spid:-none})" proc_alive "${spid:-none}"
check "the group's socket is still there" test -S "$gsock"
check_eq "$b is still RUNNING" RUNNING "$(task_status "$b")"
check_eq "an exec into $b still works" "still here" "$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id after "$b" echo still here 2>&1)"
lists_init() { tctr task ps "$b" 2>/dev/null | grep -q "^$pb "; }
check "ctr task ps $b still lists its init" lists_init

# --- a container without the annotation gets its own shim -------------------------------------
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$solo" sleep 1000 >&2 || e2e_die "ctr run -d $solo"
wait_for 10 task_is "$solo" RUNNING || e2e_die "task $solo RUNNING"
ssolo=$(shim_pid "$solo")
check "a container without the annotation has another shim (${ssolo:-none} != ${spid:-none})" \
	differ "$ssolo" "$spid"
check_eq "two shims serve the namespace now" 2 "$(count_shims)"
tctr task kill -s SIGKILL "$solo" >&2
wait_for 10 task_is "$solo" STOPPED
tctr task delete "$solo" >&2
tctr container delete "$solo" >&2
check "$solo's shim exits" wait_for 10 proc_dead "${ssolo:-none}"

# --- delete the second ------------------------------------------------------------------------
tctr task kill "$b" >&2
check "$b stops" wait_for 10 task_is "$b" STOPPED
check "ctr task delete $b exits 0" tctr task delete "$b"
check "ctr container delete $b exits 0" tctr container delete "$b"
check "the group's shim exits once both are deleted (10 s)" wait_for 10 proc_dead "${spid:-none}"
beyond_reference ">=2.0" "2.x's reference removes the socket of its first container's id, not of the group" \
	"the group's socket is removed" wait_for 5 test ! -e "$gsock"
check_eq "no shim of the namespace is left" 0 "$(count_shims)"
check "no zombie of the shim or the inits" wait_for 5 no_zombies "${spid:-none}" "${pa:-none}" "${pb:-none}"
events_stop
e2e_exit
