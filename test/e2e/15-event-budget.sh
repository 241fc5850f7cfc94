#!/bin/sh
# SPDX-License-Identifier: MIT
# 15 event budget: a shim whose TTRPC_ADDRESS is a socket that accepts and never answers keeps
# every event queued. Creates whose rootfs Mount carries 1 MiB of unknown fields must not make
# that queue grow by a MiB each: /tasks/create carries only the mount's known fields (type,
# source, target, options). The test starts build/shimbox's server itself (shim -socket, cwd
# its own dir, TTRPC_ADDRESS the black hole), creates N real containers (a runc bundle each,
# rootfs a bind mount of build/rootfs) through its own ttrpc client, and checks: every Create
# answers with a pid; the first Forward the black hole sees is small; shim-dump shows the N
# /tasks/create events queued and none dropped; the shim's RSS stays under RSS_BOUND_KB.
#
# Bound: 16 creates x 1 MiB would hold >16 MiB if the mounts were queued verbatim; with them
# re-encoded, the queue holds ~16 x 600 bytes and the shim's RSS (a few hundred KiB idle, plus
# the one request being decoded) stays below 8 MiB. This is shimbox's own queue: the test runs
# build/shimbox whatever SHIM names.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
BOX=${SHIMBOX:-$E2E_TOP/build/shimbox}
N=16
PAD=$((1024 * 1024))
RSS_BOUND_KB=8192
FRAME_BOUND=4096

[ -x "$BOX" ] || e2e_die "the multicall binary $BOX exists"
command -v jq >/dev/null 2>&1 || e2e_die "jq is installed (to write the bundles and read shim-dump -json)"
[ -x "$E2E_ROOTFS/bin/busybox" ] || e2e_die "the busybox rootfs $E2E_ROOTFS exists"
EVB=$E2E_BIN/evbudget
if [ ! -x "$EVB" ] || [ -n "$(find "$E2E_TOP/test/e2e/evbudget.c" "$E2E_TOP/wire" -newer "$EVB" 2>/dev/null)" ]; then
	(cd "$E2E_TOP" && cc -O1 -I. -o "$EVB.$$" test/e2e/evbudget.c wire/*.c && mv "$EVB.$$" "$EVB") ||
		e2e_die "build build/e2e/evbudget"
fi
if cd_at_least 2.0; then TTCLIENT_SERVICE=containerd.task.v3.Task; fi
TTCLIENT_NS=$E2E_NS
export TTCLIENT_NS TTCLIENT_SERVICE

HOLE=$T/hole.sock
SOCK=$T/shim.sock
RUNC_ROOT=/run/containerd/runc/$E2E_NS
ids=
BH_PID=
SHIM_PID=

cleanup() {
	[ -n "$SHIM_PID" ] && kill -9 "$SHIM_PID" 2>/dev/null
	[ -n "$BH_PID" ] && kill "$BH_PID" 2>/dev/null
	for i in $ids; do
		runc --root "$RUNC_ROOT" kill "$i" KILL >/dev/null 2>&1
		runc --root "$RUNC_ROOT" delete --force "$i" >/dev/null 2>&1
		umount_under "$T/b/$i"
		for cg in /sys/fs/cgroup/*/"$E2E_NS/$i"; do [ -d "$cg" ] && rmdir "$cg" 2>/dev/null; done
	done
	return 0
}
at_exit cleanup

mkdir -p "$T/frames"
"$EVB" blackhole "$HOLE" "$T/frames" >"$T/hole.log" 2>&1 &
BH_PID=$!
wait_for 5 test -S "$HOLE" || e2e_die "the black-hole listener is up"

mkdir -p "$T/shim"
: >"$T/shim/log" # the shim logs to ./log (a FIFO under containerd, a plain file here)
(cd "$T/shim" && TTRPC_ADDRESS=unix://$HOLE exec "$BOX" shim -namespace "$E2E_NS" \
	-id evb -address "$CD_SOCK" -socket "$SOCK" </dev/null >/dev/null 2>&1) &
SHIM_PID=$!
wait_for 5 test -S "$SOCK" || e2e_die "the shim listens on $SOCK"
rss0=$(rss_kb "$SHIM_PID")
diag "shim pid $SHIM_PID, RSS $rss0 kB before any Create"

i=0
pids_ok=0
while [ $i -lt $N ]; do
	id=$(new_id "evb-$i")
	ids="$ids $id"
	b=$T/b/$id
	mkdir -p "$b"
	(cd "$b" && runc spec) || e2e_die "runc spec"
	jq --arg cg "/$E2E_NS/$id" '.process.terminal = false | .process.args = ["/bin/sleep", "1000"] |
		.linux.cgroupsPath = $cg' "$b/config.json" >"$b/config.new" && mv "$b/config.new" "$b/config.json"
	r=$(timeout 30 "$EVB" create "$SOCK" "$id" "$b" "$E2E_ROOTFS" "$PAD" 2>&1)
	case $r in
	"code=0 pid="[1-9]*) pids_ok=$((pids_ok + 1)) ;;
	*) diag "Create $id: $r" ;;
	esac
	i=$((i + 1))
done
check_eq "all $N Creates with 1 MiB of unknown Mount fields answer with a pid" "$N" "$pids_ok"

rss1=$(rss_kb "$SHIM_PID")
diag "shim RSS after $N Creates: $rss1 kB (before: $rss0 kB)"
check "the shim's RSS stays under $RSS_BOUND_KB kB (${rss1:-?} kB)" [ "${rss1:-999999}" -lt $RSS_BOUND_KB ]

"$BOX" shim-dump -address "unix://$SOCK" -json >"$T/dump.json" 2>"$T/dump.err"
q=$(jq -r '.events.queued' "$T/dump.json" 2>/dev/null)
d=$(jq -r '.events.dropped' "$T/dump.json" 2>/dev/null)
s=$(jq -r '.events.sent' "$T/dump.json" 2>/dev/null)
diag "events: queued $q, sent $s, dropped $d"
check "the $N /tasks/create events are all queued, undelivered (${q:-?})" [ "${q:-0}" -ge $N ]
check_eq "no event was dropped" 0 "$d"
check_eq "no event was delivered" 0 "$s"

wait_for 5 grep -q '^frame ' "$T/hole.log"
first=$(sed -n 's/^frame //p' "$T/hole.log" | head -n 1)
diag "the black hole saw $(grep -c '^frame ' "$T/hole.log") frame(s); the first has ${first:-no} bytes"
check "the first Forward (the first /tasks/create) is under $FRAME_BOUND bytes (${first:-none})" \
	[ "${first:-999999999}" -lt $FRAME_BOUND ]
# The payload of that frame: a ttrpc Request whose ForwardRequest holds the TaskCreate.
f0=$T/frames/frame-0
check "that frame names containerd.events.TaskCreate and the first container" \
	sh -c "grep -aq containerd.events.TaskCreate '$f0' && grep -aq 'evb-0' '$f0'"
check "its mount keeps the known fields: type bind, source $E2E_ROOTFS, option rbind" \
	sh -c "grep -aq bind '$f0' && grep -aqF '$E2E_ROOTFS' '$f0' && grep -aq rbind '$f0'"
check "the shim is still alive" proc_alive "$SHIM_PID"
grep -E 'error|warning' "$T/shim/log" | head -5 | sed 's/^/# shim log: /'
e2e_exit
