#!/bin/sh
# SPDX-License-Identifier: MIT
# 51 hostile soak: rounds (SOAK_ROUNDS, default 12) in which hostile clients and real work hit
# one long-lived shim at once: a slow client (a State one byte every 5 ms), a half-closed Wait
# of an exec, an oversized frame, a 4 MiB frame left incomplete, 20,000 States pipelined and
# never read, 300 Waits from connections that close, garbage and noise; meanwhile a real exec
# with its output and exit status checked, and a real `ctr run --rm` through its own shim.
# Every answer expected is checked. After a warm-up round and after the last, the shim's fds
# (less containerd's connections) must be where they were and its RSS and anonymous memory
# within 64 and 32 KiB.
# Hardening of shimbox's own: with the reference, the memory and fd figures are diagnostics.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
ROUNDS=${SOAK_ROUNDS:-12}
TT=$E2E_BIN/ttclient
e2e_import_image || e2e_die "import the busybox image"
anon_kb() { awk '$1 == "Anonymous:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
# fds less containerd's connections (own_fd_count): containerd may open one more at any time.
snap() { echo "$(own_fd_count "$1") $(rss_kb "$1") $(anon_kb "$1")"; }

id=$(new_id hostile)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 100000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
sock=$(shim_socket "$id")
spid=$(shim_pid "$id")
tt() { TTCLIENT_NS=$E2E_NS "$TT" "$sock" "$@" 2>&1; }

bad=0
note() { bad=$((bad + 1)); diag "round $r: $*"; }
round() {
	tctr task exec -d --fifo-dir "$CD_DIR/fifo" --exec-id "hc$r" "$id" sh -c 'sleep 1; exit 3' >&2
	tt slow 5 "$id" >"$T/slow" &
	TTCLIENT_TIMEOUT=20 tt halfclose-wait "$id" "hc$r" >"$T/hc" &
	tt oversize >"$T/over" &
	TTCLIENT_TIMEOUT=20 tt partial-big 2 >"$T/big" &
	tt pipeline 20000 2 "$id" >"$T/pipe" &
	TTCLIENT_TIMEOUT=60 tt wait-close 300 "$id" >"$T/wc" &
	tt garbage >"$T/garbage" &
	tt noise >/dev/null &
	out=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id "real$r" "$id" sh -c 'echo real; exit 5' 2>&1)
	rc=$?
	[ "$rc $out" = "5 real" ] || note "exec: rc $rc, output '$out'"
	rid=$(new_id "run$r")
	# shellcheck disable=SC2046
	out=$(tctr run --rm $(run_opts) "$E2E_IMAGE" "$rid" sh -c 'echo ran; sleep 0.2' 2>&1)
	[ "$out" = ran ] || note "ctr run --rm: '$out'"
	wait
	grep -q '^code=0 status=2 ' "$T/slow" || note "slow State: $(cat "$T/slow")"
	# (The reference closes a half-closed connection with its Wait unanswered.)
	grep -q '^code=0 exit_status=3$' "$T/hc" || shim_is_reference || note "half-closed Wait: $(cat "$T/hc")"
	# A detached exec is kept until deleted (with its stdio), as by the reference.
	# (ctr exits with the deleted process's status, 3.)
	e=$(tctr task delete --exec-id "hc$r" "$id" 2>&1)
	rc=$?
	[ $rc -eq 3 ] || note "delete of exec hc$r: rc $rc: $e"
	grep -Eq '^code=8 |^closed' "$T/over" || note "oversize: $(cat "$T/over")"
	grep -Eq '^code=8 |^noreply' "$T/big" || note "incomplete 4 MiB: $(cat "$T/big")"
	grep -q '^sent=' "$T/pipe" || note "pipeline: $(cat "$T/pipe")"
	grep -q '^sent=' "$T/wc" || note "wait-close: $(cat "$T/wc")"
	grep -q '^code=3 ' "$T/garbage" || note "garbage: $(cat "$T/garbage")"
}
r=0
round
sleep 1
base=$(snap "$spid")
r=1
while [ $r -le "$ROUNDS" ]; do
	round
	r=$((r + 1))
done
check_eq "every answer in $ROUNDS rounds of hostile clients with real work was as expected" 0 "$bad"
check "State still answers" matches "$(tt state "$id")" '^code=0 status=2 '
# The last round's clients may still be closing on a loaded machine: give them 10 s.
fds_back() { [ "$(own_fd_count "$spid")" -le "${base%% *}" ]; }
wait_for 10 fds_back
sleep 1
now=$(snap "$spid")
diag "the shim after the warm-up and after $ROUNDS rounds: fds, RSS KiB, anonymous KiB = $base -> $now"
diag "its fds: $(ls -l "/proc/$spid/fd" | awk 'NR > 1 { print $NF }' | sed 's/[0-9]*]$/]/' | sort | uniq -c | tr -s ' \n' ' ')"
diag "of them, connections with containerd: $(conns_with "$spid" "$(cd_pid)")"
set -- $base $now
beyond_reference "" "a garbage-collected shim" "its fds are where they began ($1 -> $4)" [ "$4" -le "$1" ]
beyond_reference "" "a garbage-collected shim" "its RSS is within 64 KiB of where it began ($2 -> $5)" [ "$5" -le $(($2 + 64)) ]
beyond_reference "" "a garbage-collected shim" "its anonymous memory is within 32 KiB ($3 -> $6)" [ "$6" -le $(($3 + 32)) ]
tctr task kill -s SIGKILL "$id" >&2
wait_for 10 task_is "$id" STOPPED
check "the task deletes" tctr task delete "$id"
tctr container delete "$id" >&2
e2e_exit
