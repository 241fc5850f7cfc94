/* SPDX-License-Identifier: MIT */
/*
 * Task API handlers. A handler answers at once or parks its call in an op whose runtime child's
 * exit (seen by the reaper) completes it; nothing here blocks the loop. Event order follows
 * PROTOCOL.md 4.2: an exit seen while its Start is in flight is published after TaskStart.
 */
#include "service.h"

#include "log.h"
#include "loop.h"
#include "mount.h"
#include "publish.h"
#include "reaper.h"
#include "runc.h"
#include "stdio.h"
#include "sys.h"
#include "wire/events.h"
#include "wire/json.h"
#include "wire/options.h"
#include "wire/task.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SVC_V2 "containerd.task.v2.Task"
#define SVC_V3 "containerd.task.v3.Task"
#define ID_MAX 128
#define PATH_LEN 1024
#define IO_DRAIN_MS 2000
#define SHUTDOWN_DRAIN_MS 5000

enum proc_state { P_CREATING, P_CREATED, P_RUNNING, P_STOPPED };

struct waiter {
	struct waiter *next;
	struct call call;
};

struct container;

struct proc {
	struct container *c;
	pid_t pid;
	enum proc_state state;
	int starting;        /* a Start is in flight: its exit is published after TaskStart */
	int exit_deferred;   /* the exit arrived while starting */
	int exit_status;
	struct tk_timestamp exited_at;
	int terminal;
	char stdin_path[PATH_LEN], stdout_path[PATH_LEN], stderr_path[PATH_LEN];
	struct pio io;
	struct waiter *waiters;
};

struct container {
	struct container *next;
	int refs;    /* the list's, plus one per op in flight */
	int listed;
	int deleting;
	char id[ID_MAX];
	char rootfs[PATH_LEN];
	int rootfs_mounted;
	struct runc_cfg cfg;
	struct proc init;
};

/* An operation waiting for a runtime child (and sometimes for stdio to drain first). */
struct op {
	struct runc_job job; /* first: the job callback finds the op */
	struct call call;
	struct container *c;
	void (*finish)(struct op *op);
	struct loop_timer timer;
	uint8_t *req; /* a copy of the request payload where the finish needs it */
	size_t req_len;
};

static struct svc_config svc;
static struct container *containers;
static size_t ncontainers;
static int shutting_down;
static uint64_t shutdown_deadline;
static struct loop_timer shutdown_timer;

static struct tk_timestamp ts_unset(void)
{
	struct tk_timestamp t = { TK_TS_UNSET_SECONDS, 0 };
	return t;
}

static int str_copy(char *dst, size_t cap, struct pb_str s)
{
	if (s.n >= cap || memchr(s.p, 0, s.n))
		return -1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = 0;
	return 0;
}

static struct pb_str cs(const char *s)
{
	return pb_str_of(s, strlen(s));
}

static struct container *find(struct pb_str id)
{
	for (struct container *c = containers; c; c = c->next)
		if (pb_str_eq(id, c->id))
			return c;
	return NULL;
}

static void container_unref(struct container *c)
{
	if (--c->refs > 0)
		return;
	pio_destroy(&c->init.io);
	free(c);
}

static void container_unlist(struct container *c)
{
	if (!c->listed)
		return;
	for (struct container **p = &containers; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->listed = 0;
	ncontainers--;
	/* A never-started init deleted before it exited: its exit is no longer ours to report. */
	if (c->init.pid > 0 && c->init.state != P_STOPPED && !c->init.exit_deferred) {
		reap_unwatch(c->init.pid);
		container_unref(c); /* the reaper's reference */
	}
	container_unref(c);
}

/* --- events ------------------------------------------------------------------------------ */

#define EVENT_BUF 8192

static void publish_exit(struct proc *p)
{
	uint8_t buf[EVENT_BUF];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_exit ev = { .container_id = cs(p->c->id), .id = cs(p->c->id),
				   .pid = (uint32_t)p->pid, .exit_status = (uint32_t)p->exit_status,
				   .exited_at = p->exited_at };
	ev_task_exit_encode(&w, &ev);
	if (!w.err)
		pub_event("/tasks/exit", "containerd.events.TaskExit", buf, w.len);
}

static void release_waiters(struct proc *p)
{
	uint8_t buf[64];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct tk_wait_resp r = { (uint32_t)p->exit_status, p->exited_at };
	tk_wait_resp_encode(&w, &r);
	while (p->waiters) {
		struct waiter *wt = p->waiters;
		p->waiters = wt->next;
		call_reply(wt->call, buf, w.len);
		free(wt);
	}
}

/* The exit becomes visible: state, event, then waiters (so Wait never answers before the
 * event is queued). */
static void proc_exit_visible(struct proc *p)
{
	p->state = P_STOPPED;
	publish_exit(p);
	release_waiters(p);
}

static void on_init_exit(void *ctx, const struct reap_exit *e)
{
	struct proc *p = ctx;
	p->exit_status = e->status;
	p->exited_at.seconds = e->at_s;
	p->exited_at.nanos = e->at_ns;
	log_debug("container %s init %d exited with %d", p->c->id, (int)e->pid, e->status);
	if (p->starting) {
		p->exit_deferred = 1;
		return;
	}
	proc_exit_visible(p);
	container_unref(p->c); /* the reaper's reference */
}

/* --- ops --------------------------------------------------------------------------------- */

static void op_job_done(struct runc_job *job)
{
	struct op *op = (struct op *)job;
	op->finish(op);
	runc_job_release(&op->job);
	container_unref(op->c);
	free(op->req);
	free(op);
}

static struct op *op_new(struct call call, struct container *c, void (*finish)(struct op *))
{
	struct op *op = calloc(1, sizeof(*op));
	if (!op) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	op->call = call;
	op->c = c;
	op->finish = finish;
	op->job.done = op_job_done;
	op->job.out_fd = op->job.err_fd = -1;
	c->refs++;
	return op;
}

static void op_fail(struct op *op, int code, const char *msg)
{
	call_error(op->call, code, "%s", msg);
	container_unref(op->c);
	free(op->req);
	free(op);
}

static int op_run(struct op *op, const char *const *args, const int *fds, const void *in,
		  size_t inlen, int flags)
{
	int e = runc_run(&op->job, &op->c->cfg, args, fds, in, inlen, flags);
	if (e < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot run the OCI runtime %s: %s", op->c->cfg.binary,
			 strerror(-e));
		op_fail(op, TT_UNKNOWN, msg);
	}
	return e;
}

/* --- handlers ---------------------------------------------------------------------------- */

static void reply_empty(struct call call)
{
	call_reply(call, NULL, 0);
}

static void reply_pid(struct call call, pid_t pid)
{
	uint8_t buf[16];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct tk_pid_resp r = { (uint32_t)pid };
	tk_pid_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

static void create_cleanup(struct container *c)
{
	pio_destroy(&c->init.io);
	if (c->rootfs_mounted) {
		int e = mount_unmount_all(c->rootfs);
		if (e < 0)
			log_warn("unmount %s: %s", c->rootfs, strerror(-e));
		c->rootfs_mounted = 0;
	}
	container_unlist(c);
}

static void create_finish(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = &c->init;
	char path[PATH_LEN + 16], buf[32];
	long long pid = 0;
	struct tk_create_req req;

	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create failed: %s", op->job.err);
		create_cleanup(c);
		return;
	}
	if (sys_fmt(path, sizeof(path), "%s/init.pid", c->cfg.bundle) < 0 ||
	    sys_read_file(path, buf, sizeof(buf)) <= 0 ||
	    json_int(pb_str_of(buf, strlen(buf)), &pid) < 0 || pid <= 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create: cannot read %s", path);
		create_cleanup(c);
		return;
	}
	p->pid = (pid_t)pid;
	p->state = P_CREATED;
	c->refs++; /* held for the reaper until the exit arrives */
	if (reap_watch(p->pid, on_init_exit, p) < 0) {
		c->refs--;
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		create_cleanup(c);
		return;
	}
	if (pio_start(&p->io) < 0)
		log_warn("container %s: cannot start stdio copiers", c->id);

	if (tk_create_req_decode(op->req, op->req_len, &req) == 0) {
		uint8_t ebuf[EVENT_BUF];
		struct pb_w w = pb_w_init(ebuf, sizeof(ebuf));
		struct ev_task_create ev = { .container_id = req.id, .bundle = req.bundle,
					     .rootfs_src = req.raw, .rootfs_src_num = 3,
					     .checkpoint = req.checkpoint, .pid = (uint32_t)p->pid };
		ev.io.stdin_path = req.stdin_path;
		ev.io.stdout_path = req.stdout_path;
		ev.io.stderr_path = req.stderr_path;
		ev.io.terminal = req.terminal;
		ev_task_create_encode(&w, &ev);
		if (!w.err)
			pub_event("/tasks/create", "containerd.events.TaskCreate", ebuf, w.len);
	}
	reply_pid(op->call, p->pid);
}

static void parse_runc_options(const struct tk_create_req *req, struct runc_cfg *cfg, int *no_pivot,
			       int *no_keyring, int *uid, int *gid)
{
	struct opt_runc o;
	if (!req->has_options || req->options.value.n == 0)
		return;
	struct pb_str url = req->options.type_url;
	const char *want = OPT_RUNC_OPTIONS_URL;
	size_t wl = strlen(want);
	if (url.n < wl || memcmp(url.p + url.n - wl, want, wl) != 0) {
		log_info("ignoring runtime options of type %.*s", (int)url.n, (const char *)url.p);
		return;
	}
	if (opt_runc_decode(req->options.value.p, req->options.value.n, &o) < 0) {
		log_warn("ignoring undecodable runc options");
		return;
	}
	if (o.binary_name.n && str_copy(cfg->binary, sizeof(cfg->binary), o.binary_name) < 0)
		log_warn("binary_name too long; using runc");
	if (o.root.n && str_copy(cfg->root, sizeof(cfg->root), o.root) < 0)
		log_warn("root too long; using the default");
	cfg->systemd_cgroup = o.systemd_cgroup;
	*no_pivot = o.no_pivot_root;
	*no_keyring = o.no_new_keyring;
	if (o.io_uid || o.io_gid) {
		*uid = (int)o.io_uid;
		*gid = (int)o.io_gid;
	}
}

static void h_create(struct call call, struct pb_str payload)
{
	struct tk_create_req req;
	struct container *c;
	char err[512];
	int no_pivot = 0, no_keyring = 0, uid = -1, gid = -1, e;

	if (tk_create_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: CreateTaskRequest");
		return;
	}
	if (shutting_down) {
		call_error(call, TT_UNAVAILABLE, "shim is shutting down");
		return;
	}
	if (req.id.n == 0 || req.id.n >= ID_MAX || req.bundle.n == 0) {
		call_error(call, TT_INVALID_ARGUMENT, "create: id and bundle are required");
		return;
	}
	if (find(req.id)) {
		call_error(call, TT_ALREADY_EXISTS, "container %.*s: already exists", (int)req.id.n,
			   (const char *)req.id.p);
		return;
	}
	if (req.terminal) {
		call_error(call, TT_UNIMPLEMENTED, "terminal: not implemented in this shimbox yet");
		return;
	}
	if (req.checkpoint.n) {
		call_error(call, TT_UNIMPLEMENTED, "restore from a checkpoint: not implemented");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	c->refs = 1;
	c->listed = 1;
	c->init.c = c;
	c->init.state = P_CREATING;
	c->init.exited_at = ts_unset();
	pio_init(&c->init.io);
	str_copy(c->id, sizeof(c->id), req.id);
	strcpy(c->cfg.binary, "runc");
	strcpy(c->cfg.root, RUNC_DEFAULT_ROOT);
	snprintf(c->cfg.ns, sizeof(c->cfg.ns), "%s", svc.ns);
	if (str_copy(c->cfg.bundle, sizeof(c->cfg.bundle), req.bundle) < 0 ||
	    str_copy(c->init.stdin_path, PATH_LEN, req.stdin_path) < 0 ||
	    str_copy(c->init.stdout_path, PATH_LEN, req.stdout_path) < 0 ||
	    str_copy(c->init.stderr_path, PATH_LEN, req.stderr_path) < 0 ||
	    sys_fmt(c->rootfs, sizeof(c->rootfs), "%s/rootfs", c->cfg.bundle) < 0) {
		free(c);
		call_error(call, TT_INVALID_ARGUMENT, "create: a path is too long");
		return;
	}
	c->next = containers;
	containers = c;
	ncontainers++;

	parse_runc_options(&req, &c->cfg, &no_pivot, &no_keyring, &uid, &gid);
	if ((e = runc_cfg_save(&c->cfg)) < 0)
		log_warn("cannot save options.json in %s: %s", c->cfg.bundle, strerror(-e));

	if (req.nrootfs) {
		struct pb_r it = pb_r_of(req.raw);
		struct tk_mount m;
		if (mkdir(c->rootfs, 0711) < 0 && errno != EEXIST) {
			call_error(call, TT_UNKNOWN, "mkdir %s: %s", c->rootfs, strerror(errno));
			create_cleanup(c);
			return;
		}
		while ((e = tk_mount_next(&it, 3, &m)) > 0) {
			c->rootfs_mounted = 1;
			if ((e = mount_one(&m, c->rootfs, err, sizeof(err))) < 0)
				break;
		}
		if (e < 0) {
			call_error(call, TT_UNKNOWN, "failed to mount rootfs component: %s", err);
			create_cleanup(c);
			return;
		}
	}
	if (pio_open(&c->init.io, c->init.stdin_path, c->init.stdout_path, c->init.stderr_path, uid,
		     gid, err, sizeof(err)) < 0) {
		call_error(call, TT_UNKNOWN, "failed to create stdio: %s", err);
		create_cleanup(c);
		return;
	}
	struct op *op = op_new(call, c, create_finish);
	if (!op) {
		create_cleanup(c);
		return;
	}
	op->req = malloc(payload.n ? payload.n : 1);
	if (!op->req) {
		op_fail(op, TT_RESOURCE_EXHAUSTED, "out of memory");
		create_cleanup(c);
		return;
	}
	memcpy(op->req, payload.p, payload.n);
	op->req_len = payload.n;

	char pidfile[PATH_LEN + 16];
	const char *args[12];
	size_t n = 0;
	if (sys_fmt(pidfile, sizeof(pidfile), "%s/init.pid", c->cfg.bundle) < 0) {
		op_fail(op, TT_INVALID_ARGUMENT, "bundle path too long");
		create_cleanup(c);
		return;
	}
	args[n++] = "create";
	args[n++] = "--bundle";
	args[n++] = c->cfg.bundle;
	args[n++] = "--pid-file";
	args[n++] = pidfile;
	if (no_pivot)
		args[n++] = "--no-pivot";
	if (no_keyring)
		args[n++] = "--no-new-keyring";
	args[n++] = c->id;
	args[n] = NULL;
	c->refs++; /* keep c alive across op_fail's unref */
	if (op_run(op, args, c->init.io.child_fds, NULL, 0, 0) < 0) {
		create_cleanup(c);
		container_unref(c);
		return;
	}
	container_unref(c);
	pio_close_child_ends(&c->init.io);
}

static void start_finish(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = &c->init;
	p->starting = 0;
	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime start failed: %s", op->job.err);
	} else {
		uint8_t buf[512];
		struct pb_w w = pb_w_init(buf, sizeof(buf));
		struct ev_task_start ev = { cs(c->id), (uint32_t)p->pid };
		p->state = P_RUNNING;
		ev_task_start_encode(&w, &ev);
		if (!w.err)
			pub_event("/tasks/start", "containerd.events.TaskStart", buf, w.len);
		reply_pid(op->call, p->pid);
	}
	if (p->exit_deferred) {
		p->exit_deferred = 0;
		proc_exit_visible(p);
		container_unref(c); /* the reaper's reference */
	}
}

static const char *state_word(const struct proc *p)
{
	switch (p->state) {
	case P_CREATING:
		return "creating";
	case P_CREATED:
		return "created";
	case P_RUNNING:
		return "running";
	default:
		return "stopped";
	}
}

/* Looks up the container of a request; answers NOT_FOUND itself when there is none. */
static struct container *lookup(struct call call, struct pb_str id)
{
	struct container *c = find(id);
	if (!c || c->init.state == P_CREATING) {
		call_error(call, TT_NOT_FOUND, "container %.*s: container not created: not found",
			   (int)id.n, (const char *)id.p);
		return NULL;
	}
	return c;
}

/* Execs arrive with the next capability; until then any exec id is unknown. */
static int no_exec(struct call call, struct pb_str exec_id)
{
	if (exec_id.n == 0)
		return 0;
	call_error(call, TT_NOT_FOUND, "process %.*s does not exist: not found", (int)exec_id.n,
		   (const char *)exec_id.p);
	return 1;
}

static void h_start(struct call call, struct pb_str payload)
{
	struct tk_proc_req req;
	struct container *c;
	if (tk_proc_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: StartRequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	struct proc *p = &c->init;
	if (p->state != P_CREATED || p->starting || c->deleting) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot start a %s process",
			   p->starting ? "starting" : state_word(p));
		return;
	}
	struct op *op = op_new(call, c, start_finish);
	if (!op)
		return;
	const char *args[] = { "start", c->id, NULL };
	p->starting = 1;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		p->starting = 0;
}

static void fill_state(struct tk_state_resp *r, const struct container *c)
{
	const struct proc *p = &c->init;
	memset(r, 0, sizeof(*r));
	r->id = cs(c->id);
	r->bundle = cs(c->cfg.bundle);
	r->pid = (uint32_t)p->pid;
	switch (p->state) {
	case P_CREATED:
		r->status = TK_STATUS_CREATED;
		break;
	case P_RUNNING:
		r->status = TK_STATUS_RUNNING;
		break;
	case P_STOPPED:
		r->status = TK_STATUS_STOPPED;
		break;
	default:
		r->status = TK_STATUS_UNKNOWN;
	}
	r->stdin_path = cs(p->stdin_path);
	r->stdout_path = cs(p->stdout_path);
	r->stderr_path = cs(p->stderr_path);
	r->terminal = p->terminal;
	r->exit_status = (uint32_t)p->exit_status;
	r->exited_at = p->exited_at;
}

static void h_state(struct call call, struct pb_str payload)
{
	struct tk_proc_req req;
	struct tk_state_resp r;
	struct container *c;
	uint8_t buf[4 * PATH_LEN + 512];
	if (tk_proc_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: StateRequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	fill_state(&r, c);
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	tk_state_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

static void h_wait(struct call call, struct pb_str payload)
{
	struct tk_proc_req req;
	struct container *c;
	if (tk_proc_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: WaitRequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	struct proc *p = &c->init;
	struct waiter *wt = malloc(sizeof(*wt));
	if (!wt) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	wt->call = call;
	wt->next = p->waiters;
	p->waiters = wt;
	if (p->state == P_STOPPED)
		release_waiters(p);
}

static void kill_finish(struct op *op)
{
	const char *e = op->job.err;
	if (op->job.status == 0) {
		reply_empty(op->call);
	} else if (strstr(e, "container not running") || strstr(e, "no such process") ||
		   strstr(e, "process already finished")) {
		call_error(op->call, TT_NOT_FOUND, "process already finished: not found");
	} else if (strstr(e, "does not exist")) {
		call_error(op->call, TT_NOT_FOUND, "no such container: not found");
	} else {
		call_error(op->call, TT_UNKNOWN, "unknown error after kill: %s", e);
	}
}

static void h_kill(struct call call, struct pb_str payload)
{
	struct tk_kill_req req;
	struct container *c;
	char sig[16];
	if (tk_kill_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: KillRequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	if (c->init.state == P_STOPPED && !req.all) {
		call_error(call, TT_NOT_FOUND, "process already finished: not found");
		return;
	}
	if (req.signal == 0 || req.signal > 64) {
		call_error(call, TT_INVALID_ARGUMENT, "invalid signal %u", req.signal);
		return;
	}
	struct op *op = op_new(call, c, kill_finish);
	if (!op)
		return;
	snprintf(sig, sizeof(sig), "%u", req.signal);
	const char *args[] = { "kill", req.all ? "--all" : c->id, req.all ? c->id : sig,
			       req.all ? sig : NULL, NULL };
	(void)op_run(op, args, NULL, NULL, 0, 0);
}

static void delete_done(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = &c->init;
	uint8_t buf[512];
	struct pb_w w;

	if (op->job.status != 0 && !strstr(op->job.err, "does not exist")) {
		c->deleting = 0;
		call_error(op->call, TT_UNKNOWN, "failed to delete task: %s", op->job.err);
		return;
	}
	pio_destroy(&p->io);
	if (c->rootfs_mounted) {
		int e = mount_unmount_all(c->rootfs);
		if (e < 0)
			log_warn("unmount %s: %s", c->rootfs, strerror(-e));
		c->rootfs_mounted = 0;
	}
	struct tk_timestamp at = p->state == P_STOPPED ? p->exited_at : ts_unset();
	struct ev_task_delete ev = { .container_id = cs(c->id), .pid = (uint32_t)p->pid,
				     .exit_status = (uint32_t)p->exit_status, .exited_at = at };
	w = pb_w_init(buf, sizeof(buf));
	ev_task_delete_encode(&w, &ev);
	if (!w.err)
		pub_event("/tasks/delete", "containerd.events.TaskDelete", buf, w.len);

	struct tk_delete_resp r = { (uint32_t)p->pid, (uint32_t)p->exit_status, at };
	w = pb_w_init(buf, sizeof(buf));
	tk_delete_resp_encode(&w, &r);
	call_reply(op->call, buf, w.len);
	/* Waiters of a never-started init that is deleted get its (zero) status now. */
	release_waiters(p);
	container_unlist(c);
}

static void delete_run(struct op *op)
{
	const char *args[] = { "delete", op->c->id, NULL };
	loop_timer_cancel(&op->timer);
	op->c->init.io.drained = NULL;
	op->c->refs++;
	struct container *c = op->c;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		c->deleting = 0;
	container_unref(c);
}

static void delete_on_drained(struct pio *io)
{
	delete_run(io->ctx);
}

static void delete_on_timeout(struct loop_timer *t)
{
	struct op *op = (struct op *)((char *)t - offsetof(struct op, timer));
	log_warn("container %s: output still flowing after %d ms; deleting anyway", op->c->id,
		 IO_DRAIN_MS);
	delete_run(op);
}

static void h_delete(struct call call, struct pb_str payload)
{
	struct tk_proc_req req;
	struct container *c;
	if (tk_proc_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: DeleteRequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	struct proc *p = &c->init;
	if (c->deleting) {
		call_error(call, TT_FAILED_PRECONDITION, "container %s is being deleted", c->id);
		return;
	}
	if (p->state == P_RUNNING || p->starting) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot delete a running process");
		return;
	}
	struct op *op = op_new(call, c, delete_done);
	if (!op)
		return;
	c->deleting = 1;
	/* Give the output copiers up to 2 s to deliver what the process wrote before it exited. */
	if (pio_outputs_busy(&p->io) && p->state == P_STOPPED) {
		p->io.ctx = op;
		p->io.drained = delete_on_drained;
		op->timer.fn = delete_on_timeout;
		loop_timer_arm(&op->timer, IO_DRAIN_MS);
		return;
	}
	delete_run(op);
}

static void pids_finish(struct op *op)
{
	char out[65536];
	ssize_t n;
	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "runc ps: %s", op->job.err);
		return;
	}
	n = pread(op->job.out_fd, out, sizeof(out) - 1, 0);
	if (n < 0)
		n = 0;
	struct pb_str it = pb_str_of(out, (size_t)n), el;
	size_t cap = 16 + (size_t)n * 2;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(buf, cap);
	int r;
	while ((r = json_array_next(&it, &el)) > 0) {
		long long pid;
		if (json_int(el, &pid) == 0 && pid > 0) {
			struct tk_process_info pi = { .pid = (uint32_t)pid };
			tk_pids_resp_put(&w, &pi);
		}
	}
	if (r < 0 || w.err)
		call_error(op->call, TT_UNKNOWN, "runc ps: unexpected output");
	else
		call_reply(op->call, buf, w.len);
	free(buf);
}

static void h_pids(struct call call, struct pb_str payload)
{
	struct tk_id_req req;
	struct container *c;
	if (tk_id_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: PidsRequest");
		return;
	}
	if (!(c = lookup(call, req.id)))
		return;
	struct op *op = op_new(call, c, pids_finish);
	if (!op)
		return;
	const char *args[] = { "ps", "--format", "json", c->id, NULL };
	(void)op_run(op, args, NULL, NULL, 0, RUNC_CAPTURE);
}

static void h_closeio(struct call call, struct pb_str payload)
{
	struct tk_closeio_req req;
	struct container *c;
	if (tk_closeio_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: CloseIORequest");
		return;
	}
	if (!(c = lookup(call, req.id)) || no_exec(call, req.exec_id))
		return;
	if (req.stdin_close)
		pio_close_stdin(&c->init.io);
	reply_empty(call);
}

static void h_connect(struct call call, struct pb_str payload)
{
	struct tk_id_req req;
	uint8_t buf[64];
	if (tk_id_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: ConnectRequest");
		return;
	}
	struct container *c = find(req.id);
	struct tk_connect_resp r = { .shim_pid = (uint32_t)getpid(),
				     .task_pid = c ? (uint32_t)c->init.pid : 0 };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	tk_connect_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

static void h_shutdown(struct call call, struct pb_str payload)
{
	struct tk_shutdown_req req;
	if (tk_shutdown_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: ShutdownRequest");
		return;
	}
	reply_empty(call);
	if (ncontainers == 0)
		svc_shutdown();
}

struct method {
	const char *name;
	void (*fn)(struct call call, struct pb_str payload);
};

static const struct method methods[] = {
	{ "Create", h_create }, { "Start", h_start },	  { "State", h_state },
	{ "Wait", h_wait },	{ "Kill", h_kill },	  { "Delete", h_delete },
	{ "Pids", h_pids },	{ "CloseIO", h_closeio }, { "Connect", h_connect },
	{ "Shutdown", h_shutdown },
};

/* Methods of the Task API that the next capability implements. */
static const char *const later[] = { "Exec", "ResizePty", "Pause", "Resume", "Update", "Stats",
				     "Checkpoint" };

void svc_dispatch(struct call call, const struct tt_req *req)
{
	if (!pb_str_eq(req->service, SVC_V2) && !pb_str_eq(req->service, SVC_V3)) {
		call_error(call, TT_UNIMPLEMENTED, "service %.*s", (int)req->service.n,
			   (const char *)req->service.p);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
		if (pb_str_eq(req->method, methods[i].name)) {
			log_debug("%.*s", (int)req->method.n, (const char *)req->method.p);
			methods[i].fn(call, req->payload);
			return;
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(later); i++) {
		if (pb_str_eq(req->method, later[i])) {
			call_error(call, TT_UNIMPLEMENTED, "%s: not implemented", later[i]);
			return;
		}
	}
	call_error(call, TT_UNIMPLEMENTED, "method %.*s", (int)req->method.n,
		   (const char *)req->method.p);
}

static void on_shutdown_tick(struct loop_timer *t)
{
	if ((pub_queued() == 0 && conn_pending_bytes() == 0) || sys_mono_ms() >= shutdown_deadline) {
		if (pub_queued())
			log_warn("exiting with %zu events undelivered", pub_queued());
		loop_stop();
		return;
	}
	loop_timer_arm(t, 20);
}

void svc_shutdown(void)
{
	if (shutting_down)
		return;
	shutting_down = 1;
	log_info("shutting down");
	conn_stop_listening();
	if (svc.socket_path && svc.socket_path[0])
		unlink(svc.socket_path);
	shutdown_deadline = sys_mono_ms() + SHUTDOWN_DRAIN_MS;
	shutdown_timer.fn = on_shutdown_tick;
	loop_timer_arm(&shutdown_timer, 0);
}

size_t svc_container_count(void)
{
	return ncontainers;
}

int svc_init(const struct svc_config *cfg)
{
	svc = *cfg;
	return 0;
}
