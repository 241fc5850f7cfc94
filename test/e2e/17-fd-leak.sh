#!/bin/sh
# SPDX-License-Identifier: MIT
# 17 fds of the shim's children: no runtime invocation (create, start, exec, kill, delete) and
# no binary:// logger holds the shim's listening socket (the shim inherits it as fd 3 from its
# `start`, without FD_CLOEXEC) or any connection on it. A second private containerd runs with a
# `runc` wrapper first on its PATH (the shim finds runc there) that lists its fds before it
# execs runc; the logger lists its own. Their socket inodes are compared with those bound to
# the shim's socket path (/proc/net/unix), one of which the shim itself holds. (The reference of
# every release tried, 1.6.20 and 2.4.2, leaks its listener to runc: not asserted for it.)
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/bin"
RUNC=$(command -v runc) || e2e_die "runc is installed"

# Each lists its fds into $T/fds: a "== WHO" line, then "N TARGET" per open fd.
cat >"$T/bin/runc" <<EOF
#!/bin/sh
{ echo "== runc \$*"; for f in /proc/\$\$/fd/*; do echo "\${f##*/} \$(readlink "\$f")"; done; } >>'$T/fds'
exec '$RUNC' "\$@"
EOF
L=$T/logger
cat >"$L" <<EOF
#!/bin/sh
{ echo "== logger"; for f in /proc/\$\$/fd/*; do echo "\${f##*/} \$(readlink "\$f")"; done; } >>'$T/fds'
cat <&3 >/dev/null 4<&- 5>&- &
cat <&4 >/dev/null 3<&- 5>&- &
exec 3<&- 4<&- 5>&-
wait
EOF
chmod 755 "$T/bin/runc" "$L"
: >"$T/fds"

# Socket inodes bound to PATH (the listener and the connections accepted on it).
inodes_on() { awk -v p="$1" '$NF == p { print $7 }' /proc/net/unix | sort -u; }
# Socket inodes in the fd lists of $T/fds whose title matches ERE.
listed_sockets() {
	awk -v re="$1" '/^== / { on = ($0 ~ re) } on && $2 ~ /^socket:\[/ {
		s = $2; gsub(/[^0-9]/, "", s); print s }' "$T/fds" | sort -u
}

(
	# The second containerd; the variables of the outer instance come back when this ends.
	PATH=$T/bin:$PATH
	export PATH
	CD_DIR=
	E2E_FAILS=0
	trap cd_cleanup EXIT
	trap 'exit 143' INT TERM HUP
	cd_start || e2e_die "a second private containerd starts (runc wrapper first on PATH)"
	e2e_ns_new 17
	diag "second containerd: pid $CD_PID, $CD_SOCK, namespace $E2E_NS"
	e2e_import_image || e2e_die "import the busybox image"

	id=$(new_id fds)
	# shellcheck disable=SC2046
	tctr run -d $(run_opts) --log-uri "binary://$L" "$E2E_IMAGE" "$id" sleep 1000 >&2 ||
		e2e_die "ctr run -d"
	wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
	tctr task exec --exec-id e1 "$id" true >&2
	check_eq "an exec runs" 0 $?
	sock=$(shim_socket "$id")
	spid=$(shim_pid "$id")
	mine=$(inodes_on "$sock")
	held=$(ls -l "/proc/${spid:-none}/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | sort -u)
	both=
	[ -n "$mine" ] && both=$(printf '%s\n' "$held" | grep -Fx "$mine")
	check "the shim (${spid:-none}) holds a socket bound to $sock" test -n "$both"
	for what in create start exec; do
		check "the runtime ran for $what (its fds were listed)" grep -q "^== runc .* $what " "$T/fds"
	done
	check "the logger ran (its fds were listed)" grep -qx "== logger" "$T/fds"
	tctr task kill -s SIGKILL "$id" >/dev/null 2>&1
	wait_for 10 task_is "$id" STOPPED
	tctr task delete "$id" >/dev/null 2>&1
	tctr container delete "$id" >/dev/null 2>&1
	check "the runtime ran for delete" grep -q "^== runc .* delete " "$T/fds"
	leak=$(listed_sockets '^== runc' | grep -Fx "$mine")
	beyond_reference "" "the reference's runtime children inherit its fd 3, the listener" \
		"no runtime invocation held a socket of the shim's listener (${leak:-none})" test -z "$leak"
	[ -z "$leak" ] || grep -B20 -F "$(printf '%s\n' "$leak" | head -1)" "$T/fds" | sed 's/^/# /' | tail -20
	leak=$(listed_sockets '^== logger' | grep -Fx "$mine")
	check_eq "the logger held no socket of the shim's listener" "" "$(one_line "$leak")"
	e2e_exit
)
rc=$?
[ $rc -eq 0 ] || E2E_FAILS=$((E2E_FAILS + 1))
e2e_exit
