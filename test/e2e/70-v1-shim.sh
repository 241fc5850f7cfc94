#!/bin/sh
# SPDX-License-Identifier: MIT
# releases: <2.0
# 70 v1 shim: the legacy runtime io.containerd.runtime.v1.linux with shimbox as its
# `containerd-shim`. A private containerd of its own (the suite's has no v1 configuration)
# names $CD_DIR/bin/containerd-shim -> the shim under test as its v1 shim. Through ctr: run with
# output and exit code; exec (output, exit code; with a terminal); ps (process details);
# pause/resume (PAUSED in ctr task ls); kill; delete; `ctr events` in order for each task, the
# exits published by the shim through -containerd-binary; the shim SIGKILLed by containerd on
# delete and nothing left behind. Through build/e2e/ttclient on the shim's socket (ctr 1.6 has no `task update`): Update
# (the memory cgroup), ShimInfo, and the v1 service's errors. A third round swaps in a wrapper
# that gives the shim shim-publish as its -containerd-binary (containerd always passes its own
# executable) and runs with --no-pivot (a v1 CreateOptions); a fourth SIGTERMs a shim, which
# exits, and containerd cleans up after it; a fifth upgrades a v1 shim in place (shim-upgrade).
#
# V1_SHIM=/abs/path runs the same assertions against another v1 shim, e.g. Debian's reference:
#   V1_SHIM=/usr/bin/containerd-shim sh test/e2e/70-v1-shim.sh
# shellcheck disable=SC2317 # functions run through check, wait_for and at_exit
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"

: "${V1_SHIM:=$E2E_TOP/build/shimbox}"
V1_SHIM_EXE=$(readlink -f "$V1_SHIM" 2>/dev/null)
SHIMBOX=$E2E_TOP/build/shimbox
is_shimbox() { [ "$V1_SHIM_EXE" = "$(readlink -f "$SHIMBOX")" ]; }

# This file never uses the suite's containerd: it starts, checks and removes its own.
e2e_prereqs >&2 || e2e_die "prerequisites"
[ -x "$V1_SHIM_EXE" ] || e2e_die "the v1 shim under test is an executable: $V1_SHIM"
[ -x "$SHIMBOX" ] || e2e_die "build/shimbox exists (make)"
e2e_image_tar >&2 || e2e_die "busybox rootfs and image"
e2e_build_tools >&2 || e2e_die "build the e2e tools"
TT=$E2E_BIN/ttclient

CD_DIR=$(mktemp -d /tmp/sbv.XXXX) || e2e_die "a temp dir"
CD_SOCK=$CD_DIR/c.sock
CD_PID=
export CD_DIR CD_SOCK CD_PID
E2E_NS=sbv-$(basename "$CD_DIR" | sed 's/^sbv\.//' | tr -cd 'a-zA-Z0-9')-70
export E2E_NS
echo "$E2E_NS" >"$CD_DIR/namespaces"
V1_STATE=$CD_DIR/state/io.containerd.runtime.v1.linux/$E2E_NS
V1_WORK=$CD_DIR/root/io.containerd.runtime.v1.linux/$E2E_NS
BIN=$CD_DIR/bin
T=$CD_DIR/t
mkdir -p "$CD_DIR/fifo" "$BIN/real" "$T"

v1_cleanup() {
	events_stop
	cd_scrub
	if [ -z "${E2E_KEEP:-}" ] && [ -z "$(mounts_under "$CD_DIR")" ]; then
		rm -rf "$CD_DIR"
	else
		echo "# kept $CD_DIR"
	fi
}
at_exit v1_cleanup
trap 'exit 130' INT TERM HUP

# The v1 runtime runs its `shim` setting as given: a link named containerd-shim.
ln -s "$V1_SHIM_EXE" "$BIN/containerd-shim"
ln -s "$V1_SHIM_EXE" "$BIN/real/containerd-shim"
ln -s "$SHIMBOX" "$BIN/shim-publish"
# The second round's shim: records its arguments, swaps -containerd-binary for shim-publish.
cat >"$BIN/wrapper" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/shim-args"
prev=
for a in "\$@"; do
	shift
	if [ "\$prev" = -containerd-binary ]; then set -- "\$@" "$BIN/shim-publish"; else set -- "\$@" "\$a"; fi
	prev=\$a
done
exec "$BIN/real/containerd-shim" "\$@"
EOF
chmod 755 "$BIN/wrapper"

cat >"$CD_DIR/config.toml" <<EOF
version = 2
root = "$CD_DIR/root"
state = "$CD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "$CD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD_DIR/opt"
[plugins."io.containerd.runtime.v1.linux"]
  shim = "$BIN/containerd-shim"
  runtime = "runc"
  shim_debug = true
EOF
setsid containerd --config "$CD_DIR/config.toml" </dev/null >>"$CD_DIR/containerd.log" 2>&1 &
CD_PID=$!
echo "$CD_PID" >"$CD_DIR/containerd.pid"
if wait_for 20 sh -c "timeout 5 ctr --address '$CD_SOCK' version >/dev/null 2>&1"; then
	ok "a private containerd with the v1 runtime answers (20 s)"
else
	tail -20 "$CD_DIR/containerd.log" | sed 's/^/#   /'
	e2e_die "a private containerd with the v1 runtime answers (20 s)"
fi
diag "v1 shim under test: $V1_SHIM -> $V1_SHIM_EXE; containerd pid $CD_PID, $CD_SOCK"
e2e_import_image || e2e_die "import the busybox image"

V1="--runtime io.containerd.runtime.v1.linux --fifo-dir $CD_DIR/fifo"
ev=$T/events
check "ctr events is subscribed" events_start "$ev"
topics() { events_topics "$ev" "$1" | tr '\n' ' ' | sed 's/ $//'; }
# exit_event ID EXEC_ID STATUS: ctr events shows /tasks/exit of that process with that status
# (ctr leaves out a zero exit_status).
exit_event() {
	grep /tasks/exit "$ev" | grep "\"container_id\":\"$1\"" | grep "\"id\":\"$2\"" >"$T/exit.$$"
	if [ "$3" = 0 ]; then
		[ -s "$T/exit.$$" ] && ! grep -q '"exit_status"' "$T/exit.$$"
	else
		grep -q "\"exit_status\":$3[,}]" "$T/exit.$$"
	fi
}
# pb_field and hex_of: scripts/e2e-lib.sh.
field() { pb_field "$@"; }
V1_SVC=containerd.runtime.linux.shim.v1.Shim
v1call() { TTCLIENT_NS=$E2E_NS "$TT" "$sock" call "$V1_SVC" "$@" 2>&1; }
shim_pid_of() { cat "$V1_STATE/$1/shim.pid" 2>/dev/null; }
log_tail() {
	diag "containerd log (last 15 lines):"
	tail -15 "$CD_DIR/containerd.log" | cut -c1-220 | sed 's/^/#   /'
}

# --- 1. attached run: output and exit code ---------------------------------------------------
id=$(new_id v1-run)
# shellcheck disable=SC2086
out=$(timeout 60 ctr --address "$CD_SOCK" -n "$E2E_NS" run --rm $V1 "$E2E_IMAGE" "$id" \
	sh -c 'echo hello from v1; exit 3' 2>"$T/run.err")
rc=$?
check_eq "ctr run --rm: the task's output" "hello from v1" "$out"
check_eq "ctr run --rm: ctr exits with the task's status" 3 "$rc"
[ "$rc" = 3 ] || { sed 's/^/#   /' "$T/run.err"; log_tail; }
check "attached: /tasks/delete arrives (5 s)" wait_for 5 sh -c "grep /tasks/delete '$ev' | grep -q '\"$id\"'"
check_eq "attached: create, start, exit, delete in order" \
	"/tasks/create /tasks/start /tasks/exit /tasks/delete" "$(topics "$id")"
check "attached: the shim published /tasks/exit with exit_status 3" exit_event "$id" "$id" 3
check "attached: --rm removed the container" container_gone "$id"

# --- 2. a detached task: exec, ps, update, pause/resume, kill, delete --------------------------
id=$(new_id v1-life)
# The container's pid 1 ignores SIGTERM without a handler: install one.
# shellcheck disable=SC2086
cctr run -d $V1 "$E2E_IMAGE" "$id" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' \
	>"$T/run-d.out" 2>&1 || { sed 's/^/#   /' "$T/run-d.out"; log_tail; e2e_die "ctr run -d"; }
check "detached: the task becomes RUNNING (10 s)" wait_for 10 task_is "$id" RUNNING
pid=$(task_pid "$id")
spid=$(shim_pid_of "$id")
sock=$(shim_socket "$id")
diag "init pid $pid, shim pid $spid, socket $sock"
check "the shim is a child of containerd, running the shim under test" \
	sh -c "[ '$(proc_ppid "${spid:-none}")' = '$CD_PID' ] && [ '$(readlink "/proc/${spid:-none}/exe")' = '$V1_SHIM_EXE' ]"
check "containerd passed the socket and wrote the bundle's address" [ -S "$sock" ]

out=$(cctr task exec --exec-id ex1 "$id" sh -c 'echo in exec; exit 5' 2>"$T/exec.err")
rc=$?
check_eq "exec: output" "in exec" "$out"
check_eq "exec: ctr exits with the exec's status" 5 "$rc"
check "exec: the shim published the exec's /tasks/exit with exit_status 5 (5 s)" \
	wait_for 5 exit_event "$id" ex1 5

# A terminal: ctr needs a console of its own, which script(1) gives it; ctr then also sends
# ResizePty for the exec. script may pass a NUL from its own stdin, which the terminal echoes
# as "^@" before or after the tty line, depending on timing.
timeout -k 5 20 script -qefc "ctr --address $CD_SOCK -n $E2E_NS task exec -t --exec-id tty1 $id sh -c 'tty; exit 4'" \
	/dev/null >"$T/tty.out" 2>&1
rc=$?
check_eq "exec -t: ctr exits with the exec's status" 4 "$rc"
check "exec -t: the exec's stdin is a terminal (tty prints /dev/pts/N)" \
	sh -c "tr -d '\r' <'$T/tty.out' | grep -Eq '^(\^@)?/dev/pts/[0-9]+$'"
[ "$rc" = 4 ] || tr -d '\r' <"$T/tty.out" | head -5 | sed 's/^/#   /'

# ListPids: every known process carries its containerd.linux.runc.ProcessDetails.
cctr task ps "$id" >"$T/ps" 2>&1
check "ctr task ps lists init with its ProcessDetails (ExecID = the container id)" \
	grep -Eq "^$pid .*$(ps_exec_ere "$id")" "$T/ps"
grep -q "^$pid " "$T/ps" || sed 's/^/#   /' "$T/ps"

# The v1 service on the shim's socket, as containerd calls it.
r=$(v1call ShimInfo "")
check_eq "ShimInfo answers {shim_pid} = the shim's pid" "code=0 payload=08$(pb_varint "${spid:-0}")" "$r"
if [ -d /sys/fs/cgroup/memory ]; then
	mem=/sys/fs/cgroup/memory/$E2E_NS/$id/memory.limit_in_bytes
else
	mem=/sys/fs/cgroup/$E2E_NS/$id/memory.max
fi
any=$(field 1 "$(hex_of types.containerd.io/opencontainers/runtime-spec/1/LinuxResources)")$(field 2 "$(hex_of '{"memory":{"limit":67108864}}')")
r=$(v1call Update "$(field 1 "$any")")
check_eq "Update {resources} (v1: no id) answers OK" "code=0 payload=" "$r"
check_eq "update: the container's memory cgroup has the new limit" 67108864 "$(cat "$mem" 2>/dev/null)"
r=$(v1call DeleteProcess "$(field 1 "$(hex_of "$id")")")
check "DeleteProcess of init is refused with INVALID_ARGUMENT: $r" \
	sh -c "printf '%s' '$r' | grep -q '^code=3 '"
r=$(v1call State "$(field 1 "$(hex_of nope)")")
check "State of an unknown process is NOT_FOUND: $r" sh -c "printf '%s' '$r' | grep -q '^code=5 '"
r=$(v1call Connect "")
check "Connect is not a v1 method (UNIMPLEMENTED): $r" sh -c "printf '%s' '$r' | grep -q '^code=12 '"

check "ctr task pause exits 0" cctr task pause "$id"
check "pause: ctr task ls shows PAUSED" task_is "$id" PAUSED
check "ctr task resume exits 0" cctr task resume "$id"
check "resume: ctr task ls shows RUNNING" task_is "$id" RUNNING

if is_shimbox; then
	"$SHIMBOX" shim-dump -json -bundle "$V1_STATE/$id" >"$T/dump" 2>&1
	check "shim-dump answers through the v1 shim's socket (shimbox.v1.Shim/Dump)" \
		grep -q "\"id\":\"$id\"" "$T/dump"
else
	diag "shim-dump: skipped (not a shimbox shim)"
fi

check "ctr task kill (SIGTERM) exits 0" cctr task kill "$id"
check "kill: the task becomes STOPPED (10 s)" wait_for 10 task_is "$id" STOPPED
check "kill: the shim published init's /tasks/exit with exit_status 0 (5 s)" \
	wait_for 5 exit_event "$id" "$id" 0
check "the shim is alive while its stopped task exists" proc_alive "${spid:-none}"
check "ctr task delete exits 0" cctr task delete "$id"
check "delete: the task is gone from ctr task ls" task_gone "$id"
check "delete: containerd killed the shim (10 s)" wait_for 10 proc_gone "${spid:-none}"
check "delete: no zombie of the shim or the container (5 s)" \
	wait_for 5 no_zombies "${spid:-none}" "${pid:-none}" "$CD_PID"
check "delete: the container's init is gone" proc_gone "${pid:-none}"
check "delete: no shim socket left (5 s)" wait_for 5 test ! -e "$sock"
check "delete: the bundle and the work dir are removed" \
	sh -c "[ ! -e '$V1_STATE/$id' ] && [ ! -e '$V1_WORK/$id' ]"
check "delete: no mount left under the bundle" not_mounted "$V1_STATE/$id"
check "delete: no runc state left" runc_state_gone "$id"
check "the container is removed" cctr container delete "$id"
check "detached: /tasks/delete arrives (5 s)" wait_for 5 sh -c "grep /tasks/delete '$ev' | grep -q '\"$id\"'"
check_eq "detached: the task's events in order" \
	"/tasks/create /tasks/start /tasks/exec-started /tasks/exit /tasks/exec-started /tasks/exit /tasks/paused /tasks/resumed /tasks/exit /tasks/delete" \
	"$(topics "$id")"

# --- 3. shim-publish as the shim's -containerd-binary ------------------------------------------
# (and --no-pivot, which the v1 runtime sends as a containerd.linux.runc.CreateOptions)
mv -f "$BIN/wrapper" "$BIN/containerd-shim"
id=$(new_id v1-pub)
# The task pauses before it exits: in v1 containerd publishes /tasks/start itself once Start has
# returned, while the shim's exit goes through a publish child of its own, so for a task that
# exits at once the two race inside containerd (seen once under load).
# shellcheck disable=SC2086
out=$(timeout 60 ctr --address "$CD_SOCK" -n "$E2E_NS" run --rm --no-pivot $V1 "$E2E_IMAGE" "$id" \
	sh -c 'echo via shim-publish; sleep 0.5; exit 7' 2>"$T/run-pub.err")
rc=$?
check_eq "shim-publish round: output" "via shim-publish" "$out"
check_eq "shim-publish round: exit status" 7 "$rc"
args=$(head -1 "$T/shim-args" 2>/dev/null)
diag "containerd ran the shim with: $args"
check "containerd passed -namespace, -workdir, -address and its own -containerd-binary" \
	sh -c "printf '%s' '$args' | grep -q -- '-namespace $E2E_NS -workdir $V1_WORK/$id -address $CD_SOCK -containerd-binary /'"
check "shim-publish round: /tasks/delete arrives (5 s)" \
	wait_for 5 sh -c "grep /tasks/delete '$ev' | grep -q '\"$id\"'"
check "shim-publish delivered /tasks/exit with exit_status 7" exit_event "$id" "$id" 7
check_eq "shim-publish round: create, start, exit, delete in order" \
	"/tasks/create /tasks/start /tasks/exit /tasks/delete" "$(topics "$id")"
check "shim-publish round: --rm removed the container" container_gone "$id"

# --- 4. SIGTERM: the shim exits; containerd cleans up after it ----------------------------------
id=$(new_id v1-term)
# shellcheck disable=SC2086
cctr run -d $V1 "$E2E_IMAGE" "$id" sleep 1000 >"$T/run-term.out" 2>&1 || sed 's/^/#   /' "$T/run-term.out"
wait_for 10 task_is "$id" RUNNING || not_ok "SIGTERM round: the task runs"
spid=$(shim_pid_of "$id")
pid=$(task_pid "$id")
kill -TERM "${spid:-none}" 2>/dev/null
check "SIGTERM: the shim exits (10 s)" wait_for 10 proc_gone "${spid:-none}"
check "SIGTERM: containerd removes the task of the dead shim (10 s)" wait_for 10 task_gone "$id"
check "SIGTERM: containerd publishes exit 137 and delete (5 s)" \
	wait_for 5 sh -c "grep /tasks/delete '$ev' | grep -q '\"$id\"'"
check "SIGTERM: ... the exit with status 137" exit_event "$id" "$id" 137
check "SIGTERM: containerd's cleanup killed the container's init (5 s)" wait_for 5 proc_gone "${pid:-none}"
cctr container delete "$id" >/dev/null 2>&1

# --- 5. in-place upgrade of a v1 shim (shimbox only) ------------------------------------------
# An attached counter and an exec in flight across `shim-upgrade -bundle` to a binary of another
# revision: same pid, nothing lost, the exec's and the init's exits each published once.
if is_shimbox; then
	mkdir -p "$T/ctl"
	B=$(e2e_variant b e2e-rev-b "") || e2e_die "build a second shimbox binary (revision e2e-rev-b)"
	id=$(new_id v1-up)
	# shellcheck disable=SC2086
	ctr --address "$CD_SOCK" -n "$E2E_NS" run $V1 --mount "type=bind,src=$T/ctl,dst=/ctl,options=rbind:rw" \
		"$E2E_IMAGE" "$id" sh -c "$(counter_script up 3)" >"$T/count-up" 2>"$T/run-up.err" &
	RUN_UP=$!
	wait_for 20 sh -c "[ \$(wc -l <'$T/count-up') -gt 200 ]" || not_ok "upgrade round: the counter runs"
	spid=$(shim_pid_of "$id")
	tctr task exec --exec-id e1 "$id" sh -c 'sleep 3; exit 7' >/dev/null 2>&1 &
	EXEC_E1=$!
	wait_for 10 sh -c "grep /tasks/exec-started '$ev' | grep -q '\"e1\"'"
	out=$("$SHIMBOX" shim-upgrade -bundle "$V1_STATE/$id" -binary "$B" 2>&1)
	check_eq "upgrade round: shim-upgrade -bundle of a v1 shim exits 0 ($(one_line "$out"))" 0 $?
	check "... from this build to e2e-rev-b, upgrade 1" matches "$out" "pid $spid upgraded from .* to e2e-rev-b \\(upgrade 1\\)"
	check_eq "upgrade round: the shim keeps its pid" "$spid" "$(shim_pid_of "$id")"
	check_eq "upgrade round: shim-dump shows revision e2e-rev-b" e2e-rev-b \
		"$("$SHIMBOX" shim-dump -json -bundle "$V1_STATE/$id" 2>/dev/null | jq -r .revision)"
	wait "$EXEC_E1"
	check_eq "upgrade round: the exec in flight across the upgrade returns 7" 7 $?
	touch "$T/ctl/stop-up"
	wait "$RUN_UP"
	check_eq "upgrade round: ctr run's Wait returns the init's status 3" 3 $?
	check "upgrade round: the counter shows every number once, in order ($(grep -c . "$T/count-up") lines)" \
		counter_whole "$T/count-up"
	check "upgrade round: /tasks/delete arrives (5 s)" wait_for 5 sh -c "grep /tasks/delete '$ev' | grep -q '\"$id\"'"
	check_eq "upgrade round: one /tasks/exit for the exec" 1 "$(events_of_proc "$ev" e1 | grep -c /tasks/exit)"
	check "upgrade round: /tasks/exit of the init with status 3" exit_event "$id" "$id" 3
	cctr container delete "$id" >/dev/null 2>&1
fi

events_stop
diag "events seen:"
grep /tasks/ "$ev" | cut -c1-170 | sed 's/^/#   /'

# --- 4. nothing left -----------------------------------------------------------------------
children_of() {
	for _d in /proc/[0-9]*; do
		[ "$(proc_ppid "${_d#/proc/}")" = "$1" ] && echo "${_d#/proc/}"
	done
}
left=$(children_of "$CD_PID")
check_eq "no shim process of this containerd is left" "" "$left"
cd_scrub
left=$(leftovers)
if [ -z "$left" ]; then
	ok "no leftovers on the machine (processes, mounts, runc state, cgroups, sockets)"
else
	not_ok "no leftovers on the machine"
	printf '%s\n' "$left" | sed 's/^/#   /'
fi
e2e_exit
