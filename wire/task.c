/* SPDX-License-Identifier: MIT */
/* Task API codecs: every message of containerd.task.v2/v3 the shim reads or writes. */
#include "task.h"

#include <string.h>

/*
 * A nested message that occurs twice replaces the first occurrence instead of merging with it
 * as protobuf specifies; no encoder sends a singular message twice, and replacing keeps every
 * decoder a flat loop.
 */
static int get_ts(const struct pb_field *f, struct tk_timestamp *t)
{
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	return tk_timestamp_decode(f->s.p, f->s.n, t);
}

static int get_any(const struct pb_field *f, struct tk_any *a, int *has)
{
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	*has = 1;
	return tk_any_decode(f->s.p, f->s.n, a);
}

int tk_timestamp_decode(const void *p, size_t n, struct tk_timestamp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_i64(&f, &m->seconds);
			break;
		case 2:
			e = pb_as_i32(&f, &m->nanos);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_timestamp_put(struct pb_w *w, uint32_t num, const struct tk_timestamp *m)
{
	size_t mark = pb_begin(w, num);
	pb_put_int(w, 1, m->seconds);
	pb_put_int(w, 2, m->nanos);
	pb_end(w, mark);
}

int tk_any_decode(const void *p, size_t n, struct tk_any *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->type_url);
			break;
		case 2:
			e = pb_as_str(&f, &m->value);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_any_put(struct pb_w *w, uint32_t num, const struct tk_any *m)
{
	size_t mark = pb_begin(w, num);
	pb_put_str(w, 1, m->type_url);
	pb_put_str(w, 2, m->value);
	pb_end(w, mark);
}

int tk_mount_decode(const void *p, size_t n, struct tk_mount *m)
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
			e = pb_as_str(&f, &m->type);
			break;
		case 2:
			e = pb_as_str(&f, &m->source);
			break;
		case 3:
			e = pb_as_str(&f, &m->target);
			break;
		case 4: /* options: checked here so pb_repeated_next over raw cannot fail later */
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

int tk_mount_next(struct pb_r *it, uint32_t num, struct tk_mount *m)
{
	struct pb_str s;
	int e = pb_repeated_next(it, num, &s);
	if (e <= 0)
		return e;
	e = tk_mount_decode(s.p, s.n, m);
	return e < 0 ? e : 1;
}

void pb_copy_repeated(struct pb_w *w, uint32_t dst_num, struct pb_str src, uint32_t src_num)
{
	struct pb_r it = pb_r_of(src);
	struct pb_str v;
	int e;

	while ((e = pb_repeated_next(&it, src_num, &v)) > 0)
		pb_put_bytes_always(w, dst_num, v.p, v.n);
	/* A malformed source is the encoder's failure too: the output would silently lack items. */
	if (e < 0 && !w->err)
		w->err = e;
}

int tk_create_req_decode(const void *p, size_t n, struct tk_create_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	struct tk_mount mnt;
	int e;

	memset(m, 0, sizeof(*m));
	m->raw.p = p;
	m->raw.n = n;
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->bundle);
			break;
		case 3: /* validated now so that tk_mount_next over raw only fails on bad input */
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = tk_mount_decode(f.s.p, f.s.n, &mnt);
			m->nrootfs++;
			break;
		case 4:
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 5:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 6:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 7:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 8:
			e = pb_as_str(&f, &m->checkpoint);
			break;
		case 9:
			e = pb_as_str(&f, &m->parent_checkpoint);
			break;
		case 10:
			e = get_any(&f, &m->options, &m->has_options);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_create_req_encode(struct pb_w *w, const struct tk_create_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->bundle);
	pb_copy_repeated(w, 3, m->raw, 3);
	pb_put_bool(w, 4, m->terminal);
	pb_put_str(w, 5, m->stdin_path);
	pb_put_str(w, 6, m->stdout_path);
	pb_put_str(w, 7, m->stderr_path);
	pb_put_str(w, 8, m->checkpoint);
	pb_put_str(w, 9, m->parent_checkpoint);
	if (m->has_options)
		tk_any_put(w, 10, &m->options);
}

int tk_proc_req_decode(const void *p, size_t n, struct tk_proc_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_proc_req_encode(struct pb_w *w, const struct tk_proc_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->exec_id);
}

int tk_id_req_decode(const void *p, size_t n, struct tk_id_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? pb_as_str(&f, &m->id) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void tk_id_req_encode(struct pb_w *w, const struct tk_id_req *m)
{
	pb_put_str(w, 1, m->id);
}

int tk_pid_resp_decode(const void *p, size_t n, struct tk_pid_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? pb_as_u32(&f, &m->pid) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void tk_pid_resp_encode(struct pb_w *w, const struct tk_pid_resp *m)
{
	pb_put_uint(w, 1, m->pid);
}

int tk_delete_resp_decode(const void *p, size_t n, struct tk_delete_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u32(&f, &m->pid);
			break;
		case 2:
			e = pb_as_u32(&f, &m->exit_status);
			break;
		case 3:
			e = get_ts(&f, &m->exited_at);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_delete_resp_encode(struct pb_w *w, const struct tk_delete_resp *m)
{
	pb_put_uint(w, 1, m->pid);
	pb_put_uint(w, 2, m->exit_status);
	tk_timestamp_put(w, 3, &m->exited_at);
}

int tk_exec_req_decode(const void *p, size_t n, struct tk_exec_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		case 3:
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 4:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 5:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 6:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 7:
			e = get_any(&f, &m->spec, &m->has_spec);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_exec_req_encode(struct pb_w *w, const struct tk_exec_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->exec_id);
	pb_put_bool(w, 3, m->terminal);
	pb_put_str(w, 4, m->stdin_path);
	pb_put_str(w, 5, m->stdout_path);
	pb_put_str(w, 6, m->stderr_path);
	if (m->has_spec)
		tk_any_put(w, 7, &m->spec);
}

int tk_resize_req_decode(const void *p, size_t n, struct tk_resize_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		case 3:
			e = pb_as_u32(&f, &m->width);
			break;
		case 4:
			e = pb_as_u32(&f, &m->height);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_resize_req_encode(struct pb_w *w, const struct tk_resize_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->exec_id);
	pb_put_uint(w, 3, m->width);
	pb_put_uint(w, 4, m->height);
}

int tk_state_resp_decode(const void *p, size_t n, struct tk_state_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->bundle);
			break;
		case 3:
			e = pb_as_u32(&f, &m->pid);
			break;
		case 4:
			e = pb_as_i32(&f, &m->status);
			break;
		case 5:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 6:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 7:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 8:
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 9:
			e = pb_as_u32(&f, &m->exit_status);
			break;
		case 10:
			e = get_ts(&f, &m->exited_at);
			break;
		case 11:
			e = pb_as_str(&f, &m->exec_id);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_state_resp_encode(struct pb_w *w, const struct tk_state_resp *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->bundle);
	pb_put_uint(w, 3, m->pid);
	pb_put_int(w, 4, m->status);
	pb_put_str(w, 5, m->stdin_path);
	pb_put_str(w, 6, m->stdout_path);
	pb_put_str(w, 7, m->stderr_path);
	pb_put_bool(w, 8, m->terminal);
	pb_put_uint(w, 9, m->exit_status);
	tk_timestamp_put(w, 10, &m->exited_at);
	pb_put_str(w, 11, m->exec_id);
}

int tk_kill_req_decode(const void *p, size_t n, struct tk_kill_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		case 3:
			e = pb_as_u32(&f, &m->signal);
			break;
		case 4:
			e = pb_as_bool(&f, &m->all);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_kill_req_encode(struct pb_w *w, const struct tk_kill_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->exec_id);
	pb_put_uint(w, 3, m->signal);
	pb_put_bool(w, 4, m->all);
}

int tk_closeio_req_decode(const void *p, size_t n, struct tk_closeio_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		case 3:
			e = pb_as_bool(&f, &m->stdin_close);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_closeio_req_encode(struct pb_w *w, const struct tk_closeio_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->exec_id);
	pb_put_bool(w, 3, m->stdin_close);
}

int tk_process_info_decode(const void *p, size_t n, struct tk_process_info *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u32(&f, &m->pid);
			break;
		case 2:
			e = get_any(&f, &m->info, &m->has_info);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_pids_resp_put(struct pb_w *w, const struct tk_process_info *m)
{
	size_t mark = pb_begin(w, 1);
	pb_put_uint(w, 1, m->pid);
	if (m->has_info)
		tk_any_put(w, 2, &m->info);
	pb_end(w, mark);
}

int tk_pids_resp_next(struct pb_r *it, struct tk_process_info *m)
{
	struct pb_str s;
	int e = pb_repeated_next(it, 1, &s);
	if (e <= 0)
		return e;
	e = tk_process_info_decode(s.p, s.n, m);
	return e < 0 ? e : 1;
}

int tk_checkpoint_req_decode(const void *p, size_t n, struct tk_checkpoint_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_str(&f, &m->path);
			break;
		case 3:
			e = get_any(&f, &m->options, &m->has_options);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_checkpoint_req_encode(struct pb_w *w, const struct tk_checkpoint_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->path);
	if (m->has_options)
		tk_any_put(w, 3, &m->options);
}

/* A map<string,string> entry: key=1, value=2, both strings. */
static int map_entry_check(struct pb_str s)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0)
		if ((f.num == 1 || f.num == 2) && f.type != PB_LEN)
			return -PB_EWIRETYPE;
	return e;
}

int tk_update_req_decode(const void *p, size_t n, struct tk_update_req *m)
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
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = get_any(&f, &m->resources, &m->has_resources);
			break;
		case 3:
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = map_entry_check(f.s);
			m->nannotations++;
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_update_req_encode(struct pb_w *w, const struct tk_update_req *m)
{
	pb_put_str(w, 1, m->id);
	if (m->has_resources)
		tk_any_put(w, 2, &m->resources);
	pb_copy_repeated(w, 3, m->raw, 3);
}

int tk_wait_resp_decode(const void *p, size_t n, struct tk_wait_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u32(&f, &m->exit_status);
			break;
		case 2:
			e = get_ts(&f, &m->exited_at);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_wait_resp_encode(struct pb_w *w, const struct tk_wait_resp *m)
{
	pb_put_uint(w, 1, m->exit_status);
	tk_timestamp_put(w, 2, &m->exited_at);
}

int tk_stats_resp_decode(const void *p, size_t n, struct tk_stats_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? get_any(&f, &m->stats, &m->has_stats) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void tk_stats_resp_encode(struct pb_w *w, const struct tk_stats_resp *m)
{
	if (m->has_stats)
		tk_any_put(w, 1, &m->stats);
}

int tk_connect_resp_decode(const void *p, size_t n, struct tk_connect_resp *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_u32(&f, &m->shim_pid);
			break;
		case 2:
			e = pb_as_u32(&f, &m->task_pid);
			break;
		case 3:
			e = pb_as_str(&f, &m->version);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_connect_resp_encode(struct pb_w *w, const struct tk_connect_resp *m)
{
	pb_put_uint(w, 1, m->shim_pid);
	pb_put_uint(w, 2, m->task_pid);
	pb_put_str(w, 3, m->version);
}

int tk_shutdown_req_decode(const void *p, size_t n, struct tk_shutdown_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->id);
			break;
		case 2:
			e = pb_as_bool(&f, &m->now);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void tk_shutdown_req_encode(struct pb_w *w, const struct tk_shutdown_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_bool(w, 2, m->now);
}
