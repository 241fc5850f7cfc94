/* SPDX-License-Identifier: MIT */
/*
 * Runtime option codecs: runc Options (also read from a CRI handler's TOML table),
 * CheckpointOptions, runtimeoptions, ProcessDetails and bootstrap messages.
 */
#include "options.h"

#include "pbdesc.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const struct pb_mdesc extension;
#define SUBS(X) X(tk_any_desc) X(extension) X(pb_none)
PB_SUBS(SUBS);

#define PB_T struct opt_runc
PB_DESC(runc, PB_BOOL(1, no_pivot_root), PB_BOOL(2, no_new_keyring), PB_STR(3, shim_cgroup),
        PB_U32(4, io_uid), PB_U32(5, io_gid), PB_STR(6, binary_name), PB_STR(7, root),
        PB_STR(8, criu_path), PB_BOOL(9, systemd_cgroup), PB_STR(10, criu_image_path),
        PB_STR(11, criu_work_path));
PB_CODEC(opt_runc, struct opt_runc, runc)
#undef PB_T

/* empty_namespaces (6): checked and counted; encoded verbatim from raw. */
#define PB_T struct opt_checkpoint
PB_DESC(checkpoint, PB_RAW(raw), PB_BOOL(1, exit), PB_BOOL(2, open_tcp),
        PB_BOOL(3, external_unix_sockets), PB_BOOL(4, terminal), PB_BOOL(5, file_locks),
        PB_COUNT(6, nempty_namespaces, pb_none), PB_STR(7, cgroups_mode), PB_STR(8, image_path),
        PB_STR(9, work_path));
PB_CODEC(opt_checkpoint, struct opt_checkpoint, checkpoint)
#undef PB_T

#define PB_T struct opt_runtime
PB_DESC(runtime, PB_STR(1, type_url), PB_STR(2, config_path), PB_STR(3, config_body));
PB_CODEC(opt_runtime, struct opt_runtime, runtime)
#undef PB_T

#define PB_T struct opt_process_details
PB_DESC(process_details, PB_STR(1, exec_id));
PB_CODEC(opt_process_details, struct opt_process_details, process_details)
#undef PB_T

/* Extension {value=1 Any}, decoded straight into its Any: the last one found (zero if none). */
#define PB_T struct tk_any
PB_DESC(extension, PB_FLAT(1, tk_any_desc));
#undef PB_T

/* extensions (8): every one validated and counted; encoded verbatim from raw. */
#define PB_T struct opt_bootstrap_params
PB_DESC(bootstrap_params, PB_RAW(raw), PB_STR(1, instance_id), PB_STR(2, ns), PB_I32(3, log_level),
        PB_STR(4, containerd_version), PB_STR(5, containerd_ttrpc_address),
        PB_STR(6, containerd_grpc_address), PB_STR(7, containerd_binary),
        PB_COUNT(8, nextensions, extension), PB_STR(9, socket_dir));
PB_CODEC(opt_bootstrap_params, struct opt_bootstrap_params, bootstrap_params)
#undef PB_T

int opt_bootstrap_extension_next(struct pb_r *it, struct tk_any *value)
{
	struct pb_str s;
	int e = pb_repeated_next(it, 8, &s);
	if (e <= 0)
		return e;
	e = pb_decode_msg(&extension, s.p, s.n, value);
	return e < 0 ? e : 1;
}

/* capabilities (4, repeated enum) and metadata (5, a map) are checked, not kept. */
#define PB_T struct opt_bootstrap_result
PB_DESC(bootstrap_result, PB_I32(1, version), PB_STR(2, address), PB_STR(3, protocol), PB_ENUMS(4),
        PB_CHECK(5, pb_none));
PB_CODEC(opt_bootstrap_result, struct opt_bootstrap_result, bootstrap_result)
#undef PB_T

/* --- the runc Options of a TOML options table ----------------------------------------------- */

enum { T_STR, T_BOOL, T_U32 };

static const struct {
	const char *key;
	int kind;
	size_t off;
} toml_fields[] = {
	{ "NoPivotRoot", T_BOOL, offsetof(struct opt_runc, no_pivot_root) },
	{ "NoNewKeyring", T_BOOL, offsetof(struct opt_runc, no_new_keyring) },
	{ "ShimCgroup", T_STR, offsetof(struct opt_runc, shim_cgroup) },
	{ "IoUid", T_U32, offsetof(struct opt_runc, io_uid) },
	{ "IoGid", T_U32, offsetof(struct opt_runc, io_gid) },
	{ "BinaryName", T_STR, offsetof(struct opt_runc, binary_name) },
	{ "Root", T_STR, offsetof(struct opt_runc, root) },
	{ "CriuPath", T_STR, offsetof(struct opt_runc, criu_path) },
	{ "SystemdCgroup", T_BOOL, offsetof(struct opt_runc, systemd_cgroup) },
	{ "CriuImagePath", T_STR, offsetof(struct opt_runc, criu_image_path) },
	{ "CriuWorkPath", T_STR, offsetof(struct opt_runc, criu_work_path) },
};

static struct pb_str span(const uint8_t *p, size_t n)
{
	struct pb_str v = { p, n };
	return v;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int key_is(struct pb_str k, const char *name)
{
	size_t n = strlen(name);
	if (k.n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)k.p[i]) != ascii_lower((unsigned char)name[i]))
			return 0;
	return 1;
}

static struct pb_str trim(struct pb_str s)
{
	while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
		s = span(s.p + 1, s.n - 1);
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r'))
		s.n--;
	return s;
}

/* Sets field f of o from the value text v: 0, or -PB_ERANGE. */
static int toml_set(struct opt_runc *o, int f, struct pb_str v)
{
	char *at = (char *)o + toml_fields[f].off;
	switch (toml_fields[f].kind) {
	case T_STR:
		/* 'literal' has no escapes; "basic" is read only when it has none either. */
		if (v.n < 2 || v.p[0] != v.p[v.n - 1] || (v.p[0] != '\'' && v.p[0] != '"') ||
		    memchr(v.p + 1, v.p[0], v.n - 2) || (v.p[0] == '"' && memchr(v.p, '\\', v.n)))
			return -PB_ERANGE;
		*(struct pb_str *)(void *)at = span(v.p + 1, v.n - 2);
		return 0;
	case T_BOOL:
		if (pb_str_eq(v, "true"))
			*(int *)(void *)at = 1;
		else if (pb_str_eq(v, "false"))
			*(int *)(void *)at = 0;
		else
			return -PB_ERANGE;
		return 0;
	default: {
		uint64_t n = 0;
		if (v.n == 0 || v.n > 10)
			return -PB_ERANGE;
		for (size_t i = 0; i < v.n; i++) {
			if (v.p[i] < '0' || v.p[i] > '9')
				return -PB_ERANGE;
			n = n * 10 + (uint64_t)(v.p[i] - '0');
		}
		if (n > UINT32_MAX)
			return -PB_ERANGE;
		*(uint32_t *)(void *)at = (uint32_t)n;
		return 0;
	}
	}
}

int opt_runc_from_toml(struct pb_str body, struct opt_runc *o)
{
	int set = 0;
	memset(o, 0, sizeof(*o));
	while (body.n) {
		const uint8_t *nl = memchr(body.p, '\n', body.n);
		size_t len = nl ? (size_t)(nl - body.p) : body.n;
		struct pb_str line = trim(span(body.p, len));
		body = nl ? span(nl + 1, body.n - len - 1) : span(body.p + len, 0);
		if (line.n == 0 || line.p[0] == '#')
			continue;
		if (line.p[0] == '[')
			break; /* a sub-table: the table's own keys came first */
		const uint8_t *eq = memchr(line.p, '=', line.n);
		if (!eq)
			return -PB_ERANGE;
		struct pb_str key = trim(span(line.p, (size_t)(eq - line.p)));
		struct pb_str val = trim(span(eq + 1, (size_t)(line.p + line.n - eq - 1)));
		if (key.n == 0)
			return -PB_ERANGE;
		for (size_t f = 0; f < sizeof(toml_fields) / sizeof(toml_fields[0]); f++) {
			if (!key_is(key, toml_fields[f].key))
				continue;
			if (toml_set(o, (int)f, val) < 0)
				return -PB_ERANGE;
			set++;
			break;
		}
	}
	return set;
}

static int url_ends_with(struct pb_str url, const char *want)
{
	size_t k = strlen(want);
	return url.n >= k && memcmp(url.p + url.n - k, want, k) == 0;
}

int opt_runc_of_any(const struct tk_any *a, struct opt_runc *o)
{
	struct opt_runtime rt;
	int e;
	if (url_ends_with(a->type_url, OPT_RUNC_OPTIONS_URL))
		return (e = opt_runc_decode(a->value.p, a->value.n, o)) < 0 ? e : 1;
	if (!url_ends_with(a->type_url, OPT_RUNTIME_OPTIONS_URL))
		return 0;
	if ((e = opt_runtime_decode(a->value.p, a->value.n, &rt)) < 0)
		return e;
	if (rt.config_body.n == 0)
		return 0; /* a config_path: a file of the runtime's, not read */
	return (e = opt_runc_from_toml(rt.config_body, o)) < 0 ? e : 1;
}
