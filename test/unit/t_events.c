/* SPDX-License-Identifier: MIT */
/* wire/events: event payloads, Envelope and ForwardRequest against protoc; containerd's name rules.
 */
#include "wire/events.h"
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

static struct pb_str S(const char *c) {
	return pb_str_of(c, strlen(c));
}

static int
create_all_dec(const uint8_t *p, size_t n)
{
	struct ev_task_create m;
	struct tk_mount mnt;
	int e = ev_task_create_decode(p, n, &m);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.rootfs_src);
	while ((e = tk_mount_next(&it, m.rootfs_src_num, &mnt)) > 0)
		;
	return e;
}

CODEC_FNS(create, struct ev_task_create, ev_task_create_decode, ev_task_create_encode)
CODEC_FNS(start, struct ev_task_start, ev_task_start_decode, ev_task_start_encode)
CODEC_FNS(exit, struct ev_task_exit, ev_task_exit_decode, ev_task_exit_encode)
CODEC_FNS(delete, struct ev_task_delete, ev_task_delete_decode, ev_task_delete_encode)
CODEC_FNS(id, struct ev_task_id, ev_task_id_decode, ev_task_id_encode)
CODEC_FNS(exec, struct ev_task_exec, ev_task_exec_decode, ev_task_exec_encode)
CODEC_FNS(ckpt, struct ev_task_checkpointed, ev_task_checkpointed_decode,
          ev_task_checkpointed_encode)
CODEC_FNS(env, struct ev_envelope, ev_envelope_decode, ev_envelope_encode)
CODEC_FNS(fwd, struct ev_envelope, ev_forward_req_decode, ev_forward_req_encode)

static const struct codec codecs[] = {
	{ "TaskCreate", create_all_dec, create_enc },
	{ "TaskStart", start_dec, start_enc },
	{ "TaskExit", exit_dec, exit_enc },
	{ "TaskDelete", delete_dec, delete_enc },
	{ "TaskOOM", id_dec, id_enc },
	{ "TaskPaused", id_dec, id_enc },
	{ "TaskResumed", id_dec, id_enc },
	{ "TaskExecAdded", exec_dec, exec_enc },
	{ "TaskExecStarted", exec_dec, exec_enc },
	{ "TaskCheckpointed", ckpt_dec, ckpt_enc },
	{ "Envelope", env_dec, env_enc },
	{ "ForwardRequest", fwd_dec, fwd_enc },
};



static void test_create(void)
{
	struct ev_task_create m;
	struct tk_create_req req;
	struct tk_mount mnt;
	struct pb_r it;
	int e = DECODE("ev_task_create", ev_task_create_decode, &m);

	CHECK(e == 0 && streq(m.container_id, "redis-7f3a") && m.pid == 4321 &&
	          streq(m.checkpoint, "/var/lib/containerd/checkpoints/redis") &&
	          streq(m.io.stdin_path, "/run/containerd/fifo/1234567/redis-7f3a-stdin") &&
	          streq(m.io.stderr_path, "/run/containerd/fifo/1234567/redis-7f3a-stderr") &&
	          m.io.terminal == 1,
	      "ev_task_create: fields and TaskIO");
	it = pb_r_of(m.rootfs_src);
	CHECK(m.rootfs_src_num == 3 && tk_mount_next(&it, m.rootfs_src_num, &mnt) == 1 &&
	          streq(mnt.type, "overlay") && tk_mount_next(&it, 3, &mnt) == 1 &&
	          streq(mnt.target, "/data") && tk_mount_next(&it, 3, &mnt) == 0,
	      "ev_task_create: the two mounts");

	/* What Create publishes: scalars from the request, mounts copied from its raw bytes. */
	CHECK(DECODE("create_req", tk_create_req_decode, &req) == 0, "create_req decodes");
	memset(&m, 0, sizeof(m));
	m.container_id = req.id;
	m.bundle = req.bundle;
	m.rootfs_src = req.raw;
	m.rootfs_src_num = 3;
	m.io.stdin_path = req.stdin_path;
	m.io.stdout_path = req.stdout_path;
	m.io.stderr_path = req.stderr_path;
	m.io.terminal = req.terminal;
	m.checkpoint = req.checkpoint;
	m.pid = 4321;
	ENCODES_AS("ev_task_create", ev_task_create_encode(w, &m),
	           "ev_task_create built from create_req equals protoc's TaskCreate");

	e = DECODE("ev_task_create_noio", ev_task_create_decode, &m);
	CHECK(e == 0 && m.io.stdin_path.n == 0 && !m.io.terminal && m.pid == 4321,
	      "ev_task_create_noio: empty TaskIO");
	memset(&m, 0, sizeof(m));
	m.container_id = S("redis-7f3a");
	m.bundle = S("/run/containerd/io.containerd.runtime.v2.task/default/redis-7f3a");
	m.pid = 4321;
	ENCODES_AS("ev_task_create_noio", ev_task_create_encode(w, &m),
	           "TaskCreate without rootfs or IO still carries io (22 00)");

	static const uint8_t badio[] = { 0x22, 0x02, 0x20, 0x00, 0x22, 0x02, 0x08, 0x01 };
	CHECK(ev_task_create_decode(badio, sizeof(badio), &m) == -PB_EWIRETYPE,
	      "ev_task_create: a TaskIO path sent as varint is refused");
}

/* A Mount of a Create with unknown fields (a big one included) is queued as its known fields. */
static void test_create_unknown_mount_fields(void)
{
	static uint8_t pad[64 << 10], req_buf[(128 << 10) + 512], mnt_buf[(64 << 10) + 256];
	uint8_t want_buf[512], got_buf[512];
	struct pb_w rq = pb_w_init(req_buf, sizeof(req_buf));
	struct pb_w mw = pb_w_init(mnt_buf, sizeof(mnt_buf));
	struct pb_w want = pb_w_init(want_buf, sizeof(want_buf));
	struct pb_w got = pb_w_init(got_buf, sizeof(got_buf));
	struct tk_create_req req;
	struct ev_task_create m;
	size_t mk;

	memset(pad, 'u', sizeof(pad));
	/* Mount {type, source, 99: 64 KiB, options "rbind", 100: varint, options "", target} */
	pb_put_cstr(&mw, 1, "bind");
	pb_put_cstr(&mw, 2, "/src");
	pb_put_bytes(&mw, 99, pad, sizeof(pad));
	pb_put_cstr(&mw, 4, "rbind");
	pb_put_uint(&mw, 100, 7);
	pb_put_bytes_always(&mw, 4, "", 0);
	pb_put_cstr(&mw, 3, "/t");
	pb_put_cstr(&rq, 1, "c1");
	pb_put_bytes(&rq, 3, mnt_buf, mw.len);
	pb_put_bytes(&rq, 3, mnt_buf, mw.len);
	CHECK(!mw.err && !rq.err && tk_create_req_decode(req_buf, rq.len, &req) == 0 &&
	          req.nrootfs == 2,
	      "a Create whose two mounts carry 64 KiB of unknown fields decodes");

	memset(&m, 0, sizeof(m));
	m.container_id = req.id;
	m.rootfs_src = req.raw;
	m.rootfs_src_num = 3;
	ev_task_create_encode(&got, &m);

	pb_put_cstr(&want, 1, "c1");
	for (int i = 0; i < 2; i++) {
		mk = pb_begin(&want, 3);
		pb_put_cstr(&want, 1, "bind");
		pb_put_cstr(&want, 2, "/src");
		pb_put_cstr(&want, 3, "/t");
		pb_put_cstr(&want, 4, "rbind");
		pb_put_bytes_always(&want, 4, "", 0);
		pb_end(&want, mk);
	}
	mk = pb_begin(&want, 4);
	pb_end(&want, mk);
	CHECK(!got.err && !want.err && got.len == want.len &&
	          memcmp(got_buf, want_buf, want.len) == 0,
	      "TaskCreate re-encodes those mounts from their known fields only (%zu bytes)",
	      got.len);

	/* A mount whose options field is not length-delimited cannot be re-encoded. */
	static const uint8_t badopt[] = { 0x1a, 0x02, 0x20, 0x01 };
	memset(&m, 0, sizeof(m));
	m.rootfs_src = pb_str_of((const char *)badopt, sizeof(badopt));
	m.rootfs_src_num = 3;
	got = pb_w_init(got_buf, sizeof(got_buf));
	ev_task_create_encode(&got, &m);
	CHECK(got.err < 0, "TaskCreate over a malformed mount sets w->err (%d)", got.err);
}

static void test_others(void)
{
	struct ev_task_start st;
	struct ev_task_exit ex;
	struct ev_task_delete del;
	struct ev_task_id id;
	struct ev_task_exec exe;
	struct ev_task_checkpointed ck;

	CHECK(DECODE("ev_task_start", ev_task_start_decode, &st) == 0 &&
	          streq(st.container_id, "redis-7f3a") && st.pid == 4321,
	      "ev_task_start");
	CHECK(DECODE("ev_task_exit", ev_task_exit_decode, &ex) == 0 &&
	          streq(ex.container_id, "redis-7f3a") && streq(ex.id, "redis-7f3a") &&
	          ex.pid == 4321 && ex.exit_status == 0 && ex.exited_at.seconds == 1732550400 &&
	          ex.exited_at.nanos == 123456789,
	      "ev_task_exit: init, status 0");
	memset(&ex, 0, sizeof(ex));
	ex.container_id = S("redis-7f3a");
	ex.id = S("exec-αβγ-1");
	ex.pid = 4400;
	ex.exit_status = 137;
	ex.exited_at.seconds = 1732550461;
	ex.exited_at.nanos = 1;
	ENCODES_AS("ev_task_exit_exec", ev_task_exit_encode(w, &ex), "ev_task_exit_exec from C");
	CHECK(DECODE("ev_task_delete", ev_task_delete_decode, &del) == 0 && del.pid == 4321 &&
	          del.exit_status == 143 && del.exited_at.nanos == 999 && del.id.n == 0,
	      "ev_task_delete: init");
	CHECK(DECODE("ev_task_delete_exec", ev_task_delete_decode, &del) == 0 &&
	          del.exit_status == 255 && del.exited_at.seconds == TK_TS_UNSET_SECONDS &&
	          streq(del.id, "exec-αβγ-1"),
	      "ev_task_delete_exec: Go zero time, exec id");
	CHECK(DECODE("ev_task_oom", ev_task_id_decode, &id) == 0 &&
	          streq(id.container_id, "redis-7f3a"),
	      "ev_task_oom");
	CHECK(DECODE("ev_task_paused", ev_task_id_decode, &id) == 0 &&
	          streq(id.container_id, "redis-7f3a"),
	      "ev_task_paused");
	CHECK(DECODE("ev_task_exec_added", ev_task_exec_decode, &exe) == 0 &&
	          streq(exe.exec_id, "exec-αβγ-1") && exe.pid == 0,
	      "ev_task_exec_added: no pid");
	CHECK(DECODE("ev_task_exec_started", ev_task_exec_decode, &exe) == 0 &&
	          streq(exe.exec_id, "exec-αβγ-1") && exe.pid == 4400,
	      "ev_task_exec_started: pid");
	CHECK(DECODE("ev_task_checkpointed", ev_task_checkpointed_decode, &ck) == 0 &&
	          ck.checkpoint.n == 71 && !memcmp(ck.checkpoint.p, "sha256:", 7),
	      "ev_task_checkpointed");
}

static void test_envelope(void)
{
	struct ev_envelope env;
	struct ev_task_exit ex;
	struct ev_task_start st;

	CHECK(DECODE("ev_envelope", ev_envelope_decode, &env) == 0 &&
	          env.timestamp.seconds == 1732550400 && env.timestamp.nanos == 123999999 &&
	          streq(env.ns, "k8s.io") && streq(env.topic, "/tasks/exit") &&
	          streq(env.event.type_url, "containerd.events.TaskExit") &&
	          same(env.event.value, "ev_task_exit"),
	      "ev_envelope: all fields; event is ev_task_exit");
	CHECK(ev_task_exit_decode(env.event.value.p, env.event.value.n, &ex) == 0 && ex.pid == 4321,
	      "ev_envelope: the nested TaskExit decodes");
	CHECK(ev_identifier_valid(env.ns) && ev_topic_valid(env.topic),
	      "ev_envelope: namespace and topic pass containerd's validation");

	CHECK(DECODE("ev_forward_req", ev_forward_req_decode, &env) == 0 &&
	          env.timestamp.seconds == 1732550399 && env.timestamp.nanos == 7 &&
	          streq(env.ns, "default") && streq(env.topic, "/tasks/start") &&
	          streq(env.event.type_url, "containerd.events.TaskStart") &&
	          same(env.event.value, "ev_task_start") &&
	          ev_task_start_decode(env.event.value.p, env.event.value.n, &st) == 0 &&
	          st.pid == 4321,
	      "ev_forward_req: the envelope and its TaskStart");

	/* What the publisher builds. */
	uint8_t ev[64];
	struct pb_w ew = pb_w_init(ev, sizeof(ev));
	st.container_id = S("redis-7f3a");
	st.pid = 4321;
	ev_task_start_encode(&ew, &st);
	memset(&env, 0, sizeof(env));
	env.timestamp.seconds = 1732550399;
	env.timestamp.nanos = 7;
	env.ns = S("default");
	env.topic = S("/tasks/start");
	env.event.type_url = S("containerd.events.TaskStart");
	env.event.value.p = ev;
	env.event.value.n = ew.len;
	ENCODES_AS("ev_forward_req", ev_forward_req_encode(w, &env),
	           "ev_forward_req from C values, as core/publish builds it");

	/* The framed call equals tt_req_encode over the separately encoded ForwardRequest. */
	uint8_t fwd[256], want[512], got[512];
	struct pb_w fw = pb_w_init(fwd, sizeof(fwd));
	struct pb_w ww = pb_w_init(want, sizeof(want));
	struct tt_kv meta = { "containerd-namespace-ttrpc", "default" };
	ev_forward_req_encode(&fw, &env);
	tt_req_encode(&ww, EV_SERVICE, EV_METHOD, fwd, fw.len, 5000000000LL, &meta, 1);
	for (size_t cap = 0; cap <= ww.len; cap++) {
		struct pb_w gw = pb_w_init(got, cap);
		ev_forward_call_encode(&gw, &env, 5000000000LL, &meta, 1);
		if (cap < ww.len && !gw.err) {
			CHECK(0, "ev_forward_call_encode into %zu of %zu bytes fails", cap, ww.len);
			break;
		}
		if (cap == ww.len)
			CHECK(!fw.err && !ww.err && !gw.err && gw.len == ww.len &&
			          memcmp(got, want, ww.len) == 0,
			      "ev_forward_call_encode equals tt_req_encode of ForwardRequest (%zu)",
			      ww.len);
	}

	static const uint8_t empty_fwd[] = { 0x0a, 0x00 };
	CHECK(ev_forward_req_decode(empty_fwd, sizeof(empty_fwd), &env) == 0 && env.ns.n == 0 &&
	          env.timestamp.seconds == 0,
	      "an empty envelope decodes to zero");
	static const uint8_t varint_env[] = { 0x08, 0x01 };
	CHECK(ev_forward_req_decode(varint_env, sizeof(varint_env), &env) == -PB_EWIRETYPE,
	      "an envelope sent as varint is refused");
	static const uint8_t bad_ts[] = { 0x0a, 0x04, 0x0a, 0x02, 0x08, 0x80 };
	CHECK(ev_forward_req_decode(bad_ts, sizeof(bad_ts), &env) == -PB_ETRUNC,
	      "a truncated timestamp deep inside is refused");
	memset(&env, 0, sizeof(env));
	uint8_t buf[32];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	ev_envelope_encode(&w, &env);
	static const uint8_t zero_env[] = { 0x0a, 0x00, 0x22, 0x00 };
	CHECK_MEM(buf, w.len, zero_env, sizeof(zero_env),
	          "a zero envelope still carries timestamp and event");
}

static void ident(const char *s, int want)
{
	CHECK(ev_identifier_valid(S(s)) == want, "identifier \"%s\" is %svalid", s,
	      want ? "" : "in");
}

static void topic(const char *s, int want)
{
	CHECK(ev_topic_valid(S(s)) == want, "topic \"%s\" is %svalid", s, want ? "" : "in");
}

static void test_exec_id(void)
{
	static const struct {
		const char *golden, *topic, *exec;
	} cases[] = {
		{ "ev_task_exit_exec", "/tasks/exit", "exec-\xce\xb1\xce\xb2\xce\xb3-1" },
		{ "ev_task_exit", "/tasks/exit", "" },
		{ "ev_task_exec_added", "/tasks/exec-added", "exec-\xce\xb1\xce\xb2\xce\xb3-1" },
		{ "ev_task_exec_started", "/tasks/exec-started", "exec-\xce\xb1\xce\xb2\xce\xb3-1" },
		{ "ev_task_delete_exec", "/tasks/delete", "exec-\xce\xb1\xce\xb2\xce\xb3-1" },
		{ "ev_task_delete", "/tasks/delete", "" },
		{ "ev_task_oom", "/tasks/oom", "" },
		{ "ev_task_exit_exec", "/tasks/oom", "" },
	};
	struct pb_str id;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct golden *g = golden_get(cases[i].golden);
		CHECK(ev_exec_id(cases[i].topic, g->data, g->len, &id) == 0 &&
		          pb_str_eq(id, cases[i].exec),
		      "exec id of %s as %s: \"%s\"", cases[i].golden, cases[i].topic, cases[i].exec);
	}
	static const uint8_t cut[] = { 0x0a, 0x01, 'c', 0x12, 0x05, 'e' };
	CHECK(ev_exec_id("/tasks/exit", cut, sizeof(cut), &id) == -PB_ETRUNC,
	      "exec id: a field cut short is refused");
}

static void test_container_id(void)
{
	struct pb_str id;
	const char *names[] = { "ev_task_create", "ev_task_exit", "ev_task_delete_exec",
		                "ev_task_oom", "ev_task_exec_started", "ev_task_checkpointed" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct golden *g = golden_get(names[i]);
		CHECK(ev_container_id(g->data, g->len, &id) == 1 && pb_str_eq(id, "redis-7f3a"),
		      "%s: the container id for the log", names[i]);
	}
	static const uint8_t later[] = { 0x10, 0x07, 0x0a, 0x01, 'c', 0x0a, 0x01, 'd' };
	CHECK(ev_container_id(later, sizeof(later), &id) == 1 && pb_str_eq(id, "c"),
	      "container id: found after other fields, the first occurrence wins");
	static const uint8_t none[] = { 0x10, 0x07 };
	CHECK(ev_container_id(none, sizeof(none), &id) == 0 && ev_container_id("", 0, &id) == 0,
	      "container id: an event without one says so");
	static const uint8_t varint[] = { 0x08, 0x07 };
	CHECK(ev_container_id(varint, sizeof(varint), &id) == -PB_EWIRETYPE,
	      "container id: a varint field 1 is refused");
	static const uint8_t cut[] = { 0x10, 0x07, 0x0a, 0x05, 'c' };
	CHECK(ev_container_id(cut, sizeof(cut), &id) == -PB_ETRUNC,
	      "container id: a field 1 cut short is refused");
	static const uint8_t bad_after[] = { 0x0a, 0x01, 'c', 0x0a };
	CHECK(ev_container_id(bad_after, sizeof(bad_after), &id) == 1 && pb_str_eq(id, "c"),
	      "container id: what follows the first field 1 is not read");
}

static void test_rules(void)
{
	char long_id[80];

	ident("default", 1);
	ident("k8s.io", 1);
	ident("a", 1);
	ident("0", 1);
	ident("a.b_c-d", 1);
	ident("moby", 1);
	ident("A9.z-0_Q", 1);
	ident("", 0);
	ident(".a", 0);
	ident("a.", 0);
	ident("a..b", 0);
	ident("a._b", 0);
	ident("-a", 0);
	ident("a b", 0);
	ident("a/b", 0);
	ident("ü", 0);
	ident("a?", 0);
	memset(long_id, 'x', sizeof(long_id));
	CHECK(ev_identifier_valid(pb_str_of(long_id, 76)), "76 characters are allowed");
	CHECK(!ev_identifier_valid(pb_str_of(long_id, 77)), "77 characters are not");
	const char nul[] = { 'a', 0, 'b' };
	CHECK(!ev_identifier_valid(pb_str_of(nul, 3)), "an embedded NUL is refused");

	topic("/tasks/create", 1);
	topic("/tasks/start", 1);
	topic("/tasks/exit", 1);
	topic("/tasks/delete", 1);
	topic("/tasks/oom", 1);
	topic("/tasks/exec-added", 1);
	topic("/tasks/exec-started", 1);
	topic("/tasks/paused", 1);
	topic("/tasks/resumed", 1);
	topic("/tasks/checkpointed", 1);
	topic("/x", 1);
	topic("/a.b/c_d/e-f/g", 1);
	topic("/tasks/?", 0);
	topic("", 0);
	topic("/", 0);
	topic("tasks/exit", 0);
	topic("/tasks/", 0);
	topic("//tasks", 0);
	topic("/tasks//exit", 0);
	topic("/tasks/-exit", 0);
	topic("/tasks/exit.", 0);
	memset(long_id, 'x', sizeof(long_id));
	long_id[0] = '/';
	CHECK(ev_topic_valid(pb_str_of(long_id, 77)), "a topic component of 76 characters");
	CHECK(!ev_topic_valid(pb_str_of(long_id, 78)), "a topic component of 77 characters");
}

/* The topic table: what the shim and shim-publish write for each task event. */
static void test_topics(void)
{
	static const char *const want[EV_TASK_COUNT][2] = {
		{ "/tasks/create", "containerd.events.TaskCreate" },
		{ "/tasks/start", "containerd.events.TaskStart" },
		{ "/tasks/delete", "containerd.events.TaskDelete" },
		{ "/tasks/exit", "containerd.events.TaskExit" },
		{ "/tasks/oom", "containerd.events.TaskOOM" },
		{ "/tasks/exec-added", "containerd.events.TaskExecAdded" },
		{ "/tasks/exec-started", "containerd.events.TaskExecStarted" },
		{ "/tasks/paused", "containerd.events.TaskPaused" },
		{ "/tasks/resumed", "containerd.events.TaskResumed" },
		{ "/tasks/checkpointed", "containerd.events.TaskCheckpointed" },
	};
	int good = 0;
	for (int t = 0; t < EV_TASK_COUNT; t++) {
		const struct ev_topic *et = ev_topic((enum ev_task)t);
		char topic[64];
		snprintf(topic, sizeof(topic), "/tasks/%s", et->name);
		good += strcmp(et->topic, want[t][0]) == 0 && strcmp(et->type_url, want[t][1]) == 0 &&
		        strcmp(topic, et->topic) == 0 &&
		        ev_topic_valid(pb_str_of(et->topic, strlen(et->topic))) &&
		        ev_topic_named(et->name) == et;
	}
	CHECK(good == EV_TASK_COUNT, "every task event's topic and type, found by its name (%d)",
	      good);
	CHECK(ev_topic(EV_TASK_COUNT) == NULL && ev_topic_named("exits") == NULL &&
	          ev_topic_named("") == NULL,
	      "no row out of range or by an unknown name");
}

int main(void)
{
	test_topics();
	golden_suite("ev_", codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_create();
	test_create_unknown_mount_fields();
	test_others();
	test_envelope();
	test_container_id();
	test_exec_id();
	test_rules();
	return tap_done();
}
