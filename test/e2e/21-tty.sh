#!/bin/sh
# SPDX-License-Identifier: MIT
# 21 terminals: `ctr run -t` and `ctr task exec -t`, run on a pseudo-terminal by script(1) so that
# ctr has a console. The process has a terminal (`tty` prints /dev/pts/N), its text comes
# through, what is typed reaches it, its exit status comes back. ResizePty: ctr sends its
# terminal's size after Start (so the first `stty size` may see 0x0) and again on SIGWINCH: the
# process must see 40x100, then 50x120 after the outer terminal is resized.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
command -v script >/dev/null 2>&1 || e2e_die "script(1) from util-linux is installed"
e2e_import_image || e2e_die "import the busybox image"

CTR="ctr --address $CD_SOCK -n $E2E_NS"
# The terminal's text without \r, and without the ^@ that the container's terminal echoes for
# the NUL script(1) writes at the end of its stdin.
nocr() { tr -d '\r\000' <"$1" | sed 's/\^@//g'; }
# has_line FILE ERE: a line of FILE (\r removed) matches ERE as a whole.
has_line() { nocr "$1" | grep -Eqx -- "$2"; }
show() { nocr "$1" | head -20 | sed 's/^/#   /'; }

# --- ctr run -t ------------------------------------------------------------------------------
id=$(new_id run-tty)
# shellcheck disable=SC2046
pty_run "$T/run.out" "$CTR run -t --rm $(run_opts) $E2E_IMAGE $id sh -c 'tty; echo text through the tty; exit 5'"
rc=$?
check_eq "ctr run -t: the exit status 5 comes back" 5 $rc
check "ctr run -t: the process's stdin is a terminal (tty prints /dev/pts/N)" has_line "$T/run.out" '/dev/pts/[0-9]+'
check "ctr run -t: its text comes through" has_line "$T/run.out" 'text through the tty'
[ "$E2E_FAILS" -eq 0 ] || show "$T/run.out"

# Typed text reaches the process through the terminal (fed once ctr runs; kept open a while).
id=$(new_id run-tty-in)
# shellcheck disable=SC2046
(sleep 1.5; printf 'typed text\n'; sleep 1.5) |
	pty_run "$T/in.out" "$CTR run -t --rm $(run_opts) $E2E_IMAGE $id sh -c 'read line; echo \"got [\$line]\"; exit 4'"
rc=$?
check_eq "ctr run -t with typed input: exit status 4" 4 $rc
check "typed text reaches the process (got [typed text])" has_line "$T/in.out" 'got \[typed text\]'
[ "$E2E_FAILS" -eq 0 ] || show "$T/in.out"

# --- resize ---------------------------------------------------------------------------------
# The process prints its size every 0.2 s and exits 6 once it sees 50x120 (1 if it never does).
# shellcheck disable=SC2016
loop='i=0; while [ $i -lt 50 ]; do s=$(stty size 2>/dev/null); echo "size $s"; [ "$s" = "50 120" ] && exit 6; sleep 0.2; i=$((i + 1)); done; exit 1'
# resize_script FILE OUT CTR-COMMAND: a script that sets 40x100, runs the command on the
# terminal, waits until 40x100 shows in OUT, then resizes the terminal to 50x120.
resize_script() {
	cat >"$1" <<EOF
stty rows 40 cols 100
$3 sh -c '$loop' &
p=\$!
n=0
while [ \$n -lt 100 ] && ! grep -q 'size 40 100' '$2'; do sleep 0.1; n=\$((n + 1)); done
stty rows 50 cols 120
wait \$p
EOF
}
id=$(new_id run-resize)
resize_script "$T/resize-run.sh" "$T/resize-run.out" "$CTR run -t --rm $(run_opts) $E2E_IMAGE $id"
pty_run "$T/resize-run.out" "sh $T/resize-run.sh"
rc=$?
check "ctr run -t: the process sees the terminal's size 40x100 (ResizePty after Start)" \
	has_line "$T/resize-run.out" 'size 40 100'
check "ctr run -t: after the terminal is resized it sees 50x120" has_line "$T/resize-run.out" 'size 50 120'
check_eq "... and exits with its status 6" 6 $rc
[ "$E2E_FAILS" -eq 0 ] || show "$T/resize-run.out"

# --- ctr task exec -t into a container without a terminal ----------------------------------
id=$(new_id exec-host)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
pty_run "$T/exec.out" "$CTR task exec --fifo-dir $CD_DIR/fifo -t --exec-id tty1 $id sh -c 'tty; echo exec text; exit 7'"
rc=$?
check_eq "ctr task exec -t: exit status 7 comes back" 7 $rc
check "ctr task exec -t: stdin is a terminal (/dev/pts/N)" has_line "$T/exec.out" '/dev/pts/[0-9]+'
check "ctr task exec -t: its text comes through" has_line "$T/exec.out" 'exec text'
[ "$E2E_FAILS" -eq 0 ] || show "$T/exec.out"

resize_script "$T/resize-exec.sh" "$T/resize-exec.out" "$CTR task exec --fifo-dir $CD_DIR/fifo -t --exec-id tty2 $id"
pty_run "$T/resize-exec.out" "sh $T/resize-exec.sh"
rc=$?
check "ctr task exec -t: the exec sees 40x100 (ResizePty of an exec)" has_line "$T/resize-exec.out" 'size 40 100'
check "ctr task exec -t: after the resize it sees 50x120" has_line "$T/resize-exec.out" 'size 50 120'
check_eq "... and exits 6" 6 $rc
[ "$E2E_FAILS" -eq 0 ] || show "$T/resize-exec.out"

check_eq "the container is still RUNNING after its terminal execs" RUNNING "$(task_status "$id")"
tctr task kill -s SIGKILL "$id" >&2
check "the container stops" wait_for 10 task_is "$id" STOPPED
check "ctr task delete exits 0" tctr task delete "$id"
check "ctr container delete exits 0" tctr container delete "$id"
check_eq "no task left in ctr task ls" "" "$(tctr task ls -q 2>/dev/null)"
e2e_exit
