#!/bin/sh
# SPDX-License-Identifier: MIT
# 16 bad ids: an exec id or a container id holding a NUL byte (which a C string would silently
# cut to its prefix, "" for a leading NUL) is refused with INVALID_ARGUMENT, as is one with a
# '/'; 50 such Execs leave the shim with init as its only process and no more memory than a
# few KiB (no spec kept for a process nobody can reach); a good exec still runs afterwards.
# Straight over ttrpc (build/e2e/ttclient call), as containerd would never send such ids.
# Hardening of shimbox's own: the reference accepts such exec ids (beyond_reference).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"
TT=$E2E_BIN/ttclient

# pb_field and hex_of: scripts/e2e-lib.sh.
field() { pb_field "$@"; }

id=$(new_id ids)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
sock=$(shim_socket "$id")
spid=$(shim_pid "$id")
# A process spec of ~16 KiB (an environment variable), as an Any.
pad=$(head -c 16000 /dev/zero | tr '\0' 'a')
spec=$(printf '{"args":["true"],"cwd":"/","env":["PAD=%s"],"user":{"uid":0,"gid":0}}' "$pad")
any=$(field 1 "$(hex_of types.containerd.io/opencontainers/runtime-spec/1/Process)")$(field 2 "$(hex_of "$spec")")
exec_req() { # EXEC_ID_HEX: ExecProcessRequest{id, exec_id, spec}
	printf '%s%s%s' "$(field 1 "$(hex_of "$id")")" "$(field 2 "$1")" "$(field 7 "$any")"
}
call() { TTCLIENT_NS=$E2E_NS "$TT" "$sock" call "$TTCLIENT_SERVICE" "$@" 2>&1; }

r=$(call Exec "$(exec_req 00)")
beyond_reference "" "the reference accepts them" "an exec id that is a single NUL byte is refused with INVALID_ARGUMENT ($r)" matches "$r" '^code=3 '
r=$(call Exec "$(exec_req "$(hex_of ok)00$(hex_of tail)")")
beyond_reference "" "the reference accepts them" "an exec id with a NUL inside is refused with INVALID_ARGUMENT ($r)" matches "$r" '^code=3 '
r=$(call Exec "$(exec_req "$(hex_of a/b)")")
beyond_reference "" "the reference accepts them" "an exec id with a '/' is refused with INVALID_ARGUMENT ($r)" matches "$r" '^code=3 '
r=$(call Create "$(field 1 "$(hex_of x)00$(hex_of y)")$(field 2 "$(hex_of /tmp)")")
beyond_reference "" "the reference accepts them" "a container id with a NUL is refused with INVALID_ARGUMENT ($r)" matches "$r" '^code=3 '

rss0=$(rss_kb "$spid")
n=0 refused=0
while [ $n -lt 50 ]; do
	r=$(call Exec "$(exec_req "00$(hex_of "$n")")")
	matches "$r" '^code=3 ' && refused=$((refused + 1))
	n=$((n + 1))
done
rss1=$(rss_kb "$spid")
beyond_reference "" "the reference accepts them" "50 Execs with NUL-led ids: all refused" [ "$refused" -eq 50 ]
check_eq "... and init is still the container's only process" 1 \
	"$(tctr task ps "$id" 2>/dev/null | tail -n +2 | wc -l | tr -d ' ')"
diag "shim RSS before and after the 50 refused Execs: $rss0 -> $rss1 KiB"
beyond_reference "" "the reference keeps them" "... and the shim kept none of their 16 KiB specs (RSS grew by less than 256 KiB)" \
	[ $((rss1 - rss0)) -lt 256 ]
out=$(tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id good "$id" echo fine 2>&1)
check_eq "a good exec still runs" fine "$out"
tctr task kill -s SIGKILL "$id" >&2
wait_for 10 task_is "$id" STOPPED
check "the task deletes" tctr task delete "$id"
tctr container delete "$id" >&2
e2e_exit
