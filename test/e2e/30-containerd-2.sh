#!/bin/sh
# SPDX-License-Identifier: MIT
# releases: >=2.0
# 30 containerd 2.x: what 2.x asks of a shim beyond the Task API (PROTOCOL.md 2.10).
# - The task API version containerd settled on, from the bootstrap.json it writes for the
#   bundle: 3 on 2.3+ (BootstrapParams in, BootstrapResult out, as with containerd's own shim);
#   for shimbox on 2.0-2.2 the plain address, read as version 2 (it cannot tell those releases
#   from 1.7, which rejects 3). The socket lies in the socket_dir of 2.3+'s BootstrapParams
#   ($CD_DIR/s, from the instance's config), else in /run/containerd/s.
# - `-info`: a RuntimeInfo (protoc decodes it) with the runtime's `runc features` JSON, the
#   options Any echoed back, and no containerd.io/runtime-allow-mounts annotation.
# - binary-v2:// logging (2.3+): the logger's readiness byte on fd 5 (CONTAINER_WAIT) starts the
#   container; a logger that closes fd 5 without that byte fails the start with an error, and
#   leaves no task behind.
# - ttrpc requests carrying OpenTelemetry trace metadata (traceparent) are served.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/logs"
e2e_import_image || e2e_die "import the busybox image"
TT=$E2E_BIN/ttclient
is_shimbox() { [ "$(basename "$SHIM_EXE")" != containerd-shim-runc-v2 ]; }

# --- bootstrap: task API version and socket dir ------------------------------------------------
id=$(new_id boot)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2
check "a task runs" wait_for 10 task_is "$id" RUNNING
bj=$(bundle_dir "$id")/bootstrap.json
diag "bootstrap.json: $(cat "$bj" 2>/dev/null)"
ver=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$bj" 2>/dev/null)
if cd_at_least 2.3 || ! is_shimbox; then want=3; else want=2; fi
check_eq "containerd $CD_RELEASE talks task API version $want to the shim (bootstrap.json)" "$want" "$ver"
sock=$(shim_socket "$id")
check_eq "the shim's socket is in $(shim_socket_dir)" "$(shim_socket_dir)" "$(dirname "$sock")"
check "... and is a live socket there" test -S "$sock"
st=$(TTCLIENT_NS=$E2E_NS "$TT" "$sock" state "$id" 2>&1)
check "State on $TTCLIENT_SERVICE answers RUNNING" matches "$st" '^code=0 status=2 '
st=$(TTCLIENT_NS=$E2E_NS TTCLIENT_TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
	"$TT" "$sock" state "$id" 2>&1)
check "State with OpenTelemetry traceparent metadata is served like any other" \
	matches "$st" '^code=0 status=2 '
tctr task kill -s SIGKILL "$id" >&2
wait_for 10 task_is "$id" STOPPED
check "the task deletes" tctr task delete "$id"
tctr container delete "$id" >&2
check "its socket is removed" wait_for 5 test ! -e "$sock"
# 2.2+ asks `-info` of a runtime given by path before each Create (the mount manager; 2.4 for
# the deprecated annotation) and logs an error when it fails.
if cd_at_least 2.2; then
	check "containerd read the shim's -info without an error (its log)" \
		sh -c "! grep -E 'failed to load runtime info|failed to query deprecated runtime-allow-mounts' '$CD_DIR/containerd.log'"
fi

# --- -info -----------------------------------------------------------------------------------
cat >"$T/info.proto" <<'EOF'
syntax = "proto3";
package e2e;
message Any { string type_url = 1; bytes value = 2; }
message RuntimeVersion { string version = 1; string revision = 2; }
message RuntimeInfo {
	string name = 1; RuntimeVersion version = 2; Any options = 3; Any features = 4;
	map<string, string> annotations = 5;
}
message Options { string binary_name = 6; string root = 7; }
EOF
(cd "$T" && "$SHIM" -info </dev/null >info.bin 2>info.err)
rc=$?
check_eq "-info with no options exits 0" 0 $rc
(cd "$T" && protoc --decode=e2e.RuntimeInfo info.proto <info.bin >info.txt 2>&1)
check "its stdout is a RuntimeInfo" test $? -eq 0
diag "$(head -c 300 "$T/info.txt" | tr '\n' ' ')"
check "RuntimeInfo names a version" grep -q '^  version: "..*"' "$T/info.txt"
check "RuntimeInfo carries the runtime's features (runtime-spec Features JSON)" \
	grep -q 'type_url: "types.containerd.io/opencontainers/runtime-spec/1/features/Features"' "$T/info.txt"
check "... which are runc's own ('ociVersionMax')" grep -q 'ociVersionMax' "$T/info.txt"
check "RuntimeInfo claims no mounts (no containerd.io/runtime-allow-mounts)" \
	sh -c "! grep -q 'runtime-allow-mounts' '$T/info.txt'"
# The options Any of a runtime with binary_name: echoed, and that binary's features are read.
W=$T/runc-wrap
printf '#!/bin/sh\necho "$@" >>"%s"\nexec runc "$@"\n' "$T/wrap.log" >"$W"
chmod 755 "$W"
printf 'binary_name: "%s"' "$W" | (cd "$T" && protoc --encode=e2e.Options info.proto) >"$T/opts.bin"
{ printf '\n\032containerd.runc.v1.Options\022'; printf "\\$(printf %o "$(stat -c %s "$T/opts.bin")")"; cat "$T/opts.bin"; } >"$T/any.bin"
(cd "$T" && "$SHIM" -info <any.bin >info2.bin 2>info2.err)
check_eq "-info with runc options exits 0" 0 $?
(cd "$T" && protoc --decode=e2e.RuntimeInfo info.proto <info2.bin >info2.txt 2>&1)
check "the options Any is echoed back" grep -q 'type_url: "containerd.runc.v1.Options"' "$T/info2.txt"
check "the features come from binary_name ($W features)" grep -qx 'features' "$T/wrap.log"

# --- binary-v2:// logging (2.3+) ---------------------------------------------------------------
if cd_at_least 2.3; then
	L=$T/logger
	cat >"$L" <<EOF
#!/bin/sh
o=$T/logs/\$2
cat <&3 >"\$o.out" 4<&- 5>&- &
cat <&4 >"\$o.err" 3<&- 5>&- &
exec 3<&- 4<&-
if [ "\$2" = ready ]; then
	sleep 1
	cut -d' ' -f1 /proc/uptime >"\$o.ready"
	printf '\000' >&5
fi
exec 5>&-
wait
EOF
	chmod 755 "$L"
	# shellcheck disable=SC2016
	first='cut -d" " -f1 /proc/uptime'
	id=$(new_id logv2)
	# shellcheck disable=SC2046
	tctr run --rm $(run_opts) --log-uri "binary-v2://$L?tag=ready" "$E2E_IMAGE" "$id" \
		sh -c "$first; echo out; echo err >&2; sleep 0.3" >"$T/v2.ctr" 2>&1
	check_eq "ctr run --log-uri binary-v2://... exits 0" 0 $?
	o=$T/logs/ready
	check "stdout reaches the logger's fd 3" wait_for 5 sh -c "tail -n +2 '$o.out' | grep -qx out"
	check_eq "stderr reaches the logger's fd 4" "err" "$(cat "$o.err" 2>/dev/null)"
	t_ready=$(cat "$o.ready" 2>/dev/null)
	t_first=$(head -1 "$o.out" 2>/dev/null)
	check "the container started after the readiness byte (${t_first:-none} >= ${t_ready:-none})" \
		awk -v a="$t_first" -v b="$t_ready" 'BEGIN { exit !(a != "" && b != "" && a + 0 >= b + 0) }'

	id=$(new_id logv2bad)
	# shellcheck disable=SC2046
	err=$(tctr run --rm $(run_opts) --log-uri "binary-v2://$L?tag=silent" "$E2E_IMAGE" "$id" \
		sh -c 'echo should not run' 2>&1)
	rc=$?
	diag "logger without the readiness byte: rc $rc: $(one_line "$err")"
	check "a binary-v2 logger that closes fd 5 without the byte fails the run (not a timeout)" \
		failed_in_time $rc
	check "... and no task is left" wait_for 5 task_gone "$id"
	check "... and the container never ran" sh -c "! grep -q 'should not run' '$T/logs/silent.out' 2>/dev/null"
	tctr container delete "$id" >/dev/null 2>&1
fi
e2e_exit
