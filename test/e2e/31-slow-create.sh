#!/bin/sh
# SPDX-License-Identifier: MIT
# 31 slow create: containerd 2.3+ gives State 2 s (io.containerd.timeout.task.state) and tears
# down a container whose State misses it, so nothing may wait behind a slow `runc create`.
# A containerd of its own runs with a `runc` first on its PATH that sleeps 4 s before `create`
# of containers named slow-*. In one pod (io.containerd.runc.v2.group, one shim), `fast` runs;
# while slow-1's create is in flight: State of fast and of slow-1 is answered within 2 s on the
# shim's socket, `ctr task ls` answers, and an exec in fast runs to its exit status (its Wait
# answered). slow-1 then reaches RUNNING and serves an exec; both delete cleanly.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/bin"
TT=$E2E_BIN/ttclient
real_runc=$(command -v runc) || e2e_die "runc is installed"
cat >"$T/bin/runc" <<EOF
#!/bin/sh
# Sleeps before creating a slow-* container; everything else goes straight to runc.
case " \$* " in *" create "*" slow-"*) echo "\$(date +%s) create slow" >>'$T/runc.log'; sleep 4 ;; esac
exec $real_runc "\$@"
EOF
chmod 755 "$T/bin/runc"

(
	PATH=$T/bin:$PATH
	export PATH
	CD_DIR=
	E2E_FAILS=0
	trap cd_cleanup EXIT
	trap 'exit 143' INT TERM HUP
	cd_start || e2e_die "a containerd with the slow runc on its PATH starts"
	e2e_ns_new 31
	e2e_import_image || e2e_die "import the busybox image"
	group=pod-$E2E_NS
	fast=$(new_id fast)
	slow=$(new_id slow-1)
	# shellcheck disable=SC2046
	tctr run -d $(run_opts) --annotation "io.containerd.runc.v2.group=$group" "$E2E_IMAGE" \
		"$fast" sleep 1000 >&2
	check "fast runs" wait_for 10 task_is "$fast" RUNNING
	sock=$(shim_socket "$fast")
	# shellcheck disable=SC2046
	tctr run -d $(run_opts) --annotation "io.containerd.runc.v2.group=$group" "$E2E_IMAGE" \
		"$slow" sleep 1000 >"$T/slow.out" 2>&1 &
	slow_run=$!
	check "slow-1's runc create is in flight" wait_for 10 test -s "$T/runc.log"
	st=$(TTCLIENT_NS=$E2E_NS TTCLIENT_TIMEOUT=2 "$TT" "$sock" state "$fast" 2>&1)
	why="the reference before 2.3 holds State behind a Create in flight (containerd PR 13483)"
	beyond_reference "<2.3" "$why" \
		"State of fast is answered within 2 s during slow-1's create ($st)" matches "$st" '^code=0 status=2 '
	st=$(TTCLIENT_NS=$E2E_NS TTCLIENT_TIMEOUT=2 "$TT" "$sock" state "$slow" 2>&1)
	beyond_reference "<2.3" "$why" \
		"State of slow-1 itself is answered within 2 s ($st)" matches "$st" '^code='
	check "ctr task ls answers within 2 s" timeout 2 ctr --address "$CD_SOCK" -n "$E2E_NS" task ls
	out=$(E2E_CTR_TIMEOUT=3 tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id probe "$fast" sh -c 'echo probed; exit 6' 2>&1)
	rc=$?
	check_eq "an exec in fast runs to its exit status 6 meanwhile (its Wait answered)" "6 probed" "$rc $out"
	wait "$slow_run"
	check_eq "ctr run -d slow-1 succeeds once runc is done" 0 $?
	check "slow-1 reaches RUNNING" wait_for 10 task_is "$slow" RUNNING
	out=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id after "$slow" echo alive 2>&1)
	check_eq "slow-1 serves an exec" alive "$out"
	for c in "$slow" "$fast"; do
		tctr task kill -s SIGKILL "$c" >&2
		wait_for 10 task_is "$c" STOPPED
		check "$c deletes" tctr task delete "$c"
		tctr container delete "$c" >&2
	done
	beyond_reference ">=2.0" "2.x's reference removes the socket of its first container's id, not of the group" \
		"the pod's socket is removed" wait_for 10 test ! -e "$sock"
	cd_scrub
	check_eq "nothing is left behind" "" "$(leftovers)"
	e2e_exit
)
rc=$?
[ $rc -eq 0 ] || E2E_FAILS=$((E2E_FAILS + 1))
e2e_exit
