#!/bin/sh
# SPDX-License-Identifier: MIT
# 26 runtime options (containerd.runc.v1.Options from `ctr run --runc-*`).
# ctr 1.6 sends these options only for the runtime named io.containerd.runc.v2 (with
# `--runtime /path` it refuses --runc-binary), and containerd resolves that name on its PATH. So
# this file starts a second private containerd whose PATH begins with a directory holding
# containerd-shim-runc-v2 -> $SHIM, runs everything there, and cleans it up itself (its own
# leftover check at the end).
# - `--runc-binary WRAPPER` (a script that logs its arguments and execs runc; crun cannot run on
#   these hybrid-cgroup machines): the wrapper runs create, start and delete, output and exit
#   status come through;
# - `--runc-root DIR`: runc's state is DIR/<namespace>/<id> (and not under /run/containerd/runc),
#   kill and delete work there, and after a kill -9 of the shim containerd's cleanup (the shim's
#   `delete` action) still finds the wrapper and DIR (the bundle's saved options);
# - `--runc-systemd-cgroup`: `--systemd-cgroup` reaches the wrapper; without systemd runc fails,
#   and ctr must get a clear error (runc's) within the timeout, leaving nothing behind.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/bin"
command -v runc >/dev/null 2>&1 || e2e_die "runc is installed"
ln -sfn "$SHIM" "$T/bin/containerd-shim-runc-v2"
W=$T/runc-wrapper
WLOG=$T/wrapper.log
cat >"$W" <<EOF
#!/bin/sh
echo "\$*" >>'$WLOG'
exec $(command -v runc) "\$@"
EOF
chmod 755 "$W"
: >"$WLOG"

(
	# The second containerd. Everything below runs against it; the variables of the outer
	# instance are restored when this subshell ends.
	PATH=$T/bin:$PATH
	export PATH
	CD_DIR=
	E2E_FAILS=0
	RROOT=
	cleanup2() {
		events_stop
		if [ -n "$RROOT" ] && [ -d "$RROOT" ]; then
			for _c in $(runc --root "$RROOT/$E2E_NS" list -q 2>/dev/null); do
				runc --root "$RROOT/$E2E_NS" kill "$_c" KILL >/dev/null 2>&1
				runc --root "$RROOT/$E2E_NS" delete --force "$_c" >/dev/null 2>&1
			done
		fi
		cd_cleanup
	}
	trap cleanup2 EXIT
	trap 'exit 143' INT TERM HUP
	cd_start || e2e_die "a second private containerd starts (PATH with containerd-shim-runc-v2 -> $SHIM)"
	e2e_ns_new 26
	RROOT=$CD_DIR/rr
	diag "second containerd: pid $CD_PID, $CD_SOCK, namespace $E2E_NS"
	e2e_import_image || e2e_die "import the busybox image"
	ROPTS="--runtime io.containerd.runc.v2 --fifo-dir $CD_DIR/fifo"

	# --- --runc-binary ---------------------------------------------------------------------
	id=$(new_id wrapped)
	# shellcheck disable=SC2086
	out=$(tctr run --rm $ROPTS --runc-binary "$W" "$E2E_IMAGE" "$id" sh -c 'echo via the wrapper; sleep 0.3; exit 4' 2>&1)
	rc=$?
	check_eq "ctr run --runc-binary WRAPPER exits with the container's status 4" 4 $rc
	check_eq "... and its output comes through" "via the wrapper" "$out"
	for cmd in create start delete; do
		check "the wrapper ran '$cmd' for $id" sh -c "grep -E -- ' $cmd( .*)? $id\$' '$WLOG' >/dev/null"
	done
	check "the wrapper got runc's default root /run/containerd/runc/$E2E_NS" \
		sh -c "grep -q -- '--root /run/containerd/runc/$E2E_NS ' '$WLOG'"

	# --- --runc-root -------------------------------------------------------------------------
	: >"$WLOG"
	id=$(new_id rooted)
	# shellcheck disable=SC2086
	tctr run -d $ROPTS --runc-binary "$W" --runc-root "$RROOT" "$E2E_IMAGE" "$id" sleep 1000 >&2
	check_eq "ctr run -d --runc-root DIR exits 0" 0 $?
	check "the task runs" wait_for 10 task_is "$id" RUNNING
	check "runc's state is under DIR/<namespace>/<id>" test -f "$RROOT/$E2E_NS/$id/state.json"
	check "... and not under /run/containerd/runc" test ! -e "/run/containerd/runc/$E2E_NS/$id"
	check_eq "runc --root DIR/<namespace> lists it running" running \
		"$(runc --root "$RROOT/$E2E_NS" list 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }')"
	check "the wrapper got --root DIR/<namespace> for create" \
		sh -c "grep -- ' create ' '$WLOG' | grep -q -- '--root $RROOT/$E2E_NS '"
	tctr task exec --fifo-dir "$CD_DIR/fifo" --exec-id x "$id" sh -c 'echo exec under the root' >"$T/exec.out" 2>&1
	check_eq "an exec works there (runc exec with the same root)" "exec under the root" "$(cat "$T/exec.out")"
	check "the wrapper ran the exec with that root" \
		sh -c "grep -- ' exec ' '$WLOG' | grep -q -- '--root $RROOT/$E2E_NS '"
	spid=$(shim_pid "$id")
	check_eq "io.containerd.runc.v2 was served by the shim under test" "$SHIM_EXE" \
		"$(readlink "/proc/${spid:-none}/exe" 2>/dev/null)"
	# kill -9 of the shim: containerd runs the shim's `delete` action, which must use the saved
	# binary and root.
	pid=$(task_pid "$id")
	kill -9 "${spid:-none}"
	gone_or_stopped() { task_gone "$id" || task_is "$id" STOPPED; }
	check "after kill -9 of the shim the task goes away or is STOPPED (20 s)" wait_for 20 gone_or_stopped
	task_gone "$id" || tctr task delete "$id" >&2
	check "the container process dies" wait_for 10 proc_dead "${pid:-none}"
	check "the cleanup ran 'delete --force' through the wrapper with DIR/<namespace>" \
		sh -c "grep -- 'delete --force $id' '$WLOG' | grep -q -- '--root $RROOT/$E2E_NS '"
	check "runc's state under DIR is gone" wait_for 5 test ! -e "$RROOT/$E2E_NS/$id"
	check "ctr container delete exits 0" tctr container delete "$id"

	# --- --runc-systemd-cgroup ---------------------------------------------------------------
	: >"$WLOG"
	id=$(new_id sysd)
	t0=$(date +%s)
	# shellcheck disable=SC2086
	err=$(tctr run --rm $ROPTS --runc-binary "$W" --runc-systemd-cgroup --cgroup "system.slice:sbx:$id" \
		"$E2E_IMAGE" "$id" true 2>&1)
	rc=$?
	dt=$(($(date +%s) - t0))
	diag "systemd cgroup run: rc $rc after $dt s: $(one_line "$err")"
	check "the wrapper got --systemd-cgroup" grep -q -- '--systemd-cgroup' "$WLOG"
	if [ -d /run/systemd/system ]; then
		check_eq "with systemd: the run succeeds" 0 $rc
	else
		check "without systemd: ctr run fails on its own, within the timeout" failed_in_time $rc
		check "... carrying runc's error (OCI runtime create failed ... systemd ...)" matches "$err" '(OCI runtime|runc) create failed.*systemd'
	fi
	tctr task delete "$id" >/dev/null 2>&1
	tctr container delete "$id" >/dev/null 2>&1
	check "no task of it is left" task_gone "$id"
	check "no container of it is left" container_gone "$id"
	check "no shim of it is left (10 s)" wait_for 10 test -z "$(pids_by_cmdline "$id")"

	tctr image remove "$E2E_IMAGE" >/dev/null 2>&1
	events_stop
	cd_scrub
	left=$(leftovers)
	for d in /sys/fs/cgroup/*/system.slice/sbx-"$id".scope; do
		[ -d "$d" ] && left="$left cgroup $d"
	done
	[ -n "$(ls -A "$RROOT/$E2E_NS" 2>/dev/null)" ] && left="$left runc state under $RROOT"
	check_eq "the second containerd leaves nothing behind" "" "$left"
	e2e_exit
)
rc=$?
[ $rc -eq 0 ] || E2E_FAILS=$((E2E_FAILS + 1))
e2e_exit
