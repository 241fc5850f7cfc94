#!/bin/sh
# SPDX-License-Identifier: MIT
# 08 concurrent: 20 containers started at once all complete, each with its own output and exit
# status, and leave no shim, mount or socket behind.
# Each container sleeps a little after writing: ctr 1.6.20's client closes its ends of the
# stdout/stderr FIFOs (Task.Delete: io.Close before io.Wait) as soon as the exit is reported, so
# under load, output that ctr has not yet copied is dropped whatever the shim does. Observed with
# the reference shim in 3 of 10 runs without the pause. Output written right before an exit is
# checked in 07 without load, and through a file:// log URI, which ctr does not copy.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"

n=20
i=1
pids=
while [ $i -le $n ]; do
	id=$(new_id "c$i")
	# shellcheck disable=SC2046
	(
		ctr --address "$CD_SOCK" -n "$E2E_NS" run --rm $(run_opts) "$E2E_IMAGE" "$id" \
			sh -c "echo hello from $i; echo to stderr $i >&2; sleep 0.5; exit $((i % 6))" \
			>"$T/$i.out" 2>"$T/$i.err"
		echo $? >"$T/$i.rc"
	) &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done

bad_out=0
bad_err=0
bad_rc=0
i=1
while [ $i -le $n ]; do
	if [ "$(cat "$T/$i.out")" != "hello from $i" ]; then
		bad_out=$((bad_out + 1))
		diag "c$i stdout: $(head -c 200 "$T/$i.out")"
	fi
	if [ "$(cat "$T/$i.err")" != "to stderr $i" ]; then
		bad_err=$((bad_err + 1))
		diag "c$i stderr: $(head -c 200 "$T/$i.err")"
	fi
	if [ "$(cat "$T/$i.rc")" != $((i % 6)) ]; then
		bad_rc=$((bad_rc + 1))
		diag "c$i status: $(cat "$T/$i.rc")"
	fi
	i=$((i + 1))
done
check_eq "$n at once: every stdout right" 0 $bad_out
check_eq "$n at once: every stderr right" 0 $bad_err
check_eq "$n at once: every exit status right" 0 $bad_rc
check_eq "no task left in ctr task ls" "" "$(cctr task ls -q 2>&1)"
left=
i=1
while [ $i -le $n ]; do
	wait_for 5 test ! -e "$(shim_socket "c$i")" || left="$left c$i"
	i=$((i + 1))
done
check_eq "no shim socket left" "" "$left"
check "no mount left under the namespace's bundles" \
	not_mounted "$CD_DIR/state/io.containerd.runtime.v2.task/$E2E_NS"
e2e_exit
