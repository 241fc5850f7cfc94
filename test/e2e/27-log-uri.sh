#!/bin/sh
# SPDX-License-Identifier: MIT
# 27 log URIs (`ctr run --log-uri`, `ctr task exec --log-uri`).
# binary:///path/logger?tag=NAME: the logger gets the arguments "tag NAME", an environment of
# exactly CONTAINER_ID and CONTAINER_NAMESPACE, the process's stdout on fd 3 and stderr on fd 4
# (it copies them to files), and the process starts only once the logger has closed fd 5: the
# logger waits 1 s first, and the process's first line (its /proc/uptime) must be later than the
# logger's ready time, with all of its output there. The logger is gone after the task's delete.
# file:///path: stdout and stderr both land in the file, in order, its directory created.
# The same for an exec (for an exec's logger only CONTAINER_NAMESPACE is checked: the reference
# passes the exec id as CONTAINER_ID).
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T/logs"
e2e_import_image || e2e_die "import the busybox image"

L=$T/logger
cat >"$L" <<EOF
#!/bin/sh
o=$T/logs/\$2
printf '%s\n' "\$@" >"\$o.args"
tr '\0' '\n' </proc/\$\$/environ >"\$o.env"
echo \$\$ >"\$o.pid"
# The copiers must not hold fd 5, or the shim never sees it closed.
cat <&3 >"\$o.out" 4<&- 5>&- &
cat <&4 >"\$o.err" 3<&- 5>&- &
exec 3<&- 4<&-
sleep 1
cut -d' ' -f1 /proc/uptime >"\$o.ready"
exec 5>&-
wait
EOF
chmod 755 "$L"
# shellcheck disable=SC2016
first='cut -d" " -f1 /proc/uptime'
/bin/busybox seq 1 1000 >"$T/seq"
later_eq() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 >= b + 0) }'; }

# --- binary:// for init ---------------------------------------------------------------------
id=$(new_id logged)
# shellcheck disable=SC2046
tctr run --rm $(run_opts) --log-uri "binary://$L?tag=init" "$E2E_IMAGE" "$id" \
	sh -c "$first; seq 1 1000; echo to stderr >&2; sleep 0.3" >"$T/init.ctr" 2>&1
check_eq "ctr run --log-uri binary://... exits 0" 0 $?
o=$T/logs/init
check "the logger ran" test -f "$o.args"
check_eq "the logger's arguments are exactly 'tag init'" "tag init" "$(tr '\n' ' ' <"$o.args" | sed 's/ $//')"
check_eq "its environment is exactly CONTAINER_ID and CONTAINER_NAMESPACE" \
	"CONTAINER_ID=$id CONTAINER_NAMESPACE=$E2E_NS" "$(sort "$o.env" | tr '\n' ' ' | sed 's/ $//')"
check "the container's stdout reaches fd 3 complete (1000 lines after the first)" \
	wait_for 5 sh -c "tail -n +2 '$o.out' | cmp -s - '$T/seq'"
check_eq "the container's stderr reaches fd 4" "to stderr" "$(cat "$o.err" 2>/dev/null)"
t_ready=$(cat "$o.ready" 2>/dev/null)
t_first=$(head -1 "$o.out" 2>/dev/null)
check "the container started after the logger closed fd 5 (first line at ${t_first:-none} >= ready at ${t_ready:-none})" \
	later_eq "$t_first" "$t_ready"
check_eq "ctr itself printed nothing" "" "$(cat "$T/init.ctr")"
check "the logger is gone after the delete (15 s)" wait_for 15 proc_gone "$(cat "$o.pid" 2>/dev/null || echo none)"

# --- file:// for init -----------------------------------------------------------------------
id=$(new_id filed)
f=$T/new/dir/init.log
# shellcheck disable=SC2046
tctr run --rm $(run_opts) --log-uri "file://$f" "$E2E_IMAGE" "$id" \
	sh -c 'echo out 1; sleep 0.1; echo err 1 >&2; sleep 0.1; echo out 2' >"$T/file.ctr" 2>&1
check_eq "ctr run --log-uri file://... exits 0" 0 $?
check_eq "stdout and stderr are in the file, in order (its directory created)" "out 1 err 1 out 2" \
	"$(tr '\n' ' ' <"$f" 2>/dev/null | sed 's/ $//')"

# --- execs ------------------------------------------------------------------------------------
id=$(new_id exec-logged)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
f=$T/exec.log
tctr task exec --log-uri "file://$f" --exec-id fl "$id" sh -c 'echo exec out; sleep 0.1; echo exec err >&2; sleep 0.3' >&2
check_eq "ctr task exec --log-uri file://... exits 0" 0 $?
check_eq "the exec's stdout and stderr are in the file" "exec out exec err" "$(tr '\n' ' ' <"$f" 2>/dev/null | sed 's/ $//')"

tctr task exec --log-uri "binary://$L?tag=exec" --exec-id bl "$id" \
	sh -c "$first; seq 1 1000; echo exec stderr >&2; sleep 0.3" >&2
check_eq "ctr task exec --log-uri binary://... exits 0" 0 $?
o=$T/logs/exec
check_eq "the exec's logger got the arguments 'tag exec'" "tag exec" "$(tr '\n' ' ' <"$o.args" 2>/dev/null | sed 's/ $//')"
check_eq "its environment has exactly 2 entries" 2 "$(grep -c . "$o.env" 2>/dev/null)"
check "... CONTAINER_NAMESPACE=$E2E_NS" grep -qx "CONTAINER_NAMESPACE=$E2E_NS" "$o.env"
diag "the exec's logger: $(grep CONTAINER_ID "$o.env" 2>/dev/null)"
check "the exec's stdout reaches fd 3 complete" wait_for 5 sh -c "tail -n +2 '$o.out' | cmp -s - '$T/seq'"
check_eq "the exec's stderr reaches fd 4" "exec stderr" "$(cat "$o.err" 2>/dev/null)"
t_ready=$(cat "$o.ready" 2>/dev/null)
t_first=$(head -1 "$o.out" 2>/dev/null)
check "the exec started after its logger closed fd 5 (${t_first:-none} >= ${t_ready:-none})" \
	later_eq "$t_first" "$t_ready"

tctr task kill -s SIGKILL "$id" >&2
check "the task stops after SIGKILL" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
check "the exec's logger is gone after the delete (15 s)" wait_for 15 proc_gone "$(cat "$o.pid" 2>/dev/null || echo none)"
e2e_exit
