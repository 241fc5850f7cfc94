#!/bin/sh
# SPDX-License-Identifier: MIT
# 02 exit codes: ctr reports the container's exit status: 0, 7, 137 after SIGKILL, 143 after
# SIGTERM.
#
# SIGTERM and the container's pid 1: the kernel drops signals whose disposition is default to a
# pid namespace's init, even from the parent namespace (only SIGKILL and SIGSTOP are forced).
# With no exec to signal yet, 143 is checked in two trap-free ways that work with any shim:
#  - `ctr task kill --all -s SIGTERM` on `sh -c 'sleep 1000 & wait $!'`: the sleep dies of the
#    signal and pid 1 exits with `wait`'s 128+15 (exit code path);
#  - a container that joins our pid namespace (--with-ns pid:/proc/$$/ns/pid), where its init
#    is not a namespace init and dies of SIGTERM itself: the shim must turn the wait status into
#    128+15 (signal path; also the shim's kill --all on init exit, the pid namespace not being
#    private). /proc/1/ns/pid is not readable on these machines, hence $$.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
e2e_import_image || e2e_die "import the busybox image"

# shellcheck disable=SC2046
run_rc() { # ID CMD...: ctr run --rm, prints the exit status
	_id=$(new_id "$1")
	shift
	cctr run --rm $(run_opts) "$E2E_IMAGE" "$_id" "$@" >/dev/null 2>&1
	echo $?
}
check_eq "exit 0 gives ctr exit status 0" 0 "$(run_rc exit0 sh -c 'exit 0')"
check_eq "exit 7 gives ctr exit status 7" 7 "$(run_rc exit7 sh -c 'exit 7')"
check_eq "/bin/false gives 1" 1 "$(run_rc false false)"

# signal_rc NAME SIGNAL KILLFLAGS CTR-RUN-OPTS NPROCS CMD...: runs CMD attached, signals it from
# outside once it runs NPROCS processes, prints ctr's exit status.
signal_rc() {
	_id=$(new_id "$1")
	_sig=$2
	_kf=$3
	_ro=$4
	_np=$5
	shift 5
	# shellcheck disable=SC2046,SC2086
	cctr run --rm $(run_opts) $_ro "$E2E_IMAGE" "$_id" "$@" >/dev/null 2>&1 &
	_p=$!
	if ! wait_for 30 task_is "$_id" RUNNING; then
		echo "never-running"
		kill "$_p" 2>/dev/null
		return
	fi
	wait_for 10 task_nprocs_ge "$_id" "$_np" # `sh` has started its child
	# shellcheck disable=SC2086
	cctr task kill $_kf -s "$_sig" "$_id" >&2
	wait "$_p"
	echo $?
}
check_eq "SIGKILL gives 137" 137 "$(signal_rc kill9 SIGKILL "" "" 1 sleep 1000)"
# runc 1.2+ made `kill --all` obsolete: only init is signalled (it takes its pid namespace
# along on SIGKILL). So with runc < 1.2 the TERM must reach `sleep` (pid 1 ignores it); with
# later runc, init itself, which traps it.
runc_ver=$(runc --version | sed -n 's/^runc version \([0-9.]*\).*/\1/p')
if ver_ge "${runc_ver:-0}" 1.2; then
	check_eq "SIGTERM with kill --all reaches init (runc $runc_ver: init only): 143" 143 \
		"$(signal_rc termall SIGTERM --all "" 2 sh -c 'trap "exit 143" TERM; sleep 1000 & wait $!')"
else
	check_eq "SIGTERM to every process (kill --all), pid 1 exits with wait's 143" 143 \
		"$(signal_rc termall SIGTERM --all "" 2 sh -c 'sleep 1000 & wait $!')"
fi
check_eq "SIGTERM kills a non-namespace-init process: 143" 143 \
	"$(signal_rc termhost SIGTERM "" "--with-ns pid:/proc/$$/ns/pid" 1 sleep 1000)"
e2e_exit
