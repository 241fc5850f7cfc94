/* SPDX-License-Identifier: MIT */
/* Task API requests decoded by method (request.h). */
#include "request.h"

#include <string.h>

static const struct {
	const char *name, *request;
} methods[TK_NMETHODS] = {
	[TK_CREATE] = { "Create", "CreateTaskRequest" },
	[TK_START] = { "Start", "StartRequest" },
	[TK_STATE] = { "State", "StateRequest" },
	[TK_WAIT] = { "Wait", "WaitRequest" },
	[TK_KILL] = { "Kill", "KillRequest" },
	[TK_DELETE] = { "Delete", "DeleteRequest" },
	[TK_EXEC] = { "Exec", "ExecProcessRequest" },
	[TK_PAUSE] = { "Pause", "PauseRequest" },
	[TK_RESUME] = { "Resume", "ResumeRequest" },
	[TK_UPDATE] = { "Update", "UpdateTaskRequest" },
	[TK_PIDS] = { "Pids", "PidsRequest" },
	[TK_STATS] = { "Stats", "StatsRequest" },
	[TK_CHECKPOINT] = { "Checkpoint", "CheckpointTaskRequest" },
	[TK_RESIZE] = { "ResizePty", "ResizePtyRequest" },
	[TK_CLOSEIO] = { "CloseIO", "CloseIORequest" },
	[TK_CONNECT] = { "Connect", "ConnectRequest" },
	[TK_SHUTDOWN] = { "Shutdown", "ShutdownRequest" },
};

int tk_method_of(struct pb_str name)
{
	for (int m = 0; m < TK_NMETHODS; m++)
		if (pb_str_eq(name, methods[m].name))
			return m;
	return -1;
}

const char *tk_method_name(enum tk_method m)
{
	return (unsigned)m < TK_NMETHODS ? methods[m].name : "?";
}

const char *tk_method_request(enum tk_method m)
{
	return (unsigned)m < TK_NMETHODS ? methods[m].request : "request";
}

static void create_options(struct tk_request *r)
{
	const struct tk_create_req *c = &r->u.create;
	int e;
	if (!c->has_options || c->options.value.n == 0)
		r->opts = TK_OPTS_NONE;
	else if ((e = opt_runc_of_any(&c->options, &r->o.runc)) < 0)
		r->opts = TK_OPTS_BAD;
	else
		r->opts = e ? TK_OPTS_OK : TK_OPTS_FOREIGN;
}

static void checkpoint_options(struct tk_request *r)
{
	const struct tk_checkpoint_req *c = &r->u.checkpoint;
	if (!c->has_options || c->options.value.n == 0)
		r->opts = TK_OPTS_NONE;
	else if (opt_checkpoint_decode(c->options.value.p, c->options.value.n,
	                               &r->o.checkpoint) < 0)
		r->opts = TK_OPTS_BAD;
	else
		r->opts = TK_OPTS_OK;
}

int tk_request_decode(enum tk_method m, const void *p, size_t n, struct tk_request *r)
{
	memset(r, 0, sizeof(*r));
	r->method = m;
	r->rootfs_field = 3;
	switch (m) {
	case TK_CREATE: {
		int e = tk_create_req_decode(p, n, &r->u.create);
		if (e == 0)
			create_options(r);
		return e;
	}
	case TK_START:
	case TK_STATE:
	case TK_WAIT:
	case TK_DELETE:
		return tk_proc_req_decode(p, n, &r->u.proc);
	case TK_PAUSE:
	case TK_RESUME:
	case TK_PIDS:
	case TK_STATS:
	case TK_CONNECT:
		return tk_id_req_decode(p, n, &r->u.id);
	case TK_KILL:
		return tk_kill_req_decode(p, n, &r->u.kill);
	case TK_EXEC:
		return tk_exec_req_decode(p, n, &r->u.exec);
	case TK_UPDATE:
		return tk_update_req_decode(p, n, &r->u.update);
	case TK_CHECKPOINT: {
		int e = tk_checkpoint_req_decode(p, n, &r->u.checkpoint);
		if (e == 0)
			checkpoint_options(r);
		return e;
	}
	case TK_RESIZE:
		return tk_resize_req_decode(p, n, &r->u.resize);
	case TK_CLOSEIO:
		return tk_closeio_req_decode(p, n, &r->u.closeio);
	case TK_SHUTDOWN:
		return tk_shutdown_req_decode(p, n, &r->u.shutdown);
	default:
		return -PB_ERANGE;
	}
}

/* An Any of type url holding what encode writes of m. */
static void put_options(struct pb_w *w, uint32_t num, const char *url,
                        void (*encode)(struct pb_w *, const void *), const void *m)
{
	size_t any = pb_begin(w, num);
	pb_put_cstr(w, 1, url);
	size_t value = pb_begin(w, 2);
	encode(w, m);
	pb_end(w, value);
	pb_end(w, any);
}

static void runc_encode(struct pb_w *w, const void *m)
{
	opt_runc_encode(w, m);
}

static void checkpoint_encode(struct pb_w *w, const void *m)
{
	opt_checkpoint_encode(w, m);
}

static void create_encode(struct pb_w *w, const struct tk_request *r)
{
	const struct tk_create_req *c = &r->u.create;
	pb_put_str(w, 1, c->id);
	pb_put_str(w, 2, c->bundle);
	pb_copy_repeated(w, 3, c->raw, r->rootfs_field);
	pb_put_bool(w, 4, c->terminal);
	pb_put_str(w, 5, c->stdin_path);
	pb_put_str(w, 6, c->stdout_path);
	pb_put_str(w, 7, c->stderr_path);
	pb_put_str(w, 8, c->checkpoint);
	pb_put_str(w, 9, c->parent_checkpoint);
	if (r->opts == TK_OPTS_OK)
		put_options(w, 10, OPT_RUNC_OPTIONS_URL, runc_encode, &r->o.runc);
	else if (c->has_options)
		tk_any_put(w, 10, &c->options);
}

void tk_request_encode(struct pb_w *w, const struct tk_request *r)
{
	switch (r->method) {
	case TK_CREATE:
		create_encode(w, r);
		break;
	case TK_START:
	case TK_STATE:
	case TK_WAIT:
	case TK_DELETE:
		tk_proc_req_encode(w, &r->u.proc);
		break;
	case TK_PAUSE:
	case TK_RESUME:
	case TK_PIDS:
	case TK_STATS:
	case TK_CONNECT:
		tk_id_req_encode(w, &r->u.id);
		break;
	case TK_KILL:
		tk_kill_req_encode(w, &r->u.kill);
		break;
	case TK_EXEC:
		tk_exec_req_encode(w, &r->u.exec);
		break;
	case TK_UPDATE:
		tk_update_req_encode(w, &r->u.update);
		break;
	case TK_CHECKPOINT:
		if (r->opts == TK_OPTS_OK) {
			pb_put_str(w, 1, r->u.checkpoint.id);
			pb_put_str(w, 2, r->u.checkpoint.path);
			put_options(w, 3, OPT_CHECKPOINT_OPTIONS_URL, checkpoint_encode,
			            &r->o.checkpoint);
		} else {
			tk_checkpoint_req_encode(w, &r->u.checkpoint);
		}
		break;
	case TK_RESIZE:
		tk_resize_req_encode(w, &r->u.resize);
		break;
	case TK_CLOSEIO:
		tk_closeio_req_encode(w, &r->u.closeio);
		break;
	case TK_SHUTDOWN:
		tk_shutdown_req_encode(w, &r->u.shutdown);
		break;
	default:
		w->err = w->err ? w->err : -PB_ERANGE;
	}
}
