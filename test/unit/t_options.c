/* SPDX-License-Identifier: MIT */
/* wire/options: runc options, checkpoint options and 2.3 bootstrap messages against protoc. */
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

static struct pb_str S(const char *c) {
	return pb_str_of(c, strlen(c));
}

static int
ckpt_all_dec(const uint8_t *p, size_t n)
{
	struct opt_checkpoint m;
	struct pb_str s;
	int e = opt_checkpoint_decode(p, n, &m);
	size_t count = 0;
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.raw);
	while ((e = pb_repeated_next(&it, 6, &s)) > 0)
		count++;
	return e == 0 && count != m.nempty_namespaces ? -PB_ERANGE : e;
}

static int params_all_dec(const uint8_t *p, size_t n)
{
	struct opt_bootstrap_params m;
	struct tk_any any;
	int e = opt_bootstrap_params_decode(p, n, &m);
	size_t count = 0;
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m.raw);
	while ((e = opt_bootstrap_extension_next(&it, &any)) > 0)
		count++;
	return e == 0 && count != m.nextensions ? -PB_ERANGE : e;
}

CODEC_FNS(runc, struct opt_runc, opt_runc_decode, opt_runc_encode)
CODEC_FNS(ckpt, struct opt_checkpoint, opt_checkpoint_decode, opt_checkpoint_encode)
CODEC_FNS(pd, struct opt_process_details, opt_process_details_decode, opt_process_details_encode)
CODEC_FNS(params, struct opt_bootstrap_params, opt_bootstrap_params_decode,
          opt_bootstrap_params_encode)
CODEC_FNS(result, struct opt_bootstrap_result, opt_bootstrap_result_decode,
          opt_bootstrap_result_encode)
CODEC_FNS(any, struct tk_any, tk_any_decode, tk_any_encode)
CODEC_FNS(rt, struct opt_runtime, opt_runtime_decode, opt_runtime_encode)

static const struct codec codecs[] = {
	{ "Options", runc_dec, runc_enc },
	{ "CheckpointOptions", ckpt_all_dec, ckpt_enc },
	{ "ProcessDetails", pd_dec, pd_enc },
	{ "BootstrapParams", params_all_dec, params_enc },
	{ "BootstrapResult", result_dec, result_enc },
	{ "Any", any_dec, any_enc },
	{ "RuntimeOptions", rt_dec, rt_enc },
};



static void test_runc(void)
{
	struct opt_runc m;

	CHECK(DECODE("opt_runc", opt_runc_decode, &m) == 0 && m.no_pivot_root == 1 &&
	          m.no_new_keyring == 1 && streq(m.shim_cgroup, "/podruntime/shim/redis-7f3a") &&
	          m.io_uid == 4294967294u && m.io_gid == 100000 &&
	          streq(m.binary_name, "/usr/local/bin/crun") &&
	          streq(m.root, "/run/containerd/runc-ünïcode") &&
	          streq(m.criu_path, "/usr/sbin/criu") && m.systemd_cgroup == 1 &&
	          streq(m.criu_image_path, "/var/lib/criu/images") &&
	          streq(m.criu_work_path, "/var/lib/criu/work"),
	      "opt_runc: every field");
	CHECK(DECODE("opt_runc_min", opt_runc_decode, &m) == 0 && streq(m.binary_name, "crun") &&
	          m.systemd_cgroup == 1 && !m.no_pivot_root && m.root.n == 0 && m.io_uid == 0,
	      "opt_runc_min: binary_name and systemd_cgroup only");
	memset(&m, 0, sizeof(m));
	m.binary_name = S("crun");
	m.systemd_cgroup = 1;
	ENCODES_AS("opt_runc_min", opt_runc_encode(w, &m), "opt_runc_min from C values");
	memset(&m, 0, sizeof(m));
	uint8_t buf[8];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	opt_runc_encode(&w, &m);
	CHECK(w.err == 0 && w.len == 0, "default Options encode to nothing");
}

static void test_checkpoint(void)
{
	struct opt_checkpoint m;
	struct opt_process_details pd;
	struct pb_str ns;

	CHECK(DECODE("opt_checkpoint", opt_checkpoint_decode, &m) == 0 && m.exit && m.open_tcp &&
	          m.external_unix_sockets && m.terminal && m.file_locks &&
	          m.nempty_namespaces == 2 && streq(m.cgroups_mode, "soft") &&
	          streq(m.image_path, "/var/lib/containerd/checkpoints/redis/image") &&
	          streq(m.work_path, "/var/lib/containerd/checkpoints/redis/work"),
	      "opt_checkpoint: every field");
	struct pb_r it = pb_r_of(m.raw);
	CHECK(pb_repeated_next(&it, 6, &ns) == 1 && streq(ns, "network") &&
	          pb_repeated_next(&it, 6, &ns) == 1 && streq(ns, "ipc") &&
	          pb_repeated_next(&it, 6, &ns) == 0,
	      "opt_checkpoint: empty namespaces network, ipc");
	static const uint8_t bad[] = { 0x30, 0x01 };
	CHECK(opt_checkpoint_decode(bad, sizeof(bad), &m) == -PB_EWIRETYPE,
	      "opt_checkpoint: a varint empty namespace is refused");

	CHECK(DECODE("opt_process_details", opt_process_details_decode, &pd) == 0 &&
	          streq(pd.exec_id, "exec-αβγ-1"),
	      "opt_process_details: exec_id");
}

static void test_bootstrap(void)
{
	struct opt_bootstrap_params m;
	struct opt_bootstrap_result r;
	struct opt_runc runc;
	struct tk_any any;
	struct pb_r it;

	CHECK(DECODE("opt_bootstrap_params", opt_bootstrap_params_decode, &m) == 0 &&
	          streq(m.instance_id, "redis-7f3a") && streq(m.ns, "k8s.io") &&
	          m.log_level == -4 && streq(m.containerd_version, "v2.3.0") &&
	          streq(m.containerd_ttrpc_address, "/run/containerd/containerd.sock.ttrpc") &&
	          streq(m.containerd_grpc_address, "/run/containerd/containerd.sock") &&
	          streq(m.containerd_binary, "/usr/bin/containerd") && m.nextensions == 2,
	      "opt_bootstrap_params: every field, DEBUG = -4");
	it = pb_r_of(m.raw);
	CHECK(opt_bootstrap_extension_next(&it, &any) == 1 &&
	          streq(any.type_url, OPT_RUNC_OPTIONS_URL) && same(any.value, "opt_runc_min") &&
	          opt_runc_decode(any.value.p, any.value.n, &runc) == 0 &&
	          streq(runc.binary_name, "crun"),
	      "opt_bootstrap_params: extension 1 is the runtime options");
	CHECK(opt_bootstrap_extension_next(&it, &any) == 1 &&
	          streq(any.type_url, "io.containerd.runc.v2.annotations") &&
	          streq(any.value, "{\"io.kubernetes.cri.container-type\":\"container\"}") &&
	          opt_bootstrap_extension_next(&it, &any) == 0,
	      "opt_bootstrap_params: extension 2, then the end");

	CHECK(DECODE("opt_bootstrap_params_socket_dir", opt_bootstrap_params_decode, &m) == 0 &&
	          streq(m.instance_id, "web-1") && streq(m.socket_dir, "/run/shimbox/s") &&
	          m.nextensions == 0,
	      "opt_bootstrap_params: 2.3's optional socket_dir (field 9)");
	CHECK(DECODE("opt_bootstrap_params", opt_bootstrap_params_decode, &m) == 0 &&
	          m.socket_dir.n == 0,
	      "opt_bootstrap_params: socket_dir absent is empty");

	/* PROTOCOL.md 2.7's hazard, both ways: neither decode fails, so core must check the ids. */
	CHECK(DECODE("opt_bootstrap_params_legacy", opt_bootstrap_params_decode, &m) == 0 &&
	          streq(m.instance_id, OPT_RUNC_OPTIONS_URL) && m.ns.n == 8 && m.nextensions == 0,
	      "a legacy options Any read as BootstrapParams: type_url becomes instance_id");
	CHECK(DECODE("opt_bootstrap_params", tk_any_decode, &any) == 0 &&
	          streq(any.type_url, "redis-7f3a") && streq(any.value, "k8s.io"),
	      "BootstrapParams read as an Any: id becomes type_url, namespace value");
	CHECK(DECODE("opt_bootstrap_params_legacy", tk_any_decode, &any) == 0 &&
	          streq(any.type_url, OPT_RUNC_OPTIONS_URL) &&
	          opt_runc_decode(any.value.p, any.value.n, &runc) == 0 &&
	          streq(runc.binary_name, "crun") && runc.systemd_cgroup,
	      "opt_bootstrap_params_legacy: the Any holds crun options");

	static const uint8_t ext_bad[] = { 0x42, 0x02, 0x0a, 0x05 };
	CHECK(opt_bootstrap_params_decode(ext_bad, sizeof(ext_bad), &m) == -PB_ETRUNC,
	      "opt_bootstrap_params: a truncated extension is refused");
	static const uint8_t ext_varint[] = { 0x42, 0x02, 0x08, 0x01 };
	CHECK(opt_bootstrap_params_decode(ext_varint, sizeof(ext_varint), &m) == -PB_EWIRETYPE,
	      "opt_bootstrap_params: an extension value sent as varint is refused");
	static const uint8_t ext_empty[] = { 0x42, 0x00 };
	CHECK(opt_bootstrap_params_decode(ext_empty, sizeof(ext_empty), &m) == 0 &&
	          m.nextensions == 1,
	      "opt_bootstrap_params: an empty extension counts");
	it = pb_r_of(m.raw);
	CHECK(opt_bootstrap_extension_next(&it, &any) == 1 && any.type_url.n == 0 &&
	          any.value.n == 0,
	      "opt_bootstrap_params: an empty extension gives an empty Any");

	CHECK(DECODE("opt_bootstrap_result", opt_bootstrap_result_decode, &r) == 0 &&
	          r.version == 3 && streq(r.protocol, "ttrpc") && r.address.n == 89 &&
	          !memcmp(r.address.p, "unix:///run/containerd/s/", 25),
	      "opt_bootstrap_result");
	CHECK(DECODE("opt_bootstrap_result_full", opt_bootstrap_result_decode, &r) == 0 &&
	          r.version == 3 && streq(r.address, "unix:///run/containerd/s/abc") &&
	          streq(r.protocol, "ttrpc"),
	      "opt_bootstrap_result_full: capabilities and metadata skipped");
	memset(&r, 0, sizeof(r));
	r.version = 3;
	r.address = S("unix:///run/containerd/s/abc");
	r.protocol = S("ttrpc");
	uint8_t buf[128];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	opt_bootstrap_result_encode(&w, &r);
	const struct golden *g = golden_get("opt_bootstrap_result_full");
	CHECK(w.err == 0 && w.len < g->len && !memcmp(buf, g->data, w.len),
	      "opt_bootstrap_result: our encoding is the protoc prefix without the extras");
	static const uint8_t caps_fixed[] = { 0x25, 1, 2, 3, 4 };
	CHECK(opt_bootstrap_result_decode(caps_fixed, sizeof(caps_fixed), &r) == -PB_EWIRETYPE,
	      "opt_bootstrap_result: fixed32 capabilities refused");
}

/* The runc Options of a CRI handler's TOML table, on go-toml v2's own output (the vectors). */
static void test_toml(void)
{
	struct opt_runtime rt;
	struct opt_runc o;
	int n;

	CHECK(DECODE("opt_runtime_toml", opt_runtime_decode, &rt) == 0 &&
	          (n = opt_runc_from_toml(rt.config_body, &o)) == 11 &&
	          pb_str_eq(o.binary_name, "/usr/bin/crun") && pb_str_eq(o.criu_image_path, "/img") &&
	          pb_str_eq(o.criu_path, "/usr/sbin/criu") && pb_str_eq(o.criu_work_path, "/work") &&
	          o.io_gid == 1000 && o.io_uid == 1000 && o.no_new_keyring && !o.no_pivot_root &&
	          pb_str_eq(o.root, "/run/containerd/runc") && pb_str_eq(o.shim_cgroup, "/pods/shim") &&
	          o.systemd_cgroup,
	      "every runc Options field read from the table containerd sends");
	CHECK(DECODE("opt_runtime_toml_mixed", opt_runtime_decode, &rt) == 0 &&
	          opt_runc_from_toml(rt.config_body, &o) == 2 &&
	          pb_str_eq(o.binary_name, "with 'quote'") && o.systemd_cgroup,
	      "keys in any case and a basic string read; an array and a sub-table's keys not");
	CHECK(DECODE("opt_runtime_path", opt_runtime_decode, &rt) == 0 && rt.config_body.n == 0 &&
	          pb_str_eq(rt.config_path, "/etc/kata/configuration.toml"),
	      "a table naming a config_path sends no body");
	CHECK(opt_runc_from_toml(pb_str_of("", 0), &o) == 0 &&
	          opt_runc_from_toml(pb_str_of("# only\n\nOther = 1\n", 18), &o) == 0,
	      "an empty table, comments and unknown keys set nothing");
	static const char *const bad[] = {
		"BinaryName = \"a\\\"b\"\n", /* an escape */
		"BinaryName = 'a\n",           /* unterminated */
		"SystemdCgroup = 1\n",         /* the wrong kind */
		"IoUid = -1\n",
		"IoUid = 4294967296\n",
		"IoUid = true\n",
		"BinaryName = crun\n",
		"just words\n",
		" = 'x'\n",
		"BinaryName = 'a'b'\n",
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += opt_runc_from_toml(pb_str_of(bad[i], strlen(bad[i])), &o) == -PB_ERANGE;
	CHECK(refused == (int)(sizeof(bad) / sizeof(bad[0])),
	      "lines it does not read are refused, the table not used (%d of %zu)", refused,
	      sizeof(bad) / sizeof(bad[0]));
	/* Either form through one door, as the start action and Create read them. */
	const struct golden *gr = golden_get("opt_runc"), *gt = golden_get("opt_runtime_toml"),
	                    *gp = golden_get("opt_runtime_path");
	struct tk_any a1 = { pb_str_of("types.containerd.io/containerd.runc.v1.Options", 46),
		             pb_str_of((const char *)gr->data, gr->len) };
	struct tk_any a2 = { pb_str_of("runtimeoptions.v1.Options", 25),
		             pb_str_of((const char *)gt->data, gt->len) };
	struct tk_any a3 = { a2.type_url, pb_str_of((const char *)gp->data, gp->len) };
	struct tk_any a4 = { pb_str_of("containerd.runhcs.v1.Options", 28), a1.value };
	struct tk_any a5 = { a2.type_url, a1.value };
	CHECK(opt_runc_of_any(&a1, &o) == 1 && pb_str_eq(o.binary_name, "/usr/local/bin/crun") &&
	          opt_runc_of_any(&a2, &o) == 1 && pb_str_eq(o.binary_name, "/usr/bin/crun") &&
	          o.systemd_cgroup && opt_runc_of_any(&a3, &o) == 0 &&
	          opt_runc_of_any(&a4, &o) == 0 && opt_runc_of_any(&a5, &o) < 0,
	      "runc Options of either form: a prefixed URL, a TOML table; a config_path and another "
	      "type are neither; bytes of the wrong message are an error");
	CHECK(opt_runc_from_toml(pb_str_of("IoUid = 4294967295\r\nRoot='/r'", 29), &o) == 2 &&
	          o.io_uid == 4294967295u && pb_str_eq(o.root, "/r"),
	      "the largest uid, CRLF, no spaces, no final newline");
}

int main(void)
{
	golden_suite("opt_", codecs, sizeof(codecs) / sizeof(codecs[0]));
	test_toml();
	test_runc();
	test_checkpoint();
	test_bootstrap();
	return tap_done();
}
