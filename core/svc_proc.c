/* SPDX-License-Identifier: MIT */
/* The process lifecycle requests: Start, State, Wait, Kill, Delete and Exec. */
#include "svc_int.h"

#include "bundle.h"
#include "log.h"
#include "op.h"
#include "sys.h"
#include "wire/events.h"
#include "wire/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* -- Start -- */

static void start_finish(struct op *op)
{
	struct proc *p = op->p;
	struct container *c = op->c;
	int is_init = p == &c->init;
	struct err err;

	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s",
		           is_init ? "start" : "exec", op->job.err);
		proc_on(p, PE_FAILED); /* init: created again; an exec: stopped */
		if (!is_init && !p->exit_deferred) {
			/* A failed exec is finished: its stdio is closed and its waiters return. */
			pio_destroy(&p->io);
			console_sock_close(&p->console);
			p->exited = 1;
			p->exit_status = 255;
			sys_now(&p->exited_at.seconds, &p->exited_at.nanos);
			proc_release_waiters(p);
		}
	} else if (!is_init && bundle_read_pid_file(op->pidfile, &p->pid) < 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime exec: no pid file");
		proc_on(p, PE_UNDONE);
	} else {
		uint8_t buf[512];
		struct pb_w w = pb_w_init(buf, sizeof(buf));
		if (is_init) {
			struct ev_task_start ev = { cs(c->id), (uint32_t)p->pid };
			ev_task_start_encode(&w, &ev);
			if (!w.err)
				svc_emit(EV_TASK_START, buf, w.len);
			proc_on(p, PE_DONE);
		} else {
			/* Watched while still starting: an exit already buffered is deferred until
			 * after ExecStarted. */
			if (proc_watch(p) < 0)
				log_error("exec %s: cannot watch pid %d", p->exec_id, (int)p->pid);
			proc_on(p, PE_DONE);
			if (proc_io_start(p, &err) < 0)
				log_warn("exec %s: %s", p->exec_id, err.msg);
			svc_publish_exec(EV_TASK_EXEC_STARTED, p);
		}
		svc_reply_start(op->call, p);
	}
	if (p->exit_deferred) {
		p->exit_deferred = 0;
		proc_exit_publish(p);
		container_unref(c); /* the reaper's reference */
	}
}

/* Runs `runc exec` once the exec's stdio is ready (after its logging binary, if any). */
static void exec_run(struct op *op)
{
	struct proc *p = op->p;
	const char *args[14];
	size_t n = 0;

	args[n++] = "exec";
	args[n++] = "--process";
	args[n++] = op->path;
	if (p->terminal) {
		args[n++] = "--console-socket";
		args[n++] = p->console.path;
	}
	args[n++] = "--detach";
	args[n++] = "--pid-file";
	args[n++] = op->pidfile;
	args[n++] = op->c->id;
	args[n] = NULL;
	if (op_run(op, args, p->io.child_fds, NULL, 0, 0) < 0) {
		proc_on(p, PE_UNDONE);
		pio_destroy(&p->io);
		pio_init(&p->io);
		console_sock_close(&p->console);
		return;
	}
	pio_close_child_ends(&p->io);
}

static void exec_on_ready(struct pio *io, int ok)
{
	struct op *op = io->ctx;
	struct proc *p = op->p;
	if (!ok) {
		proc_on(p, PE_UNDONE);
		pio_destroy(&p->io);
		pio_init(&p->io);
		console_sock_close(&p->console);
		op_fail(op, TT_UNKNOWN, "the logging binary failed to start");
		return;
	}
	exec_run(op);
}

static void start_exec(struct call call, struct container *c, struct proc *p,
                       const struct proc_rule *rule)
{
	struct err err;
	int e;

	if (!proc_check(call, &c->init, PR_START_EXEC))
		return;
	struct op *op = op_new(call, c, p, start_finish);
	if (!op)
		return;
	/* op->path, the process spec, is removed when the op ends. */
	if (sys_fmt(op->path, sizeof(op->path), "%s/.exec-%s.json", c->cfg.bundle, p->exec_id) <
	        0 ||
	    sys_fmt(op->pidfile, sizeof(op->pidfile), "%s/%s.pid", c->cfg.bundle, p->exec_id) < 0) {
		op->path[0] = 0;
		op_fail(op, TT_INVALID_ARGUMENT, "exec: path too long");
		return;
	}
	if ((e = sys_write_file_atomic(op->path, p->spec, p->spec_len, 0600)) < 0) {
		op_fail(op, TT_UNKNOWN, "exec %s: write process spec: %s", p->exec_id,
		        strerror(-e));
		return;
	}
	if (p->terminal && (e = console_sock_open(&p->console)) < 0) {
		op_fail(op, TT_UNKNOWN, "exec %s: console socket: %s", p->exec_id, strerror(-e));
		return;
	}
	/* A logging binary of an exec sees the exec's id, as with the reference. */
	struct pio_cfg pc = { p->stdin_path, p->stdout_path, p->stderr_path, p->terminal, -1, -1,
		              p->exec_id,    svc_cfg.ns };
	p->io.ctx = op;
	p->io.on_ready = exec_on_ready;
	proc_enter(p, rule->next);
	e = pio_open(&p->io, &pc, &err);
	if (e < 0) {
		proc_on(p, PE_UNDONE);
		pio_init(&p->io);
		console_sock_close(&p->console);
		op_fail(op, TT_UNKNOWN, "%s", err.msg);
		return;
	}
	if (e == PIO_WAIT)
		return; /* exec_on_ready continues */
	exec_run(op);
}

void h_start(struct call call, const struct tk_request *r)
{
	const struct tk_proc_req *req = &r->u.proc;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	const struct proc_rule *rule = proc_check(call, p, PR_START);
	if (!rule)
		return;
	if (p != &c->init) {
		start_exec(call, c, p, rule);
		return;
	}
	struct op *op = op_new(call, c, p, start_finish);
	if (!op)
		return;
	const char *args[] = { "start", c->id, NULL };
	proc_enter(p, rule->next);
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		proc_on(p, PE_UNDONE);
}

/* -- State, Wait -- */

void h_state(struct call call, const struct tk_request *r)
{
	const struct tk_proc_req *req = &r->u.proc;
	struct tk_state_resp st;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	memset(&st, 0, sizeof(st));
	st.id = cs(p->exec_id[0] ? p->exec_id : p->c->id);
	st.bundle = cs(p->c->cfg.bundle);
	st.pid = (uint32_t)p->pid;
	static const int32_t status[] = { TK_STATUS_UNKNOWN, TK_STATUS_CREATED, TK_STATUS_RUNNING,
		                          TK_STATUS_PAUSING, TK_STATUS_PAUSED,  TK_STATUS_STOPPED };
	st.status = status[proc_visible_state(p)];
	st.stdin_path = cs(p->stdin_path);
	st.stdout_path = cs(p->stdout_path);
	st.stderr_path = cs(p->stderr_path);
	st.terminal = p->terminal;
	st.exit_status = (uint32_t)p->exit_status;
	st.exited_at = p->state == P_STOPPED ? p->exited_at : ts_unset();
	size_t cap = st.id.n + st.bundle.n + st.stdin_path.n + st.stdout_path.n + st.stderr_path.n + 128;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(buf, cap);
	tk_state_resp_encode(&w, &st);
	call_reply(call, buf, w.len);
	free(buf);
}

void h_wait(struct call call, const struct tk_request *r)
{
	const struct tk_proc_req *req = &r->u.proc;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	struct waiter *wt = malloc(sizeof(*wt));
	if (!wt) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	wt->call = call;
	wt->next = p->waiters;
	p->waiters = wt;
	if (p->state == P_STOPPED)
		proc_release_waiters(p);
}

/* -- Kill -- */

static void kill_finish(struct op *op)
{
	const char *e = op->job.err;
	if (op->job.status == 0) {
		svc_reply_empty(op->call);
	} else if (strstr(e, "container not running") || strstr(e, "no such process") ||
	           strstr(e, "process already finished")) {
		call_error(op->call, TT_NOT_FOUND, "process already finished: not found");
	} else if (strstr(e, "does not exist")) {
		call_error(op->call, TT_NOT_FOUND, "no such container: not found");
	} else {
		call_error(op->call, TT_UNKNOWN, "unknown error after kill: %s", e);
	}
}

void h_kill(struct call call, const struct tk_request *r)
{
	const struct tk_kill_req *req = &r->u.kill;
	char sig[16];
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	if (req->signal == 0 || req->signal > 64) {
		call_error(call, TT_INVALID_ARGUMENT, "invalid signal %u", req->signal);
		return;
	}
	if (!proc_check(call, p, req->all ? PR_KILL_ALL : PR_KILL))
		return;
	if (p != &c->init) {
		if (kill(p->pid, (int)req->signal) < 0)
			call_error(call, errno == ESRCH ? TT_NOT_FOUND : TT_UNKNOWN, "kill %d: %s",
			           (int)p->pid, strerror(errno));
		else
			svc_reply_empty(call);
		return;
	}
	struct op *op = op_new(call, c, p, kill_finish);
	if (!op)
		return;
	snprintf(sig, sizeof(sig), "%u", req->signal);
	const char *args[] = { "kill", req->all ? "--all" : c->id, req->all ? c->id : sig,
		               req->all ? sig : NULL, NULL };
	(void)op_run(op, args, NULL, NULL, 0, 0);
}

/* -- Delete -- */

static void reply_delete(struct call call, const struct proc *p)
{
	uint8_t buf[64];
	struct tk_timestamp at = p->state == P_STOPPED ? p->exited_at : ts_unset();
	struct tk_delete_resp r = { (uint32_t)p->pid, (uint32_t)p->exit_status, at };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	tk_delete_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

static void delete_done(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = &c->init;
	uint8_t buf[512];

	if (op->job.status != 0 && !strstr(op->job.err, "does not exist")) {
		proc_on(p, PE_FAILED);
		call_error(op->call, TT_UNKNOWN, "failed to delete task: %s", op->job.err);
		return;
	}
	pio_destroy(&p->io);
	container_unmount_rootfs(c);
	struct ev_task_delete ev = { .container_id = cs(c->id),
		                     .pid = (uint32_t)p->pid,
		                     .exit_status = (uint32_t)p->exit_status,
		                     .exited_at =
		                         p->state == P_STOPPED ? p->exited_at : ts_unset() };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	ev_task_delete_encode(&w, &ev);
	if (!w.err)
		svc_emit(EV_TASK_DELETE, buf, w.len);
	reply_delete(op->call, p);
	/* Waiters of a never-started init that is deleted return now. */
	proc_release_waiters(p);
	container_unlist(c);
}

static void delete_run(struct op *op)
{
	const char *args[] = { "delete", op->c->id, NULL };
	struct container *c = op->c;
	c->refs++;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		proc_on(&c->init, PE_UNDONE);
	container_unref(c);
}


static void delete_exec_finish(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = op->p;
	char path[PATH_LEN + 64];

	reply_delete(op->call, p);
	if (sys_fmt(path, sizeof(path), "%s/%s.pid", c->cfg.bundle, p->exec_id) >= 0)
		unlink(path);
	proc_release_waiters(p);
	for (struct proc **pp = &c->execs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	proc_release(p);
	free(p);
	op_free(op);
}

static void delete_exec(struct call call, struct container *c, struct proc *p)
{
	const struct proc_rule *rule = proc_check(call, p, PR_DELETE);
	if (!rule)
		return;
	struct op *op = op_new(call, c, p, NULL);
	if (!op)
		return;
	proc_enter(p, rule->next);
	op_after_output_drained(op, delete_exec_finish);
}

void h_delete(struct call call, const struct tk_request *r)
{
	const struct tk_proc_req *req = &r->u.proc;
	struct proc *p = svc_lookup_proc(call, req->id, req->exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	if (p != &c->init) {
		delete_exec(call, c, p);
		return;
	}
	const struct proc_rule *rule = proc_check(call, p, PR_DELETE);
	if (!rule)
		return;
	struct op *op = op_new(call, c, p, delete_done);
	if (!op)
		return;
	proc_enter(p, rule->next);
	op_after_output_drained(op, delete_run);
}

/* -- Exec -- */

void h_exec(struct call call, const struct tk_request *r)
{
	const struct tk_exec_req *req = &r->u.exec;
	struct container *c = svc_lookup(call, req->id);
	if (!c)
		return;
	if (req->exec_id.n == 0 || req->exec_id.n >= ID_MAX ||
	    memchr(req->exec_id.p, '/', req->exec_id.n) || memchr(req->exec_id.p, 0, req->exec_id.n)) {
		call_error(call, TT_INVALID_ARGUMENT, "exec: invalid exec id");
		return;
	}
	/* An exec's pid file is <bundle>/<exec id>.pid: "init" would be init.pid, the init's own,
	 * which runc exec would overwrite and the exec's delete remove (the reference accepts it
	 * and does both; our `delete` cleanup reads init.pid). */
	if (pb_str_eq(req->exec_id, "init")) {
		call_error(call, TT_INVALID_ARGUMENT,
		           "exec: invalid exec id \"init\": it names the init process's pid file");
		return;
	}
	if (proc_find_exec(c, req->exec_id)) {
		call_error(call, TT_ALREADY_EXISTS, "id %.*s: already exists", (int)req->exec_id.n,
		           (const char *)req->exec_id.p);
		return;
	}
	if (!proc_check(call, &c->init, PR_EXEC))
		return;
	/* The spec is a JSON object: force "terminal" by appending it (the last key wins). */
	struct pb_str spec = req->spec.value;
	size_t end = spec.n;
	while (end > 0 && spec.p[end - 1] != '}')
		end--;
	if (!req->has_spec || end == 0 || json_skip(spec) < 0) {
		call_error(call, TT_INVALID_ARGUMENT,
		           "exec: the process spec is not a JSON object");
		return;
	}
	struct proc *p = calloc(1, sizeof(*p));
	char *js = malloc(spec.n + 32);
	if (!p || !js) {
		free(p);
		free(js);
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	proc_init(p, c);
	p->state = P_CREATED;
	p->terminal = req->terminal;
	(void)!pb_str_copy(p->exec_id, sizeof(p->exec_id), req->exec_id); /* checked above */
	if (proc_set_stdio(p, req->stdin_path, req->stdout_path, req->stderr_path) < 0) {
		free(p);
		free(js);
		call_error(call, TT_INVALID_ARGUMENT, "exec: a stdio path holds a NUL byte");
		return;
	}
	size_t k = end - 1;
	memcpy(js, spec.p, k);
	int has_members = 0;
	for (size_t i = 0; i < k; i++)
		if (spec.p[i] == '"') {
			has_members = 1;
			break;
		}
	k += (size_t)sprintf(js + k, "%s\"terminal\":%s}", has_members ? "," : "",
	                     req->terminal ? "true" : "false");
	p->spec = js;
	p->spec_len = k;
	p->next = c->execs;
	c->execs = p;
	svc_publish_exec(EV_TASK_EXEC_ADDED, p);
	svc_reply_empty(call);
}
