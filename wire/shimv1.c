/* SPDX-License-Identifier: MIT */
/* The legacy v1 shim's messages and their translation into Task API requests (shimv1.h). */
#include "shimv1.h"

#include <string.h>

static int get_any(const struct pb_field *f, struct tk_any *a, int *has)
{
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	*has = 1;
	return tk_any_decode(f->s.p, f->s.n, a);
}

static struct pb_str cstr(const char *s)
{
	return s ? pb_str_of(s, strlen(s)) : pb_str_of("", 0);
}

/* --- codecs ------------------------------------------------------------------------------ */

int v1_create_req_decode(const void *p, size_t n, struct v1_create_req *m)
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
		case 3:
			e = pb_as_str(&f, &m->runtime);
			break;
		case 4: /* validated now so that tk_mount_next over raw only fails on bad input */
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = tk_mount_decode(f.s.p, f.s.n, &mnt);
			m->nrootfs++;
			break;
		case 5:
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 6:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 7:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 8:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 9:
			e = pb_as_str(&f, &m->checkpoint);
			break;
		case 10:
			e = pb_as_str(&f, &m->parent_checkpoint);
			break;
		case 11:
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

void v1_create_req_encode(struct pb_w *w, const struct v1_create_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_str(w, 2, m->bundle);
	pb_put_str(w, 3, m->runtime);
	pb_copy_repeated(w, 4, m->raw, 4);
	pb_put_bool(w, 5, m->terminal);
	pb_put_str(w, 6, m->stdin_path);
	pb_put_str(w, 7, m->stdout_path);
	pb_put_str(w, 8, m->stderr_path);
	pb_put_str(w, 9, m->checkpoint);
	pb_put_str(w, 10, m->parent_checkpoint);
	if (m->has_options)
		tk_any_put(w, 11, &m->options);
}

int v1_exec_req_decode(const void *p, size_t n, struct tk_exec_req *m)
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
			e = pb_as_bool(&f, &m->terminal);
			break;
		case 3:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 4:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 5:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 6:
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

void v1_exec_req_encode(struct pb_w *w, const struct tk_exec_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_bool(w, 2, m->terminal);
	pb_put_str(w, 3, m->stdin_path);
	pb_put_str(w, 4, m->stdout_path);
	pb_put_str(w, 5, m->stderr_path);
	if (m->has_spec)
		tk_any_put(w, 6, &m->spec);
}

int v1_resize_req_decode(const void *p, size_t n, struct tk_resize_req *m)
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
			e = pb_as_u32(&f, &m->width);
			break;
		case 3:
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

void v1_resize_req_encode(struct pb_w *w, const struct tk_resize_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_uint(w, 2, m->width);
	pb_put_uint(w, 3, m->height);
}

int v1_kill_req_decode(const void *p, size_t n, struct tk_kill_req *m)
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
			e = pb_as_u32(&f, &m->signal);
			break;
		case 3:
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

void v1_kill_req_encode(struct pb_w *w, const struct tk_kill_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_uint(w, 2, m->signal);
	pb_put_bool(w, 3, m->all);
}

int v1_closeio_req_decode(const void *p, size_t n, struct tk_closeio_req *m)
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

void v1_closeio_req_encode(struct pb_w *w, const struct tk_closeio_req *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_bool(w, 2, m->stdin_close);
}

int v1_checkpoint_req_decode(const void *p, size_t n, struct tk_checkpoint_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->path);
			break;
		case 2:
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

void v1_checkpoint_req_encode(struct pb_w *w, const struct tk_checkpoint_req *m)
{
	pb_put_str(w, 1, m->path);
	if (m->has_options)
		tk_any_put(w, 2, &m->options);
}

int v1_update_req_decode(const void *p, size_t n, struct tk_update_req *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? get_any(&f, &m->resources, &m->has_resources) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void v1_update_req_encode(struct pb_w *w, const struct tk_update_req *m)
{
	if (m->has_resources)
		tk_any_put(w, 1, &m->resources);
}

int v1_start_resp_decode(const void *p, size_t n, struct v1_start_resp *m)
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
			e = pb_as_u32(&f, &m->pid);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void v1_start_resp_encode(struct pb_w *w, const struct v1_start_resp *m)
{
	pb_put_str(w, 1, m->id);
	pb_put_uint(w, 2, m->pid);
}

int v1_create_opts_decode(const void *p, size_t n, struct v1_create_opts *m)
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
			e = pb_as_bool(&f, &m->no_pivot_root);
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
			e = pb_as_bool(&f, &m->no_new_keyring);
			break;
		case 9:
			e = pb_as_str(&f, &m->shim_cgroup);
			break;
		case 10:
			e = pb_as_u32(&f, &m->io_uid);
			break;
		case 11:
			e = pb_as_u32(&f, &m->io_gid);
			break;
		case 12:
			e = pb_as_str(&f, &m->criu_work_path);
			break;
		case 13:
			e = pb_as_str(&f, &m->criu_image_path);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void v1_create_opts_encode(struct pb_w *w, const struct v1_create_opts *m)
{
	pb_put_bool(w, 1, m->no_pivot_root);
	pb_put_bool(w, 2, m->open_tcp);
	pb_put_bool(w, 3, m->external_unix_sockets);
	pb_put_bool(w, 4, m->terminal);
	pb_put_bool(w, 5, m->file_locks);
	pb_copy_repeated(w, 6, m->raw, 6);
	pb_put_str(w, 7, m->cgroups_mode);
	pb_put_bool(w, 8, m->no_new_keyring);
	pb_put_str(w, 9, m->shim_cgroup);
	pb_put_uint(w, 10, m->io_uid);
	pb_put_uint(w, 11, m->io_gid);
	pb_put_str(w, 12, m->criu_work_path);
	pb_put_str(w, 13, m->criu_image_path);
}

/* Fields 8 and 9 are both strings in either version: decode as v2, then swap them. */
static void swap_paths(struct opt_checkpoint *m)
{
	struct pb_str t = m->image_path;
	m->image_path = m->work_path;
	m->work_path = t;
}

int v1_checkpoint_opts_decode(const void *p, size_t n, struct opt_checkpoint *m)
{
	int e = opt_checkpoint_decode(p, n, m);
	swap_paths(m);
	return e;
}

void v1_checkpoint_opts_encode(struct pb_w *w, const struct opt_checkpoint *m)
{
	struct opt_checkpoint v2 = *m;
	swap_paths(&v2);
	opt_checkpoint_encode(w, &v2);
}

/* --- translation ------------------------------------------------------------------------- */

/* A process named by a v1 id: the container's own id (or none) is init. */
static void name_proc(struct pb_str id, const struct v1_ctx *ctx, struct pb_str *cid,
                      struct pb_str *exec_id)
{
	*cid = cstr(ctx->container);
	if (id.n == 0 || (id.n == cid->n && memcmp(id.p, cid->p, id.n) == 0))
		*exec_id = pb_str_of("", 0);
	else
		*exec_id = id;
}

/* An Empty request: any well-formed message (unknown fields are skipped, as Go does). */
static int empty_decode(const uint8_t *p, size_t n)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;
	while ((e = pb_next(&r, &f)) > 0)
		;
	return e;
}

static int is_url(struct pb_str url, const char *want)
{
	/* typeurl also accepts a prefixed URL ("types.containerd.io/..."): compare the suffix. */
	size_t k = strlen(want);
	return url.n >= k && memcmp(url.p + url.n - k, want, k) == 0 &&
	       (url.n == k || url.p[url.n - k - 1] == '/');
}

/* Create: the runc Options the v2 engine takes from runtime, CreateOptions and the flags. */
static int create_translate(const uint8_t *p, size_t n, const struct v1_ctx *ctx, struct pb_w *w,
                            struct v1_note *note)
{
	struct v1_create_req m;
	struct v1_create_opts co;
	struct opt_runc o;
	int e = v1_create_req_decode(p, n, &m);
	if (e < 0)
		return e;
	memset(&o, 0, sizeof(o));
	o.binary_name = m.runtime;
	o.root = cstr(ctx->runtime_root);
	o.criu_path = cstr(ctx->criu);
	o.systemd_cgroup = ctx->systemd_cgroup;
	if (m.has_options && m.options.value.n) {
		if (!is_url(m.options.type_url, V1_CREATE_OPTIONS_URL)) {
			note->ignored_options = m.options.type_url;
		} else if ((e = v1_create_opts_decode(m.options.value.p, m.options.value.n, &co)) <
		           0) {
			return e;
		} else {
			o.no_pivot_root = co.no_pivot_root;
			o.no_new_keyring = co.no_new_keyring;
			o.shim_cgroup = co.shim_cgroup;
			o.io_uid = co.io_uid;
			o.io_gid = co.io_gid;
			o.criu_work_path = co.criu_work_path;
			o.criu_image_path = co.criu_image_path;
			note->ignored_fields =
			    (co.open_tcp ? 1u << 2 : 0) | (co.external_unix_sockets ? 1u << 3 : 0) |
			    (co.terminal ? 1u << 4 : 0) | (co.file_locks ? 1u << 5 : 0) |
			    (co.nempty_namespaces ? 1u << 6 : 0) |
			    (co.cgroups_mode.n ? 1u << 7 : 0);
		}
	}
	/* The v2 CreateTaskRequest, fields in protoc's order. */
	pb_put_str(w, 1, m.id);
	pb_put_str(w, 2, m.bundle);
	pb_copy_repeated(w, 3, m.raw, 4);
	pb_put_bool(w, 4, m.terminal);
	pb_put_str(w, 5, m.stdin_path);
	pb_put_str(w, 6, m.stdout_path);
	pb_put_str(w, 7, m.stderr_path);
	pb_put_str(w, 8, m.checkpoint);
	pb_put_str(w, 9, m.parent_checkpoint);
	if (o.no_pivot_root || o.no_new_keyring || o.shim_cgroup.n || o.io_uid || o.io_gid ||
	    o.binary_name.n || o.root.n || o.criu_path.n || o.systemd_cgroup ||
	    o.criu_image_path.n || o.criu_work_path.n) {
		size_t any = pb_begin(w, 10);
		pb_put_cstr(w, 1, OPT_RUNC_OPTIONS_URL);
		size_t value = pb_begin(w, 2);
		opt_runc_encode(w, &o);
		pb_end(w, value);
		pb_end(w, any);
	}
	return 0;
}

/*
 * Checkpoint: v1 CheckpointOptions become v2 ones, and the work path defaults to ctx->criu_work
 * as in the reference (options of another type pass as they are).
 */
static int checkpoint_translate(const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                                struct pb_w *w)
{
	struct tk_checkpoint_req m;
	struct opt_checkpoint o;
	int e = v1_checkpoint_req_decode(p, n, &m);
	if (e < 0)
		return e;
	m.id = cstr(ctx->container);
	memset(&o, 0, sizeof(o));
	if (m.has_options && !is_url(m.options.type_url, V1_CHECKPOINT_OPTIONS_URL)) {
		tk_checkpoint_req_encode(w, &m);
		return 0;
	}
	if (m.has_options &&
	    (e = v1_checkpoint_opts_decode(m.options.value.p, m.options.value.n, &o)) < 0)
		return e;
	if (o.work_path.n == 0)
		o.work_path = cstr(ctx->criu_work);
	if (!m.has_options && o.work_path.n == 0) {
		tk_checkpoint_req_encode(w, &m);
		return 0;
	}
	pb_put_str(w, 1, m.id);
	pb_put_str(w, 2, m.path);
	size_t any = pb_begin(w, 3);
	pb_put_cstr(w, 1, OPT_CHECKPOINT_OPTIONS_URL);
	size_t value = pb_begin(w, 2);
	opt_checkpoint_encode(w, &o);
	pb_end(w, value);
	pb_end(w, any);
	return 0;
}

static int translate(struct pb_str method, const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                     struct pb_w *w, const char **task_method, struct v1_note *note)
{
	struct pb_str cid = cstr(ctx->container);
	int e;

	if (pb_str_eq(method, "Create")) {
		*task_method = "Create";
		return create_translate(p, n, ctx, w, note);
	}
	if (pb_str_eq(method, "State") || pb_str_eq(method, "Start") || pb_str_eq(method, "Wait") ||
	    pb_str_eq(method, "DeleteProcess")) {
		struct tk_id_req m;
		struct tk_proc_req v2;
		if ((e = tk_id_req_decode(p, n, &m)) < 0)
			return e;
		name_proc(m.id, ctx, &v2.id, &v2.exec_id);
		if (pb_str_eq(method, "DeleteProcess")) {
			if (v2.exec_id.n == 0)
				return -V1_EINIT;
			*task_method = "Delete";
		} else {
			*task_method = pb_str_eq(method, "State")   ? "State"
			               : pb_str_eq(method, "Start") ? "Start"
			                                            : "Wait";
		}
		tk_proc_req_encode(w, &v2);
		return 0;
	}
	if (pb_str_eq(method, "Delete") || pb_str_eq(method, "Pause") ||
	    pb_str_eq(method, "Resume") || pb_str_eq(method, "ListPids")) {
		struct tk_id_req m = { cid };
		if (pb_str_eq(method, "ListPids")) {
			struct tk_id_req v1;
			if ((e = tk_id_req_decode(p, n, &v1)) < 0) /* its id is the container's */
				return e;
			*task_method = "Pids";
		} else {
			if ((e = empty_decode(p, n)) < 0)
				return e;
			*task_method = pb_str_eq(method, "Delete")  ? "Delete"
			               : pb_str_eq(method, "Pause") ? "Pause"
			                                            : "Resume";
		}
		tk_id_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "Kill")) {
		struct tk_kill_req m;
		if ((e = v1_kill_req_decode(p, n, &m)) < 0)
			return e;
		name_proc(m.id, ctx, &m.id, &m.exec_id);
		*task_method = "Kill";
		tk_kill_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "Exec")) {
		struct tk_exec_req m;
		if ((e = v1_exec_req_decode(p, n, &m)) < 0)
			return e;
		if (m.id.n && m.id.n == cid.n && memcmp(m.id.p, cid.p, cid.n) == 0)
			return -V1_EEXISTS;
		m.exec_id = m.id;
		m.id = cid;
		*task_method = "Exec";
		tk_exec_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "ResizePty")) {
		struct tk_resize_req m;
		if ((e = v1_resize_req_decode(p, n, &m)) < 0)
			return e;
		name_proc(m.id, ctx, &m.id, &m.exec_id);
		*task_method = "ResizePty";
		tk_resize_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "CloseIO")) {
		struct tk_closeio_req m;
		if ((e = v1_closeio_req_decode(p, n, &m)) < 0)
			return e;
		name_proc(m.id, ctx, &m.id, &m.exec_id);
		*task_method = "CloseIO";
		tk_closeio_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "Checkpoint")) {
		*task_method = "Checkpoint";
		return checkpoint_translate(p, n, ctx, w);
	}
	if (pb_str_eq(method, "Update")) {
		struct tk_update_req m;
		if ((e = v1_update_req_decode(p, n, &m)) < 0)
			return e;
		m.id = cid;
		*task_method = "Update";
		tk_update_req_encode(w, &m);
		return 0;
	}
	if (pb_str_eq(method, "ShimInfo")) {
		if ((e = empty_decode(p, n)) < 0)
			return e;
		return V1_LOCAL;
	}
	return -V1_EMETHOD;
}

int v1_translate(struct pb_str method, const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                 struct pb_w *w, const char **task_method, struct v1_note *note)
{
	struct v1_note scratch;
	if (!note)
		note = &scratch;
	memset(note, 0, sizeof(*note));
	*task_method = NULL;
	int e = translate(method, p, n, ctx, w, task_method, note);
	if (e >= 0 && w->err)
		e = w->err;
	if (e != 0)
		*task_method = NULL;
	return e;
}

/* --- replies ----------------------------------------------------------------------------- */

void v1_start_resp_from_task(struct pb_w *w, const uint8_t *p, size_t n,
                             const char *(*name)(uint32_t pid))
{
	struct tk_pid_resp r;
	int e = tk_pid_resp_decode(p, n, &r);
	if (e < 0) {
		w->err = w->err ? w->err : e;
		return;
	}
	struct v1_start_resp v1 = { cstr(name(r.pid)), r.pid };
	v1_start_resp_encode(w, &v1);
}

void v1_pids_resp_from_task(struct pb_w *w, const uint8_t *p, size_t n,
                            const char *(*name)(uint32_t pid))
{
	struct pb_r it = pb_r_init(p, n);
	struct tk_process_info pi;
	int e;

	while ((e = tk_pids_resp_next(&it, &pi)) > 0) {
		struct pb_str exec_id = cstr(name(pi.pid));
		size_t m = pb_begin(w, 1);
		pb_put_uint(w, 1, pi.pid);
		if (exec_id.n) {
			size_t any = pb_begin(w, 2);
			pb_put_cstr(w, 1, V1_PROCESS_DETAILS_URL);
			size_t value = pb_begin(w, 2);
			pb_put_str(w, 1, exec_id);
			pb_end(w, value);
			pb_end(w, any);
		}
		pb_end(w, m);
	}
	if (e < 0 && !w->err)
		w->err = e;
}
