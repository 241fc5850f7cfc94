/* SPDX-License-Identifier: MIT */
/*
 * wire/shimv1: the legacy v1 shim's messages against protoc's bytes (test/golden/shimv1, made by
 * scripts/golden from shimv1.proto), field by field and under damage; the messages the v1 and
 * v2 services share, byte for byte; and the translation of every v1 request into the Task API
 * request that serves it, compared with the v2 goldens where the two describe the same thing.
 */
#include "wire/shimv1.h"
#include "golden.h"
#include "shimv1_vectors.h"

static int streq(struct pb_str s, const char *c)
{
	return pb_str_eq(s, c);
}

static const struct golden *v1(const char *name)
{
	return golden_get_in(v1goldens, V1GOLDEN_COUNT, name);
}

static struct pb_str v1str(const char *name)
{
	const struct golden *g = v1(name);
	struct pb_str s = { g->data, g->len };
	return s;
}

static int same_v1(struct pb_str s, const char *name)
{
	struct pb_str g = v1str(name);
	return s.n == g.n && memcmp(s.p, g.p, g.n) == 0;
}

static int same_v2(struct pb_str s, const char *name)
{
	struct pb_str g = golden_str(name);
	return s.n == g.n && memcmp(s.p, g.p, g.n) == 0;
}

/* --- codecs for the golden suite ---------------------------------------------------------- */

static int mounts_walk(struct pb_str raw, uint32_t num)
{
	struct pb_r it = pb_r_of(raw);
	struct tk_mount mnt;
	int e, count = 0;
	while ((e = tk_mount_next(&it, num, &mnt)) > 0) {
		struct pb_r ot = pb_r_of(mnt.raw);
		struct pb_str o;
		while ((e = pb_repeated_next(&ot, 4, &o)) > 0)
			;
		if (e < 0)
			return e;
		count++;
	}
	return e < 0 ? e : count;
}

static int create_all_dec(const uint8_t *p, size_t n)
{
	struct v1_create_req m;
	int e = v1_create_req_decode(p, n, &m);
	if (e < 0)
		return e;
	e = mounts_walk(m.raw, 4);
	return e < 0 ? e : (size_t)e != m.nrootfs ? -PB_ERANGE : 0;
}

static int create_opts_all_dec(const uint8_t *p, size_t n)
{
	struct v1_create_opts m;
	struct pb_str s;
	size_t count = 0;
	int e = v1_create_opts_decode(p, n, &m);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.raw);
	while ((e = pb_repeated_next(&it, 6, &s)) > 0)
		count++;
	return e == 0 && count != m.nempty_namespaces ? -PB_ERANGE : e;
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

static int empty_dec(const uint8_t *p, size_t n)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;
	while ((e = pb_next(&r, &f)) > 0)
		;
	return e;
}

static void empty_enc(const uint8_t *p, size_t n, struct pb_w *w)
{
	int e = empty_dec(p, n);
	if (e < 0)
		w->err = e;
}

CODEC_FNS(create, struct v1_create_req, v1_create_req_decode, v1_create_req_encode)
CODEC_FNS(id, struct tk_id_req, tk_id_req_decode, tk_id_req_encode)
CODEC_FNS(pid, struct tk_pid_resp, tk_pid_resp_decode, tk_pid_resp_encode)
CODEC_FNS(start, struct v1_start_resp, v1_start_resp_decode, v1_start_resp_encode)
CODEC_FNS(delresp, struct tk_delete_resp, tk_delete_resp_decode, tk_delete_resp_encode)
CODEC_FNS(exec, struct tk_exec_req, v1_exec_req_decode, v1_exec_req_encode)
CODEC_FNS(resize, struct tk_resize_req, v1_resize_req_decode, v1_resize_req_encode)
CODEC_FNS(state, struct tk_state_resp, tk_state_resp_decode, tk_state_resp_encode)
CODEC_FNS(kill, struct tk_kill_req, v1_kill_req_decode, v1_kill_req_encode)
CODEC_FNS(closeio, struct tk_closeio_req, v1_closeio_req_decode, v1_closeio_req_encode)
CODEC_FNS(ckpt, struct tk_checkpoint_req, v1_checkpoint_req_decode, v1_checkpoint_req_encode)
CODEC_FNS(update, struct tk_update_req, v1_update_req_decode, v1_update_req_encode)
CODEC_FNS(wait, struct tk_wait_resp, tk_wait_resp_decode, tk_wait_resp_encode)
CODEC_FNS(copts, struct v1_create_opts, v1_create_opts_decode, v1_create_opts_encode)
CODEC_FNS(kopts, struct opt_checkpoint, v1_checkpoint_opts_decode, v1_checkpoint_opts_encode)
CODEC_FNS(details, struct opt_process_details, opt_process_details_decode,
          opt_process_details_encode)

static const struct codec codecs[] = {
	{ "Empty", empty_dec, empty_enc },
	{ "CreateTaskRequest", create_all_dec, create_enc },
	{ "CreateTaskResponse", pid_dec, pid_enc },
	{ "StartRequest", id_dec, id_enc },
	{ "StartResponse", start_dec, start_enc },
	{ "StateRequest", id_dec, id_enc },
	{ "StateResponse", state_dec, state_enc },
	{ "WaitRequest", id_dec, id_enc },
	{ "WaitResponse", wait_dec, wait_enc },
	{ "DeleteProcessRequest", id_dec, id_enc },
	{ "DeleteResponse", delresp_dec, delresp_enc },
	{ "ExecProcessRequest", exec_dec, exec_enc },
	{ "ResizePtyRequest", resize_dec, resize_enc },
	{ "KillRequest", kill_dec, kill_enc },
	{ "CloseIORequest", closeio_dec, closeio_enc },
	{ "ListPidsRequest", id_dec, id_enc },
	{ "ListPidsResponse", pids_dec, pids_enc },
	{ "CheckpointTaskRequest", ckpt_dec, ckpt_enc },
	{ "UpdateTaskRequest", update_dec, update_enc },
	{ "ShimInfoResponse", pid_dec, pid_enc },
	{ "CreateOptions", create_opts_all_dec, copts_enc },
	{ "CheckpointOptions", kopts_dec, kopts_enc },
	{ "ProcessDetails", details_dec, details_enc },
};

#undef DECODE
#define DECODE(name, fn, m) GOLDEN_DECODE_IN(v1, name, fn, m)

/* Encodes with a roomy buffer and compares with a v1 golden vector. */
#undef ENCODES_AS
#define ENCODES_AS(name, call, ...) GOLDEN_ENCODES_AS_IN(v1, name, call, __VA_ARGS__)

/* --- decoders, field by field --------------------------------------------------------------- */

static void test_create(void)
{
	struct v1_create_req m;
	struct v1_create_opts o;
	struct tk_mount mnt;
	struct pb_r it;
	struct pb_str s;

	CHECK(DECODE("create_req", v1_create_req_decode, &m) == 0 && streq(m.id, "redis-7f3a") &&
	          streq(m.bundle,
	                "/run/containerd/io.containerd.runtime.v2.task/default/redis-7f3a") &&
	          streq(m.runtime, "/usr/local/bin/crun"),
	      "create_req: id, bundle and the runtime binary (field 3)");
	CHECK(m.terminal && streq(m.stdin_path, "/run/containerd/fifo/1234567/redis-7f3a-stdin") &&
	          streq(m.stdout_path, "/run/containerd/fifo/1234567/redis-7f3a-stdout") &&
	          streq(m.stderr_path, "/run/containerd/fifo/1234567/redis-7f3a-stderr") &&
	          streq(m.checkpoint, "/var/lib/containerd/checkpoints/redis") &&
	          streq(m.parent_checkpoint, "/var/lib/containerd/checkpoints/redis-parent"),
	      "create_req: terminal, stdio and checkpoints in fields 5-10");
	CHECK(m.has_options && streq(m.options.type_url, V1_CREATE_OPTIONS_URL) &&
	          same_v1(m.options.value, "opt_create"),
	      "create_req: options (field 11) carry the opt_create bytes");
	it = pb_r_of(m.raw);
	CHECK(m.nrootfs == 2 && tk_mount_next(&it, 4, &mnt) == 1 && streq(mnt.type, "overlay") &&
	          tk_mount_next(&it, 4, &mnt) == 1 && streq(mnt.source, "/srv/données/工作") &&
	          streq(mnt.target, "/data") && tk_mount_next(&it, 4, &mnt) == 0,
	      "create_req: two mounts in field 4");
	it = pb_r_of(m.raw);
	CHECK(pb_repeated_next(&it, 3, &s) == 1 && streq(s, "/usr/local/bin/crun"),
	      "create_req: v2's mount field 3 holds the runtime in v1");

	CHECK(DECODE("create_req_min", v1_create_req_decode, &m) == 0 && streq(m.id, "c1") &&
	          streq(m.runtime, "runc") && m.nrootfs == 0 && !m.has_options && !m.terminal,
	      "create_req_min: id, bundle, runtime");
	memset(&m, 0, sizeof(m));
	m.id = pb_str_of("c1", 2);
	m.bundle = pb_str_of("/run/containerd/io.containerd.runtime.v1.linux/ns/c1", 52);
	m.runtime = pb_str_of("runc", 4);
	ENCODES_AS("create_req_min", v1_create_req_encode(w, &m), "create_req_min from C values");

	CHECK(DECODE("opt_create", v1_create_opts_decode, &o) == 0 && o.no_pivot_root &&
	          o.open_tcp && o.external_unix_sockets && o.terminal && o.file_locks &&
	          o.nempty_namespaces == 2 && streq(o.cgroups_mode, "soft") && o.no_new_keyring &&
	          streq(o.shim_cgroup, "/podruntime/shim/redis-7f3a") && o.io_uid == 4294967294u &&
	          o.io_gid == 100000 && streq(o.criu_work_path, "/var/lib/criu/work") &&
	          streq(o.criu_image_path, "/var/lib/criu/images"),
	      "opt_create: all 13 CreateOptions fields");
	it = pb_r_of(o.raw);
	CHECK(pb_repeated_next(&it, 6, &s) == 1 && streq(s, "network") &&
	          pb_repeated_next(&it, 6, &s) == 1 && streq(s, "ipc") &&
	          pb_repeated_next(&it, 6, &s) == 0,
	      "opt_create: empty_namespaces in order");
	CHECK(DECODE("opt_create_nopivot", v1_create_opts_decode, &o) == 0 && o.no_pivot_root &&
	          !o.no_new_keyring && o.shim_cgroup.n == 0,
	      "opt_create_nopivot: only no_pivot_root");
	memset(&o, 0, sizeof(o));
	o.no_pivot_root = 1;
	ENCODES_AS("opt_create_nopivot", v1_create_opts_encode(w, &o),
	           "opt_create_nopivot from C values");
}

static void test_requests(void)
{
	struct tk_exec_req ex;
	struct tk_resize_req rz;
	struct tk_kill_req kr;
	struct tk_closeio_req cio;
	struct tk_checkpoint_req ck;
	struct tk_update_req up;
	struct tk_id_req ir;
	struct opt_checkpoint oc;
	struct pb_str s;

	CHECK(DECODE("exec_req", v1_exec_req_decode, &ex) == 0 && streq(ex.id, "exec-αβγ-1") &&
	          ex.exec_id.n == 0 && !ex.terminal && ex.stdin_path.n == 0 &&
	          streq(ex.stdout_path, "/run/containerd/fifo/1234567/exec-stdout") &&
	          streq(ex.stderr_path, "/run/containerd/fifo/1234567/exec-stderr") &&
	          ex.has_spec &&
	          streq(ex.spec.type_url,
	                "types.containerd.io/opencontainers/runtime-spec/1/Process"),
	      "exec_req: the exec's own id in field 1, stdio in 3-5, spec in 6");
	CHECK(DECODE("exec_req_tty", v1_exec_req_decode, &ex) == 0 && streq(ex.id, "shell") &&
	          ex.terminal && streq(ex.stdin_path, "/run/containerd/fifo/1234567/shell-stdin") &&
	          ex.stderr_path.n == 0 && ex.has_spec,
	      "exec_req_tty: terminal (field 2) and stdin");
	CHECK(DECODE("resize_req", v1_resize_req_decode, &rz) == 0 && streq(rz.id, "shell") &&
	          rz.exec_id.n == 0 && rz.width == 132 && rz.height == 43,
	      "resize_req: shell 132x43 (fields 2, 3)");
	CHECK(DECODE("kill_req", v1_kill_req_decode, &kr) == 0 && streq(kr.id, "redis-7f3a") &&
	          kr.signal == 9 && kr.all == 1,
	      "kill_req: SIGKILL, all (fields 2, 3)");
	CHECK(DECODE("kill_req_exec", v1_kill_req_decode, &kr) == 0 && streq(kr.id, "exec-αβγ-1") &&
	          kr.signal == 15 && !kr.all,
	      "kill_req_exec: SIGTERM to an exec");
	CHECK(DECODE("closeio_req", v1_closeio_req_decode, &cio) == 0 && streq(cio.id, "shell") &&
	          cio.stdin_close == 1,
	      "closeio_req: stdin (field 2)");
	CHECK(DECODE("checkpoint_req", v1_checkpoint_req_decode, &ck) == 0 && ck.id.n == 0 &&
	          streq(ck.path, "/var/lib/containerd/checkpoints/redis/image") && ck.has_options &&
	          streq(ck.options.type_url, V1_CHECKPOINT_OPTIONS_URL) &&
	          same_v1(ck.options.value, "opt_checkpoint"),
	      "checkpoint_req: path (field 1), v1 options (field 2)");
	CHECK(DECODE("checkpoint_req_min", v1_checkpoint_req_decode, &ck) == 0 && !ck.has_options &&
	          streq(ck.path, "/var/lib/containerd/tmpmounts/checkpoint-1"),
	      "checkpoint_req_min: no options");
	CHECK(DECODE("opt_checkpoint", v1_checkpoint_opts_decode, &oc) == 0 && oc.exit &&
	          oc.open_tcp && oc.external_unix_sockets && oc.terminal && oc.file_locks &&
	          oc.nempty_namespaces == 2 && streq(oc.cgroups_mode, "soft") &&
	          streq(oc.work_path, "/var/lib/containerd/checkpoints/redis/work") &&
	          streq(oc.image_path, "/var/lib/containerd/checkpoints/redis/image"),
	      "opt_checkpoint: work_path is field 8, image_path field 9");
	CHECK(opt_checkpoint_decode(v1("opt_checkpoint")->data, v1("opt_checkpoint")->len, &oc) ==
	              0 &&
	          streq(oc.image_path, "/var/lib/containerd/checkpoints/redis/work"),
	      "opt_checkpoint: the v2 decoder would take the work path for the image");
	CHECK(DECODE("update_req", v1_update_req_decode, &up) == 0 && up.id.n == 0 &&
	          up.has_resources && up.nannotations == 0 && up.raw.n == 0 &&
	          streq(up.resources.type_url,
	                "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"),
	      "update_req: resources in field 1, no annotations");
	const char *ids[][2] = {
		{ "start_req", "exec-αβγ-1" }, { "start_req_init", "redis-7f3a" },
		{ "state_req", "redis-7f3a" }, { "wait_req", "exec-αβγ-1" },
		{ "pids_req", "redis-7f3a" },  { "delete_process_req", "exec-αβγ-1" }
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		CHECK(DECODE(ids[i][0], tk_id_req_decode, &ir) == 0 && streq(ir.id, ids[i][1]),
		      "%s: {id=1} decodes with tk_id_req", ids[i][0]);

	/* From C values, as a client (the e2e tools, a test) builds them. */
	memset(&kr, 0, sizeof(kr));
	kr.id = pb_str_of("exec-αβγ-1", strlen("exec-αβγ-1"));
	kr.exec_id = pb_str_of("ignored", 7);
	kr.signal = 15;
	ENCODES_AS("kill_req_exec", v1_kill_req_encode(w, &kr),
	           "kill_req_exec from C values (exec_id not written)");
	memset(&cio, 0, sizeof(cio));
	cio.id = pb_str_of("shell", 5);
	cio.stdin_close = 1;
	ENCODES_AS("closeio_req", v1_closeio_req_encode(w, &cio), "closeio_req from C values");
	memset(&rz, 0, sizeof(rz));
	rz.id = pb_str_of("shell", 5);
	rz.width = 132;
	rz.height = 43;
	ENCODES_AS("resize_req", v1_resize_req_encode(w, &rz), "resize_req from C values");
	memset(&oc, 0, sizeof(oc));
	CHECK(DECODE("opt_checkpoint", v1_checkpoint_opts_decode, &oc) == 0,
	      "opt_checkpoint again");
	s = oc.work_path;
	ENCODES_AS("opt_checkpoint", v1_checkpoint_opts_encode(w, &oc),
	           "opt_checkpoint: work path back in field 8");
	CHECK(streq(s, "/var/lib/containerd/checkpoints/redis/work") && oc.work_path.p == s.p,
	      "opt_checkpoint: the encoder leaves its input alone");
}

static void test_responses(void)
{
	struct v1_start_resp sr;
	struct tk_pid_resp pr;

	CHECK(DECODE("start_resp", v1_start_resp_decode, &sr) == 0 && streq(sr.id, "exec-αβγ-1") &&
	          sr.pid == 4294967295u,
	      "start_resp: id (field 1) and pid (field 2)");
	memset(&sr, 0, sizeof(sr));
	sr.id = pb_str_of("exec-αβγ-1", strlen("exec-αβγ-1"));
	sr.pid = 4294967295u;
	ENCODES_AS("start_resp", v1_start_resp_encode(w, &sr), "start_resp from C values");
	CHECK(DECODE("shim_info_resp", tk_pid_resp_decode, &pr) == 0 && pr.pid == 4242,
	      "shim_info_resp: shim_pid (field 1) decodes with tk_pid_resp");
	pr.pid = 4242;
	ENCODES_AS("shim_info_resp", tk_pid_resp_encode(w, &pr), "shim_info_resp from C values");

	/* The replies v1 shares with v2: the same bytes for the same content. */
	CHECK(same_v2(v1str("state_resp"), "state_resp"),
	      "StateResponse: v1 and v2 encode a running init identically");
	CHECK(same_v2(v1str("delete_resp"), "delete_resp"),
	      "DeleteResponse: identical in v1 and v2");
	CHECK(same_v2(v1str("wait_resp"), "wait_resp"), "WaitResponse: identical in v1 and v2");
	struct tk_state_resp st;
	CHECK(DECODE("state_resp_exec", tk_state_resp_decode, &st) == 0 &&
	          streq(st.id, "exec-αβγ-1") && st.status == TK_STATUS_STOPPED &&
	          st.exit_status == 255 && st.exec_id.n == 0,
	      "state_resp_exec: a v1 exec's state through the v2 decoder");
	struct pb_r it = pb_r_of(v1str("pids_resp"));
	struct tk_process_info pi;
	struct opt_process_details pd;
	CHECK(tk_pids_resp_next(&it, &pi) == 1 && pi.pid == 4321 && pi.has_info &&
	          streq(pi.info.type_url, V1_PROCESS_DETAILS_URL) &&
	          opt_process_details_decode(pi.info.value.p, pi.info.value.n, &pd) == 0 &&
	          streq(pd.exec_id, "redis-7f3a"),
	      "pids_resp: init named by the container id");
	CHECK(tk_pids_resp_next(&it, &pi) == 1 && pi.pid == 4400 &&
	          same_v1(pi.info.value, "opt_process_details") &&
	          tk_pids_resp_next(&it, &pi) == 1 && !pi.has_info &&
	          tk_pids_resp_next(&it, &pi) == 0,
	      "pids_resp: the exec's details, a stray pid without");
}

/* --- translation -------------------------------------------------------------------------- */

static const struct v1_ctx full_ctx = { "redis-7f3a", "/run/containerd/runc-ünïcode",
	                                "/usr/sbin/criu", "/var/lib/containerd/work/criu-work", 1 };
static const struct v1_ctx plain_ctx = { "redis-7f3a", NULL, NULL, NULL, 0 };

struct xl {
	int e;
	const char *method;
	struct v1_note note;
	size_t len;
	uint8_t buf[4096];
};

/* A v1 request read as a Task API request, written out as the Task API would send it. */
static struct xl *xlate(const char *method, const struct golden *g, const struct v1_ctx *ctx)
{
	static struct xl x;
	struct tk_request r;
	memset(&x, 0, sizeof(x));
	struct pb_w w = pb_w_init(x.buf, sizeof(x.buf));
	x.e = v1_request_decode(pb_str_of(method, strlen(method)), g ? g->data : NULL,
	                        g ? g->len : 0, ctx, &r, &x.note);
	if (x.e == 0) {
		x.method = tk_method_name(r.method);
		tk_request_encode(&w, &r);
		x.e = w.err;
	}
	x.len = w.len;
	return &x;
}

static int xl_is(const struct xl *x, const char *method, const char *v2_golden)
{
	const struct golden *g = golden_get(v2_golden);
	return x->e == 0 && x->method && strcmp(x->method, method) == 0 && x->len == g->len &&
	       memcmp(x->buf, g->data, g->len) == 0;
}

static void test_translate_create(void)
{
	struct xl *x = xlate("Create", v1("create_req"), &full_ctx);
	CHECK(xl_is(x, "Create", "create_req"),
	      "Create: the full v1 request with -runtime-root, -criu, -systemd-cgroup is v2's "
	      "create_req byte for byte (runtime -> binary_name, CreateOptions -> Options)");
	CHECK(x->note.ignored_fields == 0xfc && x->note.ignored_options.n == 0,
	      "Create: the six restore settings (fields 2-7) are reported as ignored (%#x)",
	      x->note.ignored_fields);

	struct tk_create_req m;
	struct opt_runc o;
	x = xlate("Create", v1("create_req_min"), &plain_ctx);
	CHECK(x->e == 0 && tk_create_req_decode(x->buf, x->len, &m) == 0 && streq(m.id, "c1") &&
	          streq(m.bundle, "/run/containerd/io.containerd.runtime.v1.linux/ns/c1") &&
	          m.nrootfs == 0 && m.has_options &&
	          streq(m.options.type_url, OPT_RUNC_OPTIONS_URL) &&
	          opt_runc_decode(m.options.value.p, m.options.value.n, &o) == 0 &&
	          streq(o.binary_name, "runc") && o.root.n == 0 && !o.systemd_cgroup &&
	          !o.no_pivot_root,
	      "Create (minimal): Options{binary_name: runc} and nothing else");
	CHECK(x->note.ignored_fields == 0 && x->note.ignored_options.n == 0,
	      "Create (minimal): nothing ignored");

	x = xlate("Create", v1("create_req_ctr"), &plain_ctx);
	struct v1_create_req v;
	struct tk_mount a, b;
	CHECK(x->e == 0 && tk_create_req_decode(x->buf, x->len, &m) == 0 &&
	          v1_create_req_decode(v1("create_req_ctr")->data, v1("create_req_ctr")->len, &v) ==
	              0 &&
	          m.nrootfs == 1 && streq(m.stdin_path, "/run/containerd/fifo/2468/v1-run-stdin") &&
	          opt_runc_decode(m.options.value.p, m.options.value.n, &o) == 0 &&
	          o.no_pivot_root && !o.no_new_keyring && streq(o.binary_name, "runc"),
	      "Create (ctr --no-pivot): no_pivot_root reaches the runc Options");
	struct pb_r ia = pb_r_of(m.raw), ib = pb_r_of(v.raw);
	CHECK(tk_mount_next(&ia, 3, &a) == 1 && tk_mount_next(&ib, 4, &b) == 1 &&
	          a.raw.n == b.raw.n && memcmp(a.raw.p, b.raw.p, a.raw.n) == 0,
	      "Create (ctr): the overlay mount is copied verbatim from field 4 to field 3");

	x = xlate("Create", v1("create_req_foreign_opts"), &plain_ctx);
	CHECK(x->e == 0 && streq(x->note.ignored_options, "containerd.runc.v1.Options") &&
	          tk_create_req_decode(x->buf, x->len, &m) == 0 &&
	          opt_runc_decode(m.options.value.p, m.options.value.n, &o) == 0 &&
	          !o.no_pivot_root && streq(o.binary_name, "runc"),
	      "Create: options of another type are ignored and reported");

	/* With no runtime and no flags there is nothing to say: no Options at all. */
	uint8_t in[64];
	struct pb_w w = pb_w_init(in, sizeof(in));
	pb_put_cstr(&w, 1, "c1");
	pb_put_cstr(&w, 2, "/b");
	struct golden bare = { "create_bare", "CreateTaskRequest", in, w.len, 0 };
	x = xlate("Create", &bare, &plain_ctx);
	CHECK(x->e == 0 && x->len == w.len && memcmp(x->buf, in, w.len) == 0,
	      "Create without runtime or flags: v2 {id, bundle}, no Options Any");
	struct tk_request r;
	CHECK(v1_request_decode(pb_str_of("Create", 6), in, w.len, &plain_ctx, &r, NULL) == 0 &&
	          r.opts == TK_OPTS_NONE && r.rootfs_field == 4 && streq(r.u.create.id, "c1"),
	      "Create: read in place, the mounts left in the v1 field 4, no options");
}

static void test_translate_procs(void)
{
	struct xl *x;
	struct tk_proc_req pr;

	CHECK(xl_is(xlate("Kill", v1("kill_req"), &plain_ctx), "Kill", "kill_req"),
	      "Kill of init (id = container) is v2's kill_req");
	CHECK(xl_is(xlate("Kill", v1("kill_req_exec"), &plain_ctx), "Kill", "kill_req_exec"),
	      "Kill of an exec becomes {id=container, exec_id}: v2's kill_req_exec");
	CHECK(xl_is(xlate("Exec", v1("exec_req"), &plain_ctx), "Exec", "exec_req"),
	      "Exec becomes {id=container, exec_id=id}: v2's exec_req");
	CHECK(xl_is(xlate("ResizePty", v1("resize_req"), &plain_ctx), "ResizePty", "resize_req"),
	      "ResizePty of an exec: v2's resize_req");
	CHECK(xl_is(xlate("CloseIO", v1("closeio_req"), &plain_ctx), "CloseIO", "closeio_req"),
	      "CloseIO of an exec: v2's closeio_req");
	CHECK(xl_is(xlate("Start", v1("start_req"), &plain_ctx), "Start", "start_req"),
	      "Start of an exec: v2's start_req");
	CHECK(xl_is(xlate("State", v1("state_req"), &plain_ctx), "State", "state_req"),
	      "State of init: v2's state_req");
	CHECK(xl_is(xlate("Wait", v1("wait_req"), &plain_ctx), "Wait", "wait_req"),
	      "Wait of an exec: v2's wait_req");
	CHECK(xl_is(xlate("ListPids", v1("pids_req"), &plain_ctx), "Pids", "pids_req"),
	      "ListPids: v2 Pids of the container (pids_req)");
	x = xlate("Start", v1("start_req_init"), &plain_ctx);
	CHECK(x->e == 0 && tk_proc_req_decode(x->buf, x->len, &pr) == 0 &&
	          streq(pr.id, "redis-7f3a") && pr.exec_id.n == 0,
	      "Start of init: {id=container}, no exec_id");
	x = xlate("DeleteProcess", v1("delete_process_req"), &plain_ctx);
	CHECK(x->e == 0 && strcmp(x->method, "Delete") == 0 &&
	          tk_proc_req_decode(x->buf, x->len, &pr) == 0 && streq(pr.id, "redis-7f3a") &&
	          streq(pr.exec_id, "exec-αβγ-1"),
	      "DeleteProcess: v2 Delete {id=container, exec_id}");
	CHECK(xlate("DeleteProcess", v1("state_req"), &plain_ctx)->e == -V1_EINIT,
	      "DeleteProcess of init: -V1_EINIT (the reference's INVALID_ARGUMENT)");
	CHECK(xlate("DeleteProcess", v1("empty"), &plain_ctx)->e == -V1_EINIT,
	      "DeleteProcess without an id: -V1_EINIT");
	CHECK(xlate("Exec", v1("kill_req"), &plain_ctx)->e == -PB_EWIRETYPE,
	      "Exec of a KillRequest: field 2 has the wrong wire type");

	/* An Exec named like the container: the reference's ALREADY_EXISTS. */
	uint8_t in[32];
	struct pb_w w = pb_w_init(in, sizeof(in));
	pb_put_cstr(&w, 1, "redis-7f3a");
	struct golden g = { "exec_init", "ExecProcessRequest", in, w.len, 0 };
	CHECK(xlate("Exec", &g, &plain_ctx)->e == -V1_EEXISTS, "Exec with init's id: -V1_EEXISTS");

	/* Kill with no id (the reference allows it): init. */
	x = xlate("Kill", NULL, &plain_ctx);
	struct tk_kill_req kr;
	CHECK(x->e == 0 && tk_kill_req_decode(x->buf, x->len, &kr) == 0 &&
	          streq(kr.id, "redis-7f3a") && kr.exec_id.n == 0 && kr.signal == 0,
	      "Kill without an id: init");

	/* Before Create the shim serves no container: ids are execs of "". */
	static const struct v1_ctx none = { "", NULL, NULL, NULL, 0 };
	x = xlate("State", v1("state_req"), &none);
	CHECK(x->e == 0 && tk_proc_req_decode(x->buf, x->len, &pr) == 0 && pr.id.n == 0 &&
	          streq(pr.exec_id, "redis-7f3a"),
	      "State before Create: {id='', exec_id=id} (the Task API answers NOT_FOUND)");
}

static void test_translate_container(void)
{
	struct xl *x;
	struct tk_update_req u;
	struct tk_checkpoint_req c;
	struct opt_checkpoint o;

	static const char *const empties[][2] = { { "Delete", "Delete" },
		                                  { "Pause", "Pause" },
		                                  { "Resume", "Resume" } };
	for (size_t i = 0; i < 3; i++)
		CHECK(xl_is(xlate(empties[i][0], v1("empty"), &plain_ctx), empties[i][1],
		            "pause_req"),
		      "%s (Empty): v2 %s {id=container}", empties[i][0], empties[i][1]);
	x = xlate("ShimInfo", v1("empty"), &plain_ctx);
	CHECK(x->e == -V1_EMETHOD && x->method == NULL && x->len == 0 &&
	          v1_empty_decode(v1("empty")->data, v1("empty")->len) == 0,
	      "ShimInfo: no Task API request (the shim answers it), its Empty read alone");
	x = xlate("Pause", v1("kill_req"), &plain_ctx);
	CHECK(x->e == 0, "Pause: unknown fields of its Empty are skipped");
	uint8_t bad[] = { 0x0a, 0x05, 'a' };
	struct golden g = { "bad", "Empty", bad, sizeof(bad), 0 };
	CHECK(xlate("Resume", &g, &plain_ctx)->e == -PB_ETRUNC, "Resume: a malformed Empty fails");

	CHECK(
	    xl_is(xlate("Checkpoint", v1("checkpoint_req"), &full_ctx), "Checkpoint",
	          "checkpoint_req"),
	    "Checkpoint: v1 CheckpointOptions become v2's (paths swapped back): v2 checkpoint_req");
	x = xlate("Checkpoint", v1("checkpoint_req_min"), &full_ctx);
	CHECK(x->e == 0 && tk_checkpoint_req_decode(x->buf, x->len, &c) == 0 &&
	          streq(c.id, "redis-7f3a") &&
	          streq(c.path, "/var/lib/containerd/tmpmounts/checkpoint-1") && c.has_options &&
	          streq(c.options.type_url, OPT_CHECKPOINT_OPTIONS_URL) &&
	          opt_checkpoint_decode(c.options.value.p, c.options.value.n, &o) == 0 &&
	          streq(o.work_path, "/var/lib/containerd/work/criu-work") && o.image_path.n == 0 &&
	          !o.exit,
	      "Checkpoint without options: the work path defaults to the shim's");
	x = xlate("Checkpoint", v1("checkpoint_req_min"), &plain_ctx);
	CHECK(x->e == 0 && tk_checkpoint_req_decode(x->buf, x->len, &c) == 0 && !c.has_options,
	      "Checkpoint without options or -workdir: no options");

	x = xlate("Update", v1("update_req"), &plain_ctx);
	struct tk_update_req vu;
	CHECK(x->e == 0 && strcmp(x->method, "Update") == 0 &&
	          tk_update_req_decode(x->buf, x->len, &u) == 0 && streq(u.id, "redis-7f3a") &&
	          u.nannotations == 0 &&
	          v1_update_req_decode(v1("update_req")->data, v1("update_req")->len, &vu) == 0 &&
	          u.resources.value.n == vu.resources.value.n &&
	          memcmp(u.resources.value.p, vu.resources.value.p, vu.resources.value.n) == 0,
	      "Update: {id=container, resources} with the same JSON");

	static const char *const none[] = { "Connect", "Stats", "Shutdown", "Pids", "", "create" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK(xlate(none[i], v1("empty"), &plain_ctx)->e == -V1_EMETHOD,
		      "'%s' is not a v1 method: -V1_EMETHOD", none[i]);
}

/* Every method on every truncation and mutation of every vector: a sane result, and a
 * translation that succeeds gives a request the v2 decoder of its method accepts. */
static int v2_decodes(const char *method, const uint8_t *p, size_t n)
{
	union {
		struct tk_create_req c;
		struct tk_proc_req pr;
		struct tk_id_req id;
		struct tk_kill_req k;
		struct tk_exec_req ex;
		struct tk_resize_req rz;
		struct tk_closeio_req cio;
		struct tk_checkpoint_req ck;
		struct tk_update_req up;
	} m;
	if (!strcmp(method, "Create"))
		return tk_create_req_decode(p, n, &m.c) == 0 &&
		       mounts_walk(m.c.raw, 3) == (int)m.c.nrootfs;
	if (!strcmp(method, "State") || !strcmp(method, "Start") || !strcmp(method, "Wait") ||
	    !strcmp(method, "Delete"))
		return tk_proc_req_decode(p, n, &m.pr) == 0;
	if (!strcmp(method, "Pids") || !strcmp(method, "Pause") || !strcmp(method, "Resume"))
		return tk_id_req_decode(p, n, &m.id) == 0;
	if (!strcmp(method, "Kill"))
		return tk_kill_req_decode(p, n, &m.k) == 0;
	if (!strcmp(method, "Exec"))
		return tk_exec_req_decode(p, n, &m.ex) == 0;
	if (!strcmp(method, "ResizePty"))
		return tk_resize_req_decode(p, n, &m.rz) == 0;
	if (!strcmp(method, "CloseIO"))
		return tk_closeio_req_decode(p, n, &m.cio) == 0;
	if (!strcmp(method, "Checkpoint")) {
		struct opt_checkpoint o;
		return tk_checkpoint_req_decode(p, n, &m.ck) == 0 &&
		       (!m.ck.has_options ||
		        !pb_str_eq(m.ck.options.type_url, OPT_CHECKPOINT_OPTIONS_URL) ||
		        opt_checkpoint_decode(m.ck.options.value.p, m.ck.options.value.n, &o) == 0);
	}
	if (!strcmp(method, "Update"))
		return tk_update_req_decode(p, n, &m.up) == 0;
	return 0;
}

static const char *const v1_methods[] = { "State",         "Create",   "Start",  "Delete",
	                                  "DeleteProcess", "ListPids", "Pause",  "Resume",
	                                  "Checkpoint",    "Kill",     "Exec",   "ResizePty",
	                                  "CloseIO",       "ShimInfo", "Update", "Wait" };

static int xl_sane(int e)
{
	return e == 0 || e == -V1_EMETHOD || e == -V1_EINIT || e == -V1_EEXISTS ||
	       (e <= -PB_ETRUNC && e >= -PB_ERANGE && e != -PB_ENOSPC);
}

static void test_translate_damage(void)
{
	uint8_t out[1 << 15], *b = malloc(4096);
	size_t insane = 0, undecodable = 0, runs = 0, translated = 0;
	uint64_t s = 0x5eed;

	if (!b)
		abort();
	for (size_t gi = 0; gi < V1GOLDEN_COUNT; gi++) {
		const struct golden *g = &v1goldens[gi];
		for (size_t mi = 0; mi < sizeof(v1_methods) / sizeof(v1_methods[0]); mi++) {
			const char *mn = v1_methods[mi];
			for (int k = 0; k < 200; k++) {
				size_t n = g->len;
				memcpy(b, g->data, n);
				if (k > 0 && n) { /* k == 0: the vector itself */
					uint64_t x = xorshift64(&s);
					size_t at = (size_t)(x >> 8) % n;
					if (x % 3 == 0)
						n = at;
					else if (x % 3 == 1)
						b[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
					else
						b[at] = (uint8_t)(x >> 32);
				}
				uint8_t *exact = malloc(n ? n : 1);
				if (!exact)
					abort();
				memcpy(exact, b, n);
				struct pb_w w = pb_w_init(out, sizeof(out));
				struct tk_request r;
				int e = v1_request_decode(pb_str_of(mn, strlen(mn)), exact, n,
				                          &full_ctx, &r, NULL);
				runs++;
				insane += !xl_sane(e) || (e == -V1_EMETHOD) != !strcmp(mn, "ShimInfo");
				if (e == 0) {
					translated++;
					tk_request_encode(&w, &r);
					undecodable += w.err || !v2_decodes(tk_method_name(r.method),
					                                    out, w.len);
				}
				free(exact);
			}
		}
	}
	CHECK(insane == 0 && undecodable == 0,
	      "%zu translations of damaged vectors: sane results, and all %zu that succeed decode "
	      "as their v2 method's request (%zu insane, %zu undecodable)",
	      runs, translated, insane, undecodable);
	free(b);

	/* A full writer is an error, never a short request. */
	const struct golden *g = v1("create_req");
	size_t bad = 0, need = 0;
	struct pb_w w = pb_w_init(out, sizeof(out));
	struct tk_request r;
	if (v1_request_decode(pb_str_of("Create", 6), g->data, g->len, &full_ctx, &r, NULL) == 0) {
		tk_request_encode(&w, &r);
		need = w.err ? 0 : w.len;
	}
	for (size_t cap = 0; cap < need; cap++) {
		uint8_t *small = malloc(cap ? cap : 1);
		if (!small)
			abort();
		w = pb_w_init(small, cap);
		tk_request_encode(&w, &r);
		bad += w.err != -PB_ENOSPC || w.len > cap;
		free(small);
	}
	CHECK(need > 0 && bad == 0, "Create written out: all %zu short writers give -PB_ENOSPC",
	      need);
}

/* --- replies ------------------------------------------------------------------------------ */

static void test_replies(void)
{
	uint8_t out[1024];
	struct pb_w w = pb_w_init(out, sizeof(out));
	struct v1_start_resp sr = { pb_str_of("exec-αβγ-1", strlen("exec-αβγ-1")), 4294967295u };

	v1_start_resp_encode(&w, &sr);
	CHECK(w.err == 0 && same_v1(pb_str_of((const char *)out, w.len), "start_resp"),
	      "StartResponse: {id=name, pid}: start_resp");
	/* The pids_resp vector: init named by the container id, an exec, a stray pid. */
	w = pb_w_init(out, sizeof(out));
	v1_pids_resp_put(&w, 4321, pb_str_of("redis-7f3a", 10));
	v1_pids_resp_put(&w, 4400, pb_str_of("exec-αβγ-1", strlen("exec-αβγ-1")));
	v1_pids_resp_put(&w, 4294967295u, pb_str_of("", 0));
	CHECK(w.err == 0 && same_v1(pb_str_of((const char *)out, w.len), "pids_resp"),
	      "ListPidsResponse: every named pid gets a containerd.linux.runc.ProcessDetails: "
	      "pids_resp");
	w = pb_w_init(out, 5);
	v1_pids_resp_put(&w, 4321, pb_str_of("redis-7f3a", 10));
	CHECK(w.err == -PB_ENOSPC && w.len <= 5, "ListPidsResponse: a short buffer is ENOSPC");
}

int main(void)
{
	golden_suite_in(v1goldens, V1GOLDEN_COUNT, "", codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_create();
	test_requests();
	test_responses();
	test_translate_create();
	test_translate_procs();
	test_translate_container();
	test_translate_damage();
	test_replies();
	return tap_done();
}
