/* SPDX-License-Identifier: MIT */
/* The legacy v1 shim's messages and their translation into Task API requests (shimv1.h). */
#include "shimv1.h"

#include <string.h>

#include "pbdesc.h"

#define SUBS(X) X(tk_mount_desc) X(tk_any_desc) X(pb_none)
PB_SUBS(SUBS);

static struct pb_str cstr(const char *s)
{
	return s ? pb_str_of(s, strlen(s)) : pb_str_of("", 0);
}

/* --- codecs ------------------------------------------------------------------------------ */

/* rootfs (4): every mount validated and counted; encoded verbatim from raw. */
#define PB_T struct v1_create_req
PB_DESC(create_req, PB_RAW(raw), PB_STR(1, id), PB_STR(2, bundle), PB_STR(3, runtime),
        PB_COUNT(4, nrootfs, tk_mount_desc), PB_BOOL(5, terminal), PB_STR(6, stdin_path),
        PB_STR(7, stdout_path), PB_STR(8, stderr_path), PB_STR(9, checkpoint),
        PB_STR(10, parent_checkpoint), PB_OPT(11, options, has_options, tk_any_desc));
PB_CODEC(v1_create_req, struct v1_create_req, create_req)
#undef PB_T

#define PB_T struct tk_exec_req
PB_DESC(exec_req, PB_STR(1, id), PB_BOOL(2, terminal), PB_STR(3, stdin_path),
        PB_STR(4, stdout_path), PB_STR(5, stderr_path), PB_OPT(6, spec, has_spec, tk_any_desc));
PB_CODEC(v1_exec_req, struct tk_exec_req, exec_req)
#undef PB_T

#define PB_T struct tk_resize_req
PB_DESC(resize_req, PB_STR(1, id), PB_U32(2, width), PB_U32(3, height));
PB_CODEC(v1_resize_req, struct tk_resize_req, resize_req)
#undef PB_T

#define PB_T struct tk_kill_req
PB_DESC(kill_req, PB_STR(1, id), PB_U32(2, signal), PB_BOOL(3, all));
PB_CODEC(v1_kill_req, struct tk_kill_req, kill_req)
#undef PB_T

#define PB_T struct tk_closeio_req
PB_DESC(closeio_req, PB_STR(1, id), PB_BOOL(2, stdin_close));
PB_CODEC(v1_closeio_req, struct tk_closeio_req, closeio_req)
#undef PB_T

#define PB_T struct tk_checkpoint_req
PB_DESC(checkpoint_req, PB_STR(1, path), PB_OPT(2, options, has_options, tk_any_desc));
PB_CODEC(v1_checkpoint_req, struct tk_checkpoint_req, checkpoint_req)
#undef PB_T

#define PB_T struct tk_update_req
PB_DESC(update_req, PB_OPT(1, resources, has_resources, tk_any_desc));
PB_CODEC(v1_update_req, struct tk_update_req, update_req)
#undef PB_T

#define PB_T struct v1_start_resp
PB_DESC(start_resp, PB_STR(1, id), PB_U32(2, pid));
PB_CODEC(v1_start_resp, struct v1_start_resp, start_resp)
#undef PB_T

/* empty_namespaces (6): checked and counted; encoded verbatim from raw. */
#define PB_T struct v1_create_opts
PB_DESC(create_opts, PB_RAW(raw), PB_BOOL(1, no_pivot_root), PB_BOOL(2, open_tcp),
        PB_BOOL(3, external_unix_sockets), PB_BOOL(4, terminal), PB_BOOL(5, file_locks),
        PB_COUNT(6, nempty_namespaces, pb_none), PB_STR(7, cgroups_mode),
        PB_BOOL(8, no_new_keyring), PB_STR(9, shim_cgroup), PB_U32(10, io_uid), PB_U32(11, io_gid),
        PB_STR(12, criu_work_path), PB_STR(13, criu_image_path));
PB_CODEC(v1_create_opts, struct v1_create_opts, create_opts)
#undef PB_T

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
