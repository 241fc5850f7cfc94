#!/bin/sh
# SPDX-License-Identifier: MIT
# 35 in-place upgrade: `shim-upgrade` replaces a running shim's binary while its containers run.
# The test installs a copy of the shim binary as the runtime of two containers, builds a second
# binary of another revision (B) and one of another handover version (R), and checks:
#   - R is refused before it runs (it reads handover version 99 only): the shim keeps serving,
#     its revision unchanged;
#   - B installed over the runtime's file and `shim-upgrade -id` (no -binary: the path the shim
#     was started from) upgrades it in place: same pid, shim-dump shows revision B, 1 upgrade;
#   - `shim-upgrade -all` then upgrades both shims (back to this build);
#   - meanwhile nothing is lost: a container printing a counter every millisecond to an
#     attached `ctr run` shows every number once, in order; one printing to a file:// log too;
#     an exec and a terminal exec started before the upgrades return their exit statuses (their
#     Waits were in flight across them) and the terminal's output arrives; a State whose
#     bytes trickle in across the upgrade is answered; each exit event
#     arrives once; `ctr run`'s own Wait returns the init's status; `ctr task ps` run in a loop
#     meanwhile is always answered; fds do not grow.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/inst" "$T/ctl"
e2e_import_image || e2e_die "import the busybox image"
BOX=${SHIMBOX:-$E2E_TOP/build/shimbox}
at_exit events_stop

B=$(e2e_variant b e2e-rev-b "") || e2e_die "build a second shimbox binary (revision e2e-rev-b)"
R=$(e2e_variant r e2e-rev-r "-DHO_VERSION=99 -DHO_VERSION_MIN=99") ||
	e2e_die "build a shimbox binary that reads handover version 99 only"
REV=$("$BOX" -v | sed 's/.*(\(.*\))/\1/')
INST=$T/inst/containerd-shim-shimbox-v2
cp "$BOX" "$INST.new" && mv "$INST.new" "$INST" || e2e_die "install the shim binary's copy"
diag "this build's revision $REV; B $B; R $R"

dump_field() { "$BOX" shim-dump -namespace "$E2E_NS" -id "$1" -state "$CD_DIR/state" -json 2>/dev/null | jq -r "$2"; }
MNT="--mount type=bind,src=$T/ctl,dst=/ctl,options=rbind:rw"

check "ctr events is subscribed" events_start "$T/events"
a=$(new_id up-a)
b=$(new_id up-b)
# shellcheck disable=SC2086
ctr --address "$CD_SOCK" -n "$E2E_NS" run --runtime "$INST" --fifo-dir "$CD_DIR/fifo" $MNT \
	"$E2E_IMAGE" "$a" sh -c "$(counter_script a 3)" >"$T/count-a" 2>"$T/run-a.err" &
RUN_A=$!
# shellcheck disable=SC2086
tctr run -d --runtime "$INST" --fifo-dir "$CD_DIR/fifo" --log-uri "file://$T/count-b" $MNT \
	"$E2E_IMAGE" "$b" sh -c "$(counter_script b 5)" >&2 || e2e_die "ctr run -d --log-uri file://"
wait_for 20 sh -c "[ \$(wc -l <'$T/count-a') -gt 200 ] && [ \$(wc -l <'$T/count-b') -gt 200 ]" ||
	e2e_die "both counters run"
spid=$(shim_pid "$a")
spid_b=$(shim_pid "$b")
fds0=$(own_fd_count "$spid")
fds0_b=$(own_fd_count "$spid_b")

tctr task exec --exec-id e1 "$a" sh -c 'sleep 4; exit 7' >/dev/null 2>&1 &
EXEC_E1=$!
CTR="ctr --address $CD_SOCK -n $E2E_NS"
pty_run "$T/tty.out" "$CTR task exec --fifo-dir $CD_DIR/fifo -t --exec-id t1 $a sh -c 'sleep 4; tty; echo tty text; exit 4'" &
EXEC_T1=$!
wait_for 10 sh -c "grep -q '/tasks/exec-started.*\"e1\"' '$T/events' && grep -q '/tasks/exec-started.*\"t1\"' '$T/events'" ||
	diag "the execs' /tasks/exec-started did not arrive"
diag "shim pid $spid (b: $spid_b), fds $fds0; revision $(dump_field "$a" .revision)"
# Requests keep coming during the upgrades: each must be answered (by one image or the other).
(n=0; f=0; while [ ! -e "$T/ctl/stop-ps" ]; do
	if tctr task ps "$a" >/dev/null 2>&1; then n=$((n + 1)); else f=$((f + 1)); fi
done; echo "$n $f" >"$T/ps.count") &
PS_LOOP=$!

# --- a binary that cannot read the handover is refused --------------------------------------
out=$("$BOX" shim-upgrade -namespace "$E2E_NS" -id "$a" -state "$CD_DIR/state" -binary "$R" 2>&1)
rc=$?
check_eq "shim-upgrade to a binary of handover version 99 fails (exit 1)" 1 $rc
check "... saying why: $(one_line "$out")" matches "$out" 'reads handover versions 99\.\.99.*writes version 1'
check_eq "... and the shim still serves, unchanged (revision $REV)" "$REV" "$(dump_field "$a" .revision)"
check_eq "... with no upgrade counted" 0 "$(dump_field "$a" .upgrades)"
out=$("$BOX" shim-upgrade -namespace "$E2E_NS" -id "$a" -state "$CD_DIR/state" -binary /bin/true 2>&1)
check "a binary that is not shimbox is refused too: $(one_line "$out")" matches "$out" 'not shimbox'

# --- the installed file replaced, then shim-upgrade -------------------------------------------
# A State sent one byte every 40 ms is cut by the upgrade: the bytes the old image has read go
# over with the connection, and the new image answers it.
TTCLIENT_NS=$E2E_NS "$E2E_BIN/ttclient" "$(shim_socket "$a")" slow 40 "$a" >"$T/slow.out" 2>&1 &
SLOW=$!
sleep 0.5
cp "$B" "$INST.new" && mv "$INST.new" "$INST"
out=$("$BOX" shim-upgrade -namespace "$E2E_NS" -id "$a" -state "$CD_DIR/state" 2>&1)
rc=$?
check_eq "shim-upgrade -id (the installed path, now B) exits 0" 0 $rc
check "... saying: $(one_line "$out")" matches "$out" "pid $spid upgraded from $REV to e2e-rev-b \\(upgrade 1\\)"
check_eq "the shim keeps its pid" "$spid" "$(shim_pid "$a")"
check_eq "shim-dump shows revision e2e-rev-b" e2e-rev-b "$(dump_field "$a" .revision)"
check_eq "... and 1 upgrade, from $REV" "1 $REV" "$(dump_field "$a" '"\(.upgrades) \(.upgraded_from)"')"
check_eq "the task is still RUNNING" RUNNING "$(task_status "$a")"
wait "$SLOW"
check "a State cut by the upgrade is answered by the new image ($(cat "$T/slow.out"))" \
	grep -q '^code=0 status=' "$T/slow.out"
check "the new image logs to containerd's log (the log fd handed over)" \
	grep -q "upgraded from revision $REV to e2e-rev-b" "$CD_DIR/containerd.log"

out=$("$BOX" shim-upgrade -all -state "$CD_DIR/state" -namespace "$E2E_NS" -binary "$BOX" 2>&1)
rc=$?
check_eq "shim-upgrade -all exits 0" 0 $rc
check "... and upgrades both shims: $(one_line "$out")" \
	[ "$(printf '%s\n' "$out" | grep -c "upgraded from .* to $REV")" -eq 2 ]
check_eq "shim a: upgrade 2, back to $REV" "2 $REV" "$(dump_field "$a" '"\(.upgrades) \(.revision)"')"
check_eq "shim b: upgrade 1, pid $spid_b" "1 $spid_b" "$(dump_field "$b" '"\(.upgrades) \(.pid)"')"

# --- nothing was lost ------------------------------------------------------------------------
touch "$T/ctl/stop-ps"
wait "$PS_LOOP"
read -r ps_ok ps_failed <"$T/ps.count"
check "every ctr task ps during the upgrades was answered ($ps_ok answered, $ps_failed failed)" \
	[ "$ps_failed" -eq 0 ] && [ "$ps_ok" -gt 0 ]
wait "$EXEC_E1"
check_eq "the exec started before the upgrades returns its exit status 7" 7 $?
wait "$EXEC_T1"
check_eq "the terminal exec returns its exit status 4" 4 $?
check "... and its output came through the terminal" grep -q 'tty text' "$T/tty.out"
check "... on a pty" grep -q '/dev/pts/' "$T/tty.out"
fds1=$(own_fd_count "$spid")
fds1_b=$(own_fd_count "$spid_b")
check "the shims' fds did not grow across the upgrades (a: $fds0 -> $fds1, b: $fds0_b -> $fds1_b)" \
	[ "$fds1" -le "$fds0" ] && [ "$fds1_b" -le "$fds0_b" ]
touch "$T/ctl/stop-a" "$T/ctl/stop-b"
wait "$RUN_A"
check_eq "ctr run's Wait, in flight across both upgrades, returns the init's status 3" 3 $?
check "the attached counter shows every number once, in order ($(grep -c . "$T/count-a") lines)" counter_whole "$T/count-a"
wait_for 10 task_is "$b" STOPPED
wait_for 5 grep -q '^end' "$T/count-b"
check "the file:// counter too ($(grep -c . "$T/count-b") lines)" counter_whole "$T/count-b"
for p in e1 t1; do
	check_eq "exec $p: one /tasks/exit" 1 "$(events_of_proc "$T/events" "$p" | grep -c /tasks/exit)"
done
check_eq "init of a: one /tasks/exit, exit_status 3" 1 \
	"$(event_lines "$T/events" /tasks/exit "$a" | grep -c "\"id\":\"$a\".*\"exit_status\":3[,}]")"
check "init of b: /tasks/exit with exit_status 5" event_has "$T/events" /tasks/exit "$b" '"exit_status":5[,}]'
check "ctr task delete b exits 0" tctr task delete "$b"
tctr container delete "$a" >/dev/null 2>&1
tctr container delete "$b" >/dev/null 2>&1
check "both shims exit (10 s)" wait_for 10 sh -c "! kill -0 $spid 2>/dev/null && ! kill -0 $spid_b 2>/dev/null"
if [ "$E2E_FAILS" -ne 0 ]; then
	tail -n 5 "$T/count-a" "$T/run-a.err" "$T/tty.out" | sed 's/^/#   /'
	grep /tasks/ "$T/events" | cut -c1-160 | sed 's/^/#   /'
fi
e2e_exit
