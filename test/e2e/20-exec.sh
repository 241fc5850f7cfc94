#!/bin/sh
# SPDX-License-Identifier: MIT
# 20 exec: `ctr task exec` into a running container. Output byte for byte (stdout and stderr
# apart), exit statuses 0 and 3, 10 concurrent execs each with its own output and status, an exec
# killed with SIGKILL (137) and SIGTERM (143, `sleep` is no namespace init), a duplicate exec id
# refused (ALREADY_EXISTS: ctr shows "already exists" without ": unknown"), execs into a paused
# and into a stopped container refused with an error naming the state. Events: exec-added,
# exec-started, exit (id = exec id) in that order, and init's exit after its execs' exits.
# Every exec sleeps a little after writing: ctr 1.6.20 closes its FIFOs as soon as the exit is
# reported (see 01 and 08).
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

id=$(new_id exec-target)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
init_pid=$(task_pid "$id")

# --- output and exit statuses --------------------------------------------------------------
script='printf "out line 1\n\tout line 2 \\\\ no newline"; printf "err \001\377 line\n" >&2; printf "\000out after nul"; printf "\nerr tail" >&2'
/bin/busybox sh -c "$script" >"$T/exp.out" 2>"$T/exp.err"
tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id bytes "$id" sh -c "$script; sleep 0.3" >"$T/bytes.out" 2>"$T/bytes.err"
rc=$?
check_eq "exec exits 0" 0 $rc
check "exec stdout byte for byte" cmp "$T/exp.out" "$T/bytes.out"
check "exec stderr byte for byte, apart from stdout" cmp "$T/exp.err" "$T/bytes.err"

tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id three "$id" sh -c 'echo three; sleep 0.3; exit 3' >"$T/three.out" 2>&1
check_eq "exec of 'exit 3' gives ctr exit status 3" 3 $?
check_eq "... and its output" three "$(cat "$T/three.out")"
tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id zero "$id" true >/dev/null 2>&1
check_eq "exec of true gives 0" 0 $?

# --- 10 at once ----------------------------------------------------------------------------
pids=
i=1
while [ $i -le 10 ]; do
	(
		tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id "par$i" "$id" \
			sh -c "echo out of $i; echo err of $i >&2; sleep 0.5; exit $((i + 10))" \
			>"$T/par$i.out" 2>"$T/par$i.err"
		echo $? >"$T/par$i.rc"
	) &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
bad=0
i=1
while [ $i -le 10 ]; do
	if [ "$(cat "$T/par$i.out")" != "out of $i" ] || [ "$(cat "$T/par$i.err")" != "err of $i" ] ||
		[ "$(cat "$T/par$i.rc")" != $((i + 10)) ]; then
		bad=$((bad + 1))
		diag "par$i: rc $(cat "$T/par$i.rc") out '$(one_line "$(head -c 100 "$T/par$i.out")")' err '$(one_line "$(head -c 100 "$T/par$i.err")")'"
	fi
	i=$((i + 1))
done
check_eq "10 concurrent execs: each has its own stdout, stderr and exit status" 0 $bad

# --- kill an exec ----------------------------------------------------------------------------
has_exec() { tctr task ps "$id" 2>/dev/null | grep -Eq "$(ps_exec_ere "$1")"; }
# kill_exec EXECID SIGNAL: runs `sleep 1000` as EXECID, signals it, prints ctr's exit status.
kill_exec() {
	tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id "$1" "$id" sleep 1000 >/dev/null 2>&1 &
	_p=$!
	if ! wait_for 10 has_exec "$1"; then
		echo "never-listed"
		kill "$_p" 2>/dev/null
		return
	fi
	tctr task kill --exec-id "$1" -s "$2" "$id" >&2
	wait "$_p"
	echo $?
}
check_eq "SIGKILL to an exec: ctr task exec exits 137" 137 "$(kill_exec k9 SIGKILL)"
check_eq "SIGTERM to an exec of sleep: 143" 143 "$(kill_exec k15 SIGTERM)"
check_eq "the container's init is still RUNNING after its execs were killed" RUNNING "$(task_status "$id")"

# --- duplicate exec id --------------------------------------------------------------------
tctr task exec --fifo-dir "$CD_DIR/fifo" -d --exec-id dup "$id" sleep 1000 >&2
check "a detached exec 'dup' runs" wait_for 10 has_exec dup
err=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id dup "$id" true 2>&1)
rc=$?
diag "second exec 'dup': rc $rc: $(one_line "$err")"
check "a second exec with the id 'dup' fails (not a timeout)" failed_in_time $rc
case $err in
*"already exists") ok "... with ALREADY_EXISTS (\"$(one_line "$err")\")" ;;
*) not_ok "... with ALREADY_EXISTS (ctr prints \"...already exists\", no \": unknown\"): $(one_line "$err")" ;;
esac
check "the first 'dup' still runs" has_exec dup

# --- events of one exec -----------------------------------------------------------------------
tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id evx "$id" sh -c 'sleep 0.2; exit 5' >/dev/null 2>&1
check_eq "exec evx exits 5" 5 $?
check "evx's /tasks/exit arrives (5 s)" wait_for 5 sh -c "grep /tasks/exit '$ev' | grep -q '\"id\":\"evx\"'"
check_eq "evx's events: exec-added, exec-started, exit, in that order" \
	"/tasks/exec-added /tasks/exec-started /tasks/exit" \
	"$(events_of_proc "$ev" evx | grep -v /tasks/delete | tr '\n' ' ' | sed 's/ $//')"
check "evx's /tasks/exit carries container_id, id = exec id, exit_status 5" \
	sh -c "grep ' /tasks/exit ' '$ev' | grep '\"container_id\":\"$id\"' | grep '\"id\":\"evx\"' | grep -q '\"exit_status\":5[,}]'"
spid=$(awk '/ \/tasks\/exec-started / && /"exec_id":"evx"/' "$ev" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
check "evx's exit carries the pid of its exec-started (${spid:-none})" \
	sh -c "grep ' /tasks/exit ' '$ev' | grep '\"id\":\"evx\"' | grep -q '\"pid\":${spid:-none}[,}]'"

# --- refused execs: paused, stopped --------------------------------------------------------
tctr task pause "$id" >&2
check "the container is PAUSED" wait_for 5 task_is "$id" PAUSED
err=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id inpause "$id" true 2>&1)
rc=$?
diag "exec into the paused container: rc $rc: $(one_line "$err")"
check "exec into a paused container fails (not a timeout)" failed_in_time $rc
check "... with an error that says it is paused" matches "$err" paused
tctr task resume "$id" >&2
check "the container runs again after resume" wait_for 5 task_is "$id" RUNNING

# Init's exit comes after the exits of its execs: three execs run when init is killed.
for x in last1 last2 last3; do
	tctr task exec --fifo-dir "$CD_DIR/fifo" -d --exec-id "$x" "$id" sleep 1000 >&2
done
three_last() { [ "$(tctr task ps "$id" 2>/dev/null | grep -Ec 'ExecID:last|exec_id:"last')" -eq 3 ]; }
check "three more detached execs run" wait_for 10 three_last
tctr task kill -s SIGKILL "$id" >&2
check "the container becomes STOPPED" wait_for 10 task_is "$id" STOPPED
check "init's /tasks/exit arrives (5 s)" wait_for 5 test -n "$(event_line "$ev" /tasks/exit "$id")"
ie=$(event_line "$ev" /tasks/exit "$id")
order_ok=1
for x in last1 last2 last3 dup; do
	xe=$(event_line "$ev" /tasks/exit "$x")
	if [ -z "$xe" ] || [ -z "$ie" ] || [ "$xe" -gt "$ie" ]; then
		order_ok=0
		diag "exit of $x at line ${xe:-none}, init's at ${ie:-none}"
	fi
done
check "init's /tasks/exit comes after the exits of its 4 running execs" [ $order_ok -eq 1 ]
check "init's /tasks/exit carries init's pid $init_pid and 137" \
	sh -c "grep ' /tasks/exit ' '$ev' | grep '\"id\":\"$id\"' | grep '\"pid\":${init_pid}[,}]' | grep -q '\"exit_status\":137'"

err=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id instopped "$id" true 2>&1)
rc=$?
diag "exec into the stopped container: rc $rc: $(one_line "$err")"
check "exec into a stopped container fails (not a timeout)" failed_in_time $rc
check "... with an error that says it is stopped or not running" matches "$err" 'stopped|not running'

check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
events_stop
[ "$E2E_FAILS" -eq 0 ] || diag "events seen for $id:"
[ "$E2E_FAILS" -eq 0 ] || grep "\"container_id\":\"$id\"" "$ev" | grep -v /tasks/create | sed "s/^.* UTC [^ ]* //" | cut -c1-150 | sed 's/^/#   /'
e2e_exit
