#!/bin/sh
# SPDX-License-Identifier: MIT
# 01 output: a container's stdout and stderr reach ctr byte for byte and apart, from a --rootfs
# directory and from an image (overlay) rootfs, including 10 MB checked by sha256.
# Expectations are computed on the host with the same /bin/busybox the container runs.
# Each container pauses before it exits: ctr 1.6.20's client closes its ends of the FIFOs as soon
# as the exit is reported (Task.Delete: io.Close before io.Wait), so output it has not copied yet
# can be lost whatever the shim does (see 07 for output right before an exit).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
e2e_import_image || e2e_die "import the busybox image"

# Text without a final newline, tabs, backslashes, a NUL and bytes >= 0x80, interleaved.
script='printf "out line 1\n\tout line 2 \\\\ no newline"; printf "err \001\377 line\n" >&2; printf "\000out after nul"; printf "\nerr tail" >&2'
/bin/busybox sh -c "$script" >"$T/exp.out" 2>"$T/exp.err"
script="$script; sleep 0.3"

id=$(new_id small-rootfs)
# shellcheck disable=SC2046
cctr run --rm $(run_opts) --rootfs "$E2E_ROOTFS" "$id" /bin/sh -c "$script" >"$T/rootfs.out" 2>"$T/rootfs.err"
rc=$?
check "ctr run --rootfs DIR exits 0" [ $rc -eq 0 ]
check "stdout byte for byte (--rootfs DIR)" cmp "$T/exp.out" "$T/rootfs.out"
check "stderr byte for byte, apart from stdout (--rootfs DIR)" cmp "$T/exp.err" "$T/rootfs.err"

id=$(new_id small-image)
# shellcheck disable=SC2046
cctr run --rm $(run_opts) "$E2E_IMAGE" "$id" sh -c "$script" >"$T/image.out" 2>"$T/image.err"
rc=$?
check "ctr run IMAGE exits 0" [ $rc -eq 0 ]
check "stdout byte for byte (image rootfs)" cmp "$T/exp.out" "$T/image.out"
check "stderr byte for byte, apart from stdout (image rootfs)" cmp "$T/exp.err" "$T/image.err"

# 10 MB on stdout while ~1 MB goes to stderr at the same time.
big='seq 1 150000 >&2 & seq 1 1500000 | head -c 10000000; wait; sleep 0.3'
exp_out=$(/bin/busybox sh -c 'seq 1 1500000 | head -c 10000000' | sha256sum | cut -d' ' -f1)
exp_err=$(/bin/busybox seq 1 150000 | sha256sum | cut -d' ' -f1)
id=$(new_id big)
# shellcheck disable=SC2046
cctr run --rm $(run_opts) "$E2E_IMAGE" "$id" sh -c "$big" >"$T/big.out" 2>"$T/big.err"
rc=$?
check "10 MB run exits 0" [ $rc -eq 0 ]
check_eq "10 MB of stdout intact: size" 10000000 "$(stat -c %s "$T/big.out")"
check_eq "10 MB of stdout intact: sha256" "$exp_out" "$(sha256_of "$T/big.out")"
check_eq "stderr written concurrently intact: sha256" "$exp_err" "$(sha256_of "$T/big.err")"
rm -f "$T/big.out" "$T/big.err"
e2e_exit
