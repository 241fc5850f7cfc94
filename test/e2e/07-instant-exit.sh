#!/bin/sh
# SPDX-License-Identifier: MIT
# 07 instant exit: containers whose process exits at once (`true`, `false`, an echo) complete
# with the right exit status and without losing output written just before the exit, several
# times in a row, and leave no shim behind.
# Output written right before the exit goes through a file:// log URI, which the shim writes
# itself: through ctr's FIFOs the last bytes can be lost by ctr 1.6.20 itself (its Task.Delete
# closes the FIFOs before waiting for its copiers; seen in 1 of 50 rounds with the reference).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"

ids=
run_q() { # NAME CTR-RUN-OPTS CMD...: prints "rc output"
	_id=$(new_id "$1")
	ids="$ids $_id"
	_o=$2
	shift 2
	# shellcheck disable=SC2046,SC2086
	_out=$(timeout 30 ctr --address "$CD_SOCK" -n "$E2E_NS" run --rm $(run_opts) $_o "$E2E_IMAGE" "$_id" "$@" 2>&1)
	echo "$? $_out"
}
check_eq "true exits 0 with no output" "0 " "$(run_q true "" true)"
check_eq "false exits 1 with no output" "1 " "$(run_q false "" false)"
bad=0
i=1
while [ $i -le 5 ]; do
	r=$(run_q "true$i" "" true)
	[ "$r" = "0 " ] || { bad=$((bad + 1)); diag "true, round $i: $r"; }
	i=$((i + 1))
done
check_eq "true 5 times in a row: status 0 each time" 0 $bad

bad=0
i=1
while [ $i -le 10 ]; do
	r=$(run_q "echo$i" "--log-uri file://$T/echo$i.log" sh -c "echo last words $i; exit $i")
	l=$(cat "$T/echo$i.log" 2>/dev/null)
	if [ "$r" != "$i " ] || [ "$l" != "last words $i" ]; then
		bad=$((bad + 1))
		diag "echo, round $i: status+output '$r' log '$l'"
	fi
	i=$((i + 1))
done
check_eq "echo then exit at once (file:// log): output complete and status right in 10 of 10 rounds" 0 $bad

r=$(run_q seq-exit "--log-uri file://$T/seq.log" sh -c 'seq 1 20000; exit 5')
check_eq "20000 lines written right before exit 5: status 5" "5 " "$r"
check_eq "... and not one byte lost" "$(/bin/busybox seq 1 20000 | sha256sum | cut -d' ' -f1)" \
	"$(sha256_of "$T/seq.log")"
left=
for id in $ids; do
	wait_for 5 test ! -e "$(shim_socket "$id")" || left="$left $id"
done
check_eq "no shim socket left for any of them" "" "$left"
e2e_exit
