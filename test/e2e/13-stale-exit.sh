#!/bin/sh
# SPDX-License-Identifier: MIT
# 13 a stale exit: the shim must never hand the exit of an earlier process to a new child that
# reuses its pid.
# A second private containerd runs as the only thing in its own pid namespace (unshare --pid
# --fork --mount-proc, below test/e2e/subreaper), so that /proc/sys/kernel/ns_last_pid chooses
# the next pid. The container's binary:// logger leaves an orphan that the shim collects as an
# unclaimed exit (pid P), then, as the last thing before it is ready, sets ns_last_pid to P - 1:
# the next fork in the namespace is the shim's `runc create`, which gets pid P. That Create must
# succeed (before the fix the new runc was given the orphan's exit: Create failed at once, and
# runc went on to create a container nobody knew), and the container must run and exit as ever.
# The runtime is a --runc-binary wrapper that records its pid, which shows the pid was reused.
# ctr 1.6 sends --runc-binary only for io.containerd.runc.v2 found on PATH (as in 26).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/bin"
command -v unshare >/dev/null 2>&1 || e2e_die "unshare (util-linux) is installed"
ln -sfn "$SHIM" "$T/bin/containerd-shim-runc-v2"

W=$T/runc-wrapper
cat >"$W" <<EOF
#!/bin/sh
echo "\$\$ \$*" >>'$T/runc.log'
exec $(command -v runc) "\$@"
EOF
L=$T/logger
cat >"$L" <<EOF
#!/bin/sh
cat <&3 >'$T/out' 4<&- 5>&- &
cat <&4 >'$T/err' 3<&- 5>&- &
exec 3<&- 4<&-
# An orphan: its parent exits at once, so it is reparented to the shim, which collects it.
sh -c 'sleep 0.3 & echo \$! >"$T/orphan"'
read -r o <'$T/orphan'
while [ -d "/proc/\$o" ]; do sleep 0.05; done
# No fork from here on: the next process of the namespace is the shim's next child.
echo \$((o - 1)) >/proc/sys/kernel/ns_last_pid
exec 5>&-
wait
EOF
chmod 755 "$W" "$L"
: >"$T/runc.log"

(
	# The second containerd, in its own pid and mount namespaces. Everything below runs
	# against it; the variables of the outer instance are restored when this subshell ends.
	PATH=$T/bin:$PATH
	export PATH
	E2E_FAILS=0
	US_PID=
	cleanup2() {
		cd_cleanup
		[ -n "$US_PID" ] && kill -9 "$US_PID" 2>/dev/null
	}
	trap cleanup2 EXIT
	trap 'exit 143' INT TERM HUP
	CD_DIR=$(mktemp -d /tmp/sbx.XXXX) || e2e_die "mktemp"
	CD_SOCK=$CD_DIR/c.sock
	export CD_DIR CD_SOCK
	mkdir -p "$CD_DIR/fifo"
	cd_config >"$CD_DIR/config.toml" || e2e_die "containerd config"
	setsid unshare --pid --fork --mount-proc --kill-child "$E2E_BIN/subreaper" \
		containerd --config "$CD_DIR/config.toml" </dev/null >>"$CD_DIR/containerd.log" 2>&1 &
	US_PID=$!
	wait_for 20 timeout 5 ctr --address "$CD_SOCK" version >/dev/null 2>&1 ||
		{ tail -20 "$CD_DIR/containerd.log" >&2; e2e_die "a containerd in its own pid namespace starts"; }
	# Its pid 1 (the subreaper, which passes SIGTERM on to containerd), for cd_stop.
	CD_PID=$(cat "/proc/$US_PID/task/$US_PID/children" 2>/dev/null | awk '{ print $1 }')
	[ -n "$CD_PID" ] || e2e_die "the pid namespace's first process"
	echo "$CD_PID" >"$CD_DIR/containerd.pid"
	export CD_PID
	e2e_ns_new 13
	diag "containerd in its own pid namespace: pid 1 = $CD_PID, $CD_SOCK, namespace $E2E_NS"
	e2e_import_image || e2e_die "import the busybox image"
	ROPTS="--runtime io.containerd.runc.v2 --fifo-dir $CD_DIR/fifo --runc-binary $W"

	id=$(new_id reused)
	# shellcheck disable=SC2086
	out=$(tctr run -d $ROPTS --log-uri "binary://$L" "$E2E_IMAGE" "$id" \
		sh -c 'echo started; exec sleep 1000' 2>&1)
	rc=$?
	orphan=$(cat "$T/orphan" 2>/dev/null)
	create_pid=$(awk '/ create / { print $1; exit }' "$T/runc.log")
	check_eq "the runtime's create was given the pid of the orphan the shim collected" \
		"${orphan:-none}" "${create_pid:-none}"
	check_eq "ctr run -d succeeds when runc create reuses the pid of an unclaimed exit" 0 "$rc"
	[ "$rc" -eq 0 ] || diag "ctr: $(one_line "$out")"
	check "the container runs (10 s)" wait_for 10 task_is "$id" RUNNING
	check "its output reaches the logger (5 s)" wait_for 5 grep -qx started "$T/out"
	tctr task kill -s SIGKILL "$id" >/dev/null 2>&1
	check "it exits when killed (10 s)" wait_for 10 task_is "$id" STOPPED
	st=$(tctr task delete "$id" 2>&1)
	check "its task deletes" task_gone "$id"
	diag "task delete: $(one_line "$st")"
	tctr container delete "$id" >/dev/null 2>&1
	cnt=$(runc --root "/run/containerd/runc/$E2E_NS" list -q 2>/dev/null | wc -l)
	check_eq "no container is left in runc's state that containerd does not know" 0 "$cnt"
	rm -f "$(socket_for "$E2E_NS" "$id")"
	e2e_exit
)
rc=$?
[ $rc -eq 0 ] || E2E_FAILS=$((E2E_FAILS + 1))
e2e_exit
