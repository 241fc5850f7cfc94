/* SPDX-License-Identifier: MIT */
/* wire/task: Task API messages against protoc's bytes, field by field, and under damage. */
#include "wire/task.h"
#include "wire/options.h"
#include "golden.h"

static int streq(struct pb_str s, const char *c)
{
	return pb_str_eq(s, c);
}

static int same(struct pb_str s, const char *golden_name)
{
	struct pb_str g = golden_str(golden_name);
	return s.n == g.n && memcmp(s.p, g.p, g.n) == 0;
}

/* Iterates a mount's options; returns the count or the first error. */
static int mount_options(const struct tk_mount *m)
{
	struct pb_r it = pb_r_of(m->raw);
	struct pb_str o;
	int e, n = 0;
	while ((e = pb_repeated_next(&it, 4, &o)) > 0)
		n++;
	return e < 0 ? e : n;
}

static int mount_dec(const uint8_t *p, size_t n)
{
	struct tk_mount m;
	int e = tk_mount_decode(p, n, &m);
	return e < 0 ? e : mount_options(&m);
}

static void mount_enc(const uint8_t *p, size_t n, struct pb_w *w)
{
	struct tk_mount m;
	int e = tk_mount_decode(p, n, &m);
	if (e < 0) {
		w->err = e;
		return;
	}
	/* No Mount encoder exists: mounts are only ever copied verbatim. */
	pb_put_raw(w, m.raw.p, m.raw.n);
}

static int create_all_dec(const uint8_t *p, size_t n)
{
	struct tk_create_req m;
	struct tk_mount mnt;
	int e = tk_create_req_decode(p, n, &m);
	size_t count = 0;
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.raw);
	while ((e = tk_mount_next(&it, 3, &mnt)) > 0) {
		count++;
		if ((e = mount_options(&mnt)) < 0)
			return e;
	}
	if (e == 0 && count != m.nrootfs)
		return -PB_ERANGE;
	return e;
}

static int pids_dec(const uint8_t *p, size_t n)
{
	struct pb_r it = pb_r_init(p, n);
	struct tk_process_info pi;
	int e;
	while ((e = tk_pids_resp_next(&it, &pi)) > 0)
		;
	return e;
}

static void pids_enc(const uint8_t *p, size_t n, struct pb_w *w)
{
	struct pb_r it = pb_r_init(p, n);
	struct tk_process_info pi;
	int e;
	while ((e = tk_pids_resp_next(&it, &pi)) > 0)
		tk_pids_resp_put(w, &pi);
	if (e < 0)
		w->err = e;
}

static int update_all_dec(const uint8_t *p, size_t n)
{
	struct tk_update_req m;
	struct pb_str s;
	int e = tk_update_req_decode(p, n, &m);
	size_t count = 0;
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.raw);
	while ((e = pb_repeated_next(&it, 3, &s)) > 0)
		count++;
	return e == 0 && count != m.nannotations ? -PB_ERANGE : e;
}

/* A standalone Timestamp has no encoder of its own: it is always nested. */
static void ts_enc_(struct pb_w *w, const struct tk_timestamp *m)
{
	pb_put_int(w, 1, m->seconds);
	pb_put_int(w, 2, m->nanos);
}

CODEC_FNS(any, struct tk_any, tk_any_decode, tk_any_encode)
CODEC_FNS(ts, struct tk_timestamp, tk_timestamp_decode, ts_enc_)
CODEC_FNS(create, struct tk_create_req, tk_create_req_decode, tk_create_req_encode)
CODEC_FNS(proc, struct tk_proc_req, tk_proc_req_decode, tk_proc_req_encode)
CODEC_FNS(id, struct tk_id_req, tk_id_req_decode, tk_id_req_encode)
CODEC_FNS(pid, struct tk_pid_resp, tk_pid_resp_decode, tk_pid_resp_encode)
CODEC_FNS(delresp, struct tk_delete_resp, tk_delete_resp_decode, tk_delete_resp_encode)
CODEC_FNS(exec, struct tk_exec_req, tk_exec_req_decode, tk_exec_req_encode)
CODEC_FNS(resize, struct tk_resize_req, tk_resize_req_decode, tk_resize_req_encode)
CODEC_FNS(state, struct tk_state_resp, tk_state_resp_decode, tk_state_resp_encode)
CODEC_FNS(kill, struct tk_kill_req, tk_kill_req_decode, tk_kill_req_encode)
CODEC_FNS(closeio, struct tk_closeio_req, tk_closeio_req_decode, tk_closeio_req_encode)
CODEC_FNS(ckpt, struct tk_checkpoint_req, tk_checkpoint_req_decode, tk_checkpoint_req_encode)
CODEC_FNS(update, struct tk_update_req, tk_update_req_decode, tk_update_req_encode)
CODEC_FNS(wait, struct tk_wait_resp, tk_wait_resp_decode, tk_wait_resp_encode)
CODEC_FNS(stats, struct tk_stats_resp, tk_stats_resp_decode, tk_stats_resp_encode)
CODEC_FNS(connect, struct tk_connect_resp, tk_connect_resp_decode, tk_connect_resp_encode)
CODEC_FNS(shutdown, struct tk_shutdown_req, tk_shutdown_req_decode, tk_shutdown_req_encode)

static const struct codec codecs[] = {
	{ "Any", any_dec, any_enc },
	{ "Timestamp", ts_dec, ts_enc },
	{ "Mount", mount_dec, mount_enc },
	{ "CreateTaskRequest", create_all_dec, create_enc },
	{ "CreateTaskResponse", pid_dec, pid_enc },
	{ "StartRequest", proc_dec, proc_enc },
	{ "StartResponse", pid_dec, pid_enc },
	{ "DeleteRequest", proc_dec, proc_enc },
	{ "DeleteResponse", delresp_dec, delresp_enc },
	{ "ExecProcessRequest", exec_dec, exec_enc },
	{ "ResizePtyRequest", resize_dec, resize_enc },
	{ "StateRequest", proc_dec, proc_enc },
	{ "StateResponse", state_dec, state_enc },
	{ "KillRequest", kill_dec, kill_enc },
	{ "CloseIORequest", closeio_dec, closeio_enc },
	{ "PidsRequest", id_dec, id_enc },
	{ "PidsResponse", pids_dec, pids_enc },
	{ "CheckpointTaskRequest", ckpt_dec, ckpt_enc },
	{ "UpdateTaskRequest", update_all_dec, update_enc },
	{ "WaitRequest", proc_dec, proc_enc },
	{ "WaitResponse", wait_dec, wait_enc },
	{ "StatsRequest", id_dec, id_enc },
	{ "StatsResponse", stats_dec, stats_enc },
	{ "ConnectRequest", id_dec, id_enc },
	{ "ConnectResponse", connect_dec, connect_enc },
	{ "ShutdownRequest", shutdown_dec, shutdown_enc },
	{ "PauseRequest", id_dec, id_enc },
	{ "ResumeRequest", id_dec, id_enc },
};



static void test_create(void)
{
	struct tk_create_req m;
	struct tk_mount mnt;
	struct pb_str o;
	struct pb_r it, ot;
	int e = DECODE("create_req", tk_create_req_decode, &m);

	CHECK(
	    e == 0 && streq(m.id, "redis-7f3a") &&
	        streq(m.bundle, "/run/containerd/io.containerd.runtime.v2.task/default/redis-7f3a"),
	    "create_req: id and bundle");
	CHECK(m.terminal == 1 &&
	          streq(m.stdin_path, "/run/containerd/fifo/1234567/redis-7f3a-stdin") &&
	          streq(m.stdout_path, "/run/containerd/fifo/1234567/redis-7f3a-stdout") &&
	          streq(m.stderr_path, "/run/containerd/fifo/1234567/redis-7f3a-stderr"),
	      "create_req: terminal and stdio");
	CHECK(streq(m.checkpoint, "/var/lib/containerd/checkpoints/redis") &&
	          streq(m.parent_checkpoint, "/var/lib/containerd/checkpoints/redis-parent"),
	      "create_req: checkpoint paths");
	CHECK(m.has_options && streq(m.options.type_url, "containerd.runc.v1.Options") &&
	          same(m.options.value, "opt_runc"),
	      "create_req: options Any carries the opt_runc bytes");
	CHECK(m.nrootfs == 2, "create_req: nrootfs = %zu", m.nrootfs);
	it = pb_r_of(m.raw);
	e = tk_mount_next(&it, 3, &mnt);
	CHECK(e == 1 && streq(mnt.type, "overlay") && streq(mnt.source, "overlay") &&
	          mnt.target.n == 0 && mount_options(&mnt) == 4,
	      "create_req: mount 1 is overlay with 4 options");
	ot = pb_r_of(mnt.raw);
	CHECK(pb_repeated_next(&ot, 4, &o) == 1 && streq(o, "index=off") &&
	          pb_repeated_next(&ot, 4, &o) == 1 && o.n > 8 && !memcmp(o.p, "workdir=", 8) &&
	          pb_repeated_next(&ot, 4, &o) == 1 && pb_repeated_next(&ot, 4, &o) == 1 &&
	          o.n > 128 && !memcmp(o.p, "lowerdir=", 9) && pb_repeated_next(&ot, 4, &o) == 0,
	      "create_req: overlay options in order, the last over 128 bytes");
	e = tk_mount_next(&it, 3, &mnt);
	CHECK(e == 1 && streq(mnt.type, "bind") && streq(mnt.source, "/srv/données/工作") &&
	          streq(mnt.target, "/data") && mount_options(&mnt) == 2,
	      "create_req: mount 2 is a bind mount with a unicode source");
	CHECK(tk_mount_next(&it, 3, &mnt) == 0, "create_req: two mounts, then the end");

	e = DECODE("create_req_min", tk_create_req_decode, &m);
	CHECK(e == 0 && streq(m.id, "c1") && m.nrootfs == 0 && !m.has_options && !m.terminal &&
	          m.stdin_path.n == 0 && m.checkpoint.n == 0,
	      "create_req_min: id only, no rootfs, no options");
	it = pb_r_of(m.raw);
	CHECK(tk_mount_next(&it, 3, &mnt) == 0, "create_req_min: no mount to iterate");

	/* What core builds: scalars from C strings, mounts from a decoded request. */
	struct tk_create_req c;
	memset(&c, 0, sizeof(c));
	c.id = pb_str_of("c1", 2);
	c.bundle = pb_str_of("/run/containerd/io.containerd.runtime.v2.task/ns/c1", 51);
	ENCODES_AS("create_req_min", tk_create_req_encode(w, &c), "create_req_min from C values");
}

static void test_simple(void)
{
	struct tk_proc_req pr;
	struct tk_id_req ir;
	struct tk_pid_resp pid;
	struct tk_delete_resp dr;
	struct tk_exec_req ex;
	struct tk_resize_req rz;
	struct tk_kill_req kr;
	struct tk_closeio_req cio;
	struct tk_wait_resp wr;
	struct tk_stats_resp sr;
	struct tk_connect_resp cr;
	struct tk_shutdown_req sd;
	struct tk_timestamp ts;
	struct tk_any any;
	struct tk_mount mnt;

	CHECK(DECODE("start_req", tk_proc_req_decode, &pr) == 0 && streq(pr.id, "redis-7f3a") &&
	          streq(pr.exec_id, "exec-αβγ-1"),
	      "start_req: id, unicode exec_id");
	CHECK(DECODE("delete_req", tk_proc_req_decode, &pr) == 0 && streq(pr.id, "redis-7f3a") &&
	          pr.exec_id.n == 0 && pr.exec_id.p == NULL,
	      "delete_req: init (exec_id absent)");
	CHECK(DECODE("pids_req", tk_id_req_decode, &ir) == 0 && streq(ir.id, "redis-7f3a"),
	      "pids_req: id");
	CHECK(DECODE("create_resp", tk_pid_resp_decode, &pid) == 0 && pid.pid == 4194304,
	      "create_resp: pid 4194304");
	CHECK(DECODE("start_resp", tk_pid_resp_decode, &pid) == 0 && pid.pid == 4294967295u,
	      "start_resp: pid UINT32_MAX");
	CHECK(DECODE("delete_resp", tk_delete_resp_decode, &dr) == 0 && dr.pid == 4321 &&
	          dr.exit_status == 137 && dr.exited_at.seconds == 1732550400 &&
	          dr.exited_at.nanos == 999999999,
	      "delete_resp: pid, status 137, exited_at");
	CHECK(DECODE("delete_resp_unset", tk_delete_resp_decode, &dr) == 0 && dr.pid == 0 &&
	          dr.exit_status == 255 && dr.exited_at.seconds == TK_TS_UNSET_SECONDS &&
	          dr.exited_at.nanos == 0,
	      "delete_resp_unset: Go zero time");
	memset(&dr, 0, sizeof(dr));
	dr.exit_status = 255;
	dr.exited_at.seconds = TK_TS_UNSET_SECONDS;
	ENCODES_AS("delete_resp_unset", tk_delete_resp_encode(w, &dr),
	           "delete_resp_unset from C values (the delete action's output)");

	CHECK(DECODE("exec_req", tk_exec_req_decode, &ex) == 0 && streq(ex.exec_id, "exec-αβγ-1") &&
	          !ex.terminal && ex.stdin_path.n == 0 &&
	          streq(ex.stdout_path, "/run/containerd/fifo/1234567/exec-stdout") &&
	          ex.has_spec &&
	          streq(ex.spec.type_url,
	                "types.containerd.io/opencontainers/runtime-spec/1/Process") &&
	          streq(ex.spec.value, "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\",\"-c\","
	                               "\"echo h\xc3\xa9llo \\\"w\\\"\"],\"env\":[\"PATH=/usr/"
	                               "bin:/bin\"],\"cwd\":\"/\"}"),
	      "exec_req: fields and the JSON spec");
	CHECK(DECODE("exec_req_tty", tk_exec_req_decode, &ex) == 0 && ex.terminal == 1 &&
	          !ex.has_spec && streq(ex.exec_id, "shell") &&
	          streq(ex.stdin_path, "/run/containerd/fifo/1234567/shell-stdin") &&
	          ex.stderr_path.n == 0,
	      "exec_req_tty: terminal, stdin, no spec");
	CHECK(DECODE("resize_req", tk_resize_req_decode, &rz) == 0 && rz.width == 132 &&
	          rz.height == 43 && streq(rz.exec_id, "shell"),
	      "resize_req: 132x43");
	CHECK(DECODE("kill_req", tk_kill_req_decode, &kr) == 0 && kr.signal == 9 && kr.all == 1 &&
	          kr.exec_id.n == 0,
	      "kill_req: SIGKILL, all");
	CHECK(DECODE("kill_req_exec", tk_kill_req_decode, &kr) == 0 && kr.signal == 15 &&
	          kr.all == 0 && streq(kr.exec_id, "exec-αβγ-1"),
	      "kill_req_exec: SIGTERM to an exec");
	CHECK(DECODE("closeio_req", tk_closeio_req_decode, &cio) == 0 && cio.stdin_close == 1 &&
	          streq(cio.exec_id, "shell"),
	      "closeio_req: stdin");
	CHECK(DECODE("wait_resp", tk_wait_resp_decode, &wr) == 0 && wr.exit_status == 143 &&
	          wr.exited_at.seconds == 1732550461 && wr.exited_at.nanos == 42,
	      "wait_resp: 143");
	CHECK(DECODE("wait_resp_zero", tk_wait_resp_decode, &wr) == 0 && wr.exit_status == 0 &&
	          wr.exited_at.seconds == 0 && wr.exited_at.nanos == 0,
	      "wait_resp_zero");
	memset(&wr, 0, sizeof(wr));
	ENCODES_AS("wait_resp_zero", tk_wait_resp_encode(w, &wr),
	           "a zero WaitResponse still carries exited_at (12 00)");
	CHECK(DECODE("stats_resp", tk_stats_resp_decode, &sr) == 0 && sr.has_stats &&
	          streq(sr.stats.type_url, "io.containerd.cgroups.v1.Metrics") &&
	          sr.stats.value.n == 14 && sr.stats.value.p[0] == 0 &&
	          sr.stats.value.p[4] == 0xff && sr.stats.value.p[13] == 0,
	      "stats_resp: binary Any value with NULs");
	CHECK(DECODE("connect_resp", tk_connect_resp_decode, &cr) == 0 && cr.shim_pid == 4242 &&
	          cr.task_pid == 4321 && streq(cr.version, "2"),
	      "connect_resp");
	memset(&cr, 0, sizeof(cr));
	cr.shim_pid = 4242;
	cr.task_pid = 4321;
	cr.version = pb_str_of("2", 1);
	ENCODES_AS("connect_resp", tk_connect_resp_encode(w, &cr), "connect_resp from C values");
	CHECK(DECODE("shutdown_req", tk_shutdown_req_decode, &sd) == 0 && sd.now == 1 &&
	          streq(sd.id, "redis-7f3a"),
	      "shutdown_req: now");
	CHECK(DECODE("timestamp", tk_timestamp_decode, &ts) == 0 && ts.seconds == 253402300799 &&
	          ts.nanos == 999999999,
	      "timestamp: year 9999");
	CHECK(DECODE("any_task_oom", tk_any_decode, &any) == 0 &&
	          streq(any.type_url, "containerd.events.TaskOOM") &&
	          same(any.value, "ev_task_oom"),
	      "any_task_oom: the event Any of containerd publish");
	memset(&any, 0, sizeof(any));
	any.type_url = pb_str_of("containerd.events.TaskOOM", strlen("containerd.events.TaskOOM"));
	any.value = golden_str("ev_task_oom");
	ENCODES_AS("any_task_oom", tk_any_encode(w, &any),
	           "any_task_oom from C values, as the v1 shim's publish child reads it");
	CHECK(DECODE("mount", tk_mount_decode, &mnt) == 0 && streq(mnt.type, "bind") &&
	          streq(mnt.target, "/data") && mount_options(&mnt) == 3,
	      "mount: three options, the last empty");
}

static void test_state(void)
{
	struct tk_state_resp m;
	CHECK(DECODE("state_resp", tk_state_resp_decode, &m) == 0 && streq(m.id, "redis-7f3a") &&
	          m.pid == 4321 && m.status == TK_STATUS_RUNNING && m.terminal == 1 &&
	          m.exit_status == 0 && m.exited_at.seconds == TK_TS_UNSET_SECONDS &&
	          m.exec_id.n == 0,
	      "state_resp: running init");
	CHECK(DECODE("state_resp_stopped", tk_state_resp_decode, &m) == 0 &&
	          m.status == TK_STATUS_STOPPED && m.exit_status == 4294967295u &&
	          m.exited_at.nanos == 500000000 && streq(m.exec_id, "exec-αβγ-1") &&
	          m.stdin_path.n == 0,
	      "state_resp_stopped: stopped exec");

	/* What the State handler builds. */
	memset(&m, 0, sizeof(m));
	m.id = pb_str_of("redis-7f3a", 10);
	m.bundle =
	    pb_str_of("/run/containerd/io.containerd.runtime.v2.task/default/redis-7f3a", 64);
	m.pid = 4321;
	m.status = TK_STATUS_RUNNING;
	m.stdin_path = pb_str_of("/run/containerd/fifo/1234567/redis-7f3a-stdin", 45);
	m.stdout_path = pb_str_of("/run/containerd/fifo/1234567/redis-7f3a-stdout", 46);
	m.stderr_path = pb_str_of("/run/containerd/fifo/1234567/redis-7f3a-stderr", 46);
	m.terminal = 1;
	m.exited_at.seconds = TK_TS_UNSET_SECONDS;
	ENCODES_AS("state_resp", tk_state_resp_encode(w, &m), "state_resp from C values");
}

static void test_pids(void)
{
	const struct golden *g = golden_get("pids_resp");
	struct pb_r it = pb_r_init(g->data, g->len);
	struct tk_process_info pi;
	struct opt_process_details pd;

	CHECK(tk_pids_resp_next(&it, &pi) == 1 && pi.pid == 4321 && !pi.has_info,
	      "pids_resp: init without info");
	CHECK(tk_pids_resp_next(&it, &pi) == 1 && pi.pid == 4400 && pi.has_info &&
	          streq(pi.info.type_url, OPT_PROCESS_DETAILS_URL) &&
	          opt_process_details_decode(pi.info.value.p, pi.info.value.n, &pd) == 0 &&
	          streq(pd.exec_id, "exec-αβγ-1"),
	      "pids_resp: exec with ProcessDetails");
	CHECK(tk_pids_resp_next(&it, &pi) == 1 && pi.pid == 4294967295u,
	      "pids_resp: UINT32_MAX pid");
	CHECK(tk_pids_resp_next(&it, &pi) == 0, "pids_resp: end");

	/* The Pids handler's loop. */
	uint8_t detail[64];
	struct pb_w dw = pb_w_init(detail, sizeof(detail));
	pd.exec_id = pb_str_of("exec-αβγ-1", strlen("exec-αβγ-1"));
	opt_process_details_encode(&dw, &pd);
	struct tk_process_info list[3];
	memset(list, 0, sizeof(list));
	list[0].pid = 4321;
	list[1].pid = 4400;
	list[1].has_info = 1;
	list[1].info.type_url = pb_str_of(OPT_PROCESS_DETAILS_URL, strlen(OPT_PROCESS_DETAILS_URL));
	list[1].info.value.p = detail;
	list[1].info.value.n = dw.len;
	list[2].pid = 4294967295u;
	ENCODES_AS("pids_resp", for (int i = 0; i < 3; i++) tk_pids_resp_put(w, &list[i]),
	           "pids_resp from C values");
}

static void test_checkpoint_update(void)
{
	struct tk_checkpoint_req c;
	struct tk_update_req u;
	struct opt_checkpoint oc;
	struct pb_str kv;
	struct pb_r it;

	CHECK(DECODE("checkpoint_req", tk_checkpoint_req_decode, &c) == 0 &&
	          streq(c.path, "/var/lib/containerd/checkpoints/redis/image") && c.has_options &&
	          streq(c.options.type_url, OPT_CHECKPOINT_OPTIONS_URL) &&
	          same(c.options.value, "opt_checkpoint") &&
	          opt_checkpoint_decode(c.options.value.p, c.options.value.n, &oc) == 0 &&
	          oc.exit && oc.nempty_namespaces == 2,
	      "checkpoint_req: options are the opt_checkpoint bytes");
	CHECK(DECODE("update_req", tk_update_req_decode, &u) == 0 && streq(u.id, "redis-7f3a") &&
	          u.has_resources &&
	          streq(u.resources.type_url,
	                "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources") &&
	          u.resources.value.n > 20 && !memcmp(u.resources.value.p, "{\"memory\"", 9) &&
	          u.nannotations == 2,
	      "update_req: JSON resources, two annotations");
	it = pb_r_of(u.raw);
	CHECK(pb_repeated_next(&it, 3, &kv) == 1 && kv.n == 48 &&
	          pb_repeated_next(&it, 3, &kv) == 1 && pb_repeated_next(&it, 3, &kv) == 0,
	      "update_req: annotation entries kept in raw");

	/* Annotations with a non-string key are refused. */
	static const uint8_t bad[] = { 0x1a, 0x02, 0x08, 0x01 };
	CHECK(tk_update_req_decode(bad, sizeof(bad), &u) == -PB_EWIRETYPE,
	      "update_req: map entry with a varint key is refused");
}

static void test_rules(void)
{
	struct tk_proc_req pr;
	struct tk_create_req cr;
	struct tk_timestamp ts;
	struct tk_kill_req kr;
	struct tk_pid_resp pid;
	uint8_t buf[64];
	struct pb_w w;

	/* Unknown fields of every wire type are skipped. */
	static const uint8_t unknown[] = {
		0x78, 0x96, 0x01,                               /* 15 varint */
		0x81, 0x01, 1,    2,    3,    4,    5, 6, 7, 8, /* 16 fixed64 */
		0x8d, 0x01, 1,    2,    3,    4,                /* 17 fixed32 */
		0x0a, 0x01, 'a',                                /* id */
		0x92, 0x01, 0x03, 'x',  'y',  'z',              /* 18 bytes */
		0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00,             /* 2^29-1 varint */
		0x12, 0x01, 'b',                                /* exec_id */
	};
	CHECK(tk_proc_req_decode(unknown, sizeof(unknown), &pr) == 0 && streq(pr.id, "a") &&
	          streq(pr.exec_id, "b"),
	      "unknown fields of every wire type are skipped");
	static const uint8_t wrongtype[] = { 0x08, 0x01 };
	CHECK(tk_proc_req_decode(wrongtype, sizeof(wrongtype), &pr) == -PB_EWIRETYPE,
	      "a string field sent as varint is refused");
	static const uint8_t wrongtype2[] = { 0x1a, 0x00 };
	CHECK(tk_kill_req_decode(wrongtype2, sizeof(wrongtype2), &kr) == -PB_EWIRETYPE,
	      "a uint32 field sent as bytes is refused");
	static const uint8_t twice[] = { 0x0a, 0x01, 'a', 0x0a, 0x02, 'b', 'c' };
	CHECK(tk_proc_req_decode(twice, sizeof(twice), &pr) == 0 && streq(pr.id, "bc"),
	      "a repeated singular field: the last wins");
	static const uint8_t bool2[] = { 0x20, 0x02, 0x18, 0x8f, 0x80, 0x80, 0x80, 0x10 };
	CHECK(tk_kill_req_decode(bool2, sizeof(bool2), &kr) == 0 && kr.all == 1 && kr.signal == 15,
	      "bool 2 is true; a uint32 over 32 bits keeps its low bits (as protoc)");
	static const uint8_t group[] = { 0x0b, 0x0c };
	CHECK(tk_proc_req_decode(group, sizeof(group), &pr) == -PB_EWIRETYPE, "groups refused");
	static const uint8_t badmount[] = { 0x0a, 0x01, 'a', 0x1a, 0x02, 0x20, 0x01 };
	CHECK(tk_create_req_decode(badmount, sizeof(badmount), &cr) == -PB_EWIRETYPE,
	      "create: a mount whose options are not strings is refused");
	static const uint8_t badmount2[] = { 0x1a, 0x02, 0x0a, 0x05 };
	CHECK(tk_create_req_decode(badmount2, sizeof(badmount2), &cr) == -PB_ETRUNC,
	      "create: a truncated mount inside a complete field is refused");
	static const uint8_t mountvarint[] = { 0x18, 0x01 };
	CHECK(tk_create_req_decode(mountvarint, sizeof(mountvarint), &cr) == -PB_EWIRETYPE,
	      "create: rootfs sent as varint is refused");
	static const uint8_t badany[] = { 0x52, 0x02, 0x08, 0x01 };
	CHECK(tk_create_req_decode(badany, sizeof(badany), &cr) == -PB_EWIRETYPE,
	      "create: options Any with a varint type_url is refused");
	static const uint8_t emptyany[] = { 0x52, 0x00 };
	CHECK(tk_create_req_decode(emptyany, sizeof(emptyany), &cr) == 0 && cr.has_options &&
	          cr.options.type_url.n == 0,
	      "create: an empty options Any is present");
	static const uint8_t negnanos[] = { 0x08, 0x7f, 0x10, 0xff, 0xff, 0xff, 0xff,
		                            0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(tk_timestamp_decode(negnanos, sizeof(negnanos), &ts) == 0 && ts.seconds == 127 &&
	          ts.nanos == -1,
	      "timestamp: negative nanos");
	w = pb_w_init(buf, sizeof(buf));
	tk_timestamp_put(&w, 1, &ts);
	CHECK(w.err == 0 && w.len == 2 + sizeof(negnanos) && buf[0] == 0x0a &&
	          buf[1] == sizeof(negnanos) && !memcmp(buf + 2, negnanos, sizeof(negnanos)),
	      "timestamp: negative nanos encode as ten bytes");
	memset(&pid, 0, sizeof(pid));
	w = pb_w_init(buf, sizeof(buf));
	tk_pid_resp_encode(&w, &pid);
	CHECK(w.err == 0 && w.len == 0, "pid 0 encodes to nothing (proto3)");
	CHECK(tk_pid_resp_decode(buf, 0, &pid) == 0 && pid.pid == 0, "an empty message decodes");

	/* pb_copy_repeated: verbatim, renumbered, and a malformed source fails the writer. */
	static const uint8_t src[] = {
		0x22, 0x01, 'x', 0x08, 0x01, 0x22, 0x00, 0x22, 0x02, 'y', 'z'
	};
	static const uint8_t want[] = { 0x3a, 0x01, 'x', 0x3a, 0x00, 0x3a, 0x02, 'y', 'z' };
	w = pb_w_init(buf, sizeof(buf));
	pb_copy_repeated(&w, 7, pb_str_of((const char *)src, sizeof(src)), 4);
	CHECK_MEM(buf, w.len, want, sizeof(want), "pb_copy_repeated copies entries verbatim");
	static const uint8_t badsrc[] = { 0x22, 0x01, 'x', 0x22, 0x05 };
	w = pb_w_init(buf, sizeof(buf));
	pb_copy_repeated(&w, 3, pb_str_of((const char *)badsrc, sizeof(badsrc)), 4);
	CHECK(w.err == -PB_ETRUNC, "pb_copy_repeated of a malformed source sets w->err");
	static const uint8_t badtype[] = { 0x20, 0x01 };
	w = pb_w_init(buf, sizeof(buf));
	pb_copy_repeated(&w, 3, pb_str_of((const char *)badtype, sizeof(badtype)), 4);
	CHECK(w.err == -PB_EWIRETYPE, "pb_copy_repeated of a varint entry sets w->err");
	struct pb_str none = { NULL, 0 };
	w = pb_w_init(buf, sizeof(buf));
	pb_copy_repeated(&w, 3, none, 3);
	CHECK(w.err == 0 && w.len == 0, "pb_copy_repeated of nothing writes nothing");

	/* tk_mount_next stops at a malformed mount. */
	static const uint8_t mounts[] = { 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x02, 0x20, 0x01 };
	struct pb_r it = pb_r_init(mounts, sizeof(mounts));
	struct tk_mount mnt;
	CHECK(tk_mount_next(&it, 3, &mnt) == 1 && mnt.type.n == 0 &&
	          tk_mount_next(&it, 3, &mnt) == -PB_EWIRETYPE,
	      "tk_mount_next: a good mount, then an error");
}

int main(void)
{
	golden_suite(NULL, codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_create();
	test_simple();
	test_state();
	test_pids();
	test_checkpoint_update();
	test_rules();
	return tap_done();
}
