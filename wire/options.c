/* SPDX-License-Identifier: MIT */
/* Runtime option codecs: runc Options, CheckpointOptions, ProcessDetails and bootstrap messages. */
#include "options.h"

#include <string.h>

int opt_runc_decode(const void *p, size_t n, struct opt_runc *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_bool(&f, &m->no_pivot_root);
			break;
		case 2:
			e = pb_as_bool(&f, &m->no_new_keyring);
			break;
		case 3:
			e = pb_as_str(&f, &m->shim_cgroup);
			break;
		case 4:
			e = pb_as_u32(&f, &m->io_uid);
			break;
		case 5:
			e = pb_as_u32(&f, &m->io_gid);
			break;
		case 6:
			e = pb_as_str(&f, &m->binary_name);
			break;
		case 7:
			e = pb_as_str(&f, &m->root);
			break;
		case 8:
			e = pb_as_str(&f, &m->criu_path);
			break;
		case 9:
			e = pb_as_bool(&f, &m->systemd_cgroup);
			break;
		case 10:
			e = pb_as_str(&f, &m->criu_image_path);
			break;
		case 11:
			e = pb_as_str(&f, &m->criu_work_path);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void opt_runc_encode(struct pb_w *w, const struct opt_runc *m)
{
	pb_put_bool(w, 1, m->no_pivot_root);
	pb_put_bool(w, 2, m->no_new_keyring);
	pb_put_str(w, 3, m->shim_cgroup);
	pb_put_uint(w, 4, m->io_uid);
	pb_put_uint(w, 5, m->io_gid);
	pb_put_str(w, 6, m->binary_name);
	pb_put_str(w, 7, m->root);
	pb_put_str(w, 8, m->criu_path);
	pb_put_bool(w, 9, m->systemd_cgroup);
	pb_put_str(w, 10, m->criu_image_path);
	pb_put_str(w, 11, m->criu_work_path);
}

int opt_checkpoint_decode(const void *p, size_t n, struct opt_checkpoint *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	m->raw.p = p;
	m->raw.n = n;
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_bool(&f, &m->exit);
			break;
		case 2:
			e = pb_as_bool(&f, &m->open_tcp);
			break;
		case 3:
			e = pb_as_bool(&f, &m->external_unix_sockets);
			break;
		case 4:
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 5:
			e = pb_as_bool(&f, &m->file_locks);
			break;
		case 6: /* checked here so pb_repeated_next over raw cannot fail later */
			e = pb_want(&f, PB_LEN);
			m->nempty_namespaces++;
			break;
		case 7:
			e = pb_as_str(&f, &m->cgroups_mode);
			break;
		case 8:
			e = pb_as_str(&f, &m->image_path);
			break;
		case 9:
			e = pb_as_str(&f, &m->work_path);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void opt_checkpoint_encode(struct pb_w *w, const struct opt_checkpoint *m)
{
	pb_put_bool(w, 1, m->exit);
	pb_put_bool(w, 2, m->open_tcp);
	pb_put_bool(w, 3, m->external_unix_sockets);
	pb_put_bool(w, 4, m->terminal);
	pb_put_bool(w, 5, m->file_locks);
	pb_copy_repeated(w, 6, m->raw, 6);
	pb_put_str(w, 7, m->cgroups_mode);
	pb_put_str(w, 8, m->image_path);
	pb_put_str(w, 9, m->work_path);
}

int opt_process_details_decode(const void *p, size_t n, struct opt_process_details *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? pb_as_str(&f, &m->exec_id) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void opt_process_details_encode(struct pb_w *w, const struct opt_process_details *m)
{
	pb_put_str(w, 1, m->exec_id);
}

/* Extension {value=1 Any}: sets *value to the last Any found (zero if none). */
static int extension_decode(struct pb_str s, struct tk_any *value)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	memset(value, 0, sizeof(*value));
	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num != 1)
			continue;
		if ((e = pb_want(&f, PB_LEN)) < 0 || (e = tk_any_decode(f.s.p, f.s.n, value)) < 0)
			return e;
	}
	return e;
}

int opt_bootstrap_params_decode(const void *p, size_t n, struct opt_bootstrap_params *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	struct tk_any any;
	int e;

	memset(m, 0, sizeof(*m));
	m->raw.p = p;
	m->raw.n = n;
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->instance_id);
			break;
		case 2:
			e = pb_as_str(&f, &m->ns);
			break;
		case 3:
			e = pb_as_i32(&f, &m->log_level);
			break;
		case 4:
			e = pb_as_str(&f, &m->containerd_version);
			break;
		case 5:
			e = pb_as_str(&f, &m->containerd_ttrpc_address);
			break;
		case 6:
			e = pb_as_str(&f, &m->containerd_grpc_address);
			break;
		case 7:
			e = pb_as_str(&f, &m->containerd_binary);
			break;
		case 8: /* validated now so opt_bootstrap_extension_next only fails on bad input */
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = extension_decode(f.s, &any);
			m->nextensions++;
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void opt_bootstrap_params_encode(struct pb_w *w, const struct opt_bootstrap_params *m)
{
	pb_put_str(w, 1, m->instance_id);
	pb_put_str(w, 2, m->ns);
	pb_put_int(w, 3, m->log_level);
	pb_put_str(w, 4, m->containerd_version);
	pb_put_str(w, 5, m->containerd_ttrpc_address);
	pb_put_str(w, 6, m->containerd_grpc_address);
	pb_put_str(w, 7, m->containerd_binary);
	pb_copy_repeated(w, 8, m->raw, 8);
}

int opt_bootstrap_extension_next(struct pb_r *it, struct tk_any *value)
{
	struct pb_str s;
	int e = pb_repeated_next(it, 8, &s);
	if (e <= 0)
		return e;
	e = extension_decode(s, value);
	return e < 0 ? e : 1;
}

int opt_bootstrap_result_decode(const void *p, size_t n, struct opt_bootstrap_result *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_i32(&f, &m->version);
			break;
		case 2:
			e = pb_as_str(&f, &m->address);
			break;
		case 3:
			e = pb_as_str(&f, &m->protocol);
			break;
		case 4: /* repeated enum capabilities: packed or not */
			e = f.type == PB_VARINT || f.type == PB_LEN ? 0 : -PB_EWIRETYPE;
			break;
		case 5: /* map<string,string> metadata */
			e = pb_want(&f, PB_LEN);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void opt_bootstrap_result_encode(struct pb_w *w, const struct opt_bootstrap_result *m)
{
	pb_put_int(w, 1, m->version);
	pb_put_str(w, 2, m->address);
	pb_put_str(w, 3, m->protocol);
}
