/* SPDX-License-Identifier: MIT */
/* Requests on a created container: Pause, Resume, Update, Pids, Stats, Checkpoint, ResizePty,
 * CloseIO, Connect and Shutdown. */
#include "svc_int.h"

#include "op.h"
#include "sys.h"
#include "wire/json.h"
#include "wire/options.h"
#include "wire/shimv1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* -- Pause, Resume -- */

static void pause_finish(struct op *op)
{
	struct proc *p = op->p;
	int pausing = strcmp(op->what, "pause") == 0;
	if (op->job.status != 0) {
		proc_on(p, PE_FAILED);
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s",
		           pausing ? "pause" : "resume", op->job.err);
		return;
	}
	proc_on(p, PE_DONE);
	if (pausing)
		svc_publish_id(EV_TASK_PAUSED, op->c->id);
	else
		svc_publish_id(EV_TASK_RESUMED, op->c->id);
	svc_reply_empty(op->call);
}

static void pause_resume(struct call call, const struct tk_request *r, int pause)
{
	const struct tk_id_req *req = &r->u.id;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	struct proc *p = &c->init;
	const struct proc_rule *rule = proc_check(call, p, pause ? PR_PAUSE : PR_RESUME);
	if (!rule)
		return;
	struct op *op = op_new(call, c, p, pause_finish);
	if (!op)
		return;
	op->what = pause ? "pause" : "resume";
	const char *args[] = { op->what, c->id, NULL };
	proc_enter(p, rule->next);
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		proc_on(p, PE_UNDONE);
}

void h_pause(struct call call, const struct tk_request *r)
{
	pause_resume(call, r, 1);
}

void h_resume(struct call call, const struct tk_request *r)
{
	pause_resume(call, r, 0);
}

/* -- Update, Pids, Stats, Checkpoint -- */

static void simple_finish(struct op *op)
{
	if (op->job.status != 0)
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s", op->what,
		           op->job.err);
	else
		svc_reply_empty(op->call);
}

/* A failed checkpoint names CRIU's log as the reference does (" path= FILE"), whatever the
 * runtime's own message says (runc 1.1 names it, 1.2+ quotes its errors in log.json instead). */
static void checkpoint_finish(struct op *op)
{
	struct stat st;
	if (op->job.status != 0 && op->criu_log[0] && stat(op->criu_log, &st) == 0 &&
	    !strstr(op->job.err, op->criu_log))
		call_error(op->call, TT_UNKNOWN, "OCI runtime checkpoint failed: %s path= %s",
		           op->job.err, op->criu_log);
	else
		simple_finish(op);
}

void h_update(struct call call, const struct tk_request *r)
{
	const struct tk_update_req *req = &r->u.update;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	if (!proc_check(call, &c->init, PR_UPDATE))
		return;
	if (!req->has_resources || req->resources.value.n == 0) {
		call_error(call, TT_INVALID_ARGUMENT, "update: no resources given");
		return;
	}
	struct op *op = op_new(call, c, &c->init, simple_finish);
	if (!op)
		return;
	op->what = "update";
	const char *args[] = { "update", "--resources", "-", c->id, NULL };
	(void)op_run(op, args, NULL, req->resources.value.p, req->resources.value.n, 0);
}

/*
 * One process of a Pids reply. The Task API's names an exec by a runc ProcessDetails; a v1 shim's
 * names every process it knows, init by the container id (as the references answer).
 */
static void pids_put(struct pb_w *w, int v1, const struct container *c, pid_t pid)
{
	const char *name = v1 && c->init.pid == pid ? c->id : "";
	for (const struct proc *p = c->execs; p; p = p->next)
		if (p->pid == pid)
			name = p->exec_id;
	if (v1) {
		v1_pids_resp_put(w, (uint32_t)pid, cs(name));
		return;
	}
	struct tk_process_info pi = { .pid = (uint32_t)pid };
	uint8_t det[ID_MAX + 8];
	if (name[0]) {
		struct pb_w dw = pb_w_init(det, sizeof(det));
		struct opt_process_details d = { cs(name) };
		opt_process_details_encode(&dw, &d);
		pi.has_info = 1;
		pi.info.type_url = cs(OPT_PROCESS_DETAILS_URL);
		pi.info.value = pb_str_of((const char *)det, dw.len);
	}
	tk_pids_resp_put(w, &pi);
}

static void pids_finish(struct op *op)
{
	size_t outcap = 1 << 20;
	char *out;
	ssize_t n;
	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "runc ps: %s", op->job.err);
		return;
	}
	if (!(out = malloc(outcap))) {
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	n = pread(op->job.out_fd, out, outcap - 1, 0);
	if (n < 0)
		n = 0;
	struct pb_str it = pb_str_of(out, (size_t)n), el;
	size_t cap = 64 + (size_t)n * 2 + 256 * ID_MAX;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		free(out);
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(buf, cap);
	int r;
	while ((r = json_array_next(&it, &el)) > 0) {
		long long pid;
		if (json_int(el, &pid) < 0 || pid <= 0)
			continue;
		pids_put(&w, op->call.tag == SVC_DIALECT_V1, op->c, (pid_t)pid);
	}
	if (r < 0 || w.err)
		call_error(op->call, TT_UNKNOWN, "runc ps: unexpected output");
	else
		call_reply(op->call, buf, w.len);
	free(buf);
	free(out);
}

void h_pids(struct call call, const struct tk_request *r)
{
	const struct tk_id_req *req = &r->u.id;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	struct op *op = op_new(call, c, &c->init, pids_finish);
	if (!op)
		return;
	const char *args[] = { "ps", "--format", "json", c->id, NULL };
	(void)op_run(op, args, NULL, NULL, 0, RUNC_CAPTURE);
}

void h_stats(struct call call, const struct tk_request *r)
{
	const struct tk_id_req *req = &r->u.id;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	if (!c->cg) {
		call_error(call, TT_NOT_FOUND, "cgroup does not exist: not found");
		return;
	}
	size_t cap = 64 * 1024;
	uint8_t *m = malloc(cap), *out = malloc(cap + 128);
	size_t len = 0;
	const char *type_url = NULL;
	int e = m && out ? cg_stats(c->cg, m, cap, &len, &type_url) : -ENOMEM;
	if (e < 0) {
		call_error(call, e == -ENOENT ? TT_NOT_FOUND : TT_UNKNOWN, "stats: %s%s",
		           strerror(-e), e == -ENOENT ? ": not found" : "");
	} else {
		struct pb_w w = pb_w_init(out, cap + 128);
		struct tk_stats_resp resp = { 1, { cs(type_url), pb_str_of((const char *)m, len) } };
		tk_stats_resp_encode(&w, &resp);
		if (w.err)
			call_error(call, TT_RESOURCE_EXHAUSTED, "stats too large");
		else
			call_reply(call, out, w.len);
	}
	free(m);
	free(out);
}

void h_checkpoint(struct call call, const struct tk_request *r)
{
	const struct tk_checkpoint_req *req = &r->u.checkpoint;
	struct opt_checkpoint o;
	char image[PATH_LEN], work[PATH_LEN + 32];
	const char *args[24];
	size_t n = 0;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	if (!proc_check(call, &c->init, PR_CHECKPOINT))
		return;
	if (r->opts == TK_OPTS_BAD) {
		call_error(call, TT_INVALID_ARGUMENT, "checkpoint: undecodable options");
		return;
	}
	if (r->opts == TK_OPTS_OK)
		o = r->o.checkpoint;
	else
		memset(&o, 0, sizeof(o));
	struct pb_str img = o.image_path.n ? o.image_path : req->path;
	if (pb_str_copy(image, sizeof(image), img) < 0 || !image[0]) {
		call_error(call, TT_INVALID_ARGUMENT, "checkpoint: an image path is required");
		return;
	}
	if (o.work_path.n ? pb_str_copy(work, sizeof(work), o.work_path) < 0
	                  : sys_fmt(work, sizeof(work), "%s/work/criu-work", c->cfg.bundle) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "checkpoint: work path too long");
		return;
	}
	struct op *op = op_new(call, c, &c->init, checkpoint_finish);
	if (!op)
		return;
	op->what = "checkpoint";
	if (sys_fmt(op->criu_log, sizeof(op->criu_log), "%s/dump.log", work) < 0)
		op->criu_log[0] = 0;
	args[n++] = "checkpoint";
	args[n++] = "--image-path";
	args[n++] = image;
	args[n++] = "--work-path";
	args[n++] = work;
	if (o.open_tcp)
		args[n++] = "--tcp-established";
	if (o.external_unix_sockets)
		args[n++] = "--ext-unix-sk";
	if (o.terminal)
		args[n++] = "--shell-job";
	if (o.file_locks)
		args[n++] = "--file-locks";
	if (!o.exit)
		args[n++] = "--leave-running";
	args[n++] = c->id;
	args[n] = NULL;
	(void)op_run(op, args, NULL, NULL, 0, 0);
}

/* -- ResizePty, CloseIO, Connect, Shutdown -- */

void h_resize(struct call call, const struct tk_request *r)
{
	const struct tk_resize_req *req = &r->u.resize;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	if (!proc_check(call, p, PR_RESIZE))
		return;
	int e = pio_resize(&p->io, req->width, req->height);
	if (e < 0)
		call_error(call, TT_UNKNOWN, "resize pty: %s", strerror(-e));
	else
		svc_reply_empty(call);
}

void h_closeio(struct call call, const struct tk_request *r)
{
	const struct tk_closeio_req *req = &r->u.closeio;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	if (req->stdin_close)
		pio_close_stdin(&p->io);
	svc_reply_empty(call);
}

void h_connect(struct call call, const struct tk_request *r)
{
	const struct tk_id_req *req = &r->u.id;
	uint8_t buf[64];
	struct container *c = container_find(req->id);
	struct tk_connect_resp resp = { .shim_pid = (uint32_t)getpid(),
		                        .task_pid = c ? (uint32_t)c->init.pid : 0 };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	tk_connect_resp_encode(&w, &resp);
	call_reply(call, buf, w.len);
}

void h_shutdown(struct call call, const struct tk_request *r)
{
	(void)r; /* now is not read: with no container left the shim shuts down at once */
	svc_reply_empty(call);
	if (svc_ncontainers == 0)
		svc_shutdown();
}
