#!/bin/sh
# SPDX-License-Identifier: MIT
# 60 applets: the shell tools against live shims and a live containerd. shim-dump shows a
# running container's pid and state and a stopped one's exit status, as text and as JSON, found
# by namespace/id, bundle or address; shim-publish delivers events that `ctr events` shows (an
# Any on stdin made with protoc, and --event oom/exit), and reports refusals; shim-delete leaves
# a grouped shim running for its other container, stops a live shim, and after a kill -9 of a
# shim (containerd down) leaves no process, mount, socket, runc state or cgroup, then says
# "nothing to do"; a SIGTERM in the middle of a run waits for the end of the job; containerd,
# restarted, copes; bad flags exit 100, unknown containers 1.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
BOX=${SHIMBOX:-$E2E_TOP/build/shimbox}
STATE=$CD_DIR/state
PROTO_DIR=$E2E_TOP/test/e2e
at_exit events_stop

[ -x "$BOX" ] || e2e_die "the multicall binary $BOX exists"
command -v protoc >/dev/null 2>&1 || e2e_die "protoc is installed (protobuf-compiler)"
if command -v jq >/dev/null 2>&1; then
	json_ok() { jq -e . "$1" >/dev/null 2>&1; }
	json_q() { jq -r "$2" "$1" 2>/dev/null; }
else
	e2e_die "jq is installed (to check shim-dump -json)"
fi
e2e_import_image || e2e_die "import the busybox image"

# run_applet NAME ARGS...: runs `shimbox NAME ARGS` with stdout in $T/out, stderr in $T/err;
# sets rc.
run_applet() {
	"$BOX" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}
out_has() { grep -q -- "$1" "$T/out"; }
ok_and_json() { [ "$rc" -eq 0 ] && json_ok "$1"; }
no_shim_for() { [ -z "$(pids_by_cmdline "$1")" ]; }
err_has() { grep -q -- "$1" "$T/err"; }
show() { sed 's/^/#   /' "$T/out" "$T/err"; }

# --- usage and unknown containers -----------------------------------------------------------
for a in shim-dump shim-delete shim-publish; do
	run_applet "$a" --help
	check "$a --help exits 0 and prints usage" sh -c "[ $rc -eq 0 ] && grep -q usage '$T/out'"
	run_applet "$a" -no-such-flag
	check "$a -no-such-flag exits 100 and names the flag" \
		sh -c "[ $rc -eq 100 ] && grep -q 'flag provided but not defined: -no-such-flag' '$T/err'"
done
run_applet shim-dump -namespace "$E2E_NS"
check "shim-dump without -id exits 100" [ $rc -eq 100 ]
run_applet shim-publish --namespace "$E2E_NS" --event bogus --container-id x
check "shim-publish --event bogus exits 100" [ $rc -eq 100 ]
run_applet shim-publish --namespace "bad/ns" --event oom --container-id x
check "shim-publish with an invalid namespace exits 100 before sending" \
	sh -c "[ $rc -eq 100 ] && grep -q 'invalid namespace' '$T/err'"
run_applet shim-dump -state "$STATE" -namespace "$E2E_NS" -id no-such-ctr
check "shim-dump of an unknown container: exit 1, 'no container no-such-ctr'" \
	sh -c "[ $rc -eq 1 ] && grep -q 'no container no-such-ctr' '$T/err'"
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id no-such-ctr
check "shim-delete of an unknown container: exit 1, 'no container no-such-ctr'" \
	sh -c "[ $rc -eq 1 ] && grep -q 'no container no-such-ctr' '$T/err'"
run_applet shim-dump -address "$T/no-such-socket"
check "shim-dump of a missing socket: exit 1, 'no shim answers'" \
	sh -c "[ $rc -eq 1 ] && grep -q 'no shim answers' '$T/err'"

# A directory outside any state dir is refused without -force; with it, nothing to do.
fake=$T/fakens/c1
mkdir -p "$fake"
echo 4321 >"$fake/init.pid"
run_applet shim-delete -bundle "$fake"
check "shim-delete refuses a bundle outside a runtime state dir (exit 1)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'not inside a runtime state directory' '$T/err'"
run_applet shim-delete -bundle "$fake" -force
check "shim-delete -force on an empty bundle: exit 0, nothing to do" \
	sh -c "[ $rc -eq 0 ] && grep -q 'nothing to do' '$T/out'"
"$BOX" shim-delete -bundle "$fake" -force -proto >"$T/proto.bin" 2>"$T/err"
rc=$?
protoc --decode_raw <"$T/proto.bin" >"$T/proto.txt" 2>&1
check "shim-delete -proto prints a DeleteResponse: pid from init.pid, exit_status 137" \
	sh -c "[ $rc -eq 0 ] && grep -qx '1: 4321' '$T/proto.txt' && grep -qx '2: 137' '$T/proto.txt' && grep -q '^3 {' '$T/proto.txt'"

# --- shim-dump ----------------------------------------------------------------------------------
run=$(new_id dump-run)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$run" sleep 1000 >/dev/null 2>&1
wait_for 10 task_is "$run" RUNNING || not_ok "the container $run runs"
pid=$(task_pid "$run")
spid=$(shim_pid "$run")
run_applet shim-dump -state "$STATE" -namespace "$E2E_NS" -id "$run"
check "shim-dump -namespace -id of a running container exits 0" [ $rc -eq 0 ]
check "the text shows the shim pid $spid" out_has "^shim ${spid:-none}:"
check "the text shows the container and its init: pid $pid, running" \
	sh -c "grep -q '^container $run:' '$T/out' && grep -q '$run init: pid ${pid:-none}, running' '$T/out'"
show
"$BOX" shim-dump -state "$STATE" -namespace "$E2E_NS" -id "$run" -json >"$T/dump.json" 2>"$T/err"
rc=$?
check "shim-dump -json exits 0 and prints valid JSON" ok_and_json "$T/dump.json"
check_eq "JSON: the shim pid" "${spid:-none}" "$(json_q "$T/dump.json" .pid)"
check_eq "JSON: the init process has pid $pid and state running" "$pid running" \
	"$(json_q "$T/dump.json" ".containers[] | select(.id == \"$run\") | .processes[] | select(.exec_id == \"\") | \"\(.pid) \(.state)\"")"
run_applet shim-dump -bundle "$(bundle_dir "$run")"
check "shim-dump -bundle finds the same shim" sh -c "[ $rc -eq 0 ] && grep -q '^shim ${spid:-none}:' '$T/out'"
run_applet shim-dump -address "unix://$(shim_socket "$run")"
check "shim-dump -address unix://... finds the same shim" sh -c "[ $rc -eq 0 ] && grep -q '^shim ${spid:-none}:' '$T/out'"

stopped=$(new_id dump-stopped)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$stopped" sh -c 'exit 3' >/dev/null 2>&1
wait_for 10 task_is "$stopped" STOPPED || not_ok "the container $stopped stops"
run_applet shim-dump -state "$STATE" -namespace "$E2E_NS" -id "$stopped"
check "shim-dump of a stopped container shows 'stopped, exit status 3'" \
	sh -c "[ $rc -eq 0 ] && grep -q '$stopped init: pid [0-9]*, stopped, exit status 3 at ' '$T/out'"
"$BOX" shim-dump -state "$STATE" -namespace "$E2E_NS" -id "$stopped" -json >"$T/dump2.json" 2>/dev/null
check_eq "JSON: stopped, exit_status 3, exited_at set" "stopped 3 true" \
	"$(json_q "$T/dump2.json" ".containers[] | select(.id == \"$stopped\") | .processes[0] | \"\(.state) \(.exit_status) \(.exited_at != \"\")\"")"
cctr task delete "$stopped" >/dev/null 2>&1
cctr container delete "$stopped" >/dev/null 2>&1

# --- shim-publish -------------------------------------------------------------------------------
ev=$T/events
check "ctr events is subscribed" events_start "$ev"
run_applet shim-publish --address "$CD_SOCK" --namespace "$E2E_NS" --event oom --container-id pub-oom
check "shim-publish --event oom exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || show
check "ctr events shows /tasks/oom for pub-oom" \
	wait_for 5 sh -c "grep /tasks/oom '$ev' | grep -q '\"container_id\":\"pub-oom\"'"

printf 'type_url: "containerd.events.TaskOOM" value { container_id: "pub-stdin" }' |
	protoc --proto_path="$PROTO_DIR" --encode=e2e.OOMAny "$PROTO_DIR/applets.proto" >"$T/oom.any"
check "protoc encodes the Any" [ -s "$T/oom.any" ]
# The form a v1 shim uses: --address is global and comes before the word publish.
"$BOX" shim-publish --address "$CD_SOCK" publish --topic /tasks/oom --namespace "$E2E_NS" \
	<"$T/oom.any" >"$T/out" 2>"$T/err"
rc=$?
check "shim-publish --address A publish --topic T --namespace NS < any exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || show
check "ctr events shows /tasks/oom for pub-stdin" \
	wait_for 5 sh -c "grep /tasks/oom '$ev' | grep -q '\"container_id\":\"pub-stdin\"'"

TTRPC_ADDRESS=$CD_SOCK.ttrpc "$BOX" shim-publish --namespace "$E2E_NS" --event exit \
	--container-id pub-exit --pid 4242 --exit-status 7 >"$T/out" 2>"$T/err"
rc=$?
check "shim-publish --event exit via \$TTRPC_ADDRESS exits 0" [ $rc -eq 0 ]
check "ctr events shows /tasks/exit for pub-exit with pid 4242, exit_status 7" \
	wait_for 5 sh -c "grep /tasks/exit '$ev' | grep '\"container_id\":\"pub-exit\"' | grep '\"pid\":4242' | grep -q '\"exit_status\":7'"
events_stop

printf 'not an Any' >"$T/junk"
"$BOX" shim-publish --address "$CD_SOCK" --topic /tasks/oom --namespace "$E2E_NS" <"$T/junk" >"$T/out" 2>"$T/err"
rc=$?
check "shim-publish with junk on stdin: exit 1, says it is not an Any" \
	sh -c "[ $rc -eq 1 ] && grep -q 'google.protobuf.Any' '$T/err'"
# A ttrpc server that refuses the Events service: the shim itself.
TTRPC_ADDRESS=$(shim_socket "$run") "$BOX" shim-publish --namespace "$E2E_NS" --event oom \
	--container-id x >"$T/out" 2>"$T/err"
rc=$?
check "a refusal is reported with its status: exit 1, UNIMPLEMENTED (12)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'UNIMPLEMENTED (12)' '$T/err'"
run_applet shim-publish --address "$T/nowhere.sock" --namespace "$E2E_NS" --event oom --container-id x
check "containerd unreachable: exit 1, 'cannot reach containerd'" \
	sh -c "[ $rc -eq 1 ] && grep -q 'cannot reach containerd' '$T/err'"

# --- shim-delete of one container of a grouped shim ----------------------------------------------
ga=$(new_id grp-a)
gb=$(new_id grp-b)
for c in "$ga" "$gb"; do
	# shellcheck disable=SC2046
	cctr run -d $(run_opts) --annotation io.containerd.runc.v2.group=grp-"$E2E_NS" \
		"$E2E_IMAGE" "$c" sleep 1000 >/dev/null 2>&1
	wait_for 10 task_is "$c" RUNNING || not_ok "the container $c runs"
done
gsock=$(shim_socket "$ga")
gspid=$(shim_pid "$ga")
gapid=$(task_pid "$ga")
check_eq "one shim serves both containers of the group" "$gsock" "$(shim_socket "$gb")"
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$ga"
show
check "shim-delete of one of them exits 0" [ $rc -eq 0 ]
check "it leaves the shim running for the other" \
	out_has "^left shim ${gspid:-none} running: it also serves container $gb\$"
check "the shim still runs" proc_alive "${gspid:-none}"
check "its socket is still there" [ -S "$gsock" ]
check "the other container still runs" task_is "$gb" RUNNING
check "the deleted container's process is gone" wait_for 3 proc_dead "${gapid:-none}"
check "the deleted container's runc state is gone" runc_state_gone "$ga"
check "its address file is kept (the socket still serves)" [ -e "$(bundle_dir "$ga")/address" ]
cctr task delete -f "$ga" >/dev/null 2>&1
cctr task kill -s SIGKILL "$gb" >/dev/null 2>&1
wait_for 10 task_is "$gb" STOPPED
cctr task delete "$gb" >/dev/null 2>&1
for c in "$ga" "$gb"; do cctr container delete "$c" >/dev/null 2>&1; done

# --- shim-delete of a live shim, containerd running ---------------------------------------------
bundle=$(bundle_dir "$run")
sock=$(shim_socket "$run")
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$run"
check "shim-delete of a running container exits 0" [ $rc -eq 0 ]
show
check "it stopped the shim ${spid:-none}" sh -c "grep -Eq '^(stopped|killed) shim ${spid:-none}' '$T/out'"
check "the shim process is gone" wait_for 3 proc_dead "${spid:-none}"
check "the container process is gone" wait_for 3 proc_dead "${pid:-none}"
check "no runc state is left" runc_state_gone "$run"
check "no socket is left" [ ! -e "$sock" ]
check "no rootfs mount is left" not_mounted "$bundle/rootfs"

# --- shim-delete after kill -9 of a shim, containerd stopped -------------------------------------
dead=$(new_id del-dead)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$dead" sleep 1000 >/dev/null 2>&1
wait_for 10 task_is "$dead" RUNNING || not_ok "the container $dead runs"
pid=$(task_pid "$dead")
spid=$(shim_pid "$dead")
bundle=$(bundle_dir "$dead")
sock=$(shim_socket "$dead")
check "the rootfs of $dead is mounted" is_mounted "$bundle/rootfs"
intr=$(new_id del-intr)
# shellcheck disable=SC2046
cctr run -d $(run_opts) "$E2E_IMAGE" "$intr" sleep 1000 >/dev/null 2>&1
wait_for 10 task_is "$intr" RUNNING || not_ok "the container $intr runs"
ipid=$(task_pid "$intr")
ispid=$(shim_pid "$intr")
# Without containerd, nobody else cleans up after the shim.
cd_stop
kill -9 "${spid:-none}" 2>/dev/null
check "the shim ${spid:-none} is dead after kill -9" wait_for 3 proc_dead "${spid:-none}"
run_applet shim-dump -state "$STATE" -namespace "$E2E_NS" -id "$dead"
check "shim-dump of a dead shim: exit 1, 'no shim answers'" \
	sh -c "[ $rc -eq 1 ] && grep -q 'no shim answers' '$T/err'"
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$dead"
check "shim-delete after kill -9 exits 0" [ $rc -eq 0 ]
show
check "it says it deleted the runc container" out_has "^deleted runc container $dead\$"
check "it says it unmounted the rootfs" out_has "^unmounted $bundle/rootfs\$"
check "it says it removed the socket" out_has "^removed socket $sock\$"
check "it says the bundle is left" out_has "^left bundle $bundle "
check "the container process is gone" wait_for 3 proc_dead "${pid:-none}"
check "no shim process is left" no_shim_for "$dead"
check "no rootfs mount is left" not_mounted "$bundle/rootfs"
check "no socket is left" [ ! -e "$sock" ]
check "no runc state is left" runc_state_gone "$dead"
cg_left=
for cg in /sys/fs/cgroup/*/"$E2E_NS/$dead" /sys/fs/cgroup/"$E2E_NS/$dead"; do
	[ -d "$cg" ] && cg_left="$cg_left $cg"
done
check_eq "no cgroup is left" "" "$cg_left"
check "the address file is removed, the bundle kept" sh -c "[ ! -e '$bundle/address' ] && [ -d '$bundle' ]"
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$dead"
check "a second shim-delete exits 0 and says nothing to do" \
	sh -c "[ $rc -eq 0 ] && grep -q '^nothing to do' '$T/out'"
check "and does nothing else" sh -c "[ \$(grep -cv -e '^nothing to do' -e '^left bundle' '$T/out') -eq 0 ]"

# SIGTERM in the middle of a run (SIGINT is ignored by background jobs of a script): it waits
# until the job is done, and the run still exits 0. The bundle's options.json names a runc whose
# `delete` takes a second, so that the signal surely lands in the middle.
printf '#!/bin/sh\nfor a; do [ "$a" = delete ] && sleep 1 && break; done\nexec %s "$@"\n' \
	"$(command -v runc)" >"$T/slow-runc"
chmod +x "$T/slow-runc"
opts=$(bundle_dir "$intr")/options.json
check "the bundle has options.json naming runc" grep -q '"binary_name":"runc"' "$opts"
sed -i "s|\"binary_name\":\"runc\"|\"binary_name\":\"$T/slow-runc\"|" "$opts"
"$BOX" shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$intr" >"$T/out" 2>"$T/err" &
dpid=$!
sleep 0.5
kill -TERM "$dpid" 2>/dev/null
sent=$?
wait "$dpid"
rc=$?
show
check "SIGTERM reached shim-delete while it ran (runc delete takes 1 s)" [ $sent -eq 0 ]
check "shim-delete with a SIGTERM during its run still exits 0" [ $rc -eq 0 ]
check "it stopped the shim ${ispid:-none} (containerd down)" out_has "^stopped shim ${ispid:-none}\$"
check "and finished the job: shim ${ispid:-none} and container ${ipid:-none} gone" \
	sh -c "! [ -d /proc/${ispid:-none} ] || grep -q '^[^)]*) [ZX]' /proc/${ispid:-none}/stat"
check "  container process gone" wait_for 3 proc_dead "${ipid:-none}"
check "  no runc state left" runc_state_gone "$intr"
check "  no rootfs mount left" not_mounted "$(bundle_dir "$intr")/rootfs"
check "  no address file left" [ ! -e "$(bundle_dir "$intr")/address" ]
run_applet shim-delete -state "$STATE" -namespace "$E2E_NS" -id "$intr"
check "a second run exits 0 with nothing to do" \
	sh -c "[ $rc -eq 0 ] && grep -q '^nothing to do' '$T/out'"

# containerd comes back, finds the bundle without a shim and cleans it up.
cd_start || e2e_die "containerd restarts"
check "containerd removes the task after its restart" wait_for 10 task_gone "$dead"
check "containerd removes the other task too" wait_for 10 task_gone "$intr"
for c in "$dead" "$intr" "$run"; do cctr container delete "$c" >/dev/null 2>&1; done
e2e_exit
