/* SPDX-License-Identifier: MIT */
/*
 * The Task API service: dispatch of containerd.task.v2.Task, v3 and shimbox.v1.Shim to the
 * handlers (svc_create.c, svc_proc.c, svc_control.c, dump.c), lookups and replies they share,
 * and the orderly shutdown. A handler answers at once or parks its call in an op (op.h) whose
 * runtime child's exit, seen by the reaper, completes it; nothing here blocks the loop.
 */
#include "service.h"

#include "log.h"
#include "loop.h"
#include "publish.h"
#include "svc_int.h"
#include "sys.h"
#include "upgrade.h"
#include "wire/shimbox.h"
#include "wire/shimv1.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SVC_V2 "containerd.task.v2.Task"
#define SVC_V3 "containerd.task.v3.Task"
/*
 * After Shutdown the shim exits once its events are delivered and its replies sent, or after
 * SHUTDOWN_DRAIN_MS; while the event at the head of the queue has failed to reach containerd,
 * after SHUTDOWN_KEEP_MS. containerd 1.7 and 2.2 shut a shim down while they load it, before
 * they serve: its exits would otherwise be lost with the bundle containerd then removes.
 */
#define SHUTDOWN_DRAIN_MS 5000
#define SHUTDOWN_KEEP_MS 60000

struct svc_config svc_cfg;
int svc_shutting_down;
uint64_t svc_started_ms;
static uint64_t shutdown_deadline, shutdown_keep_until;
static struct loop_timer shutdown_timer;

void svc_reply_empty(struct call call)
{
	call_reply(call, NULL, 0);
}

void svc_reply_pid(struct call call, pid_t pid)
{
	uint8_t buf[16];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct tk_pid_resp r = { (uint32_t)pid };
	tk_pid_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

void svc_reply_start(struct call call, const struct proc *p)
{
	uint8_t buf[ID_MAX + 16];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	if (call.tag != SVC_DIALECT_V1) {
		svc_reply_pid(call, p->pid);
		return;
	}
	const char *name = p->exec_id[0] ? p->exec_id : p->c->id;
	struct v1_start_resp r = { pb_str_of(name, strlen(name)), (uint32_t)p->pid };
	v1_start_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}


/* Looks up the container of a request; answers NOT_FOUND itself when there is none. */
struct container *svc_lookup(struct call call, struct pb_str id)
{
	struct container *c = container_find(id);
	if (!c || c->init.state == P_CREATING) {
		call_error(call, TT_NOT_FOUND, "container %.*s: container not created: not found",
		           (int)id.n, (const char *)id.p);
		return NULL;
	}
	return c;
}

/* Looks up init (empty exec_id) or an exec; answers NOT_FOUND itself. */
struct proc *svc_lookup_proc(struct call call, struct pb_str id, struct pb_str exec_id)
{
	struct container *c = svc_lookup(call, id);
	if (!c)
		return NULL;
	if (exec_id.n == 0)
		return &c->init;
	struct proc *p = proc_find_exec(c, exec_id);
	if (!p)
		call_error(call, TT_NOT_FOUND, "process %.*s does not exist: not found",
		           (int)exec_id.n, (const char *)exec_id.p);
	return p;
}


/* -- dispatch -- */

static void (*const task_handlers[TK_NMETHODS])(struct call, const struct tk_request *) = {
	[TK_CREATE] = h_create,   [TK_START] = h_start,     [TK_STATE] = h_state,
	[TK_WAIT] = h_wait,       [TK_KILL] = h_kill,       [TK_DELETE] = h_delete,
	[TK_EXEC] = h_exec,       [TK_PAUSE] = h_pause,     [TK_RESUME] = h_resume,
	[TK_UPDATE] = h_update,   [TK_PIDS] = h_pids,       [TK_STATS] = h_stats,
	[TK_CHECKPOINT] = h_checkpoint, [TK_RESIZE] = h_resize, [TK_CLOSEIO] = h_closeio,
	[TK_CONNECT] = h_connect, [TK_SHUTDOWN] = h_shutdown,
};

void svc_serve(struct call call, const struct tk_request *r)
{
	log_debug("%s", tk_method_name(r->method));
	task_handlers[r->method](call, r);
}

/* A containerd.task.v2 (or v3) request: decoded once, here, then served. */
static void serve_task(struct call call, const struct tt_req *req)
{
	struct tk_request r;
	int m = tk_method_of(req->method);
	if (m < 0) {
		call_error(call, TT_UNIMPLEMENTED, "method %.*s", (int)req->method.n,
		           (const char *)req->method.p);
		return;
	}
	if (tk_request_decode((enum tk_method)m, req->payload.p, req->payload.n, &r) < 0) {
		/* As ttrpc-go answers a payload it cannot unmarshal. */
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: %s",
		           tk_method_request((enum tk_method)m));
		return;
	}
	svc_serve(call, &r);
}

void svc_dispatch(struct call call, const struct tt_req *req)
{
	if (pb_str_eq(req->service, SVC_V2) || pb_str_eq(req->service, SVC_V3))
		serve_task(call, req);
	else if (pb_str_eq(req->service, SB_SERVICE) && pb_str_eq(req->method, SB_DUMP_METHOD))
		h_dump(call, req->payload);
	else if (pb_str_eq(req->service, SB_SERVICE) && pb_str_eq(req->method, SB_UPGRADE_METHOD))
		h_upgrade(call, req->payload);
	else if (pb_str_eq(req->service, SB_SERVICE))
		call_error(call, TT_UNIMPLEMENTED, "method %.*s", (int)req->method.n,
		           (const char *)req->method.p);
	else
		call_error(call, TT_UNIMPLEMENTED, "service %.*s", (int)req->service.n,
		           (const char *)req->service.p);
}

const char *svc_container_id(void)
{
	return svc_containers ? svc_containers->id : svc_cfg.id;
}

static void on_shutdown_tick(struct loop_timer *t)
{
	uint64_t now = sys_mono_ms();
	if (now >= shutdown_deadline && pub_head_failing() && now < shutdown_keep_until) {
		loop_timer_arm(t, 20);
		return;
	}
	if ((pub_queued() == 0 && conn_pending_bytes() == 0) || now >= shutdown_deadline) {
		if (pub_queued())
			log_warn("exiting with %zu events undelivered", pub_queued());
		loop_stop();
		return;
	}
	loop_timer_arm(t, 20);
}

void svc_shutdown(void)
{
	if (svc_shutting_down)
		return;
	svc_shutting_down = 1;
	log_info("shutting down");
	conn_stop_listening();
	if (svc_cfg.socket_path && svc_cfg.socket_path[0])
		unlink(svc_cfg.socket_path);
	shutdown_deadline = sys_mono_ms() + SHUTDOWN_DRAIN_MS;
	shutdown_keep_until = shutdown_deadline - SHUTDOWN_DRAIN_MS + SHUTDOWN_KEEP_MS;
	shutdown_timer.fn = on_shutdown_tick;
	loop_timer_arm(&shutdown_timer, 0);
}

size_t svc_container_count(void)
{
	return svc_ncontainers;
}

int svc_init(const struct svc_config *cfg)
{
	svc_cfg = *cfg;
	svc_started_ms = sys_mono_ms();
	conn_on_close(svc_on_conn_closed);
	return 0;
}
