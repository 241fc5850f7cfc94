#!/bin/sh
# SPDX-License-Identifier: MIT
# 50 soak: a bounded run (about 20 s) of SOAK_CYCLES (30) cycles, each `ctr run -d`, 3 execs,
# kill, delete of a short-lived container, while one long-lived container receives 2 execs and
# 200 ttrpc State calls per cycle (60 execs and 6,000 State calls in all, after a warm-up of
# 5 execs and 400 State calls). It fails if anything is left behind or grows:
#   - zombies: children of the long-lived shim or of containerd, and the short-lived shims;
#   - the long-lived shim's open fds (+0 allowed), RSS (+64 KiB) and anonymous memory (+32 KiB);
#   - shim processes, mounts, sockets under /run/containerd/s, runc state, cgroups and bundles
#     of the short-lived containers (and, at the end, of the long-lived one).
#
# The slack. After the warm-up every code path of the soak has run once, so the long-lived
# shim's anonymous memory (smaps_rollup's Anonymous: stack, heap, written data) has no reason to
# trend upwards. It does move: musl's allocator (mallocng) hands whole groups of slots back to the
# kernel when they empty and maps them again later, so as execs come and go it wanders between its
# baseline and about +20 KiB (measured over 2,000 execs: 48 to 68 KiB, up and down, no trend).
# 32 KiB (8 pages) covers that band; a leak of one 16-byte malloc chunk per State call would add
# 94 KiB over the 6,000 calls, three times the slack, and one leaked exec record (over 3 KiB)
# per exec 200 KiB over the 65 execs. RSS also counts clean, file-backed text pages, which fault
# in the first time a branch runs (an error path during a kill, say) and are shared and
# reclaimable: 64 KiB (16 pages) holds those and the allocator's band, still below the 94 KiB of
# that smallest leak. Fds get no slack: a shim with one container and no client holds a fixed set
# (listener, epoll, signalfd, log, stdio FIFOs and pipes); they are counted once the last exec's
# FIFOs are closed (waiting 3 s at most for the count to come back down).
#
# The detectors are checked against processes that leak on purpose (the "self-test" lines): a
# shell that opens one more fd and grows by 128 KiB on SIGUSR1 must fail the growth comparison,
# and a process that never reaps its exited child must show a zombie. The other detectors are
# plain existence tests of paths and pids (the same ones the rest of the suite relies on).
#
# Against a shim other than shimbox (SHIM=.../containerd-shim-runc-v2) the memory comparison is
# printed as a diagnostic only: a garbage-collected shim's heap moves by megabytes with requests.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
CYCLES=${SOAK_CYCLES:-30}
RSS_SLACK=64
ANON_SLACK=32
TT=$E2E_BIN/ttclient

e2e_import_image || e2e_die "import the busybox image"
[ -x "$TT" ] || e2e_die "the e2e ttclient is built ($TT)"

# anon_kb PID: anonymous memory. Not Private_Dirty: that also counts the binary's pages while
# they are dirty in the page cache, i.e. for half a minute after a build.
anon_kb() { awk '$1 == "Anonymous:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
# snap PID: "FDS RSS_KB ANON_KB"
snap() { echo "$(fd_count "$1") $(rss_kb "$1") $(anon_kb "$1")"; }
# growth BEFORE AFTER: prints what grew beyond the slack; 1 if anything did.
growth() {
	echo "$1 $2" | awk -v rs="$RSS_SLACK" -v as="$ANON_SLACK" '{
		bad = 0
		if ($4 > $1) { printf "fds %d -> %d (+%d, allowed +0)\n", $1, $4, $4 - $1; bad = 1 }
		if ($5 > $2 + rs) { printf "RSS %d -> %d KiB (+%d, allowed +%d)\n", $2, $5, $5 - $2, rs; bad = 1 }
		if ($6 > $3 + as) { printf "Anonymous %d -> %d KiB (+%d, allowed +%d)\n", $3, $6, $6 - $3, as; bad = 1 }
		exit bad }'
}
# children PID: the pids whose parent is PID.
children() {
	for _d in /proc/[0-9]*; do
		[ "$(proc_ppid "${_d#/proc/}")" = "$1" ] && echo "${_d#/proc/}"
	done
}
# shims_of_ns: pids of the shim processes serving this namespace (not start/delete).
shims_of_ns() {
	for _d in /proc/[0-9]*; do
		[ "$(readlink "$_d/exe" 2>/dev/null)" = "$SHIM_EXE" ] || continue
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | awk -v ns="$E2E_NS" -v a="$CD_SOCK" '
			prev == "-namespace" && $0 == ns { n = 1 } $0 == a { s = 1 } { prev = $0; last = $0 }
			END { exit !(n && s && last != "start" && last != "delete") }' && echo "${_d#/proc/}"
	done
}
# ns_dirs: container directories of this namespace: runc state, cgroups, bundles (one per line).
ns_dirs() {
	for _d in /run/containerd/runc/"$E2E_NS"/* /sys/fs/cgroup/*/"$E2E_NS"/* /sys/fs/cgroup/"$E2E_NS"/* \
		"$CD_DIR/state/io.containerd.runtime.v2.task/$E2E_NS"/*; do
		[ -d "$_d" ] && echo "$_d"
	done
}
is_shimbox() { case $(basename "$SHIM_EXE") in shimbox*) return 0 ;; esac; return 1; }

# --- self-test of the detectors -----------------------------------------------------------------
cat >"$T/leaker.sh" <<'EOF'
n=4 # dash takes one-digit fds only
x=
grow() {
	n=$((n + 1))
	eval "exec $n</dev/null"
	x="$x$(head -c 131072 /dev/zero | tr '\0' x)"
}
trap grow USR1
while :; do sleep 0.05; done
EOF
sh "$T/leaker.sh" &
leaker=$!
sleep 0.3
before=$(snap $leaker)
kill -USR1 $leaker
sleep 0.5
after=$(snap $leaker)
report=$(growth "$before" "$after")
reported() { printf '%s\n' "$report" | grep -q "^$1 "; }
check "self-test: the growth check fails on a process that leaks an fd and 128 KiB" \
	eval 'reported fds && reported RSS && reported Anonymous'
printf '%s\n' "$report" | sed 's/^/#   leaker: /'
check "self-test: the growth check passes a process that does not grow" growth "$after" "$(snap $leaker)"
kill $leaker 2>/dev/null
wait $leaker 2>/dev/null
sh -c 'sleep 0 & exec sleep 5' &
noreap=$!
has_zombie() { [ -n "$(zombies "$1")" ]; }
check "self-test: the zombie check sees the unreaped child of a process" wait_for 3 has_zombie $noreap
kill $noreap 2>/dev/null
wait $noreap 2>/dev/null

# --- the long-lived container and its warm-up ---------------------------------------------------
long=$(new_id soak-long)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$long" sleep 100000 >/dev/null 2>&1
wait_for 10 task_is "$long" RUNNING || e2e_die "the long-lived container runs"
lp=$(shim_pid "$long")
[ -n "$lp" ] || e2e_die "the long-lived shim is found"
lsock=$(shim_socket "$long")
init=$(task_pid "$long")
nexec=0
exec_long() { # N: execs into the long-lived container; 1 if one failed
	_r=0
	for _i in $(seq "$1"); do
		nexec=$((nexec + 1))
		tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id "x$nexec" "$long" sh -c 'echo x >/dev/null' \
			</dev/null >/dev/null 2>&1 || _r=1
	done
	return $_r
}
state_long() { # N State calls on one connection
	[ "$(TTCLIENT_NS=$E2E_NS "$TT" "$lsock" repeat "$1" "$long")" = "code=0 answered=$1" ]
}
check "warm-up: 5 execs into $long" exec_long 5
check "warm-up: 2 x 200 State calls to its shim" eval 'state_long 200 && state_long 200'
sleep 1
base=$(snap "$lp")
diag "long-lived shim $lp after the warm-up: fds, RSS KiB, anonymous KiB = $base"

# --- the cycles -------------------------------------------------------------------------------------
t0=$(date +%s)
fails=0
short_shims=
ids=
i=0
while [ $i -lt "$CYCLES" ]; do
	i=$((i + 1))
	id=$(new_id "soak-$i")
	ids="$ids $id"
	# shellcheck disable=SC2046
	if ! tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 100000 >/dev/null 2>&1 ||
		! wait_for 10 task_is "$id" RUNNING; then
		fails=$((fails + 1)); diag "cycle $i: $id does not run"; continue
	fi
	short_shims="$short_shims $(shim_pid "$id")"
	for e in 1 2 3; do
		tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id "e$e" "$id" true </dev/null >/dev/null 2>&1 ||
			{ fails=$((fails + 1)); diag "cycle $i: exec $e into $id failed"; }
	done
	tctr task kill -s SIGKILL "$id" >/dev/null 2>&1 || { fails=$((fails + 1)); diag "cycle $i: kill failed"; }
	wait_for 10 task_is "$id" STOPPED || { fails=$((fails + 1)); diag "cycle $i: $id did not stop"; }
	tctr task delete "$id" >/dev/null 2>&1 || { fails=$((fails + 1)); diag "cycle $i: task delete failed"; }
	tctr container delete "$id" >/dev/null 2>&1 || { fails=$((fails + 1)); diag "cycle $i: container delete failed"; }
	exec_long 2 || { fails=$((fails + 1)); diag "cycle $i: an exec into $long failed"; }
	state_long 200 || { fails=$((fails + 1)); diag "cycle $i: State calls to $long failed"; }
done
diag "$CYCLES cycles in $(($(date +%s) - t0)) s; $nexec execs and $((400 + CYCLES * 200)) State calls to the long-lived shim"
check_eq "every run, exec, kill and delete of the $CYCLES cycles succeeded" 0 "$fails"

# --- nothing left, nothing grown ---------------------------------------------------------------------
short_gone() {
	for p in $short_shims; do proc_gone "$p" || return 1; done
}
check "the $CYCLES short-lived shims are gone (not even zombies)" wait_for 5 short_gone
for p in $short_shims; do proc_gone "$p" || diag "still there: $p $(proc_state "$p")"; done
check "no zombie among the children of the long-lived shim or of containerd" no_zombies "$lp" "$(cd_pid)"
check_eq "the long-lived shim's only child is the container's init" "$init" "$(children "$lp" | tr '\n' ' ' | sed 's/ $//')"
check_eq "the only shim process of the namespace is the long-lived one" "$lp" "$(shims_of_ns | tr '\n' ' ' | sed 's/ $//')"
fds_back() { [ "$(fd_count "$lp")" -le "${base%% *}" ]; }
wait_for 3 fds_back
sleep 0.5
now=$(snap "$lp")
diag "long-lived shim $lp after the soak: fds, RSS KiB, anonymous KiB = $now"
report=$(growth "$base" "$now")
fd_b=${base%% *} fd_n=${now%% *}
check_eq "the long-lived shim's open fds did not grow" "$fd_b" "$fd_n"
if is_shimbox; then
	check "the long-lived shim's RSS (+$RSS_SLACK KiB) and anonymous memory (+$ANON_SLACK KiB) did not grow" \
		eval '! reported RSS && ! reported Anonymous'
	printf '%s\n' "$report" | grep -E '^(RSS|Anonymous)' | sed 's/^/#   /'
	check_eq "the long-lived shim still has 1 thread" 1 "$(threads_of "$lp")"
else
	diag "memory of a shim other than shimbox, for information: $base -> $now; threads: $(threads_of "$lp")"
fi

left_sockets=
left_mounts=
for id in $ids; do
	s=$(socket_for "$E2E_NS" "$id")
	[ -e "$s" ] && left_sockets="$left_sockets $id"
	is_mounted "$(rootfs_dir "$id")" && left_mounts="$left_mounts $id"
done
check_eq "no socket left under $(shim_socket_dir) by the short-lived shims" "" "$left_sockets"
check_eq "no rootfs left mounted by the short-lived shims" "" "$left_mounts"
check_eq "only the long-lived container's rootfs is mounted in the namespace" "$(rootfs_dir "$long")" \
	"$(mounts_under "$CD_DIR/state/io.containerd.runtime.v2.task/$E2E_NS" | tr '\n' ' ' | sed 's/ $//')"
check_eq "runc state, cgroups and bundles: only the long-lived container's" "" \
	"$(ns_dirs | grep -v "/$long\$" | tr '\n' ' ')"
check "the long-lived socket still serves" [ -S "$lsock" ]

# --- the long-lived container goes too -------------------------------------------------------------
tctr task kill -s SIGKILL "$long" >/dev/null 2>&1
wait_for 10 task_is "$long" STOPPED || not_ok "$long stops"
tctr task delete "$long" >/dev/null 2>&1
tctr container delete "$long" >/dev/null 2>&1
check "the long-lived shim exits after its delete" wait_for 5 proc_gone "$lp"
check "its socket is removed" wait_for 3 sh -c "[ ! -e '$lsock' ]"
check_eq "nothing of the namespace is left: shims" "" "$(shims_of_ns)"
check_eq "nothing of the namespace is left: mounts" "" \
	"$(mounts_under "$CD_DIR/state/io.containerd.runtime.v2.task/$E2E_NS")"
check_eq "nothing of the namespace is left: runc state, cgroups, bundles" "" "$(ns_dirs | tr '\n' ' ')"
check "no zombie among containerd's children" no_zombies "$(cd_pid)"
e2e_exit
