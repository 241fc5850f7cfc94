#!/bin/sh
# SPDX-License-Identifier: MIT
# 34 events kept: containerd is down for 60 s while five containers exit, each an exec first
# (status 10+i) and then its init (40+i). Each shim keeps its exit events queued, in order, for
# as long as containerd cannot be reached (shim-dump lists them as pending, with their failed
# attempts), and delivers every one, once, when containerd is back. containerd comes back with
# its ttrpc socket elsewhere so that `ctr events` is subscribed before a shim can deliver;
# the test then links the old path to it. containerd 1.7 and 2.2 delete a stopped task while
# they load its shim, before they serve (#6860): the shim, told to shut down then, still waits
# for containerd to deliver what it holds. The reference drops an event after its retries.
# timeout: 200
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/ctl"
e2e_import_image || e2e_die "import the busybox image"
command -v jq >/dev/null 2>&1 || e2e_die "jq is installed (to read shim-dump -json)"
BOX=${SHIMBOX:-$E2E_TOP/build/shimbox}
TTRPC=$CD_SOCK.ttrpc
restore_ttrpc() {
	[ -n "${CD_TTRPC_SOCK:-}" ] || return 0
	cd_stop
	rm -f "$TTRPC"
	unset CD_TTRPC_SOCK
	cd_start
}
at_exit restore_ttrpc
at_exit events_stop
MNT="--mount type=bind,src=$T/ctl,dst=/ctl,options=rbind:rw"
waits_for() { echo "while [ ! -e /ctl/$1 ]; do usleep 50000; done; exit $2"; }
pending() { # ID: the topics and exec ids shim-dump lists as pending, one "topic:exec" a line
	"$BOX" shim-dump -namespace "$E2E_NS" -id "$1" -state "$CD_DIR/state" -json 2>/dev/null |
		jq -r '.events.pending[] | "\(.topic):\(.exec_id)"'
}
pending_is() { [ "$(pending "$1" | tr '\n' ' ')" = "$2" ]; }

ids=
for i in 1 2 3 4 5; do
	id=$(new_id kept$i)
	ids="$ids $id"
	# shellcheck disable=SC2046,SC2086
	tctr run -d $(run_opts) $MNT "$E2E_IMAGE" "$id" sh -c "$(waits_for init-$i $((40 + i)))" >&2 ||
		e2e_die "ctr run -d $id"
	wait_for 10 task_is "$id" RUNNING || e2e_die "task $id RUNNING"
	tctr task exec -d --fifo-dir "$CD_DIR/fifo" --exec-id "ex$i" "$id" sh -c "$(waits_for ex-$i $((10 + i)))" >&2 ||
		e2e_die "ctr task exec -d $id"
done
shims=
for id in $ids; do shims="$shims $(shim_pid "$id")"; done
diag "shims:$shims"

check "containerd stops" cd_stop
down=$(date +%s)
i=0
for id in $ids; do
	i=$((i + 1))
	touch "$T/ctl/ex-$i"
	beyond_reference "" "it has no shim-dump" \
		"$id: shim-dump lists its exec's /tasks/exit as pending (10 s)" \
		wait_for 10 pending_is "$id" "/tasks/exit:ex$i "
	touch "$T/ctl/init-$i"
	beyond_reference "" "it has no shim-dump" "$id: ... then its init's, in order (10 s)" \
		wait_for 10 pending_is "$id" "/tasks/exit:ex$i /tasks/exit: "
done
sleep 1
id1=${ids# }
id1=${id1%% *}
dump=$("$BOX" shim-dump -namespace "$E2E_NS" -id "$id1" -state "$CD_DIR/state" -json 2>/dev/null)
diag "$id1: events $(printf '%s' "$dump" | jq -c .events)"
beyond_reference "" "it has no shim-dump" "shim-dump says when the first pending event was queued" \
	matches "$(printf '%s' "$dump" | jq -r '.events.pending[0].queued_at')" '^20[0-9]{2}-'
beyond_reference "" "it has no shim-dump" "... and counts its failed attempts" \
	matches "$(printf '%s' "$dump" | jq -r '.events.pending[0].failures')" '^[1-9][0-9]*$'
beyond_reference "" "it has no shim-dump" "... and names the last failure" \
	matches "$(printf '%s' "$dump" | jq -r '.events.last_failure')" '.'
sleep $((60 - ($(date +%s) - down)))
diag "containerd was down $(($(date +%s) - down)) s"

CD_TTRPC_SOCK=$TTRPC.later
export CD_TTRPC_SOCK
check "containerd starts again, its ttrpc socket elsewhere" cd_start
ev=$T/events
check "ctr events is subscribed" events_start "$ev"
# 1.6 leaves its old socket file behind.
rm -f "$TTRPC" && ln -s "$CD_TTRPC_SOCK" "$TTRPC"

i=0
for id in $ids; do
	i=$((i + 1))
	two() { [ "$(event_lines "$ev" /tasks/exit "$1" | wc -l)" -ge 2 ]; }
	beyond_reference "" "its publisher drops an event after five failed attempts" \
		"$id: two /tasks/exit arrive after the restart (30 s)" wait_for 30 two "$id"
	got=$(event_lines "$ev" /tasks/exit "$id" | sed -n 's/.*[{,]"id":"\([^"]*\)".*"exit_status":\([0-9]*\).*/\1=\2/p' | tr '\n' ' ')
	beyond_reference "" "its publisher drops an event after five failed attempts" \
		"$id: the exec's exit (status $((10 + i))) then the init's ($((40 + i))), once each" \
		test "$got" = "ex$i=$((10 + i)) $id=$((40 + i)) "
	[ "$got" = "ex$i=$((10 + i)) $id=$((40 + i)) " ] || diag "$id: /tasks/exit: $got"
done
sleep 1
dups=$(grep -c /tasks/exit "$ev")
beyond_reference "" "its publisher drops an event after five failed attempts" \
	"ten /tasks/exit in all, none twice ($dups)" test "$dups" -eq 10
for id in $ids; do
	if ! task_gone "$id"; then
		check "$id: ctr task delete exits 0" wait_for 10 cctr task delete "$id"
	fi
	check "$id: ctr container delete exits 0" cctr container delete "$id"
done
for s in $shims; do
	check "shim $s exits (10 s)" wait_for 10 proc_dead "$s"
done
events_stop
restore_ttrpc
e2e_exit
