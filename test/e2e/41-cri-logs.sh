#!/bin/sh
# SPDX-License-Identifier: MIT
# releases: >=2.4
# 41 container logs through CRI: containerd's CRI reads the container's stdout and stderr from
# the FIFOs the shim under test holds and writes the kubelet's log file; `crictl logs` gives
# back exactly the bytes the container wrote:
# - short output, an empty line and a last line without a newline: the log file has one
#   "stdout F" entry per line, "stdout P" for the unterminated last one, stderr as "stderr F";
#   `crictl logs` prints the same bytes, the last line without a newline;
# - 10 MiB written by a container that exits at once (lines of every length, one of 100000
#   bytes that CRI cuts into partial entries, an unterminated last line): every byte is in the
#   log, in order, none after the exit is lost; the exit code is the container's.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
. "$E2E_TOP/scripts/cri-lib.sh"
cri_test_begin

pod=$(cri_pod logs) || e2e_die "RunPodSandbox"

# --- exact bytes, short ------------------------------------------------------------------------
s=$(cri_ctr "$pod" logs short 0 '["sh","-c","printf \"one\\ntwo\\n\\n\"; echo to-stderr >&2; printf \"last without newline\""]') ||
	e2e_die "CreateContainer short"
cric start "$s" >/dev/null
check "the container exits" wait_for 20 cri_is "$s" CONTAINER_EXITED
check_eq "... with code 0" 0 "$(cri_exit_code "$s")"
# The log file: <time> <stream> <F|P> <line>. Order between the two streams is not defined.
f=$(cri_log logs short 0)
check_eq "stdout entries in the log file: one per line, P for the last, unterminated one" \
	"$(printf 'stdout F one\nstdout F two\nstdout F \nstdout P last without newline')" \
	"$(grep ' stdout ' "$f" | cut -d' ' -f2-)"
check_eq "stderr entry in the log file" "stderr F to-stderr" "$(grep ' stderr ' "$f" | cut -d' ' -f2-)"
cric logs "$s" >"$CRI_T/short.out" 2>"$CRI_T/short.err"
printf 'one\ntwo\n\nlast without newline' >"$CRI_T/short.want"
check "crictl logs: stdout's exact bytes, the last line without a newline" cmp -s "$CRI_T/short.want" "$CRI_T/short.out"
[ -n "$(cmp "$CRI_T/short.want" "$CRI_T/short.out" 2>&1)" ] && diag "got: $(od -c "$CRI_T/short.out" | head -3 | tr "\n" " ")"
check_eq "crictl logs: stderr's bytes" "to-stderr" "$(cat "$CRI_T/short.err")"

# --- 10 MiB ------------------------------------------------------------------------------------
# The same generator on the host (the image's busybox is the host's /bin/busybox).
gen='yes abcdefghijklmnopqrstuvwxyz0123456789 | head -c 5242880; head -c 100000 /dev/zero | tr "\0" y; echo; i=0; while [ $i -lt 300 ]; do printf "%0${i}d\n" 0; i=$((i + 1)); done; yes 0123456789 | head -c 5097728'
/bin/busybox sh -c "$gen" >"$CRI_T/big.want"
size=$(stat -c %s "$CRI_T/big.want")
check_eq "the generator writes 10 MiB" 10485760 "$size"
b=$(cri_ctr "$pod" logs big 0 "[\"sh\",\"-c\",\"$(printf '%s' "$gen; exit 5" | sed 's/\\/\\\\/g; s/"/\\"/g')\"]") ||
	e2e_die "CreateContainer big"
t0=$(date +%s)
cric start "$b" >/dev/null
check "the container writing 10 MiB exits" wait_for 60 cri_is "$b" CONTAINER_EXITED
check_eq "... with its exit code" 5 "$(cri_exit_code "$b")"
diag "10 MiB logged in $(($(date +%s) - t0)) s"
cric logs "$b" >"$CRI_T/big.out" 2>"$CRI_T/big.err"
check_eq "crictl logs: all 10 MiB" "$size" "$(stat -c %s "$CRI_T/big.out")"
check "crictl logs: the exact bytes, in order" cmp -s "$CRI_T/big.want" "$CRI_T/big.out"
cmp "$CRI_T/big.want" "$CRI_T/big.out" 2>&1 | head -1 | sed 's/^/# /'
check_eq "nothing on stderr" 0 "$(stat -c %s "$CRI_T/big.err")"
check "the 100000-byte line is cut into partial entries" grep -q ' stdout P yyyy' "$(cri_log logs big 0)"

cric stopp "$pod" >/dev/null
cric rmp "$pod" >/dev/null || not_ok "RemovePodSandbox"
cri_scrub
check_eq "nothing of the instance is left on the machine" "" "$(cri_leftovers | tr '\n' ';')"
e2e_exit
