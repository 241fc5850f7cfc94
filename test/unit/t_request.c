/* SPDX-License-Identifier: MIT */
/*
 * wire/request: every Task API request vector read as the service reads it and written back to
 * protoc's bytes; what the options of Create and Checkpoint are taken for; the method table.
 * Also the TaskCreate event completed by its pid, as Create builds it.
 */
#include "wire/events.h"
#include "wire/request.h"
#include "golden.h"

static const struct {
	const char *method, *golden;
} vectors[] = {
	{ "Create", "create_req" },      { "Create", "create_req_min" },
	{ "Start", "start_req" },        { "State", "state_req" },
	{ "Wait", "wait_req" },          { "Delete", "delete_req" },
	{ "Kill", "kill_req" },          { "Kill", "kill_req_exec" },
	{ "Exec", "exec_req" },          { "Exec", "exec_req_tty" },
	{ "Pause", "pause_req" },        { "Resume", "pause_req" },
	{ "Pids", "pids_req" },          { "Stats", "stats_req" },
	{ "Connect", "connect_req" },    { "Update", "update_req" },
	{ "Checkpoint", "checkpoint_req" }, { "ResizePty", "resize_req" },
	{ "CloseIO", "closeio_req" },    { "Shutdown", "shutdown_req" },
};

static int decode(const char *method, const void *p, size_t n, struct tk_request *r)
{
	int m = tk_method_of(pb_str_of(method, strlen(method)));
	return m < 0 ? m : tk_request_decode((enum tk_method)m, p, n, r);
}

static void test_round_trips(void)
{
	uint8_t out[4096];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct golden *g = golden_get(vectors[i].golden);
		struct tk_request r;
		struct pb_w w = pb_w_init(out, sizeof(out));
		int e = decode(vectors[i].method, g->data, g->len, &r);
		if (e == 0)
			tk_request_encode(&w, &r);
		CHECK(e == 0 && !w.err && strcmp(tk_method_name(r.method), vectors[i].method) == 0 &&
		          w.len == g->len && memcmp(out, g->data, g->len) == 0,
		      "%s %s: read and written back byte for byte", vectors[i].method,
		      vectors[i].golden);
	}
}

static void test_options(void)
{
	struct tk_request r;
	const struct golden *g = golden_get("create_req");

	CHECK(decode("Create", g->data, g->len, &r) == 0 && r.opts == TK_OPTS_OK &&
	          r.rootfs_field == 3 && r.u.create.nrootfs == 2 &&
	          pb_str_eq(r.o.runc.binary_name, "/usr/local/bin/crun") && r.o.runc.io_gid == 100000,
	      "Create: its runc Options decoded, its mounts in field 3");
	g = golden_get("create_req_min");
	CHECK(decode("Create", g->data, g->len, &r) == 0 && r.opts == TK_OPTS_NONE,
	      "Create without options: TK_OPTS_NONE");

	/* Options as an Any of another type, of a prefixed URL, and undecodable. */
	uint8_t in[1024];
	static const struct {
		const char *url, *value;
		size_t n;
		int opts;
		const char *what;
	} any[] = {
		{ "containerd.runhcs.v1.Options", "\x08\x01", 2, TK_OPTS_FOREIGN, "another type" },
		{ "types.containerd.io/containerd.runc.v1.Options", "\x08\x01", 2, TK_OPTS_OK,
		  "a prefixed URL" },
		{ "containerd.runc.v1.Options", "\x0a\x05\x08", 3, TK_OPTS_BAD, "undecodable bytes" },
		{ "containerd.runc.v1.Options", "", 0, TK_OPTS_NONE, "an empty value" },
	};
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		struct pb_w w = pb_w_init(in, sizeof(in));
		struct tk_any a = { pb_str_of(any[i].url, strlen(any[i].url)),
			            pb_str_of(any[i].value, any[i].n) };
		pb_put_cstr(&w, 1, "c1");
		pb_put_cstr(&w, 2, "/b");
		tk_any_put(&w, 10, &a);
		CHECK(decode("Create", in, w.len, &r) == 0 && r.opts == any[i].opts,
		      "Create with runc options of %s: %d", any[i].what, r.opts);
	}
	/* What CRI sends a runtime type of its own: the handler's table as TOML. */
	static const struct {
		const char *golden;
		int opts;
		const char *what;
	} table[] = {
		{ "opt_runtime_toml", TK_OPTS_OK, "its runc Options read from the TOML" },
		{ "opt_runtime_path", TK_OPTS_FOREIGN, "a config_path, not read" },
		{ "opt_runc", TK_OPTS_BAD, "not a runtimeoptions message" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct golden *v = golden_get(table[i].golden);
		struct pb_w w = pb_w_init(in, sizeof(in));
		struct tk_any a = { pb_str_of("runtimeoptions.v1.Options", 25),
			            pb_str_of((const char *)v->data, v->len) };
		pb_put_cstr(&w, 1, "c1");
		pb_put_cstr(&w, 2, "/b");
		tk_any_put(&w, 10, &a);
		CHECK(!w.err && decode("Create", in, w.len, &r) == 0 && r.opts == table[i].opts &&
		          (r.opts != TK_OPTS_OK ||
		           (r.o.runc.systemd_cgroup && pb_str_eq(r.o.runc.binary_name, "/usr/bin/crun"))),
		      "Create with a CRI handler's runtimeoptions: %s", table[i].what);
	}
	CHECK(decode("Create", in, 0, &r) == 0 && r.u.create.id.n == 0,
	      "Create: an empty payload is an empty request (the handler refuses it)");

	g = golden_get("checkpoint_req");
	CHECK(decode("Checkpoint", g->data, g->len, &r) == 0 && r.opts == TK_OPTS_OK &&
	          r.o.checkpoint.exit && pb_str_eq(r.o.checkpoint.work_path,
	                                           "/var/lib/containerd/checkpoints/redis/work"),
	      "Checkpoint: its CheckpointOptions decoded");
	struct pb_w w = pb_w_init(in, sizeof(in));
	struct tk_any bad = { pb_str_of("x.Other", 7), pb_str_of("\x0a\x05\x08", 3) };
	pb_put_cstr(&w, 1, "c1");
	tk_any_put(&w, 3, &bad);
	CHECK(decode("Checkpoint", in, w.len, &r) == 0 && r.opts == TK_OPTS_BAD,
	      "Checkpoint: options of any type are read as CheckpointOptions (undecodable: BAD)");
}

static void test_methods(void)
{
	size_t named = 0;
	for (int m = 0; m < TK_NMETHODS; m++) {
		const char *name = tk_method_name((enum tk_method)m);
		named += tk_method_of(pb_str_of(name, strlen(name))) == m &&
		         strstr(tk_method_request((enum tk_method)m), "Request") != NULL;
	}
	CHECK(named == TK_NMETHODS, "every method is found by its name (%zu of %d)", named,
	      TK_NMETHODS);
	static const char *const none[] = { "", "create", "ShimInfo", "ListPids", "Dump",
		                            "CreateX" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK(tk_method_of(pb_str_of(none[i], strlen(none[i]))) == -1,
		      "'%s' is no Task API method", none[i]);
	const struct golden *g = golden_get("kill_req");
	struct tk_request r;
	CHECK(decode("Exec", g->data, g->len, &r) == -PB_EWIRETYPE,
	      "a KillRequest read as Exec's: field 2 has the wrong wire type");
}

/* Create encodes its event before the pid is known, then appends it (svc_create.c). */
static void test_create_event_pid(void)
{
	const struct golden *g = golden_get("ev_task_create");
	struct ev_task_create ev;
	uint8_t whole[2048], later[2048];

	int e = ev_task_create_decode(g->data, g->len, &ev);
	uint32_t pid = ev.pid;
	struct pb_w a = pb_w_init(whole, sizeof(whole)), b = pb_w_init(later, sizeof(later));
	ev_task_create_encode(&a, &ev);
	ev.pid = 0;
	ev_task_create_encode(&b, &ev);
	ev_task_create_put_pid(&b, pid);
	CHECK(e == 0 && pid != 0 && !a.err && !b.err && a.len == b.len &&
	          memcmp(whole, later, a.len) == 0 && a.len == g->len &&
	          memcmp(whole, g->data, g->len) == 0,
	      "TaskCreate encoded without its pid, then the pid appended: protoc's bytes");
}

int main(void)
{
	test_round_trips();
	test_options();
	test_methods();
	test_create_event_pid();
	return tap_done();
}
