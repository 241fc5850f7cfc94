# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# CRI helpers, sourced after scripts/e2e-lib.sh by test/cri/critest and test/e2e/4[0-9]-cri-*.sh.
#
# A private containerd 2.4 with its CRI plugin on (cri_start), beside a docker-registry on
# loopback serving the stand-in images of scripts/cri-images, and a CNI bridge of its own. All of
# it lives under CD_DIR (/tmp/sbc.XXXX): root, state, sockets (shim sockets in CD_DIR/s), runc's
# state (the runtimes' Root option), the pods' netns (netns_mounts_under_state_dir), the CNI
# config and IPAM leases, the registry's config and log. What is shared with the machine, and
# which cri_cleanup handles, by our own names only:
#   the bridge sbcXXXX (the CNI plugin creates it; deleted at the end),
#   /var/lib/cni/results/sbc-XXXX-* (libcni's cache, keyed by our network name),
#   cgroups /sys/fs/cgroup/*/k8s.io/<id> of our pods and containers (CRI's namespace is always
#   k8s.io; ids are random, and the cleanup removes only those our containerd created).
#
# CRI_MODE picks the shim the CRI runtime handler runs:
#   reference  runtime "runc", io.containerd.runc.v2: 2.4.2's own containerd-shim-runc-v2
#   shimbox    runtime "shimbox", runtime_type io.containerd.shimbox.v2 (the default handler)
#   dropin     runtime "runc", io.containerd.runc.v2, found as a link containerd-shim-runc-v2
#              -> build/shimbox first on containerd's PATH
#   path       runtime "runc", io.containerd.runc.v2 with runtime_path naming
#              build/containerd-shim-shimbox-v2 (so CRI sends runc's options, e.g. Root)
# Default: reference when SHIM is the reference (SHIM=reference), else shimbox.

CRI_TOOLS=$E2E_TOP/build/peers/cri-tools-v1.37.0
CRI_TREE=$E2E_TOP/build/cri-registry
# The images the tests use, by the names the suites ask for.
CRI_BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.29-2
CRI_PAUSE=registry.k8s.io/pause:3.10.2

cri_mode() {
	if [ -n "${CRI_MODE:-}" ]; then
		echo "$CRI_MODE"
	elif shim_is_reference; then
		echo reference
	else
		echo shimbox
	fi
}

# cri_free_port: a TCP port nobody listens on (random, 20000-59999).
cri_free_port() {
	while :; do
		_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
		ss -Htln "sport = :$_p" 2>/dev/null | grep -q . || { echo "$_p"; return 0; }
	done
}

# cri_registry_start: docker-registry on 127.0.0.1:CRI_REG_PORT serving build/cri-registry
# (read-only: deletes off, and nothing pushes), and containerd's hosts.toml sending the
# registries the suites name to it.
cri_registry_start() {
	"$E2E_TOP/scripts/cri-images" || return 1
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		CRI_REG_PORT=$(cri_free_port)
		cat >"$CD_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $CRI_TREE
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: true
http:
  addr: 127.0.0.1:$CRI_REG_PORT
EOF
		setsid docker-registry serve "$CD_DIR/registry.yml" </dev/null >>"$CD_DIR/registry.log" 2>&1 &
		CRI_REG_PID=$!
		echo "$CRI_REG_PID" >"$CD_DIR/registry.pid"
		if wait_for 10 curl -fsS -o /dev/null "http://127.0.0.1:$CRI_REG_PORT/v2/" 2>/dev/null; then
			break
		fi
		kill "$CRI_REG_PID" 2>/dev/null
		wait "$CRI_REG_PID" 2>/dev/null
		CRI_REG_PID=
	done
	[ -n "${CRI_REG_PID:-}" ] || { echo "docker-registry did not start; its log:" >&2; tail -5 "$CD_DIR/registry.log" >&2; return 1; }
	for _h in registry.k8s.io k8s.gcr.io gcr.io docker.io; do
		mkdir -p "$CD_DIR/certs.d/$_h"
		cat >"$CD_DIR/certs.d/$_h/hosts.toml" <<EOF
# No internet here: $_h is served by the tests' registry on loopback, and only by it.
server = "http://127.0.0.1:$CRI_REG_PORT"
[host."http://127.0.0.1:$CRI_REG_PORT"]
  capabilities = ["pull", "resolve"]
EOF
	done
	export CRI_REG_PORT CRI_REG_PID
}

# cri_cni_config: a bridge of our own (sbcXXXX) on a private /24 (10.244.N.0/24, N free on this
# machine), host-local leases in CD_DIR. No ipMasq and no portmap: neither adds an iptables
# rule, so nothing is left in the host's tables (hostPort therefore does not work: the tests
# that need it are listed in docs/CRI.md).
cri_cni_config() {
	CRI_BRIDGE=sbc$(basename "$CD_DIR" | sed 's/^sbc\.//' | tr -cd 'a-zA-Z0-9' | cut -c1-8)
	CRI_NET=sbc-$(basename "$CD_DIR" | sed 's/^sbc\.//')
	while :; do
		_n=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 250 + 1))
		ip -4 route show 2>/dev/null | grep -q "^10\.244\.$_n\." || ip -4 addr show 2>/dev/null | grep -q " 10\.244\.$_n\." || break
	done
	CRI_SUBNET=10.244.$_n.0/24
	mkdir -p "$CD_DIR/cni"
	cat >"$CD_DIR/cni/10-$CRI_NET.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CRI_NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CRI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$CRI_SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$CD_DIR/cni-ipam"
      }
    }
  ]
}
EOF
	export CRI_BRIDGE CRI_NET CRI_SUBNET
}

# The CRI-enabled config (replaces e2e-lib.sh's cd_config, which turns CRI off).
cd_config() {
	_m=$(cri_mode)
	_def=runc
	[ "$_m" = shimbox ] && _def=shimbox
	_rp=
	[ "$_m" = path ] && _rp="runtime_path = \"$E2E_TOP/build/containerd-shim-shimbox-v2\""
	cat <<EOF
version = 3
root = "$CD_DIR/root"
state = "$CD_DIR/state"
# No drop-ins from /etc/containerd/conf.d.
imports = []
[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "$CD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD_DIR/opt"
[plugins."io.containerd.shim.v1.manager"]
  socket_dir = "$CD_DIR/s"
# NRI on its own socket (critest's NRI tests connect to it), not the machine-wide
# /var/run/nri/nri.sock, and no plugins or their configs from the machine.
[plugins."io.containerd.nri.v1.nri"]
  socket_path = "$CD_DIR/nri.sock"
  plugin_path = "$CD_DIR/nri/plugins"
  plugin_config_path = "$CD_DIR/nri/conf.d"

[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".registry]
    # hosts.toml per registry: all of them point at the tests' registry on loopback.
    config_path = "$CD_DIR/certs.d"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$CRI_PAUSE"

[plugins."io.containerd.cri.v1.runtime"]
  # The pause container's spec asks for oom_score_adj -998, which root on these VMs may not
  # set (runc: "failed to update /proc/self/oom_score_adj: Permission denied"): clamp it to the
  # current value, as for a rootless node.
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, not the machine-wide /var/run/netns.
  netns_mounts_under_state_dir = true
  # CRIU does not work on this kernel (TESTING-NOTES.md): no checkpoint support advertised.
  enable_criu = false
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "$_def"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      $_rp
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        # runc's state in our dir (Root/k8s.io), not /run/containerd/runc/k8s.io (shared by
        # every CRI on the machine).
        Root = "$CD_DIR/runc"
    # For a runtime_type other than io.containerd.runc.v2, CRI sends the options as a
    # runtimeoptions.v1.Options whose config_body is this table's TOML text; shimbox reads runc's
    # keys from it (wire/options.c), so runc's state is in our dir here too.
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.shimbox]
      runtime_type = "io.containerd.shimbox.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.shimbox.options]
        Root = "$CD_DIR/runc"
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$CD_DIR/cni"
    max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri"]
  # Exec, attach and port-forward streams on loopback, on a port the kernel picks.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF
}

# cri_shim_bin: CD_DIR/bin, first on containerd's PATH, with the link the mode needs.
cri_shim_bin() {
	mkdir -p "$CD_DIR/bin"
	case $(cri_mode) in
	reference) ;;
	shimbox) ln -sfn "$E2E_TOP/build/shimbox" "$CD_DIR/bin/containerd-shim-shimbox-v2" ;;
	dropin) ln -sfn "$E2E_TOP/build/shimbox" "$CD_DIR/bin/containerd-shim-runc-v2" ;;
	path) ln -sfn shimbox "$E2E_TOP/build/containerd-shim-shimbox-v2" ;;
	*) echo "CRI_MODE must be reference, shimbox, dropin or path: $CRI_MODE" >&2; return 1 ;;
	esac
	PATH=$CD_DIR/bin:$PATH
	export PATH
}

# cri_shim_exe: the executable the pods' shims run (for counting shim processes).
cri_shim_exe() {
	case $(cri_mode) in
	reference) readlink -f "$(command -v containerd-shim-runc-v2)" ;;
	*) readlink -f "$E2E_TOP/build/shimbox" ;;
	esac
}

# cri_runc_root: where runc keeps the state of our containers (every mode's Root, cd_config).
cri_runc_root() { echo "$CD_DIR/runc/k8s.io"; }

# cri_start: registry, CNI, containerd with CRI (in a fresh /tmp/sbc.XXXX).
cri_start() {
	[ -x "$CRI_TOOLS/crictl" ] || { echo "crictl is not built in $CRI_TOOLS (scripts/peers)"; return 1; }
	command -v docker-registry >/dev/null || { echo "docker-registry is not installed (scripts/deps)"; return 1; }
	[ -x /usr/lib/cni/bridge ] || { echo "CNI plugins are not installed (scripts/deps)"; return 1; }
	CD_DIR=$(mktemp -d /tmp/sbc.XXXX) || return 1
	export CD_DIR
	sysctl -n net.ipv4.ip_forward >"$CD_DIR/ip_forward" 2>/dev/null
	cri_shim_bin || return 1
	cri_registry_start || return 1
	cri_cni_config || return 1
	cd_start || return 1
	cat >"$CD_DIR/crictl.yaml" <<EOF
runtime-endpoint: unix://$CD_SOCK
image-endpoint: unix://$CD_SOCK
timeout: 60
EOF
	wait_for 20 cric info >/dev/null 2>&1 || { echo "CRI does not answer" >&2; return 1; }
}

# cric ARGS...: crictl against our containerd.
cric() { "$CRI_TOOLS/crictl" --config "$CD_DIR/crictl.yaml" "$@"; }

# cri_ids: every pod and container id our containerd ever created, from its log (CRI logs
# each id it returns; other 64-hex words, such as image digests, name nothing to clean).
cri_ids() {
	cat "$CD_DIR/cri-ids" 2>/dev/null
	grep -o '[0-9a-f]\{64\}' "$CD_DIR/containerd.log" 2>/dev/null
}

# cri_scrub: removes pods and containers through CRI, stops containerd and the registry, then
# removes by force whatever is left of ours (shims, runc state, mounts, cgroups, bridge); keeps
# CD_DIR (its logs: cri_leftovers reads the ids there). Safe to call twice.
cri_scrub() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || return 0
	if cd_alive; then
		ctr --address "$CD_SOCK" -n k8s.io containers ls -q >>"$CD_DIR/cri-ids" 2>/dev/null
		timeout 60 "$CRI_TOOLS/crictl" --config "$CD_DIR/crictl.yaml" rmp -af >/dev/null 2>&1
	fi
	cd_stop
	if [ -f "$CD_DIR/registry.pid" ]; then
		kill "$(cat "$CD_DIR/registry.pid")" 2>/dev/null
		wait "$(cat "$CD_DIR/registry.pid")" 2>/dev/null
		rm -f "$CD_DIR/registry.pid"
	fi
	# shellcheck disable=SC2046
	kill_pids $(pids_of_instance)
	# runc's containers of ours only (the shims give runc Root/<namespace>).
	_rr=$(cri_runc_root)
	if [ -d "$_rr" ]; then
		cri_ids | sort -u | while read -r _t; do
			[ -n "$_t" ] && [ -d "$_rr/$_t" ] || continue
			runc --root "$_rr" kill "$_t" KILL >/dev/null 2>&1
			runc --root "$_rr" delete --force "$_t" >/dev/null 2>&1
		done
	fi
	umount_under "$CD_DIR"
	for _i in $(cri_ids | sort -u); do
		for _cg in /sys/fs/cgroup/*/k8s.io/"$_i"; do
			[ -d "$_cg" ] && rmdir "$_cg" 2>/dev/null
		done
	done
	[ -n "${CRI_BRIDGE:-}" ] && ip link show "$CRI_BRIDGE" >/dev/null 2>&1 && ip link delete "$CRI_BRIDGE"
	[ -n "${CRI_NET:-}" ] && rm -f /var/lib/cni/results/"$CRI_NET"-*
	# The bridge plugin (isGateway) turns IPv4 forwarding on; turn it back off if it was off and
	# no other CRI run's bridge is up.
	if [ "$(cat "$CD_DIR/ip_forward" 2>/dev/null)" = 0 ] && ! ip -br link show type bridge 2>/dev/null | grep -q '^sbc'; then
		sysctl -qw net.ipv4.ip_forward=0
	fi
	return 0
}

# cri_cleanup: cri_scrub, then removes CD_DIR (kept, for its logs, when E2E_KEEP is set).
cri_cleanup() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || return 0
	cri_scrub
	if [ -z "${E2E_KEEP:-}" ] && [ -z "$(mounts_under "$CD_DIR")" ]; then
		rm -rf "$CD_DIR"
	else
		echo "# kept $CD_DIR"
	fi
}

# cri_leftovers: what our instance left on the machine (empty when clean): processes naming
# our socket, mounts under CD_DIR, netns, runc state, cgroups of our ids, the bridge, CNI cache.
cri_leftovers() {
	for _p in $(pids_of_instance); do
		echo "process $_p: $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | cut -c1-120)"
	done
	for _m in $(mounts_under "$CD_DIR"); do echo "mount $_m"; done
	[ -d "$CD_DIR/s" ] && [ -n "$(ls -A "$CD_DIR/s" 2>/dev/null)" ] && echo "shim sockets: $(ls "$CD_DIR/s" | tr '\n' ' ')"
	_rr=$(cri_runc_root)
	for _i in $(cri_ids | sort -u); do
		[ -e "$_rr/$_i" ] && echo "runc state $_rr/$_i"
		for _cg in /sys/fs/cgroup/*/k8s.io/"$_i"; do [ -d "$_cg" ] && echo "cgroup $_cg"; done
	done
	[ -n "${CRI_BRIDGE:-}" ] && ip link show "$CRI_BRIDGE" >/dev/null 2>&1 && echo "bridge $CRI_BRIDGE"
	ls /var/lib/cni/results/"${CRI_NET:-none}"-* 2>/dev/null | sed 's/^/CNI cache /'
	if [ -n "${CRI_BRIDGE:-}" ] && command -v iptables-save >/dev/null; then
		iptables-save 2>/dev/null | grep -F -e "$CRI_BRIDGE" -e "${CRI_SUBNET%.0/24}." | sed 's/^/iptables rule /'
	fi
	return 0
}

# ---------------------------------------------------------------------------------------------
# The crictl tests (test/e2e/4[0-9]-cri-*.sh)

# cri_test_begin: called by every crictl test file instead of e2e_test_begin. Under
# test/e2e/run the runner's containerd has CRI off: the file starts its own CRI instance (and
# registry) in a fresh CD_DIR, with the shim of SHIM (the reference, or shimbox as
# io.containerd.shimbox.v2; CRI_MODE=dropin for the link), and removes it at exit.
cri_test_begin() {
	if [ -z "${CD_SOCK:-}" ]; then
		e2e_release_setup >&2 || e2e_die "containerd release under test"
		e2e_prereqs >&2 || e2e_die "prerequisites"
		e2e_shim_setup >&2 || e2e_die "shim under test"
	fi
	[ -n "${SHIM_EXE:-}" ] || SHIM_EXE=$(readlink -f "$SHIM")
	unset CD_DIR CD_SOCK CD_PID
	at_exit cri_cleanup
	trap 'exit 130' INT TERM HUP
	cri_start >&2 || e2e_die "private CRI containerd ($(cri_mode)) starts"
	CRI_SHIM_EXE=$(cri_shim_exe)
	diag "CRI containerd: $CD_DIR, mode $(cri_mode), shim $CRI_SHIM_EXE"
	cric pull "$CRI_BUSYBOX" >/dev/null || e2e_die "pull $CRI_BUSYBOX from the loopback registry"
	CRI_T=$CD_DIR/t
	mkdir -p "$CRI_T"
}

# cri_pod NAME [LINUX-JSON]: runs a pod sandbox (its logs in CRI_T/NAME); prints its id.
cri_pod() {
	mkdir -p "$CRI_T/$1"
	_lx=${2:-}
	[ -n "$_lx" ] || _lx='{}'
	printf '{"metadata":{"name":"%s","namespace":"e2e","uid":"%s-uid","attempt":0},"log_directory":"%s","linux":%s}\n' \
		"$1" "$1" "$CRI_T/$1" "$_lx" >"$CRI_T/$1.pod.json"
	cric runp "$CRI_T/$1.pod.json" 2>>"$CRI_T/crictl.err"
}
# cri_ctr POD PODNAME NAME ATTEMPT COMMAND-JSON [MORE-JSON]: creates a busybox container
# (log CRI_T/PODNAME/NAME.ATTEMPT.log); prints its id. MORE-JSON: more fields, from a comma.
cri_ctr() {
	printf '{"metadata":{"name":"%s","attempt":%s},"image":{"image":"%s"},"command":%s,"log_path":"%s.%s.log","linux":{}%s}\n' \
		"$3" "$4" "$CRI_BUSYBOX" "$5" "$3" "$4" "${6:-}" >"$CRI_T/$2.$3.$4.json"
	cric create "$1" "$CRI_T/$2.$3.$4.json" "$CRI_T/$2.pod.json" 2>>"$CRI_T/crictl.err"
}
cri_log() { echo "$CRI_T/$1/$2.$3.log"; } # PODNAME NAME ATTEMPT
cri_state() { cric inspect -o go-template --template '{{.status.state}}' "$1" 2>/dev/null; }
cri_exit_code() { cric inspect -o go-template --template '{{.status.exitCode}}' "$1" 2>/dev/null; }
cri_is() { [ "$(cri_state "$1")" = "$2" ]; }
# cri_shims: pids of shim server processes of our containerd (not `start`/`delete` runs).
cri_shims() {
	for _d in /proc/[0-9]*; do
		[ "$(readlink "$_d/exe" 2>/dev/null)" = "$CRI_SHIM_EXE" ] || continue
		tr '\0' '\n' 2>/dev/null <"$_d/cmdline" | awk -v s="$CD_SOCK" '
			$0 == s { k = 1 } { last = $0 } END { exit !(k && last != "start" && last != "delete") }' &&
			echo "${_d#/proc/}"
	done
}
# cri_pid ID: the container's init pid, as CRI reports it.
cri_pid() { cric inspect -o go-template --template '{{.info.pid}}' "$1" 2>/dev/null; }
