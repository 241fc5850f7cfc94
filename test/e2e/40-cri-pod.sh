#!/bin/sh
# SPDX-License-Identifier: MIT
# releases: >=2.4
# 40 a Kubernetes pod through containerd's CRI (crictl), with the shim under test as the CRI
# runtime handler (scripts/cri-lib.sh: its own CRI containerd, loopback registry and bridge):
# - a pod of two containers is served by exactly one shim process (the pause sandbox and both
#   containers), and each container sees the pod's network (the same eth0 address);
# - `crictl exec -s` probes in a loop: each answers its own output and exit code, in time, and
#   leaves no process behind in the container;
# - `crictl stats`: the memory working set and CPU time are the container's cgroup's
#   (memory.usage_in_bytes less total_inactive_file; cpuacct.usage), read around the call;
# - stop with a grace period: a container that exits on SIGTERM stops at once with its own code;
#   one that ignores it is killed when the grace period ends (137), not before;
# - a container that exits is restarted as Kubernetes does (a new container, attempt 1, same
#   name, same pod, the same shim), and logs to its own file;
# - removing the pod leaves nothing: no shim or container process, no mount, no netns, no
#   cgroup, no shim socket, no runc state.
set -u
: "${E2E_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
E2E_NAME=$(basename "$0" .sh)
. "$E2E_TOP/scripts/e2e-lib.sh"
. "$E2E_TOP/scripts/cri-lib.sh"
cri_test_begin
# between N LO HI: LO <= N <= HI (integers).
between() { [ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }
dirs_exist() { for _p in "$@"; do [ -d "$_p" ] || return 1; done; }
procs_gone() { for _p in "$@"; do proc_gone "$_p" || return 1; done; }

# --- one pod, two containers, one shim ---------------------------------------------------------
pod=$(cri_pod pod1) || e2e_die "RunPodSandbox"
a=$(cri_ctr "$pod" pod1 a 0 '["sh","-c","trap \"echo term-a; exit 7\" TERM; echo started-a; while :; do sleep 0.1; done"]') ||
	e2e_die "CreateContainer a"
b=$(cri_ctr "$pod" pod1 b 0 '["sh","-c","trap \"\" TERM; echo started-b; exec sleep 100000"]') ||
	e2e_die "CreateContainer b"
cric start "$a" >/dev/null && cric start "$b" >/dev/null || e2e_die "StartContainer a and b"
both_run() { cri_is "$a" CONTAINER_RUNNING && cri_is "$b" CONTAINER_RUNNING; }
check "both containers run" wait_for 20 both_run
shims=$(cri_shims)
check_eq "one shim process serves the pod (sandbox and both containers)" 1 "$(echo "$shims" | grep -c .)"
shim=$(echo "$shims" | head -1)
pa=$(cri_pid "$a")
pb=$(cri_pid "$b")
ppause=$(cric inspectp -o go-template --template '{{.info.pid}}' "$pod" 2>/dev/null)
check_eq "the shim is the parent of the pause process and of both containers' init" "$shim $shim $shim" \
	"$(proc_ppid "$ppause") $(proc_ppid "$pa") $(proc_ppid "$pb")"
podip=$(cric inspectp -o go-template --template '{{.status.network.ip}}' "$pod" 2>/dev/null)
ipa=$(cric exec -s "$a" sh -c "ip -4 -o addr show eth0 | awk '{ print \$4 }'" 2>&1)
ipb=$(cric exec -s "$b" sh -c "ip -4 -o addr show eth0 | awk '{ print \$4 }'" 2>&1)
check_eq "container a is in the pod's network" "$podip/24" "$ipa"
check_eq "container b is in the pod's network" "$podip/24" "$ipb"
check "the pod answers on its address from the host (CNI bridge $CRI_BRIDGE)" /bin/busybox ping -c 1 -W 5 "$podip" >/dev/null

# --- exec -s probes in a loop ------------------------------------------------------------------
i=0 bad=0
t0=$(date +%s)
while [ $i -lt 50 ]; do
	want=$((i % 4))
	out=$(cric exec -s --timeout 10 "$a" sh -c "echo probe-$i; echo err-$i >&2; exit $want" 2>"$CRI_T/probe.err")
	rc=$?
	err=$(cat "$CRI_T/probe.err")
	# crictl prints a probe's stdout then its stderr (each ending in a newline of its own: an
	# empty line between them) when it succeeds; when it fails, crictl
	# exits 1 and says in its error how the command exited and what it wrote on stderr.
	if [ $want -eq 0 ]; then
		good=$([ $rc -eq 0 ] && [ "$out" = "$(printf 'probe-%s\n\nerr-%s' $i $i)" ] && echo y)
	else
		good=$([ $rc -eq 1 ] && matches "$err" "exited with $want: err-$i" && echo y)
	fi
	if [ -z "$good" ]; then
		bad=$((bad + 1))
		[ $bad -le 3 ] && diag "probe $i: exit $rc, stdout: $(one_line "$out"), stderr: $(one_line "$err")"
	fi
	i=$((i + 1))
done
check_eq "50 exec -s probes each answer their own stdout, stderr and exit code" 0 "$bad"
diag "50 probes in $(($(date +%s) - t0)) s"
out=$(cric exec -s --timeout 2 "$a" sleep 30 2>&1)
rc=$?
check "a probe that outlives its timeout fails (exit $rc: $(one_line "$out"))" [ $rc -ne 0 ]
no_probe_left() { [ "$(cric exec -s "$a" ps -o args 2>/dev/null | grep -c '^sleep 30')" = 0 ]; }
check "no probe process is left in the container" wait_for 10 no_probe_left

# --- stats match the cgroup --------------------------------------------------------------------
cg=/sys/fs/cgroup/memory/k8s.io/$b
ca=/sys/fs/cgroup/cpuacct/k8s.io/$b
if [ -d "$cg" ] && [ -d "$ca" ]; then
	ws() { echo $(($(cat "$cg/memory.usage_in_bytes") - $(awk '$1 == "total_inactive_file" { print $2 }' "$cg/memory.stat"))); }
	m0=$(ws) c0=$(cat "$ca/cpuacct.usage")
	st=$(cric stats -o json "$b" 2>&1)
	m1=$(ws) c1=$(cat "$ca/cpuacct.usage")
	sm=$(printf '%s' "$st" | jq -r '.stats[0].memory.workingSetBytes.value')
	sc=$(printf '%s' "$st" | jq -r '.stats[0].cpu.usageCoreNanoSeconds.value')
	lo=$m0 hi=$m1
	[ "$lo" -le "$hi" ] || { lo=$m1 hi=$m0; }
	check "stats: working set $sm is the cgroup's ($m0 .. $m1)" between "$sm" "$lo" "$hi"
	check "stats: CPU time $sc ns is the cgroup's ($c0 .. $c1)" between "$sc" "$c0" "$c1"
	check "stats: working set is more than nothing" [ "$sm" -gt 0 ]
else
	not_ok "the containers' cgroups are at $cg and $ca"
fi

# --- stop with a grace period ------------------------------------------------------------------
t0=$(date +%s)
cric stop -t 20 "$a" >/dev/null
t1=$(date +%s)
check_eq "a container that exits on SIGTERM stops with its own exit code" 7 "$(cri_exit_code "$a")"
check "... at once, not at the end of its grace period ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 10 ]
check "... and its handler ran (its log)" grep -q 'stdout F term-a$' "$(cri_log pod1 a 0)"
t0=$(date +%s)
cric stop -t 3 "$b" >/dev/null
t1=$(date +%s)
check_eq "a container that ignores SIGTERM is killed when its grace period ends" 137 "$(cri_exit_code "$b")"
check "... after the 3 s of its grace period, not before ($((t1 - t0)) s)" between $((t1 - t0)) 3 14
check "their processes are gone" wait_for 5 procs_gone "$pa" "$pb"

# --- restart inside the pod --------------------------------------------------------------------
r0=$(cri_ctr "$pod" pod1 r 0 '["sh","-c","echo attempt-0; exit 3"]') || e2e_die "CreateContainer r"
cric start "$r0" >/dev/null
check "the first attempt exits" wait_for 20 cri_is "$r0" CONTAINER_EXITED
check_eq "... with its exit code" 3 "$(cri_exit_code "$r0")"
r1=$(cri_ctr "$pod" pod1 r 1 '["sh","-c","echo attempt-1; exec sleep 100000"]') || e2e_die "CreateContainer r, attempt 1"
cric start "$r1" >/dev/null
check "the restarted container (attempt 1) runs in the same pod" wait_for 20 cri_is "$r1" CONTAINER_RUNNING
check_eq "... served by the pod's shim" "$shim" "$(proc_ppid "$(cri_pid "$r1")")"
check_eq "... still one shim for the pod" 1 "$(cri_shims | grep -c .)"
check_eq "attempt 0's log is its own" "stdout F attempt-0" "$(cut -d' ' -f2- "$(cri_log pod1 r 0)")"
check "attempt 1 logs to its own file" wait_for 10 grep -q 'stdout F attempt-1$' "$(cri_log pod1 r 1)"
pr1=$(cri_pid "$r1")

# --- pod removal leaves nothing ----------------------------------------------------------------
netns=$(cric inspectp -o json "$pod" 2>/dev/null | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path')
under_cd() { case $1 in "$CD_DIR"/*) [ -e "$1" ] ;; *) false ;; esac; }
check "the pod has a network namespace under our state dir ($netns)" under_cd "$netns"
rr=$(cri_runc_root)
check "runc's state of the running container is in $rr" [ -d "$rr/$r1" ]
for i in "$pod" "$r1"; do
	check "the cgroups of $i are at /sys/fs/cgroup/{memory,pids}/k8s.io/$i" dirs_exist "/sys/fs/cgroup/memory/k8s.io/$i" "/sys/fs/cgroup/pids/k8s.io/$i"
done
ids="$pod $a $b $r0 $r1"
cric stopp "$pod" >/dev/null || not_ok "StopPodSandbox"
cric rmp "$pod" >/dev/null || not_ok "RemovePodSandbox"
no_shims() { [ -z "$(cri_shims)" ]; }
no_mounts() { [ -z "$(mounts_under "$CD_DIR")" ]; }
check "no shim process is left" wait_for 10 no_shims
check "no container process is left (pause, restarted container)" wait_for 5 procs_gone "$ppause" "$pr1"
check "no mount is left under the instance's dirs" wait_for 5 no_mounts
check "the network namespace is gone" [ ! -e "$netns" ]
left=
for i in $ids; do
	for c in /sys/fs/cgroup/*/k8s.io/"$i"; do [ -d "$c" ] && left="$left $c"; done
	[ -e "$rr/$i" ] && left="$left runc:$i"
done
check_eq "no cgroup and no runc state is left of the pod's containers" "" "$left"
check_eq "no shim socket is left" "" "$(ls -A "$CD_DIR/s" 2>/dev/null)"
check_eq "CRI lists no pod and no container" "0 0" "$(cric pods -q | grep -c .) $(cric ps -aq | grep -c .)"
cri_scrub
check_eq "nothing of the instance is left on the machine" "" "$(cri_leftovers | tr '\n' ';')"
e2e_exit
