#!/bin/sh
# SPDX-License-Identifier: MIT
# 19 paths the shim is handed and must not trust.
# Stdio: a plain stdio path from containerd names a FIFO. Driven through the shim's socket with
# hand-made paths (Exec then Start, and Create), a regular file, a symbolic link to a file
# elsewhere, a dangling link, a link to a FIFO, a directory and a missing path are refused with
# an error that says what the path is, and nothing is created, followed or written; a directory
# as stdin says so (not EPERM from epoll); a real FIFO still works, and the shim keeps serving.
# (file:// URIs, which do name files, are 27-log-uri's.) The reference appends to a regular file
# and follows links: those refusals are shimbox's own.
# shim-delete: the bundle's address file is not trusted: a live listener that is not a shim is
# left alone with a message (exit 1), and so is a dead socket that is not one of ours; a dead
# socket of ours (a 64-hex name, nobody listening) is removed with the address file.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
e2e_test_begin
T=$CD_DIR/$E2E_NAME
mkdir -p "$T"
BOX=${SHIMBOX:-$E2E_TOP/build/shimbox}
TT=$E2E_BIN/ttclient
PROTO_DIR=$E2E_TOP/test/golden
command -v protoc >/dev/null 2>&1 || e2e_die "protoc is installed (protobuf-compiler)"
cc -O1 -o "$T/unixsock" "$E2E_TOP/test/e2e/unixsock.c" || e2e_die "build test/e2e/unixsock.c"
e2e_import_image || e2e_die "import the busybox image"

# enc MESSAGE TEXT: the hex of a shimbox.golden MESSAGE written in protobuf text format.
enc() {
	printf '%s' "$2" | protoc --proto_path="$PROTO_DIR" --encode="shimbox.golden.$1" \
		"$PROTO_DIR/shimbox.proto" | od -An -v -tx1 | tr -d ' \n'
}
# call METHOD MESSAGE TEXT: one Task call on the shim's socket; prints ttclient's line.
call() {
	TTCLIENT_NS=$E2E_NS "$TT" "$sock" call "$TTCLIENT_SERVICE" "$1" "$(enc "$2" "$3")" 2>&1
}
spec='{"user":{"uid":0,"gid":0},"args":["sh","-c","echo marker; echo marker >&2"],"env":["PATH=/bin"],"cwd":"/"}'
specq=$(printf '%s' "$spec" | sed 's/"/\\"/g')
# exec_try EXECID STDIN STDOUT STDERR: Exec then Start (the reference opens an exec's stdio at
# Start, and so does shimbox); prints the line of the first call that fails, else Start's.
exec_try() {
	_r=$(call Exec ExecProcessRequest "id: \"$id\" exec_id: \"$1\" stdin: \"$2\" stdout: \"$3\"
		stderr: \"$4\" spec { type_url: \"types.containerd.io/opencontainers/runtime-spec/1/Process\"
		value: \"$specq\" }")
	case $_r in code=0*) ;; *) echo "$_r"; return ;; esac
	call Start StartRequest "id: \"$id\" exec_id: \"$1\""
}
refused() { matches "$1" '^code=[1-9]'; }
unchanged() { [ "$(cat "$1" 2>/dev/null)" = orig ]; }

id=$(new_id paths)
# shellcheck disable=SC2046
tctr run -d $(run_opts) "$E2E_IMAGE" "$id" sleep 1000 >&2 || e2e_die "ctr run -d"
wait_for 10 task_is "$id" RUNNING || e2e_die "task RUNNING"
sock=$(shim_socket "$id")

# --- the control: a real FIFO ------------------------------------------------------------------
# Every case has a good FIFO for the streams it does not test (the reference refuses an empty
# stderr next to a stdout, as containerd never sends one).
mkfifo "$T/ok.fifo" "$T/err.fifo" "$T/out2.fifo"
# Readers, as a client holds them (the reference's write opens wait for one).
for f in err out2; do
	cat "$T/$f.fifo" >/dev/null &
	at_exit "kill $! 2>/dev/null"
done
cat "$T/ok.fifo" >"$T/ok.got" &
cat_pid=$!
r=$(exec_try ok "" "$T/ok.fifo" "$T/err.fifo")
check "an exec whose stdout is a FIFO starts" matches "$r" '^code=0'
[ "${r#code=0}" != "$r" ] || diag "start: $r"
check "its output arrives through the FIFO" wait_for 10 grep -q marker "$T/ok.got"
kill "$cat_pid" 2>/dev/null

# --- plain paths that are not FIFOs ------------------------------------------------------------
mkdir -p "$T/elsewhere" "$T/adir"
printf 'orig\n' >"$T/regular"
printf 'orig\n' >"$T/elsewhere/target"
ln -s "$T/elsewhere/target" "$T/link"
ln -s "$T/elsewhere/created.log" "$T/dangling"
mkfifo "$T/real.fifo"
ln -s real.fifo "$T/fifolink"

r=$(exec_try reg "" "$T/regular" "$T/err.fifo")
beyond_reference "" "it appends to a regular file" \
	"a regular file as stdout is refused" refused "$r"
beyond_reference "" "it appends to a regular file" \
	"  the error says it is a regular file, not a FIFO" matches "$r" 'is a regular file, not a FIFO'
diag "regular file: $r"

r=$(exec_try lnk "" "$T/link" "$T/link")
beyond_reference "" "it follows symbolic links" \
	"a symbolic link to a file elsewhere as stdout and stderr is refused" refused "$r"
beyond_reference "" "it follows symbolic links" \
	"  the error says it is a symbolic link" matches "$r" 'is a symbolic link, not a FIFO'
diag "symlink: $r"

r=$(exec_try dng "" "$T/dangling" "$T/err.fifo")
check "a dangling symbolic link as stdout is refused" refused "$r"
diag "dangling symlink: $r"

r=$(exec_try fln "" "$T/fifolink" "$T/err.fifo")
beyond_reference "" "it follows symbolic links" \
	"a symbolic link to a FIFO is refused too (links are never followed)" refused "$r"

r=$(exec_try dir "" "$T/adir" "$T/err.fifo")
check "a directory as stdout is refused" refused "$r"
beyond_reference "" "its message is Go's" \
	"  the error says it is a directory" matches "$r" 'stdout .*adir is a directory, not a FIFO'
diag "directory: $r"

r=$(exec_try mis "" "$T/missing/sub/out" "$T/err.fifo")
check "a missing path as stdout is refused" refused "$r"
beyond_reference "" "its message is Go's" \
	"  the error names the path and says it must be an existing FIFO" \
	matches "$r" 'missing/sub/out: No such file or directory .*existing FIFO'
diag "missing: $r"

r=$(exec_try sin "$T/adir" "$T/out2.fifo" "$T/err.fifo")
beyond_reference "" "it reads a directory as stdin (EISDIR: at once EOF)" \
	"a directory as stdin is refused" refused "$r"
beyond_reference "" "it reads a directory as stdin" \
	"  the error says stdin is a directory (not EPERM from epoll)" \
	matches "$r" 'stdin .*adir is a directory, not a FIFO'
check "  it is not epoll's EPERM" sh -c "! printf '%s' '$r' | grep -q 'not permitted'"
diag "directory as stdin: $r"

# Create, on the same shim: its stdio is opened before the runtime runs, so nothing of the
# bundle is needed (the reference fails in `runc create` here: no config.json).
mkdir -p "$T/cbundle"
cid=$(new_id paths-create)
r=$(call Create CreateTaskRequest "id: \"$cid\" bundle: \"$T/cbundle\" stdout: \"$T/cmissing/out\"")
check "Create with a missing stdout path fails" refused "$r"
beyond_reference "" "it fails in runc create first" \
	"  with the stdio error" matches "$r" 'open stdout .*cmissing/out: No such file'
diag "create: $r"
r=$(call Create CreateTaskRequest "id: \"$cid\" bundle: \"$T/cbundle\" stdout: \"$T/regular\" stderr: \"$T/link\"")
check "Create with a regular file as stdout fails" refused "$r"
beyond_reference "" "it fails in runc create first" \
	"  with the stdio error" matches "$r" 'stdout .*regular is a regular file, not a FIFO'
r=$(call Create CreateTaskRequest "id: \"$cid\" bundle: \"$T/cbundle\" stdin: \"$T/adir\"")
check "Create with a directory as stdin fails" refused "$r"
beyond_reference "" "it fails in runc create first" \
	"  saying stdin is a directory" matches "$r" 'stdin .*adir is a directory, not a FIFO'

# Had any of these been followed, the exec (which echoes at once) would have written by now.
sleep 1
beyond_reference "" "it appends to a regular file" \
	"the regular file is untouched" unchanged "$T/regular"
beyond_reference "" "it follows symbolic links" \
	"the symbolic link's target is untouched" unchanged "$T/elsewhere/target"
check "the dangling link's target was not created" [ ! -e "$T/elsewhere/created.log" ]
check "no directory was made for the missing path" [ ! -e "$T/missing" ]
check "nor for Create's missing path" [ ! -e "$T/cmissing" ]
check "the links are still links" sh -c "[ -L '$T/link' ] && [ -L '$T/dangling' ]"

# The shim kept serving through all of it.
st=$(TTCLIENT_NS=$E2E_NS "$TT" "$sock" state "$id" 2>&1)
check "the shim still answers State: its container runs" matches "$st" 'status=2 '
check_eq "ctr task exec still works" fine "$(tctr task exec --exec-id after "$id" echo fine 2>&1)"
tctr task kill -s SIGKILL "$id" >&2
wait_for 10 task_is "$id" STOPPED || not_ok "the task stops"
tctr task delete "$id" >&2
tctr container delete "$id" >&2

# --- shim-delete and the address file -----------------------------------------------------------
# run_delete BUNDLE: shim-delete -force on a hand-made bundle; sets rc, $T/out, $T/err.
run_delete() {
	"$BOX" shim-delete -bundle "$1" -force >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	sed 's/^/#   /' "$T/out" "$T/err"
}
hex=$(printf '%s' "$T" | sha256sum | cut -d' ' -f1)
mkdir -p "$T/s"

# A live listener that is not a shim: it accepts and never answers.
b=$T/del/ns1/foreign
mkdir -p "$b"
"$T/unixsock" listen "$T/s/$hex" >"$T/listen.out" &
lpid=$!
wait_for 5 grep -qs listening "$T/listen.out" || not_ok "the listener listens"
echo "unix://$T/s/$hex" >"$b/address"
run_delete "$b"
check "shim-delete with a live foreign listener at the address exits 1" [ "$rc" -eq 1 ]
check "  its socket is left" [ -S "$T/s/$hex" ]
check "  the listener still runs" proc_alive "$lpid"
check "  the address file is kept" [ -e "$b/address" ]
check "  it says why: something that is not a shim listens there" \
	grep -q "listens on unix://$T/s/$hex but does not answer as a shim" "$T/err"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null

# Now dead (connect is refused) and ours: removed, with the address file.
check "the socket left by the killed listener is dead" [ -S "$T/s/$hex" ]
run_delete "$b"
check "shim-delete with a dead socket of ours exits 0" [ "$rc" -eq 0 ]
check "  it says it removed the socket" grep -qx "removed socket $T/s/$hex" "$T/out"
check "  the socket is gone" [ ! -e "$T/s/$hex" ]
check "  the address file is gone" [ ! -e "$b/address" ]

# A dead socket that is not ours (not a shim socket name): left, and why.
b=$T/del/ns1/notours
mkdir -p "$b"
"$T/unixsock" dead "$T/s/other.sock" || not_ok "make a dead socket"
echo "unix://$T/s/other.sock" >"$b/address"
run_delete "$b"
check "shim-delete with a dead socket that is not a shim's exits 1" [ "$rc" -eq 1 ]
check "  the socket is left" [ -S "$T/s/other.sock" ]
check "  the address file is kept" [ -e "$b/address" ]
check "  it says why" grep -q "not a shim socket" "$T/err"

# The address as a plain path (no unix://), a live listener there: left alone too.
b=$T/del/ns1/plain
mkdir -p "$b"
hex2=$(printf '%s2' "$T" | sha256sum | cut -d' ' -f1)
"$T/unixsock" listen "$T/s/$hex2" >"$T/listen2.out" &
lpid=$!
wait_for 5 grep -qs listening "$T/listen2.out" || not_ok "the second listener listens"
echo "$T/s/$hex2" >"$b/address"
run_delete "$b"
check "a plain path in the address file: a live listener is left alone too (exit 1)" \
	sh -c "[ $rc -eq 1 ] && [ -S '$T/s/$hex2' ] && [ -e '$b/address' ]"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
rm -f "$T/s/$hex2" "$T/s/other.sock"
e2e_exit
