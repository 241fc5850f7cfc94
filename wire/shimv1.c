/* SPDX-License-Identifier: MIT */
/* The legacy v1 shim's messages, and its requests read as Task API requests (shimv1.h). */
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

int v1_empty_decode(const void *p, size_t n)
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

static int runc_options_set(const struct opt_runc *o)
{
	return o->no_pivot_root || o->no_new_keyring || o->shim_cgroup.n || o->io_uid ||
	       o->io_gid || o->binary_name.n || o->root.n || o->criu_path.n || o->systemd_cgroup ||
	       o->criu_image_path.n || o->criu_work_path.n;
}

/* Create: the runc Options the Task API takes from runtime, CreateOptions and the flags. */
static int create_decode(const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                         struct tk_request *r, struct v1_note *note)
{
	struct v1_create_req m;
	struct v1_create_opts co;
	struct opt_runc *o = &r->o.runc;
	int e = v1_create_req_decode(p, n, &m);
	if (e < 0)
		return e;
	o->binary_name = m.runtime;
	o->root = cstr(ctx->runtime_root);
	o->criu_path = cstr(ctx->criu);
	o->systemd_cgroup = ctx->systemd_cgroup;
	if (m.has_options && m.options.value.n) {
		if (!is_url(m.options.type_url, V1_CREATE_OPTIONS_URL)) {
			note->ignored_options = m.options.type_url;
		} else if ((e = v1_create_opts_decode(m.options.value.p, m.options.value.n, &co)) <
		           0) {
			return e;
		} else {
			o->no_pivot_root = co.no_pivot_root;
			o->no_new_keyring = co.no_new_keyring;
			o->shim_cgroup = co.shim_cgroup;
			o->io_uid = co.io_uid;
			o->io_gid = co.io_gid;
			o->criu_work_path = co.criu_work_path;
			o->criu_image_path = co.criu_image_path;
			note->ignored_fields =
			    (co.open_tcp ? 1u << 2 : 0) | (co.external_unix_sockets ? 1u << 3 : 0) |
			    (co.terminal ? 1u << 4 : 0) | (co.file_locks ? 1u << 5 : 0) |
			    (co.nempty_namespaces ? 1u << 6 : 0) |
			    (co.cgroups_mode.n ? 1u << 7 : 0);
		}
	}
	r->opts = runc_options_set(o) ? TK_OPTS_OK : TK_OPTS_NONE;
	struct tk_create_req *c = &r->u.create;
	c->id = m.id;
	c->bundle = m.bundle;
	c->terminal = m.terminal;
	c->stdin_path = m.stdin_path;
	c->stdout_path = m.stdout_path;
	c->stderr_path = m.stderr_path;
	c->checkpoint = m.checkpoint;
	c->parent_checkpoint = m.parent_checkpoint;
	c->nrootfs = m.nrootfs;
	c->raw = m.raw;
	r->rootfs_field = 4;
	return 0;
}

/*
 * Checkpoint: v1 CheckpointOptions become v2 ones, and the work path defaults to ctx->criu_work
 * as in the reference. Options of another type are read as the Task API reads them.
 */
static int checkpoint_decode(const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                             struct tk_request *r)
{
	struct tk_checkpoint_req *m = &r->u.checkpoint;
	struct opt_checkpoint *o = &r->o.checkpoint;
	int e = v1_checkpoint_req_decode(p, n, m);
	if (e < 0)
		return e;
	m->id = cstr(ctx->container);
	if (m->has_options && !is_url(m->options.type_url, V1_CHECKPOINT_OPTIONS_URL)) {
		r->opts = !m->options.value.n ? TK_OPTS_NONE
		          : opt_checkpoint_decode(m->options.value.p, m->options.value.n, o) < 0
		              ? TK_OPTS_BAD
		              : TK_OPTS_OK;
		return 0;
	}
	if (m->has_options &&
	    (e = v1_checkpoint_opts_decode(m->options.value.p, m->options.value.n, o)) < 0)
		return e;
	if (o->work_path.n == 0)
		o->work_path = cstr(ctx->criu_work);
	r->opts = m->has_options || o->work_path.n ? TK_OPTS_OK : TK_OPTS_NONE;
	return 0;
}

/* The v1 methods served by a Task API method whose request is read as shown. */
enum { AS_PROC, AS_CONTAINER, AS_KILL, AS_EXEC, AS_RESIZE, AS_CLOSEIO, AS_OTHER };
static const struct {
	const char *name;
	enum tk_method task;
	int as;
} v1_methods[] = {
	{ "Create", TK_CREATE, AS_OTHER },         { "Start", TK_START, AS_PROC },
	{ "State", TK_STATE, AS_PROC },            { "Wait", TK_WAIT, AS_PROC },
	{ "DeleteProcess", TK_DELETE, AS_PROC },   { "Delete", TK_DELETE, AS_CONTAINER },
	{ "Pause", TK_PAUSE, AS_CONTAINER },       { "Resume", TK_RESUME, AS_CONTAINER },
	{ "ListPids", TK_PIDS, AS_CONTAINER },     { "Kill", TK_KILL, AS_KILL },
	{ "Exec", TK_EXEC, AS_EXEC },              { "ResizePty", TK_RESIZE, AS_RESIZE },
	{ "CloseIO", TK_CLOSEIO, AS_CLOSEIO },     { "Checkpoint", TK_CHECKPOINT, AS_OTHER },
	{ "Update", TK_UPDATE, AS_OTHER },
};

static int decode(int i, const uint8_t *p, size_t n, const struct v1_ctx *ctx,
                  struct tk_request *r, struct v1_note *note)
{
	struct pb_str cid = cstr(ctx->container);
	struct tk_id_req v1;
	int e;

	switch (v1_methods[i].as) {
	case AS_PROC:
		if ((e = tk_id_req_decode(p, n, &v1)) < 0)
			return e;
		name_proc(v1.id, ctx, &r->u.proc.id, &r->u.proc.exec_id);
		/* DeleteProcess is of execs; Delete (of the container) has its own request. */
		if (r->method == TK_DELETE && r->u.proc.exec_id.n == 0)
			return -V1_EINIT;
		return 0;
	case AS_CONTAINER:
		/* ListPids names the container; Delete, Pause and Resume take an Empty. */
		e = r->method == TK_PIDS ? tk_id_req_decode(p, n, &v1) : v1_empty_decode(p, n);
		if (e < 0)
			return e;
		r->u.id.id = cid;
		return 0;
	case AS_KILL:
		if ((e = v1_kill_req_decode(p, n, &r->u.kill)) < 0)
			return e;
		name_proc(r->u.kill.id, ctx, &r->u.kill.id, &r->u.kill.exec_id);
		return 0;
	case AS_EXEC:
		if ((e = v1_exec_req_decode(p, n, &r->u.exec)) < 0)
			return e;
		if (r->u.exec.id.n && r->u.exec.id.n == cid.n &&
		    memcmp(r->u.exec.id.p, cid.p, cid.n) == 0)
			return -V1_EEXISTS;
		r->u.exec.exec_id = r->u.exec.id;
		r->u.exec.id = cid;
		return 0;
	case AS_RESIZE:
		if ((e = v1_resize_req_decode(p, n, &r->u.resize)) < 0)
			return e;
		name_proc(r->u.resize.id, ctx, &r->u.resize.id, &r->u.resize.exec_id);
		return 0;
	case AS_CLOSEIO:
		if ((e = v1_closeio_req_decode(p, n, &r->u.closeio)) < 0)
			return e;
		name_proc(r->u.closeio.id, ctx, &r->u.closeio.id, &r->u.closeio.exec_id);
		return 0;
	}
	switch (r->method) {
	case TK_CREATE:
		return create_decode(p, n, ctx, r, note);
	case TK_CHECKPOINT:
		return checkpoint_decode(p, n, ctx, r);
	default: /* TK_UPDATE */
		if ((e = v1_update_req_decode(p, n, &r->u.update)) < 0)
			return e;
		r->u.update.id = cid;
		return 0;
	}
}

int v1_request_decode(struct pb_str method, const void *p, size_t n, const struct v1_ctx *ctx,
                      struct tk_request *r, struct v1_note *note)
{
	struct v1_note scratch;
	if (!note)
		note = &scratch;
	memset(note, 0, sizeof(*note));
	memset(r, 0, sizeof(*r));
	r->rootfs_field = 3;
	for (size_t i = 0; i < sizeof(v1_methods) / sizeof(v1_methods[0]); i++) {
		if (pb_str_eq(method, v1_methods[i].name)) {
			r->method = v1_methods[i].task;
			return decode((int)i, p, n, ctx, r, note);
		}
	}
	return -V1_EMETHOD;
}

/* --- replies ----------------------------------------------------------------------------- */

void v1_pids_resp_put(struct pb_w *w, uint32_t pid, struct pb_str name)
{
	size_t m = pb_begin(w, 1);
	pb_put_uint(w, 1, pid);
	if (name.n) {
		size_t any = pb_begin(w, 2);
		pb_put_cstr(w, 1, V1_PROCESS_DETAILS_URL);
		size_t value = pb_begin(w, 2);
		pb_put_str(w, 1, name);
		pb_end(w, value);
		pb_end(w, any);
	}
	pb_end(w, m);
}
