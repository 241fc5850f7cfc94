#!/bin/sh
# SPDX-License-Identifier: MIT
# 29 checkpoint and restore, where CRIU cannot work: Debian's criu 3.17.1 fails on these
# machines' kernel (TESTING-NOTES.md), so only the error paths are testable end to end.
# - `ctr task checkpoint` (ctr pauses the task, Checkpoint, resumes it) of a running container
#   fails within 30 s with runc's/CRIU's message; a CRIU log the error names exists and holds
#   CRIU's own error lines; the container is RUNNING afterwards with the same pid, its counter
#   advancing, and it can be killed and deleted as usual.
# - Restore: `ctr containers restore --live` of a checkpoint image built by hand (an index with a
#   container spec and a placeholder CRIU tar, imported as an OCI layout) makes containerd call
#   Create with a checkpoint. Either the shim refuses it (shimbox: UNIMPLEMENTED) or runc's
#   restore fails (the reference); either way ctr must fail within 30 s with an error that says
#   restore failed or is not supported, and nothing of the restored container may be left.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
command -v criu >/dev/null 2>&1 || e2e_die "criu is installed (Debian's criu; its failure here is what this file tests)"
command -v jq >/dev/null 2>&1 || e2e_die "jq is installed"
command -v xxd >/dev/null 2>&1 || e2e_die "xxd is installed"
e2e_import_image || e2e_die "import the busybox image"
E2E_CTR_TIMEOUT=30

# --- checkpoint ---------------------------------------------------------------------------------
id=$(new_id ckpt)
# shellcheck disable=SC2046,SC2016
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" \
	sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/counter; sleep 0.1; done' >&2 ||
	e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
pid=$(task_pid "$id")
counter_file=$(rootfs_dir "$id")/tmp/counter
advances() {
	_c0=$(cat "$counter_file" 2>/dev/null)
	wait_for 3 sh -c "[ \"\$(cat '$counter_file' 2>/dev/null)\" != '$_c0' ]"
}

t0=$(date +%s)
err=$(tctr task checkpoint "$id" 2>&1)
rc=$?
dt=$(($(date +%s) - t0))
diag "ctr task checkpoint: rc $rc after $dt s: $(one_line "$err")"
check "ctr task checkpoint fails on its own, within 30 s" failed_in_time $rc
check "... with runc's/CRIU's message" matches "$err" 'criu|CRIU'
log=$(printf '%s\n' "$err" | sed -n 's/.*\(path=\|log file:\) *\(\/[^ :]*\).*/\2/p' | head -1)
diag "CRIU log named in the error: ${log:-none}"
check "the error names a CRIU log file" test -n "$log"
check "that log exists and holds CRIU's own error lines" sh -c "grep -q 'Error (' '${log:-/nonexistent}'"
[ -f "${log:-/nonexistent}" ] && grep 'Error (' "$log" | head -3 | sed 's/^/#   /'
check_eq "the container is RUNNING afterwards (not left PAUSED)" RUNNING "$(task_status "$id")"
check_eq "... with the same init pid" "$pid" "$(task_pid "$id")"
check "... and its counter advances" advances
check "ctr task kill -s SIGKILL exits 0" tctr task kill -s SIGKILL "$id"
check "the task stops" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"

# --- restore --------------------------------------------------------------------------------------
rid=$(new_id restored)
ref=sbx/checkpoint-$E2E_NS:1
# The spec of a container that is created and never started, its cgroup path made the
# restored container's.
tctr container create --runtime "$SHIM" "$E2E_IMAGE" spec-src sleep 1000 >&2 ||
	e2e_die "ctr container create (for a spec)"
tctr container info --spec spec-src | jq ".linux.cgroupsPath = \"/$E2E_NS/$rid\"" >"$T/spec.json"
tctr container delete spec-src >&2
jq -e .process "$T/spec.json" >/dev/null 2>&1 || e2e_die "a container spec from ctr container info --spec"
# mk_checkpoint DIR SPEC-JSON REF: DIR/ck.tar, an OCI layout whose index REF is a containerd
# checkpoint: a placeholder CRIU tar, the spec as a protobuf Any, and the image, runtime and
# snapshotter annotations of `ctr containers checkpoint`.
mk_checkpoint() {
	_d=$1
	mkdir -p "$_d/o/blobs/sha256" "$_d/empty"
	echo "$marker" >"$_d/empty/README"
	tar -C "$_d/empty" -cf "$_d/criu.tar" . || return 1
	_tu=types.containerd.io/opencontainers/runtime-spec/1/Spec
	_n=$(stat -c %s "$2")
	{
		printf '0a%02x' ${#_tu}
		printf '%s' "$_tu" | xxd -p | tr -d '\n'
		printf '12'
		_v=$_n
		while [ "$_v" -ge 128 ]; do
			printf '%02x' $(((_v & 127) | 128))
			_v=$((_v >> 7))
		done
		printf '%02x' "$_v"
	} | xxd -r -p >"$_d/spec.bin"
	cat "$2" >>"$_d/spec.bin"
	_put() { # FILE: into the layout; prints "DIGEST SIZE"
		_s=$(sha256_of "$1")
		cp "$1" "$_d/o/blobs/sha256/$_s"
		echo "$_s $(stat -c %s "$1")"
	}
	# shellcheck disable=SC2046
	set -- "$3" $(_put "$_d/criu.tar") $(_put "$_d/spec.bin")
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.containerd.container.criu.checkpoint.criu.tar","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.containerd.container.checkpoint.config.v1+proto","digest":"sha256:%s","size":%s}],"annotations":{"io.containerd.checkpoint.runtime":"%s","io.containerd.checkpoint.snapshotter":"overlayfs","org.opencontainers.image.ref.name":"%s"}}' \
		"$2" "$3" "$4" "$5" "$SHIM" "$E2E_IMAGE" >"$_d/index"
	# shellcheck disable=SC2046
	set -- "$1" $(_put "$_d/index")
	printf '{"imageLayoutVersion":"1.0.0"}' >"$_d/o/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s"}}]}' \
		"$2" "$3" "$1" >"$_d/o/index.json"
	tar -C "$_d/o" -cf "$_d/ck.tar" oci-layout index.json blobs
}
marker="not a CRIU image ($E2E_NS)"
# containerd 1.6 unpacks a checkpoint into a ctrd-checkpoint* dir of its own and never removes it.
cd_tmp=$(tr '\0' '\n' <"/proc/$(cd_pid)/environ" 2>/dev/null | sed -n 's/^XDG_RUNTIME_DIR=//p')
[ -n "$cd_tmp" ] || cd_tmp=$(tr '\0' '\n' <"/proc/$(cd_pid)/environ" 2>/dev/null | sed -n 's/^TMPDIR=//p')
cd_tmp=${cd_tmp:-/tmp}
rm_ctrd_copies() {
	for _c in "$cd_tmp"/ctrd-checkpoint*; do
		[ "$(cat "$_c/README" 2>/dev/null)" = "$marker" ] && rm -rf "$_c"
	done
	return 0
}
at_exit rm_ctrd_copies
mk_checkpoint "$T/ck" "$T/spec.json" "$ref" || not_ok "build the checkpoint image"
tctr image import --no-unpack "$T/ck/ck.tar" >&2
image_listed() { tctr image ls -q 2>/dev/null | grep -qx "$ref"; }
check "the hand-made checkpoint image is imported" image_listed

t0=$(date +%s)
err=$(tctr container restore --live "$rid" "$ref" 2>&1)
rc=$?
dt=$(($(date +%s) - t0))
diag "ctr containers restore --live: rc $rc after $dt s: $(one_line "$err")"
check "the restore fails on its own, within 30 s" failed_in_time $rc
check "... with an error that says restore failed or is not supported" \
	matches "$err" '[Rr]estore.*(failed|not supported|not implemented|unimplemented)'
if ! task_gone "$rid"; then
	diag "the restored task is left as: $(task_status "$rid")"
	tctr task delete "$rid" >&2
fi
check "no task of the restored container is left" task_gone "$rid"
tctr container delete "$rid" >&2
check "its container record is removed" container_gone "$rid"
check "no shim of it is left (10 s)" wait_for 10 test -z "$(pids_by_cmdline "$rid")"
check "no shim socket of it is left" wait_for 5 test ! -e "$(shim_socket "$rid")"
check "no mount of its bundle is left" not_mounted "$(bundle_dir "$rid")"
tctr image remove "$ref" >/dev/null 2>&1
e2e_exit
