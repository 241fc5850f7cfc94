#!/bin/sh
# SPDX-License-Identifier: MIT
# 12 connection bounds (core/conn.h): what a client with the shim's uid can make the shim hold.
# - fds exhausted (prlimit on the shim, 30 connections held): the loop does not spin (its CPU
#   over 3 s stays low) and says so once, not once per attempt; State works once fds are back.
# - 300 connections held: the shim holds at most 256 (CONN_MAX), the others wait in the backlog;
#   a State sent meanwhile is answered once they close, not refused; said once in the log.
# - 16 connections each sending 4 MiB - 1 of a 4 MiB frame: the budget (32 MiB) refuses those
#   that do not fit with RESOURCE_EXHAUSTED, RSS stays within the budget, State is served
#   meanwhile on a new connection.
# - 200,000 State requests pipelined and never read: the connection stops being read once its
#   replies queue 256 KiB; RSS stays within a few MiB; another connection is served meanwhile.
# - half-closed after a Wait (shutdown SHUT_WR): the Wait is still answered when the exec exits;
#   20 that half-close after a Wait on init, then close: their connections close with them.
# - 20,000 Waits from connections that close: they die with their connections (RSS back).
# Hardening of shimbox's own (the reference is not asserted: beyond_reference).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"
TT=$E2E_BIN/ttclient
tt() { TTCLIENT_NS=$E2E_NS "$TT" "$sock" "$@" 2>&1; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ours() { beyond_reference "" "hardening of shimbox's own" "$@"; }

id=$(new_id bounds)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
sock=$(shim_socket "$id")
spid=$(shim_pid "$id")
fd0=$(fd_count "$spid")
own0=$(own_fd_count "$spid")
rss0=$(rss_kb "$spid")
diag "shim $spid: $fd0 fds ($own0 less containerd's connections), RSS $rss0 KiB"

# --- fds exhausted ------------------------------------------------------------------------------
warn0=$(grep -c 'accept' "$CD_DIR/containerd.log")
soft=$(prlimit --pid "$spid" --nofile --noheadings --output SOFT | tr -d ' ')
# The soft limit only: raising a hard limit back is not allowed.
prlimit --pid "$spid" --nofile=$((fd0 + 3)): || e2e_die "prlimit"
"$TT" "$sock" hold 30 4 >"$T/hold" 2>&1 &
hp=$!
sleep 0.5
c0=$(cpu_ticks "$spid")
sleep 3
c1=$(cpu_ticks "$spid")
wait "$hp"
prlimit --pid "$spid" --nofile="$soft": || e2e_die "prlimit back to $soft"
warn1=$(grep -c 'accept' "$CD_DIR/containerd.log")
diag "with fds exhausted: $((c1 - c0)) ticks of CPU in 3 s, $((warn1 - warn0)) log lines about accept"
ours "fds exhausted: the shim does not spin (under 50 ticks in 3 s: $((c1 - c0)))" [ $((c1 - c0)) -lt 50 ]
ours "... and logs it at most twice ($((warn1 - warn0)))" [ $((warn1 - warn0)) -le 2 ]
check "fds back: State answers" matches "$(tt state "$id")" '^code=0 status=2 '

# --- more connections than CONN_MAX ------------------------------------------------------------
full0=$(grep -c 'connections are open' "$CD_DIR/containerd.log")
"$TT" "$sock" hold 300 4 >"$T/hold300" 2>&1 &
hp=$!
wait_for 10 grep -q '^opened=' "$T/hold300"
sleep 0.5
held=$(fd_count "$spid")
st=$(TTCLIENT_TIMEOUT=20 tt state "$id")
wait "$hp"
full1=$(grep -c 'connections are open' "$CD_DIR/containerd.log")
diag "300 connections held ($(cat "$T/hold300")): the shim had $held fds; $((full1 - full0)) log lines"
ours "300 connections held: the shim holds at most 256 of them ($held fds, at most $((fd0 + 256 + 2)))" \
	[ "$held" -le $((fd0 + 256 + 2)) ]
ours "... and says so once ($((full1 - full0)))" [ $((full1 - full0)) -eq 1 ]
check "... a State sent meanwhile is answered, not refused ($st)" matches "$st" '^code=0 status=2 '

# --- 16 big frames held incomplete --------------------------------------------------------------
i=0
while [ $i -lt 16 ]; do
	TTCLIENT_TIMEOUT=20 "$TT" "$sock" partial-big 8 >"$T/big.$i" 2>&1 &
	i=$((i + 1))
done
sleep 4
rss1=$(rss_kb "$spid")
st=$(TTCLIENT_TIMEOUT=5 tt state "$id")
wait
refused=$(grep -l '^code=8 ' "$T"/big.* 2>/dev/null | wc -l)
diag "16 frames of 4 MiB - 1 held: RSS $rss1 KiB, $refused refused ($(head -c 120 "$T/big.0"))"
ours "... RSS stays within the 32 MiB budget (under $((rss0 + 40960)) KiB: $rss1)" [ "$rss1" -lt $((rss0 + 40960)) ]
ours "... those that do not fit are refused with RESOURCE_EXHAUSTED (at least 8 of 16: $refused)" [ "$refused" -ge 8 ]
check "... and State is answered meanwhile ($st)" matches "$st" '^code=0 status=2 '

# --- pipelining without reading ------------------------------------------------------------------
"$TT" "$sock" pipeline 200000 6 "$id" >"$T/pipe" 2>&1 &
pp=$!
sleep 3
rss2=$(rss_kb "$spid")
st=$(TTCLIENT_TIMEOUT=5 tt state "$id")
wait "$pp"
diag "pipelined without reading: $(cat "$T/pipe"); RSS $rss2 KiB"
ours "... RSS stays within a few MiB (under $((rss0 + 8192)) KiB: $rss2)" [ "$rss2" -lt $((rss0 + 8192)) ]
check "... and another connection is served meanwhile ($st)" matches "$st" '^code=0 status=2 '

# --- half-closed -------------------------------------------------------------------------------
tctr task exec -d --fifo-dir "$CD_DIR/fifo" --exec-id hc "$id" sh -c 'sleep 2; exit 4' >&2
r=$(TTCLIENT_TIMEOUT=20 tt halfclose-wait "$id" hc)
ours "a Wait half-closed after sending is still answered when the exec exits ($r)" matches "$r" '^code=0 exit_status=4$'
# A detached exec is kept, with its stdio, until deleted (ctr exits with its status, 4).
tctr task delete --exec-id hc "$id" >&2

# --- half-closed, then gone ----------------------------------------------------------------------
# Waits on init (which runs on) from peers that half-close, then close: the shim has read the
# end (a half-close) and parked the Wait; the close must still release the connection.
own1=$(own_fd_count "$spid")
i=0
while [ $i -lt 20 ]; do tt halfclose-gone "$id" "" >"$T/gone.$i" & i=$((i + 1)); done
wait
gone=$(grep -l '^sent$' "$T"/gone.* | wc -l)
check "20 peers sent a Wait, half-closed and closed ($gone did)" [ "$gone" -eq 20 ]
gone_back() { [ "$(own_fd_count "$spid")" -le "$own1" ]; }
ours "... and their connections are closed with them ($own1 fds before)" wait_for 5 gone_back
diag "fds now: $(own_fd_count "$spid") less containerd's connections"
check "... while State is still answered" matches "$(tt state "$id")" '^code=0 status=2 '

# --- Waits of closed connections -----------------------------------------------------------------
rss3=$(rss_kb "$spid")
r=$(TTCLIENT_TIMEOUT=120 tt wait-close 20000 "$id")
sleep 1
rss4=$(rss_kb "$spid")
diag "20000 Waits from connections that closed ($r): RSS $rss3 -> $rss4 KiB"
sent=$(printf '%s' "$r" | sed -n 's/^sent=\([0-9]*\).*/\1/p')
check "... of which at least 10000 reached the shim" [ "${sent:-0}" -ge 10000 ]
ours "... are not kept (RSS grew by less than 512 KiB)" [ $((rss4 - rss3)) -lt 512 ]
# Less containerd's connections: containerd may open another at any time (seen on 2.2.9).
fds_back() { [ "$(own_fd_count "$spid")" -le "$own0" ]; }
ours "the shim's fds, less containerd's connections, are back where they began ($own0)" wait_for 20 fds_back
diag "fds now: $(fd_count "$spid"): $(ls -l /proc/$spid/fd | awk 'NR > 1 { print $NF }' | sort | uniq -c | sort -rn | head -3 | tr '\n' ' ')"
"$TT" "$sock" wait "$id" "" >"$T/initwait" 2>&1 &
wp=$!
sleep 0.5
tctr task kill -s SIGKILL "$id" >&2
wait "$wp"
check "a Wait on a live connection is answered when init exits ($(cat "$T/initwait"))" \
	grep -q '^code=0 exit_status=137$' "$T/initwait"
wait_for 10 task_is "$id" STOPPED
check "the task deletes" tctr task delete "$id"
tctr container delete "$id" >&2
e2e_exit
