# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# e2e helpers, sourced by test/e2e/run, test/e2e/[0-9]*.sh and scripts/demo (POSIX sh).
#
# A private containerd (own root, state, sockets and opt under a short temp dir, CRI off), a
# busybox rootfs and a one-layer OCI image of it, a ctr wrapper, and probes for what a shim
# leaves behind (process, zombie, mount, socket, runc state, cgroup).
#
# Set E2E_TOP (the repository) before sourcing. Inputs: SHIM (absolute path of a binary named
# containerd-shim-*-v2; default build/containerd-shim-shimbox-v2 -> shimbox). The state of a
# running instance is exported so that child scripts share it: CD_DIR, CD_SOCK, CD_PID (also in
# $CD_DIR/containerd.pid), E2E_NS (the current namespace).
#
# Shared places the private instance still touches, and which the cleanup handles:
# /run/containerd/s/<sha256(CD_SOCK/ns/id)> (shim sockets), /run/containerd/runc/<ns> (runc
# state), /sys/fs/cgroup/*/<ns> (cgroups from ctr's default spec). ctr FIFOs go under
# $CD_DIR/fifo because every run passes --fifo-dir.

: "${E2E_TOP:=$(pwd)}"
E2E_ROOTFS=$E2E_TOP/build/rootfs
E2E_IMAGE_TAR=$E2E_TOP/build/rootfs-oci.tar
E2E_IMAGE=docker.io/library/shimbox-e2e-busybox:latest
E2E_BIN=$E2E_TOP/build/e2e
: "${SHIM:=$E2E_TOP/build/containerd-shim-shimbox-v2}"
: "${E2E_NAME:=e2e}"
: "${E2E_FAILS:=0}"
export SHIM E2E_TOP

# ---------------------------------------------------------------------------------------------
# TAP output

diag() { printf '# %s\n' "$*"; }
ok() { printf 'ok - %s%s: %s\n' "${E2E_TAG:+$E2E_TAG }" "$E2E_NAME" "$*"; }
not_ok() {
	printf 'not ok - %s%s: %s\n' "${E2E_TAG:+$E2E_TAG }" "$E2E_NAME" "$*"
	E2E_FAILS=$((E2E_FAILS + 1))
}
# check DESCRIPTION COMMAND...: one assertion.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $2"
		diag "actual:   $3"
	fi
}
# shim_is_reference: the shim under test is a containerd-shim-runc-v2 (the reference).
shim_is_reference() { [ "$(basename "${SHIM_EXE:-$SHIM}")" = containerd-shim-runc-v2 ]; }
# beyond_reference WHEN REASON DESCRIPTION COMMAND...: an assertion where shimbox does better
# than the reference of releases matching WHEN (as in `# releases:`): with that reference it is
# not asserted and says so with REASON; otherwise it is a check.
beyond_reference() {
	_w=$1 _r=$2
	shift 2
	if shim_is_reference && release_expr_holds "$_w"; then
		diag "reference of $CD_RELEASE: not asserted: $1 ($_r)"
	else
		check "$@"
	fi
}
e2e_die() {
	not_ok "$*"
	exit 1
}
e2e_exit() { [ "$E2E_FAILS" -eq 0 ]; exit $?; }

# ---------------------------------------------------------------------------------------------
# Small utilities

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds; 1 on timeout.
wait_for() {
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	"$@"
}

sha256_of() { sha256sum "$@" | cut -d' ' -f1; }

# ---------------------------------------------------------------------------------------------
# The containerd release under test

# E2E_CONTAINERD names it: `debian` (the default: Debian's containerd 1.6.20 and runc 1.1.5 on
# PATH) or a release that scripts/peers built, e.g. v2.4.2: build/peers/containerd-v2.4.2/bin
# (containerd, ctr, and that release's containerd-shim-runc-v2, the reference) goes first on
# PATH, with runc E2E_RUNC (default: build/peers/runc-v1.5.3 for 2.x, Debian's for 1.x).
# Sets CD_RELEASE (e.g. 2.4.2) and E2E_TAG (e.g. cd-2.4.2, in every TAP line).
e2e_release_setup() {
	: "${E2E_CONTAINERD:=debian}"
	case $E2E_CONTAINERD in
	debian) ;;
	v[0-9]*)
		_b=$E2E_TOP/build/peers/containerd-$E2E_CONTAINERD/bin
		[ -x "$_b/containerd" ] && [ -x "$_b/ctr" ] ||
			{ echo "containerd $E2E_CONTAINERD is not built in $_b (scripts/peers)"; return 1; }
		case $E2E_CONTAINERD in
		v1.*) : "${E2E_RUNC:=}" ;;
		*) : "${E2E_RUNC:=$E2E_TOP/build/peers/runc-v1.5.3/runc}" ;;
		esac
		PATH=$_b:$PATH
		;;
	*) echo "E2E_CONTAINERD must be debian or vX.Y.Z: $E2E_CONTAINERD"; return 1 ;;
	esac
	if [ -n "${E2E_RUNC:-}" ]; then
		[ -x "$E2E_RUNC" ] && [ "$(basename "$E2E_RUNC")" = runc ] ||
			{ echo "E2E_RUNC must be an executable named runc: $E2E_RUNC"; return 1; }
		PATH=$(dirname "$E2E_RUNC"):$PATH
	fi
	CD_RELEASE=$(containerd --version 2>/dev/null | awk '{ print $3 }' | sed 's/^v//; s/[-+~].*//')
	[ -n "$CD_RELEASE" ] || { echo "cannot tell containerd's version"; return 1; }
	E2E_TAG=cd-$CD_RELEASE
	# ctr 2.2+ prints the daemon's deprecation warnings (cgroup v1, on these hybrid hosts) on
	# its own stderr, which the tests read as the container's.
	CONTAINERD_SUPPRESS_DEPRECATION_WARNINGS=1
	# The task service ttclient calls: 2.x's reference serves only v3 (shimbox serves both).
	if cd_at_least 2.0; then TTCLIENT_SERVICE=containerd.task.v3.Task; else TTCLIENT_SERVICE=containerd.task.v2.Task; fi
	export PATH E2E_CONTAINERD E2E_RUNC CD_RELEASE E2E_TAG CONTAINERD_SUPPRESS_DEPRECATION_WARNINGS \
		TTCLIENT_SERVICE
}

# ver_ge A B: version A (x.y[.z]) is at least B.
ver_ge() {
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -t. -k1,1n -k2,2n -k3,3n | head -n 1)" = "$2" ]
}
# cd_at_least X.Y: the containerd under test is release X.Y or later.
cd_at_least() { ver_ge "$CD_RELEASE" "$1"; }

# release_applies FILE: the file's `# releases: EXPR` line (absent: every release) admits
# CD_RELEASE. EXPR is one or more of `>=X.Y` and `<X.Y`, all of which must hold.
release_applies() { release_expr_holds "$(sed -n 's/^# releases: *//p' "$1" | head -n 1)"; }
release_expr_holds() { # EXPR (empty: true)
	for _c in $1; do
		case $_c in
		">="*) cd_at_least "${_c#>=}" || return 1 ;;
		"<"*) cd_at_least "${_c#<}" && return 1 ;;
		*) echo "bad release expression: $_c" >&2; return 2 ;;
		esac
	done
	return 0
}

e2e_prereqs() { # prints what is missing, one per line; 0 if nothing is
	_miss=
	for _c in containerd ctr runc cc sha256sum timeout setsid tar; do
		command -v "$_c" >/dev/null 2>&1 || _miss="$_miss $_c"
	done
	[ -x /bin/busybox ] || _miss="$_miss /bin/busybox(busybox-static)"
	[ -z "$_miss" ] || { echo "missing:$_miss"; return 1; }
}

# Checks SHIM; for the default, creates build/containerd-shim-shimbox-v2 -> shimbox.
# SHIM=reference names the release's own containerd-shim-runc-v2 (first on PATH).
e2e_shim_setup() {
	if [ "$SHIM" = reference ]; then
		SHIM=$(command -v containerd-shim-runc-v2) || { echo "no containerd-shim-runc-v2 on PATH"; return 1; }
		export SHIM
	fi
	if [ "$SHIM" = "$E2E_TOP/build/containerd-shim-shimbox-v2" ] && [ -x "$E2E_TOP/build/shimbox" ]; then
		ln -sfn shimbox "$SHIM"
	fi
	case $SHIM in
	/*) ;;
	*) echo "SHIM must be an absolute path: $SHIM"; return 1 ;;
	esac
	case $(basename "$SHIM") in
	containerd-shim-*-v2) ;;
	*) echo "SHIM must be named containerd-shim-*-v2: $SHIM"; return 1 ;;
	esac
	[ -x "$SHIM" ] || { echo "SHIM is not an executable: $SHIM"; return 1; }
	SHIM_EXE=$(readlink -f "$SHIM")
	export SHIM_EXE
}

# Builds build/e2e/ttclient and build/e2e/subreaper (cc, glibc) when missing or out of date.
# Each is written under a temporary name and renamed, so that concurrent runs do not collide.
e2e_build_tools() {
	mkdir -p "$E2E_BIN" || return 1
	_t=$E2E_BIN/ttclient
	if [ ! -x "$_t" ] || [ -n "$(find "$E2E_TOP/test/e2e/ttclient.c" "$E2E_TOP/wire" -newer "$_t" 2>/dev/null)" ]; then
		# All of wire/ (pure codecs): which file needs which is wire/'s business.
		(cd "$E2E_TOP" && cc -O1 -I. -o "$_t.$$" test/e2e/ttclient.c wire/*.c &&
			mv "$_t.$$" "$_t") || return 1
	fi
	_t=$E2E_BIN/subreaper
	if [ ! -x "$_t" ] || [ -n "$(find "$E2E_TOP/test/e2e/subreaper.c" -newer "$_t" 2>/dev/null)" ]; then
		(cd "$E2E_TOP" && cc -O1 -o "$_t.$$" test/e2e/subreaper.c && mv "$_t.$$" "$_t") || return 1
	fi
}

# ---------------------------------------------------------------------------------------------
# busybox rootfs (build/rootfs) and a one-layer OCI image of it (build/rootfs-oci.tar)

e2e_rootfs() {
	_want=$(sha256_of /bin/busybox) || return 1
	if [ -f "$E2E_ROOTFS/.busybox-sha256" ] && [ "$(cat "$E2E_ROOTFS/.busybox-sha256")" = "$_want" ]; then
		return 0
	fi
	_tmp=$E2E_ROOTFS.tmp.$$
	rm -rf "$_tmp"
	mkdir -p "$_tmp/bin" || return 1
	for _d in dev proc sys tmp etc run root var usr; do mkdir -p "$_tmp/$_d"; done
	ln -s bin "$_tmp/sbin"
	ln -s ../bin "$_tmp/usr/bin"
	ln -s ../bin "$_tmp/usr/sbin"
	chmod 1777 "$_tmp/tmp"
	cp /bin/busybox "$_tmp/bin/busybox" || return 1
	for _a in $(/bin/busybox --list); do
		[ "$_a" = busybox ] || ln -s busybox "$_tmp/bin/$_a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$_tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$_tmp/etc/group"
	echo "$_want" >"$_tmp/.busybox-sha256"
	rm -rf "$E2E_ROOTFS" "$E2E_IMAGE_TAR"
	mv "$_tmp" "$E2E_ROOTFS"
}

# The OCI image layout tarball that `ctr image import` takes; rebuilt with the rootfs.
e2e_image_tar() {
	e2e_rootfs || return 1
	[ -f "$E2E_IMAGE_TAR" ] && [ -z "$(find "$E2E_ROOTFS/.busybox-sha256" -newer "$E2E_IMAGE_TAR")" ] &&
		return 0
	_o=$E2E_IMAGE_TAR.tmp.$$
	rm -rf "$_o"
	mkdir -p "$_o/blobs/sha256" || return 1
	tar -C "$E2E_ROOTFS" --exclude=./.busybox-sha256 --sort=name --mtime=@0 --owner=0 --group=0 \
		--numeric-owner -cf "$_o/layer" . || return 1
	_l=$(sha256_of "$_o/layer")
	_ls=$(stat -c %s "$_o/layer")
	mv "$_o/layer" "$_o/blobs/sha256/$_l"
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/sbin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$_l" >"$_o/config"
	_c=$(sha256_of "$_o/config")
	_cs=$(stat -c %s "$_o/config")
	mv "$_o/config" "$_o/blobs/sha256/$_c"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$_c" "$_cs" "$_l" "$_ls" >"$_o/manifest"
	_m=$(sha256_of "$_o/manifest")
	_ms=$(stat -c %s "$_o/manifest")
	mv "$_o/manifest" "$_o/blobs/sha256/$_m"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$_o/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
		"$_m" "$_ms" "$E2E_IMAGE" >"$_o/index.json"
	tar -C "$_o" -cf "$E2E_IMAGE_TAR.part" oci-layout index.json blobs || return 1
	mv "$E2E_IMAGE_TAR.part" "$E2E_IMAGE_TAR"
	rm -rf "$_o"
}

# ---------------------------------------------------------------------------------------------
# The private containerd

# cd_config: the private instance's config for the release under test (CD_TTRPC_SOCK moves its
# ttrpc socket, which shims publish to, away from $CD_SOCK.ttrpc). CRI is off; so is NRI
# (2.x turns it on, listening on the machine-wide /var/run/nri/nri.sock), and 2.x imports no
# drop-ins from /etc/containerd/conf.d. 2.x takes version 3 with its own plugin ids.
cd_config() {
	if cd_at_least 2.0; then
		cat <<EOF
version = 3
root = "$CD_DIR/root"
state = "$CD_DIR/state"
imports = []
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime",
  "io.containerd.cri.v1.images", "io.containerd.nri.v1.nri"]
[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "${CD_TTRPC_SOCK:-$CD_SOCK.ttrpc}"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD_DIR/opt"
EOF
		if cd_at_least 2.3; then
			cat <<EOF
[plugins."io.containerd.shim.v1.manager"]
  socket_dir = "$CD_DIR/s"
EOF
		fi
	else
		cat <<EOF
version = 2
root = "$CD_DIR/root"
state = "$CD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"$(cd_at_least 1.7 && echo ', "io.containerd.nri.v1.nri"')]
[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "${CD_TTRPC_SOCK:-$CD_SOCK.ttrpc}"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD_DIR/opt"
EOF
	fi
}

# cd_start: starts containerd (a fresh temp dir unless CD_DIR is set, e.g. for a restart) and
# waits until `ctr version` answers (20 s at most).
cd_start() {
	if [ -z "${CD_DIR:-}" ]; then
		CD_DIR=$(mktemp -d /tmp/sbx.XXXX) || return 1
	fi
	CD_SOCK=$CD_DIR/c.sock
	export CD_DIR CD_SOCK
	mkdir -p "$CD_DIR/fifo"
	cd_config >"$CD_DIR/config.toml" || return 1
	# Own session: a test's timeout kills its process group, never containerd.
	setsid containerd --config "$CD_DIR/config.toml" </dev/null >>"$CD_DIR/containerd.log" 2>&1 &
	CD_PID=$!
	export CD_PID
	echo "$CD_PID" >"$CD_DIR/containerd.pid"
	_n=200
	while [ "$_n" -gt 0 ]; do
		if ! kill -0 "$CD_PID" 2>/dev/null || is_zombie "$CD_PID"; then
			echo "containerd exited; its log:" >&2
			tail -20 "$CD_DIR/containerd.log" >&2
			return 1
		fi
		timeout 5 ctr --address "$CD_SOCK" version >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "containerd did not answer within 20 s" >&2
	return 1
}

cd_pid() { cat "$CD_DIR/containerd.pid" 2>/dev/null; }

# cd_alive: the containerd of $CD_DIR runs and answers.
cd_alive() {
	_p=$(cd_pid)
	[ -n "$_p" ] && proc_alive "$_p" && timeout 5 ctr --address "$CD_SOCK" version >/dev/null 2>&1
}

# cd_stop: SIGTERM by pid, SIGKILL after 10 s.
cd_stop() {
	_p=$(cd_pid)
	[ -n "$_p" ] || return 0
	kill "$_p" 2>/dev/null
	wait_for 10 proc_dead "$_p" || { kill -9 "$_p" 2>/dev/null; wait_for 5 proc_dead "$_p"; }
	wait "$_p" 2>/dev/null
	rm -f "$CD_DIR/containerd.pid"
	return 0
}

cd_restart() { cd_stop && cd_start; }

# ---------------------------------------------------------------------------------------------
# Namespaces, ids, ctr

# e2e_ns_new NAME: a fresh namespace for this run (recorded for the cleanup).
e2e_ns_new() {
	E2E_NS=sbx-$(basename "$CD_DIR" | sed 's/^sbx\.//' | tr -cd 'a-zA-Z0-9')-$1
	export E2E_NS
	echo "$E2E_NS" >>"$CD_DIR/namespaces"
}

# new_id NAME: prints a container id and records it (its socket is removed by the cleanup).
new_id() {
	echo "$E2E_NS $1" >>"$CD_DIR/ids"
	echo "$1"
}

cctr() { ctr --address "$CD_SOCK" -n "$E2E_NS" "$@"; }

# Options for `ctr run` through the shim under test; word-split on purpose.
run_opts() { echo "--runtime $SHIM --fifo-dir $CD_DIR/fifo"; }

e2e_import_image() { cctr image import "$E2E_IMAGE_TAR" >/dev/null; }

task_field() { # ID COLUMN(2=pid,3=status) of `ctr task ls`
	cctr task ls 2>/dev/null | awk -v id="$1" -v col="$2" '$1 == id { print $col }'
}
task_status() { task_field "$1" 3; }
task_pid() { task_field "$1" 2; }
task_is() { [ "$(task_status "$1")" = "$2" ]; }
# ps_exec_ere EXECID: an ERE for the INFO column of `ctr task ps` naming EXECID, which ctr
# prints as &ProcessDetails{ExecID:ID,} (1.x) or exec_id:"ID" (2.x).
ps_exec_ere() { printf '(ExecID:%s,|exec_id:"%s")' "$1" "$1"; }
task_nprocs_ge() { [ "$(cctr task ps "$1" 2>/dev/null | tail -n +2 | wc -l)" -ge "$2" ]; }
# task_gone ID, container_gone ID: ctr answers and does not list ID.
task_gone() {
	_l=$(cctr task ls -q 2>/dev/null) || return 1
	! printf '%s\n' "$_l" | grep -qx "$1"
}
container_gone() {
	_l=$(cctr container ls -q 2>/dev/null) || return 1
	! printf '%s\n' "$_l" | grep -qx "$1"
}

# ---------------------------------------------------------------------------------------------
# What a shim leaves behind

bundle_dir() { echo "$CD_DIR/state/io.containerd.runtime.v2.task/$E2E_NS/$1"; }
rootfs_dir() { echo "$(bundle_dir "$1")/rootfs"; }

# shim_socket_dir: where shims of the instance put their sockets: 2.3+ is configured to send
# its own $CD_DIR/s as BootstrapParams' socket_dir (which every run of the suite thereby tests);
# older releases always use /run/containerd/s.
shim_socket_dir() { if cd_at_least 2.3; then echo "$CD_DIR/s"; else echo /run/containerd/s; fi; }
# socket_for NS KEY: the socket of the shim of group (or container) KEY, as the reference
# derives it: sha256 of CD_SOCK/NS/KEY in shim_socket_dir.
socket_for() { echo "$(shim_socket_dir)/$(printf '%s' "$CD_SOCK/$1/$2" | sha256sum | cut -d' ' -f1)"; }

# The socket path of the shim of ID: from the bundle's address file if it is there (1.6, and
# shimbox everywhere), else from the bootstrap.json that 1.7+ writes, else computed as the
# reference does (sha256 of CD_SOCK/ns/id).
shim_socket() {
	_a=$(cat "$(bundle_dir "$1")/address" 2>/dev/null)
	[ -n "$_a" ] || _a=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$(bundle_dir "$1")/bootstrap.json" 2>/dev/null)
	if [ -n "$_a" ]; then
		echo "${_a#unix://}"
	else
		socket_for "$E2E_NS" "$1"
	fi
}
socket_exists() { [ -S "$(shim_socket "$1")" ]; }

# Pids holding a unix socket bound to PATH (the listener and accepted connections).
pids_on_socket() {
	awk -v p="$1" '$NF == p { print $7 }' /proc/net/unix | sort -u | while read -r _ino; do
		find /proc/[0-9]*/fd -lname "socket:\[$_ino\]" 2>/dev/null | cut -d/ -f3
	done | sort -u
}

# Pids whose executable is the shim's and whose argv holds "-id ID" and our address
# (excluding the short-lived `start`/`delete` invocations).
pids_by_cmdline() {
	for _d in /proc/[0-9]*; do
		[ "$(readlink "$_d/exe" 2>/dev/null)" = "$SHIM_EXE" ] || continue
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | awk -v id="$1" -v a="$CD_SOCK" '
			prev == "-id" && $0 == id { i = 1 } $0 == a { s = 1 } { prev = $0; last = $0 }
			END { exit !(i && s && last != "start" && last != "delete") }' && echo "${_d#/proc/}"
	done
}

# shim_pid ID: the pid of the shim serving ID: the owner of its socket, else by argv.
shim_pid() {
	_s=$(pids_on_socket "$(shim_socket "$1")" | head -1)
	[ -n "$_s" ] || _s=$(pids_by_cmdline "$1" | head -1)
	[ -n "$_s" ] && echo "$_s"
}

proc_state() { awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }
proc_ppid() { awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }
is_zombie() { [ "$(proc_state "$1")" = Z ]; }
proc_alive() { [ -d "/proc/$1" ] && ! is_zombie "$1"; }
proc_dead() { ! proc_alive "$1"; }
proc_gone() { [ ! -d "/proc/$1" ]; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# conns_with PID PEERPID: how many of PID's connected unix sockets have their other end held by
# PEERPID (ss: $6 a socket's inode, $8 its peer's inode). A socket whose peer is closed is not
# counted, so a shim that keeps a connection its client has closed still shows in fd_count.
conns_with() {
	ss -xpn 2>/dev/null | awk -v me="pid=$1," -v them="pid=$2," '
		{ owner[$6] = $0 }
		index($0, me) { peer[++n] = $8 }
		END { c = 0; for (i = 1; i <= n; i++) if (index(owner[peer[i]], them)) c++; print c }'
}
# own_fd_count PID: fd_count less the connections containerd holds to or from PID (containerd
# may open another one at any time: that is containerd's, not a leak of the shim's).
# (cd_pid, not $CD_PID: a test that restarts containerd leaves the runner's $CD_PID stale.)
own_fd_count() { echo $(($(fd_count "$1") - $(conns_with "$1" "$(cd_pid)"))); }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# zombies PID...: zombies among these pids or among their children.
zombies() {
	_want=" $* "
	for _d in /proc/[0-9]*; do
		read -r _st 2>/dev/null <"$_d/stat" || continue
		_rest=${_st##*) }
		case $_rest in Z*) ;; *) continue ;; esac
		_pp=${_rest#Z }
		_pp=${_pp%% *}
		case $_want in *" ${_d#/proc/} "* | *" $_pp "*) echo "${_d#/proc/}" ;; esac
	done
}
no_zombies() { [ -z "$(zombies "$@")" ]; }

# mounts_under PATH: mount points at or below PATH in our mount namespace.
mounts_under() {
	awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}
is_mounted() { [ -n "$(mounts_under "$1")" ]; }
not_mounted() { [ -z "$(mounts_under "$1")" ]; }
runc_state_gone() { [ ! -e "/run/containerd/runc/$E2E_NS/$1" ]; }

# ---------------------------------------------------------------------------------------------
# ctr events

# events_start FILE: `ctr events` into FILE, returning once it is subscribed (a namespace label
# change shows up in FILE). Sets EV_PID.
events_start() {
	ctr --address "$CD_SOCK" events >"$1" 2>&1 &
	EV_PID=$!
	_n=0
	while [ $_n -lt 50 ]; do
		cctr namespaces label "$E2E_NS" "e2e-sync=$_n" >/dev/null 2>&1
		wait_for 1 grep -q "/namespaces/update" "$1" && return 0
		_n=$((_n + 1))
	done
	return 1
}
# events_stop: safe without events_start (set -u) and twice.
events_stop() {
	if [ -n "${EV_PID:-}" ]; then
		kill "$EV_PID" 2>/dev/null
		wait "$EV_PID" 2>/dev/null
	fi
	EV_PID=
}
# events_topics FILE ID: the /tasks/* topics for container ID, one per line, in order.
events_topics() {
	awk -v id="$2" 'index($0, "\"container_id\":\"" id "\"") {
		for (i = 1; i <= NF; i++) if ($i ~ /^\/tasks\//) { print $i; break } }' "$1"
}
# event_lines FILE TOPIC ID: the lines of TOPIC for container ID.
event_lines() {
	awk -v t="$2" -v id="$3" 'index($0, "\"container_id\":\"" id "\"") {
		for (i = 1; i <= NF; i++) if ($i == t) { print; break } }' "$1"
}
# event_has FILE TOPIC ID [ERE]: such an event arrived (whose line matches ERE).
event_has() { event_lines "$1" "$2" "$3" | grep -Eq -- "${4:-.}"; }

# ---------------------------------------------------------------------------------------------
# Cleanup

# Kills pids one by one (never by name).
kill_pids() {
	for _p in "$@"; do
		[ "$_p" = "$$" ] || kill -9 "$_p" 2>/dev/null
	done
}

# Pids (other than ours) whose argv mentions our containerd socket: shims, ctr clients.
pids_of_instance() {
	for _d in /proc/[0-9]*; do
		_p=${_d#/proc/}
		[ "$_p" = "$$" ] && continue
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | grep -qxF "$CD_SOCK" && echo "$_p"
	done
}

umount_under() {
	mounts_under "$1" | sort -r | while read -r _m; do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
}

# ns_cleanup NS [soft]: removes everything of namespace NS: through ctr first (with timeouts;
# skipped when containerd is down), then by force: shims, runc state, mounts, cgroups, sockets.
ns_cleanup() {
	_ns=$1
	if [ -n "${2:-}" ] && cd_alive; then
		_c="timeout 15 ctr --address $CD_SOCK -n $_ns"
		for _t in $($_c task ls -q 2>/dev/null); do
			$_c task kill -s SIGKILL "$_t" >/dev/null 2>&1
			$_c task delete -f "$_t" >/dev/null 2>&1
		done
		for _t in $($_c container ls -q 2>/dev/null); do
			$_c container delete "$_t" >/dev/null 2>&1
		done
		for _t in $($_c image ls -q 2>/dev/null); do
			$_c image remove "$_t" >/dev/null 2>&1
		done
	fi
	# Shims of this namespace.
	for _d in /proc/[0-9]*; do
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | awk -v ns="$_ns" -v a="$CD_SOCK" '
			prev == "-namespace" && $0 == ns { n = 1 } $0 == a { s = 1 } { prev = $0 }
			END { exit !(n && s) }' && kill -9 "${_d#/proc/}" 2>/dev/null
	done
	# Container processes and runc state.
	_root=/run/containerd/runc/$_ns
	if [ -d "$_root" ]; then
		for _t in $(runc --root "$_root" list -q 2>/dev/null); do
			runc --root "$_root" kill "$_t" KILL >/dev/null 2>&1
			runc --root "$_root" delete --force "$_t" >/dev/null 2>&1
		done
		rm -rf "$_root"
	fi
	umount_under "$CD_DIR/state/io.containerd.runtime.v2.task/$_ns"
	for _cg in /sys/fs/cgroup/*/"$_ns"; do
		[ -d "$_cg" ] || continue
		find "$_cg" -name cgroup.procs 2>/dev/null | while read -r _f; do
			# shellcheck disable=SC2046
			kill_pids $(cat "$_f" 2>/dev/null)
		done
		find "$_cg" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	if [ -f "$CD_DIR/ids" ]; then
		awk -v ns="$_ns" '$1 == ns { print $2 }' "$CD_DIR/ids" | while read -r _i; do
			rm -f "$(socket_for "$_ns" "$_i")"
		done
	fi
}

# leftovers: prints what the instance left on the machine (empty when clean).
leftovers() {
	for _p in $(pids_of_instance); do
		echo "process $_p: $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | cut -c1-120)"
	done
	for _m in $(mounts_under "$CD_DIR"); do echo "mount $_m"; done
	[ -f "$CD_DIR/namespaces" ] && while read -r _ns; do
		[ -e "/run/containerd/runc/$_ns" ] && echo "runc state /run/containerd/runc/$_ns"
		for _cg in /sys/fs/cgroup/*/"$_ns"; do [ -d "$_cg" ] && echo "cgroup $_cg"; done
	done <"$CD_DIR/namespaces"
	[ -f "$CD_DIR/ids" ] && while read -r _ns _i; do
		_s=$(socket_for "$_ns" "$_i")
		[ -e "$_s" ] && echo "socket $_s ($_ns/$_i)"
	done <"$CD_DIR/ids"
	return 0
}

# cd_scrub: stops containerd and removes every trace of the instance except $CD_DIR itself.
cd_scrub() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || return 0
	cd_stop
	# shellcheck disable=SC2046
	kill_pids $(pids_of_instance)
	if [ -f "$CD_DIR/namespaces" ]; then
		while read -r _ns; do ns_cleanup "$_ns"; done <"$CD_DIR/namespaces"
	fi
	umount_under "$CD_DIR"
	# /run/containerd/{s,runc} themselves stay: another containerd on this machine may be
	# between its MkdirAll and its bind at this very moment.
	return 0
}

# cd_cleanup: cd_scrub, then removes $CD_DIR (kept, for its logs, when E2E_KEEP is set).
cd_cleanup() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || return 0
	cd_scrub
	if [ -z "${E2E_KEEP:-}" ] && [ -z "$(mounts_under "$CD_DIR")" ]; then
		rm -rf "$CD_DIR"
	elif [ -n "${E2E_KEEP:-}" ]; then
		echo "# kept $CD_DIR"
	fi
	return 0
}

# at_exit COMMAND: runs COMMAND when the test file exits (last registered, first run).
E2E_AT_EXIT=
at_exit() {
	E2E_AT_EXIT="$1; $E2E_AT_EXIT"
	trap 'eval "$E2E_AT_EXIT"' EXIT
}

# e2e_test_begin: called by every test file. Under test/e2e/run the instance and namespace exist
# already; run alone (`SHIM=... sh test/e2e/05-lifecycle.sh`), the file starts and cleans up its
# own.
e2e_test_begin() {
	if [ -n "${CD_SOCK:-}" ] && [ -n "${E2E_NS:-}" ]; then
		[ -n "${SHIM_EXE:-}" ] || SHIM_EXE=$(readlink -f "$SHIM")
		return 0
	fi
	e2e_release_setup >&2 || e2e_die "containerd release under test"
	e2e_prereqs >&2 || e2e_die "prerequisites"
	e2e_shim_setup >&2 || e2e_die "shim under test"
	e2e_build_tools >&2 || e2e_die "build the e2e tools"
	e2e_image_tar >&2 || e2e_die "busybox rootfs and image"
	at_exit cd_cleanup
	trap 'exit 130' INT TERM HUP
	cd_start || e2e_die "private containerd starts"
	e2e_ns_new "${E2E_NAME%%-*}"
}

# ---------------------------------------------------------------------------------------------
# Helpers of the Task API tests (test/e2e/20-29). Added at the end on purpose; nothing above
# uses them.

# tctr ARGS...: cctr bounded by E2E_CTR_TIMEOUT seconds (default 20); status 124 on timeout.
tctr() { timeout -k 5 "${E2E_CTR_TIMEOUT:-20}" ctr --address "$CD_SOCK" -n "$E2E_NS" "$@"; }

# events_of_proc FILE ID: the /tasks/* topics of the events whose exec_id or id is ID (an exec
# id, or a container id for init's exit), one per line, in order.
events_of_proc() {
	awk -v id="$2" '/\/tasks\// && (index($0, "\"exec_id\":\"" id "\"") || index($0, "\"id\":\"" id "\"")) {
		for (i = 1; i <= NF; i++) if ($i ~ /^\/tasks\//) { print $i; break } }' "$1"
}

# event_line FILE TOPIC ID: the line number of the first TOPIC event whose exec_id or id is ID
# (empty if there is none).
event_line() {
	awk -v t="$2" -v id="$3" '$0 ~ " " t " " && (index($0, "\"exec_id\":\"" id "\"") || index($0, "\"id\":\"" id "\"")) { print NR; exit }' "$1"
}

# pty_run OUT CMD: runs the shell command CMD on a pseudo-terminal (util-linux script(1), which
# forwards its own stdin to it), all it prints in OUT (lines end in \r\n, or \r\r\n through a
# container's terminal); returns CMD's exit status, 124 after E2E_CTR_TIMEOUT seconds.
pty_run() {
	timeout -k 5 "${E2E_CTR_TIMEOUT:-20}" script -qefc "$2" /dev/null >"$1" 2>&1
}
# failed_in_time STATUS: a command failed on its own (non-zero, and not timeout(1)'s 124/137).
failed_in_time() { [ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$1" -ne 137 ]; }

# one_line TEXT: TEXT with its newlines turned into spaces (for diag: a TAP line is one line).
one_line() { printf '%s' "$1" | tr '\n' ' '; }

# matches TEXT ERE: TEXT matches the extended regular expression ERE.
matches() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
# --- end of the Task API helpers -------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Protobuf by hand, as hex, for build/e2e/ttclient's `call` mode.

# pb_varint N: N as a varint. hex_of TEXT: TEXT's bytes. pb_field NUMBER HEX: a length-delimited
# field (wire type 2) holding HEX.
pb_varint() {
	_v=$1
	while [ "$_v" -ge 128 ]; do
		printf '%02x' $(((_v & 127) | 128))
		_v=$((_v >> 7))
	done
	printf '%02x' "$_v"
}
hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
pb_field() { printf '%02x%s%s' $((($1 << 3) | 2)) "$(pb_varint $((${#2} / 2)))" "$2"; }

# ---------------------------------------------------------------------------------------------
# In-place upgrade (35, 70)

# e2e_variant NAME REV CFLAGS: prints build/e2e/shimbox-NAME, this source built with GIT_REV=REV
# and EXTRA_CFLAGS=CFLAGS in a copy of the tree (rebuilt when a source file is newer).
e2e_variant() {
	_out=$E2E_BIN/shimbox-$1
	_src=$E2E_BIN/src-$1
	if [ ! -x "$_out" ] || [ -n "$(find "$E2E_TOP/wire" "$E2E_TOP/core" "$E2E_TOP/applets" \
		"$E2E_TOP/Makefile" -newer "$_out" 2>/dev/null | head -n 1)" ]; then
		rm -rf "$_src" && mkdir -p "$_src/build" &&
			cp -r "$E2E_TOP/wire" "$E2E_TOP/core" "$E2E_TOP/applets" "$E2E_TOP/Makefile" "$_src/" &&
			ln -s "$E2E_TOP/build/bearssl" "$_src/build/bearssl" &&
			make -s -C "$_src" GIT_REV="$2" EXTRA_CFLAGS="$3" build/shimbox >"$_src.log" 2>&1 &&
			cp "$_src/build/shimbox" "$_out.$$" && mv "$_out.$$" "$_out" || return 1
	fi
	echo "$_out"
}
# counter_script NAME STATUS: a container's shell loop that prints 0, 1, 2... one every
# millisecond or so until /ctl/stop-NAME exists, then "end", and exits STATUS.
counter_script() { echo "i=0; while [ ! -e /ctl/stop-$1 ]; do echo \$i; i=\$((i+1)); usleep 1000; done; echo end; exit $2"; }
# counter_whole FILE: FILE holds 0..N (N >= 10), each once and in order, then "end".
counter_whole() {
	awk 'BEGIN { n = 0 } $0 == "end" { e = 1; next } e || $0 != n { bad = 1; exit } { n++ } END { exit bad || !e || n < 10 }' "$1"
}
