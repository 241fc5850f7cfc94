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

#include "cgroup.h"
#include "console.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SVC_V2 "containerd.task.v2.Task"
#define SVC_V3 "containerd.task.v3.Task"
#define SVC_SHIMBOX "shimbox.v1.Shim"
#define ID_MAX 128
#define PATH_LEN 1024
#define IO_DRAIN_MS 2000
#define SHUTDOWN_DRAIN_MS 5000

enum proc_state { P_CREATING, P_CREATED, P_RUNNING, P_PAUSING, P_PAUSED, P_STOPPED };

struct waiter {
	struct waiter *next;
	struct call call;
};

struct container;

/* A process: the container's init (exec_id empty) or an exec. */
struct proc {
	struct proc *next; /* execs of the container */
	struct container *c;
	char exec_id[ID_MAX];
	pid_t pid;
	enum proc_state state;
	int starting;      /* a Start is in flight: its exit is published after TaskStart */
	int exit_deferred; /* the exit arrived while starting */
	int exited;        /* the reaper reported it (state may still show running) */
	int deleting;      /* an exec's Delete waits for its output */
	int exit_status;
	struct tk_timestamp exited_at;
	int terminal;
	/* The client's stdio paths, in one allocation of their own size (an exec is small). */
	const char *stdin_path, *stdout_path, *stderr_path;
	char *stdio_paths;
	struct pio io;
	struct console_sock console;
	struct waiter *waiters;
	char *spec; /* exec: the JSON Process with terminal forced */
	size_t spec_len;
};

struct container {
	struct container *next;
	int refs; /* the list's, plus one per op in flight and per pid watched */
	int listed;
	int deleting;
	int init_exit_held; /* init exited; its exit waits for the execs' exits */
	uint64_t created_ms;
	char id[ID_MAX];
	char rootfs[PATH_LEN];
	int rootfs_mounted;
	int no_pivot, no_keyring;
	int shared_pidns; /* no private pid namespace: init's death does not end the others */
	struct runc_cfg cfg;
	struct proc init;
	struct proc *execs;
	struct cg *cg;
};

/* An operation waiting for a runtime child (and sometimes for stdio or a logger first). */
struct op {
	struct runc_job job; /* first: the job callback finds the op */
	struct call call;
	struct container *c;
	struct proc *p;
	void (*finish)(struct op *op);
	struct loop_timer timer;
	uint8_t *req; /* a copy of the request payload where the finish needs it */
	size_t req_len;
	char path[PATH_LEN + 64]; /* a file to remove when done */
	char pidfile[PATH_LEN + 64];
	const char *what; /* the runtime command, for messages */
	char criu_log[PATH_LEN + 64]; /* checkpoint: CRIU's log, named in an error */
	void (*after_drain)(struct op *op);
};

static struct svc_config svc;
static struct container *containers;
static size_t ncontainers;
static int shutting_down;
static uint64_t shutdown_deadline, started_ms;
static struct loop_timer shutdown_timer;

static struct tk_timestamp ts_unset(void)
{
	struct tk_timestamp t = { TK_TS_UNSET_SECONDS, 0 };
	return t;
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

static struct proc *find_exec(struct container *c, struct pb_str exec_id)
{
	for (struct proc *p = c->execs; p; p = p->next)
		if (pb_str_eq(exec_id, p->exec_id))
			return p;
	return NULL;
}

static void proc_init(struct proc *p, struct container *c)
{
	p->c = c;
	p->stdin_path = p->stdout_path = p->stderr_path = "";
	p->state = P_CREATING;
	p->exited_at = ts_unset();
	pio_init(&p->io);
	console_sock_init(&p->console);
}

/* Copies the three paths of a request. 0, or -1 if one holds a NUL or memory is short. */
static int proc_set_stdio(struct proc *p, struct pb_str in, struct pb_str out, struct pb_str err)
{
	char *b = malloc(in.n + out.n + err.n + 3);
	if (!b || pb_str_copy(b, in.n + 1, in) < 0 || pb_str_copy(b + in.n + 1, out.n + 1, out) < 0 ||
	    pb_str_copy(b + in.n + out.n + 2, err.n + 1, err) < 0) {
		free(b);
		return -1;
	}
	free(p->stdio_paths);
	p->stdio_paths = b;
	p->stdin_path = b;
	p->stdout_path = b + in.n + 1;
	p->stderr_path = b + in.n + out.n + 2;
	return 0;
}

static void proc_release(struct proc *p)
{
	free(p->stdio_paths);
	p->stdio_paths = NULL;
	p->stdin_path = p->stdout_path = p->stderr_path = "";
	pio_destroy(&p->io);
	console_sock_close(&p->console);
	free(p->spec);
	p->spec = NULL;
}

static void container_unref(struct container *c)
{
	if (--c->refs > 0)
		return;
	while (c->execs) {
		struct proc *p = c->execs;
		c->execs = p->next;
		proc_release(p);
		free(p);
	}
	proc_release(&c->init);
	if (c->cg)
		cg_close(c->cg);
	free(c);
}

static int proc_live(const struct proc *p)
{
	return p->pid > 0 && !p->exited;
}

static void container_unlist(struct container *c)
{
	if (!c->listed)
		return;
	for (struct container **pp = &containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->listed = 0;
	ncontainers--;
	/* A never-started init deleted before it exited: its exit is no longer ours to report. */
	if (proc_live(&c->init)) {
		reap_unwatch(c->init.pid);
		container_unref(c); /* the reaper's reference */
	}
	container_unref(c);
	if (ncontainers == 0 && shutting_down == 0)
		log_info("no container left");
}

/* --- events ------------------------------------------------------------------------------ */

/* The v1 shim publishes only exits: containerd publishes the other events itself (6.1).
 * done(ctx), if given, runs once the event is delivered or dropped. */
static void emit_then(const char *topic, const char *type, const void *buf, size_t n,
                      void (*done)(void *ctx), void *ctx)
{
	if (svc.v1 && strcmp(topic, "/tasks/exit") != 0) {
		if (done)
			done(ctx);
		return;
	}
	pub_event_then(topic, type, buf, n, done, ctx);
}

static void emit(const char *topic, const char *type, const void *buf, size_t n)
{
	emit_then(topic, type, buf, n, NULL, NULL);
}

static void publish_id_event(const char *topic, const char *type, const char *id)
{
	uint8_t buf[256];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_id ev = { cs(id) };
	ev_task_id_encode(&w, &ev);
	if (!w.err)
		emit(topic, type, buf, w.len);
}

static void publish_exec_event(const char *topic, const char *type, const struct proc *p)
{
	uint8_t buf[512];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_exec ev = { cs(p->c->id), cs(p->exec_id), (uint32_t)p->pid };
	ev_task_exec_encode(&w, &ev);
	if (!w.err)
		emit(topic, type, buf, w.len);
}

static void publish_exit(struct proc *p, void (*done)(void *ctx), void *ctx)
{
	uint8_t buf[2 * ID_MAX + 64];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_exit ev = { .container_id = cs(p->c->id),
		                   .id = cs(p->exec_id[0] ? p->exec_id : p->c->id),
		                   .pid = (uint32_t)p->pid,
		                   .exit_status = (uint32_t)p->exit_status,
		                   .exited_at = p->exited_at };
	ev_task_exit_encode(&w, &ev);
	if (!w.err)
		emit_then("/tasks/exit", "containerd.events.TaskExit", buf, w.len, done, ctx);
	else if (done)
		done(ctx);
}

static void on_oom(void *ctx)
{
	struct container *c = ctx;
	log_info("container %s: OOM", c->id);
	publish_id_event("/tasks/oom", "containerd.events.TaskOOM", c->id);
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

struct exit_delivery {
	struct container *c;
	char exec_id[ID_MAX];
};

static void on_exit_delivered(void *ctx)
{
	struct exit_delivery *d = ctx;
	struct proc *p = d->exec_id[0] ? find_exec(d->c, cs(d->exec_id)) : &d->c->init;
	if (p)
		release_waiters(p);
	container_unref(d->c);
	free(d);
}

/*
 * The exit becomes visible: state, event, then waiters, so Wait never answers before the event
 * is queued. The v1 shim answers Wait only once containerd has the event: containerd publishes
 * /tasks/delete itself, and a client deleting at once would otherwise see delete before exit.
 */
static void proc_exit_visible(struct proc *p)
{
	struct exit_delivery *d;
	p->state = P_STOPPED;
	if (svc.v1 && (d = calloc(1, sizeof(*d))) != NULL) {
		d->c = p->c;
		p->c->refs++;
		snprintf(d->exec_id, sizeof(d->exec_id), "%s", p->exec_id);
		publish_exit(p, on_exit_delivered, d);
		return;
	}
	publish_exit(p, NULL, NULL);
	release_waiters(p);
}

static int execs_live(const struct container *c)
{
	for (const struct proc *p = c->execs; p; p = p->next)
		if (proc_live(p) || p->exit_deferred)
			return 1;
	return 0;
}

static void init_exit_visible(struct container *c)
{
	/* An OOM kill is reported before the exit it caused. */
	if (c->cg)
		cg_oom_poll(c->cg);
	proc_exit_visible(&c->init);
}

static void kill_all_done(struct runc_job *job)
{
	if (job->status != 0)
		log_warn("runc kill --all after init's exit: %s", job->err);
	runc_job_release(job);
	free(job);
}

/* With a shared pid namespace the kernel does not kill the rest when init dies: runc does
 * (PROTOCOL.md 5.6). Nobody waits for this. */
static void kill_all_after_init(struct container *c)
{
	struct runc_job *job = calloc(1, sizeof(*job));
	const char *args[] = { "kill", "--all", c->id, "9", NULL };
	if (!job)
		return;
	job->done = kill_all_done;
	if (runc_run(job, &c->cfg, args, NULL, NULL, 0, 0) < 0)
		free(job);
}

/* Whether the spec in bundle gives the container a pid namespace of its own. */
static int spec_private_pidns(const char *bundle)
{
	char path[PATH_LEN + 16];
	size_t cap = 1 << 20;
	char *spec = malloc(cap);
	struct pb_str ns, it, el, v;
	int private = 0;
	ssize_t n;

	if (!spec || sys_fmt(path, sizeof(path), "%s/config.json", bundle) < 0 ||
	    (n = sys_read_file(path, spec, cap)) <= 0 ||
	    json_get_path(pb_str_of(spec, (size_t)n), &ns, "linux", "namespaces",
	                  (const char *)NULL) != 1) {
		free(spec);
		return 1; /* unknown: assume the usual private namespace */
	}
	it = ns;
	while (json_array_next(&it, &el) > 0) {
		char type[16], nspath[8];
		if (json_get(el, "type", &v) != 1 || json_string(v, type, sizeof(type)) < 0 ||
		    strcmp(type, "pid") != 0)
			continue;
		private =
		    json_get(el, "path", &v) != 1 || json_string(v, nspath, sizeof(nspath)) == 0;
	}
	free(spec);
	return private;
}

/* Publishes an exit in the order of PROTOCOL.md 4.2: an init's exit is the container's last. */
static void proc_exit_publish(struct proc *p)
{
	struct container *c = p->c;
	if (p != &c->init) {
		proc_exit_visible(p);
		if (c->init_exit_held && !execs_live(c)) {
			c->init_exit_held = 0;
			init_exit_visible(c);
		}
		return;
	}
	/* Execs die with a private pid namespace anyway; with a shared one they must be stopped. */
	if (c->shared_pidns)
		kill_all_after_init(c);
	for (struct proc *e = c->execs; e; e = e->next)
		if (proc_live(e))
			kill(e->pid, SIGKILL);
	if (execs_live(c)) {
		c->init_exit_held = 1;
		return;
	}
	init_exit_visible(c);
}

static void on_proc_exit(void *ctx, const struct reap_exit *e)
{
	struct proc *p = ctx;
	struct container *c = p->c;
	p->exited = 1;
	p->exit_status = e->status;
	p->exited_at.seconds = e->at_s;
	p->exited_at.nanos = e->at_ns;
	log_debug("container %s process %s (%d) exited with %d", c->id,
	          p->exec_id[0] ? p->exec_id : "init", (int)e->pid, e->status);
	pio_process_exited(&p->io);
	if (p->starting) {
		p->exit_deferred = 1;
		return; /* the reaper's reference passes to the start in flight */
	}
	proc_exit_publish(p);
	container_unref(c); /* the reaper's reference */
}

/* Claims pid for p; the container stays alive until the exit is handled. */
static int proc_watch(struct proc *p)
{
	p->c->refs++;
	int e = reap_watch(p->pid, on_proc_exit, p);
	if (e < 0)
		p->c->refs--;
	return e;
}

/* --- ops --------------------------------------------------------------------------------- */

static void op_free(struct op *op)
{
	runc_job_release(&op->job);
	if (op->path[0])
		unlink(op->path);
	loop_timer_cancel(&op->timer);
	container_unref(op->c);
	free(op->req);
	free(op);
}

static void op_job_done(struct runc_job *job)
{
	struct op *op = (struct op *)job;
	op->finish(op);
	op_free(op);
}

static struct op *op_new(struct call call, struct container *c, struct proc *p,
                         void (*finish)(struct op *))
{
	struct op *op = calloc(1, sizeof(*op));
	if (!op) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	op->call = call;
	op->c = c;
	op->p = p;
	op->finish = finish;
	op->job.done = op_job_done;
	op->job.out_fd = op->job.err_fd = -1;
	c->refs++;
	return op;
}

static void op_fail(struct op *op, int code, const char *msg)
{
	call_error(op->call, code, "%s", msg);
	op_free(op);
}

/* Runs the runtime for op; on failure answers the call and frees op. */
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

#define DECODE(type, fn, name)                                                                     \
	type req;                                                                                  \
	if (fn(payload.p, payload.n, &req) < 0) {                                                  \
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: " name);        \
		return;                                                                            \
	}

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

static const char *state_word(enum proc_state s)
{
	static const char *const words[] = { "creating", "created", "running",
		                             "pausing",  "paused",  "stopped" };
	return words[s];
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

/* Looks up init (empty exec_id) or an exec; answers NOT_FOUND itself. */
static struct proc *lookup_proc(struct call call, struct pb_str id, struct pb_str exec_id)
{
	struct container *c = lookup(call, id);
	if (!c)
		return NULL;
	if (exec_id.n == 0)
		return &c->init;
	struct proc *p = find_exec(c, exec_id);
	if (!p)
		call_error(call, TT_NOT_FOUND, "process %.*s does not exist: not found",
		           (int)exec_id.n, (const char *)exec_id.p);
	return p;
}

/* What State reports: an exec of a paused container is paused too. */
static enum proc_state visible_state(const struct proc *p)
{
	enum proc_state is = p->c->init.state;
	if (p != &p->c->init && p->state == P_RUNNING && (is == P_PAUSED || is == P_PAUSING))
		return is;
	return p->state;
}

/* Starts a process's IO after the runtime has it: the console's master, or the copiers. */
static int proc_io_start(struct proc *p, char *err, size_t cap)
{
	int master = -1, e;
	if (p->terminal) {
		master = console_sock_recv(&p->console);
		console_sock_close(&p->console);
		if (master < 0) {
			snprintf(err, cap, "no pty master from the runtime: %s", strerror(-master));
			return master;
		}
	}
	pio_close_child_ends(&p->io);
	if ((e = pio_start(&p->io, master)) < 0) {
		snprintf(err, cap, "start stdio copiers: %s", strerror(-e));
		return e;
	}
	return 0;
}

static int read_pid_file(const char *path, pid_t *pid)
{
	char buf[32];
	long long v;
	if (sys_read_file(path, buf, sizeof(buf)) <= 0 ||
	    json_int(pb_str_of(buf, strlen(buf)), &v) < 0 || v <= 0 || v > 0x7fffffff)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* -- Create -- */

static void create_cleanup(struct container *c)
{
	proc_release(&c->init);
	if (c->rootfs_mounted) {
		int e = mount_unmount_all_async(c->rootfs);
		if (e < 0)
			log_warn("unmount %s: %s", c->rootfs, strerror(-e));
		c->rootfs_mounted = 0;
	}
	container_unlist(c);
}

struct abort_job {
	struct runc_job job; /* first: the job callback finds it */
	struct container *c;
};

static void create_abort_done(struct runc_job *job)
{
	struct abort_job *a = (struct abort_job *)job;
	if (job->status != 0)
		log_warn("runc delete --force %s: %s", a->c->id, job->err);
	runc_job_release(job);
	create_cleanup(a->c);
	container_unref(a->c);
	free(a);
}

/*
 * Undoes a Create that failed after `runc create` succeeded: the container is hidden from
 * requests at once, `runc delete --force` runs as a child, and the rootfs and stdio are released
 * when it is done. Its init's exit is no longer ours to report.
 */
static void create_abort(struct container *c)
{
	struct proc *p = &c->init;
	struct abort_job *a = calloc(1, sizeof(*a));
	const char *args[] = { "delete", "--force", c->id, NULL };

	p->state = P_CREATING;
	if (proc_live(p)) {
		reap_unwatch(p->pid);
		p->exited = 1;
		container_unref(c); /* the reaper's reference */
	}
	if (!a) {
		create_cleanup(c);
		return;
	}
	a->c = c;
	a->job.done = create_abort_done;
	c->refs++;
	if (runc_run(&a->job, &c->cfg, args, NULL, NULL, 0, 0) < 0) {
		free(a);
		create_cleanup(c);
		container_unref(c);
	}
}

static void create_finish(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = &c->init;
	char path[PATH_LEN + 16], err[512];
	struct tk_create_req req;

	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create failed: %s", op->job.err);
		create_cleanup(c);
		return;
	}
	if (sys_fmt(path, sizeof(path), "%s/init.pid", c->cfg.bundle) < 0 ||
	    read_pid_file(path, &p->pid) < 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create: cannot read %s", path);
		create_cleanup(c);
		return;
	}
	p->state = P_CREATED;
	c->shared_pidns = !spec_private_pidns(c->cfg.bundle);
	if (proc_watch(p) < 0) {
		p->pid = 0;
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		create_cleanup(c);
		return;
	}
	if (proc_io_start(p, err, sizeof(err)) < 0) {
		call_error(op->call, TT_UNKNOWN, "create %s: %s", c->id, err);
		create_abort(c);
		return;
	}
	/* Armed now, so that an OOM between create and start is not missed. */
	if (cg_open(&c->cg, p->pid) == 0) {
		if (cg_oom_watch(c->cg, on_oom, c) < 0)
			log_warn("container %s: no OOM watch", c->id);
	} else {
		c->cg = NULL;
	}
	size_t ecap = op->req_len + 64;
	uint8_t *ebuf = malloc(ecap);
	if (ebuf && tk_create_req_decode(op->req, op->req_len, &req) == 0) {
		struct pb_w w = pb_w_init(ebuf, ecap);
		struct ev_task_create ev = { .container_id = req.id,
			                     .bundle = req.bundle,
			                     .rootfs_src = req.raw,
			                     .rootfs_src_num = 3,
			                     .checkpoint = req.checkpoint,
			                     .pid = (uint32_t)p->pid };
		ev.io.stdin_path = req.stdin_path;
		ev.io.stdout_path = req.stdout_path;
		ev.io.stderr_path = req.stderr_path;
		ev.io.terminal = req.terminal;
		ev_task_create_encode(&w, &ev);
		if (!w.err)
			emit("/tasks/create", "containerd.events.TaskCreate", ebuf, w.len);
	}
	free(ebuf);
	reply_pid(op->call, p->pid);
}

/* Runs `runc create` once the stdio is ready. */
static void create_run(struct op *op)
{
	struct container *c = op->c;
	char pidfile[PATH_LEN + 16];
	const char *args[14];
	size_t n = 0;

	if (sys_fmt(pidfile, sizeof(pidfile), "%s/init.pid", c->cfg.bundle) < 0) {
		create_cleanup(c);
		op_fail(op, TT_INVALID_ARGUMENT, "bundle path too long");
		return;
	}
	args[n++] = "create";
	args[n++] = "--bundle";
	args[n++] = c->cfg.bundle;
	args[n++] = "--pid-file";
	args[n++] = pidfile;
	if (c->init.terminal) {
		args[n++] = "--console-socket";
		args[n++] = c->init.console.path;
	}
	if (c->no_pivot)
		args[n++] = "--no-pivot";
	if (c->no_keyring)
		args[n++] = "--no-new-keyring";
	args[n++] = c->id;
	args[n] = NULL;
	c->refs++; /* keep c alive across op_run's failure path */
	if (op_run(op, args, c->init.io.child_fds, NULL, 0, 0) < 0)
		create_cleanup(c);
	else
		pio_close_child_ends(&c->init.io);
	container_unref(c);
}

static void create_on_ready(struct pio *io, int ok)
{
	struct op *op = io->ctx;
	if (!ok) {
		create_cleanup(op->c);
		op_fail(op, TT_UNKNOWN, "the logging binary failed to start");
		return;
	}
	create_run(op);
}

static void parse_runc_options(const struct tk_create_req *req, struct container *c, int *uid,
                               int *gid)
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
	if (o.binary_name.n && pb_str_copy(c->cfg.binary, sizeof(c->cfg.binary), o.binary_name) < 0)
		log_warn("binary_name too long; using runc");
	if (o.root.n && pb_str_copy(c->cfg.root, sizeof(c->cfg.root), o.root) < 0)
		log_warn("root too long; using the default");
	c->cfg.systemd_cgroup = o.systemd_cgroup;
	c->no_pivot = o.no_pivot_root;
	c->no_keyring = o.no_new_keyring;
	if (o.io_uid || o.io_gid) {
		*uid = (int)o.io_uid;
		*gid = (int)o.io_gid;
	}
}

static void h_create(struct call call, struct pb_str payload)
{
	DECODE(struct tk_create_req, tk_create_req_decode, "CreateTaskRequest");
	struct container *c;
	char err[512];
	int uid = -1, gid = -1, e;

	if (shutting_down) {
		call_error(call, TT_UNAVAILABLE, "shim is shutting down");
		return;
	}
	if (req.id.n == 0 || req.bundle.n == 0) {
		call_error(call, TT_INVALID_ARGUMENT, "create: id and bundle are required");
		return;
	}
	if (req.id.n >= ID_MAX || memchr(req.id.p, 0, req.id.n) || memchr(req.id.p, '/', req.id.n)) {
		call_error(call, TT_INVALID_ARGUMENT, "create: invalid container id");
		return;
	}
	if (find(req.id)) {
		call_error(call, TT_ALREADY_EXISTS, "container %.*s: already exists", (int)req.id.n,
		           (const char *)req.id.p);
		return;
	}
	if (req.checkpoint.n) {
		call_error(call, TT_UNIMPLEMENTED,
		           "restore from a checkpoint: not supported by shimbox (CRIU restore)");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	c->refs = 1;
	c->listed = 1;
	c->created_ms = sys_mono_ms();
	proc_init(&c->init, c);
	c->init.terminal = req.terminal;
	(void)!pb_str_copy(c->id, sizeof(c->id), req.id); /* checked to fit above */
	strcpy(c->cfg.binary, "runc");
	strcpy(c->cfg.root, RUNC_DEFAULT_ROOT);
	snprintf(c->cfg.ns, sizeof(c->cfg.ns), "%s", svc.ns);
	if (pb_str_copy(c->cfg.bundle, sizeof(c->cfg.bundle), req.bundle) < 0 ||
	    proc_set_stdio(&c->init, req.stdin_path, req.stdout_path, req.stderr_path) < 0 ||
	    sys_fmt(c->rootfs, sizeof(c->rootfs), "%s/rootfs", c->cfg.bundle) < 0) {
		free(c->init.stdio_paths);
		free(c);
		call_error(call, TT_INVALID_ARGUMENT, "create: a path is too long or holds a NUL");
		return;
	}
	c->next = containers;
	containers = c;
	ncontainers++;

	parse_runc_options(&req, c, &uid, &gid);
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
	if (req.terminal && (e = console_sock_open(&c->init.console)) < 0) {
		call_error(call, TT_UNKNOWN, "failed to create console socket: %s", strerror(-e));
		create_cleanup(c);
		return;
	}
	struct op *op = op_new(call, c, &c->init, create_finish);
	if (!op) {
		create_cleanup(c);
		return;
	}
	op->req = malloc(payload.n ? payload.n : 1);
	if (!op->req) {
		create_cleanup(c);
		op_fail(op, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	memcpy(op->req, payload.p, payload.n);
	op->req_len = payload.n;

	struct pio_cfg pc = { c->init.stdin_path,
		              c->init.stdout_path,
		              c->init.stderr_path,
		              req.terminal,
		              uid,
		              gid,
		              c->id,
		              svc.ns };
	c->init.io.ctx = op;
	c->init.io.on_ready = create_on_ready;
	e = pio_open(&c->init.io, &pc, err, sizeof(err));
	if (e < 0) {
		create_cleanup(c);
		op_fail(op, TT_UNKNOWN, err);
		return;
	}
	if (e == PIO_WAIT)
		return; /* create_on_ready continues */
	create_run(op);
}

/* -- Start -- */

static void start_finish(struct op *op)
{
	struct proc *p = op->p;
	struct container *c = op->c;
	char err[512];
	int is_init = p == &c->init;

	p->starting = 0;
	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s",
		           is_init ? "start" : "exec", op->job.err);
		if (!is_init && !p->exit_deferred) {
			/* A failed exec is finished: its stdio is closed and its waiters return. */
			pio_destroy(&p->io);
			console_sock_close(&p->console);
			p->exited = 1;
			p->exit_status = 255;
			sys_now(&p->exited_at.seconds, &p->exited_at.nanos);
			p->state = P_STOPPED;
			release_waiters(p);
		}
	} else if (!is_init && read_pid_file(op->pidfile, &p->pid) < 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime exec: no pid file");
	} else {
		uint8_t buf[512];
		struct pb_w w = pb_w_init(buf, sizeof(buf));
		if (is_init) {
			struct ev_task_start ev = { cs(c->id), (uint32_t)p->pid };
			ev_task_start_encode(&w, &ev);
			if (!w.err)
				emit("/tasks/start", "containerd.events.TaskStart", buf, w.len);
			if (p->state == P_CREATED)
				p->state = P_RUNNING;
		} else {
			p->state = P_RUNNING;
			/* The exit may already be buffered: it is deferred until after ExecStarted.
			 */
			p->starting = 1;
			if (proc_watch(p) < 0)
				log_error("exec %s: cannot watch pid %d", p->exec_id, (int)p->pid);
			p->starting = 0;
			if (proc_io_start(p, err, sizeof(err)) < 0)
				log_warn("exec %s: %s", p->exec_id, err);
			publish_exec_event("/tasks/exec-started",
			                   "containerd.events.TaskExecStarted", p);
		}
		reply_pid(op->call, p->pid);
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
		p->starting = 0;
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
		p->starting = 0;
		pio_destroy(&p->io);
		pio_init(&p->io);
		console_sock_close(&p->console);
		op_fail(op, TT_UNKNOWN, "the logging binary failed to start");
		return;
	}
	exec_run(op);
}

static void start_exec(struct call call, struct container *c, struct proc *p)
{
	char err[512];
	int e;

	if (c->init.state != P_RUNNING || c->init.exited) {
		call_error(call, TT_FAILED_PRECONDITION, "container %s init process is not running",
		           c->id);
		return;
	}
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
		snprintf(err, sizeof(err), "exec %s: write process spec: %s", p->exec_id,
		         strerror(-e));
		op_fail(op, TT_UNKNOWN, err);
		return;
	}
	if (p->terminal && (e = console_sock_open(&p->console)) < 0) {
		snprintf(err, sizeof(err), "exec %s: console socket: %s", p->exec_id, strerror(-e));
		op_fail(op, TT_UNKNOWN, err);
		return;
	}
	/* A logging binary of an exec sees the exec's id, as with the reference. */
	struct pio_cfg pc = { p->stdin_path, p->stdout_path, p->stderr_path, p->terminal, -1, -1,
		              p->exec_id,    svc.ns };
	p->io.ctx = op;
	p->io.on_ready = exec_on_ready;
	p->starting = 1;
	e = pio_open(&p->io, &pc, err, sizeof(err));
	if (e < 0) {
		p->starting = 0;
		pio_init(&p->io);
		console_sock_close(&p->console);
		op_fail(op, TT_UNKNOWN, err);
		return;
	}
	if (e == PIO_WAIT)
		return; /* exec_on_ready continues */
	exec_run(op);
}

static void h_start(struct call call, struct pb_str payload)
{
	DECODE(struct tk_proc_req, tk_proc_req_decode, "StartRequest");
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	if (p->state != P_CREATED || p->starting || c->deleting || p->exited) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot start a %s process",
		           p->starting ? "starting" : state_word(visible_state(p)));
		return;
	}
	if (p != &c->init) {
		start_exec(call, c, p);
		return;
	}
	struct op *op = op_new(call, c, p, start_finish);
	if (!op)
		return;
	const char *args[] = { "start", c->id, NULL };
	p->starting = 1;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		p->starting = 0;
}

/* -- State, Wait -- */

static void h_state(struct call call, struct pb_str payload)
{
	DECODE(struct tk_proc_req, tk_proc_req_decode, "StateRequest");
	struct tk_state_resp r;
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	memset(&r, 0, sizeof(r));
	r.id = cs(p->exec_id[0] ? p->exec_id : p->c->id);
	r.bundle = cs(p->c->cfg.bundle);
	r.pid = (uint32_t)p->pid;
	static const int32_t status[] = { TK_STATUS_UNKNOWN, TK_STATUS_CREATED, TK_STATUS_RUNNING,
		                          TK_STATUS_PAUSING, TK_STATUS_PAUSED,  TK_STATUS_STOPPED };
	r.status = status[visible_state(p)];
	r.stdin_path = cs(p->stdin_path);
	r.stdout_path = cs(p->stdout_path);
	r.stderr_path = cs(p->stderr_path);
	r.terminal = p->terminal;
	r.exit_status = (uint32_t)p->exit_status;
	r.exited_at = p->state == P_STOPPED ? p->exited_at : ts_unset();
	size_t cap = r.id.n + r.bundle.n + r.stdin_path.n + r.stdout_path.n + r.stderr_path.n + 128;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(buf, cap);
	tk_state_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
	free(buf);
}

static void h_wait(struct call call, struct pb_str payload)
{
	DECODE(struct tk_proc_req, tk_proc_req_decode, "WaitRequest");
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
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
		release_waiters(p);
}

/* -- Kill -- */

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
	DECODE(struct tk_kill_req, tk_kill_req_decode, "KillRequest");
	char sig[16];
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	if (req.signal == 0 || req.signal > 64) {
		call_error(call, TT_INVALID_ARGUMENT, "invalid signal %u", req.signal);
		return;
	}
	if (p != &c->init) {
		if (p->pid <= 0)
			call_error(call, TT_FAILED_PRECONDITION, "process not created");
		else if (p->exited)
			call_error(call, TT_NOT_FOUND, "process already finished: not found");
		else if (kill(p->pid, (int)req.signal) < 0)
			call_error(call, errno == ESRCH ? TT_NOT_FOUND : TT_UNKNOWN, "kill %d: %s",
			           (int)p->pid, strerror(errno));
		else
			reply_empty(call);
		return;
	}
	if (p->exited && !req.all) {
		call_error(call, TT_NOT_FOUND, "process already finished: not found");
		return;
	}
	struct op *op = op_new(call, c, p, kill_finish);
	if (!op)
		return;
	snprintf(sig, sizeof(sig), "%u", req.signal);
	const char *args[] = { "kill", req.all ? "--all" : c->id, req.all ? c->id : sig,
		               req.all ? sig : NULL, NULL };
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
		c->deleting = 0;
		call_error(op->call, TT_UNKNOWN, "failed to delete task: %s", op->job.err);
		return;
	}
	pio_destroy(&p->io);
	if (c->rootfs_mounted) {
		int e = mount_unmount_all_async(c->rootfs);
		if (e < 0)
			log_warn("unmount %s: %s", c->rootfs, strerror(-e));
		c->rootfs_mounted = 0;
	}
	struct ev_task_delete ev = { .container_id = cs(c->id),
		                     .pid = (uint32_t)p->pid,
		                     .exit_status = (uint32_t)p->exit_status,
		                     .exited_at =
		                         p->state == P_STOPPED ? p->exited_at : ts_unset() };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	ev_task_delete_encode(&w, &ev);
	if (!w.err)
		emit("/tasks/delete", "containerd.events.TaskDelete", buf, w.len);
	reply_delete(op->call, p);
	/* Waiters of a never-started init that is deleted return now. */
	release_waiters(p);
	container_unlist(c);
}

static void delete_run(struct op *op)
{
	const char *args[] = { "delete", op->c->id, NULL };
	struct container *c = op->c;
	c->refs++;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		c->deleting = 0;
	container_unref(c);
}

static void drained_continue(struct op *op)
{
	loop_timer_cancel(&op->timer);
	op->p->io.drained = NULL;
	op->after_drain(op);
}

static void on_drained(struct pio *io)
{
	drained_continue(io->ctx);
}

static void on_drain_timeout(struct loop_timer *t)
{
	struct op *op = (struct op *)((char *)t - offsetof(struct op, timer));
	log_warn("container %s: output of %s still flowing after %d ms; deleting anyway", op->c->id,
	         op->p->exec_id[0] ? op->p->exec_id : "init", IO_DRAIN_MS);
	drained_continue(op);
}

/*
 * Calls next(op) once the output copiers of the exited op->p have delivered what it wrote
 * (a client reading to EOF gets every byte), or after 2 s if something else holds the pipes.
 */
static void after_output_drained(struct op *op, void (*next)(struct op *op))
{
	struct proc *p = op->p;
	op->after_drain = next;
	if (pio_outputs_busy(&p->io) && p->state == P_STOPPED) {
		p->io.ctx = op;
		p->io.drained = on_drained;
		op->timer.fn = on_drain_timeout;
		loop_timer_arm(&op->timer, IO_DRAIN_MS);
		return;
	}
	next(op);
}

static void delete_exec_finish(struct op *op)
{
	struct container *c = op->c;
	struct proc *p = op->p;
	char path[PATH_LEN + 64];

	reply_delete(op->call, p);
	if (sys_fmt(path, sizeof(path), "%s/%s.pid", c->cfg.bundle, p->exec_id) >= 0)
		unlink(path);
	release_waiters(p);
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
	if (proc_live(p) || p->starting) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot delete a running process");
		return;
	}
	if (p->deleting) {
		call_error(call, TT_FAILED_PRECONDITION, "process %s is being deleted", p->exec_id);
		return;
	}
	struct op *op = op_new(call, c, p, NULL);
	if (!op)
		return;
	p->deleting = 1;
	after_output_drained(op, delete_exec_finish);
}

static void h_delete(struct call call, struct pb_str payload)
{
	DECODE(struct tk_proc_req, tk_proc_req_decode, "DeleteRequest");
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	struct container *c = p->c;
	if (p != &c->init) {
		delete_exec(call, c, p);
		return;
	}
	if (c->deleting) {
		call_error(call, TT_FAILED_PRECONDITION, "container %s is being deleted", c->id);
		return;
	}
	if (p->state == P_PAUSED || p->state == P_PAUSING) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot delete a paused process");
		return;
	}
	if (p->state == P_RUNNING || p->starting || c->init_exit_held) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot delete a running process");
		return;
	}
	struct op *op = op_new(call, c, p, delete_done);
	if (!op)
		return;
	c->deleting = 1;
	after_output_drained(op, delete_run);
}

/* -- Exec -- */

static void h_exec(struct call call, struct pb_str payload)
{
	DECODE(struct tk_exec_req, tk_exec_req_decode, "ExecProcessRequest");
	struct container *c = lookup(call, req.id);
	if (!c)
		return;
	if (req.exec_id.n == 0 || req.exec_id.n >= ID_MAX ||
	    memchr(req.exec_id.p, '/', req.exec_id.n) || memchr(req.exec_id.p, 0, req.exec_id.n)) {
		call_error(call, TT_INVALID_ARGUMENT, "exec: invalid exec id");
		return;
	}
	/* An exec's pid file is <bundle>/<exec id>.pid: "init" would be init.pid, the init's own,
	 * which runc exec would overwrite and the exec's delete remove (the reference accepts it
	 * and does both; our `delete` cleanup reads init.pid). */
	if (pb_str_eq(req.exec_id, "init")) {
		call_error(call, TT_INVALID_ARGUMENT,
		           "exec: invalid exec id \"init\": it names the init process's pid file");
		return;
	}
	if (find_exec(c, req.exec_id)) {
		call_error(call, TT_ALREADY_EXISTS, "id %.*s: already exists", (int)req.exec_id.n,
		           (const char *)req.exec_id.p);
		return;
	}
	if (c->init.state == P_PAUSED || c->init.state == P_PAUSING) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot exec in a paused state");
		return;
	}
	if (c->init.state != P_RUNNING || c->init.exited || c->deleting) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot exec in a %s state",
		           state_word(c->init.state));
		return;
	}
	/* The spec is a JSON object: force "terminal" by appending it (the last key wins). */
	struct pb_str spec = req.spec.value;
	size_t end = spec.n;
	while (end > 0 && spec.p[end - 1] != '}')
		end--;
	if (!req.has_spec || end == 0 || json_skip(spec) < 0) {
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
	p->terminal = req.terminal;
	(void)!pb_str_copy(p->exec_id, sizeof(p->exec_id), req.exec_id); /* checked above */
	if (proc_set_stdio(p, req.stdin_path, req.stdout_path, req.stderr_path) < 0) {
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
	                     req.terminal ? "true" : "false");
	p->spec = js;
	p->spec_len = k;
	p->next = c->execs;
	c->execs = p;
	publish_exec_event("/tasks/exec-added", "containerd.events.TaskExecAdded", p);
	reply_empty(call);
}

/* -- Pause, Resume -- */

static void pause_finish(struct op *op)
{
	struct proc *p = op->p;
	int pausing = strcmp(op->what, "pause") == 0;
	if (op->job.status != 0) {
		if (p->state == P_PAUSING || p->state == P_PAUSED)
			p->state = pausing ? P_RUNNING : P_PAUSED;
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s",
		           pausing ? "pause" : "resume", op->job.err);
		return;
	}
	if (p->state != P_STOPPED)
		p->state = pausing ? P_PAUSED : P_RUNNING;
	if (pausing)
		publish_id_event("/tasks/paused", "containerd.events.TaskPaused", op->c->id);
	else
		publish_id_event("/tasks/resumed", "containerd.events.TaskResumed", op->c->id);
	reply_empty(op->call);
}

static void pause_resume(struct call call, struct pb_str payload, int pause)
{
	DECODE(struct tk_id_req, tk_id_req_decode, "PauseRequest");
	struct container *c = lookup(call, req.id);
	if (!c)
		return;
	struct proc *p = &c->init;
	if (pause && p->state != P_RUNNING) {
		call_error(call, TT_FAILED_PRECONDITION,
		           p->state == P_PAUSED ? "cannot pause a paused container"
		                                : "cannot pause task in %s state",
		           state_word(p->state));
		return;
	}
	if (!pause && p->state != P_PAUSED) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot resume a %s process",
		           state_word(p->state));
		return;
	}
	struct op *op = op_new(call, c, p, pause_finish);
	if (!op)
		return;
	op->what = pause ? "pause" : "resume";
	const char *args[] = { op->what, c->id, NULL };
	enum proc_state before = p->state;
	if (pause)
		p->state = P_PAUSING;
	if (op_run(op, args, NULL, NULL, 0, 0) < 0)
		p->state = before;
}

static void h_pause(struct call call, struct pb_str payload)
{
	pause_resume(call, payload, 1);
}

static void h_resume(struct call call, struct pb_str payload)
{
	pause_resume(call, payload, 0);
}

/* -- Update, Pids, Stats, Checkpoint -- */

static void simple_finish(struct op *op)
{
	if (op->job.status != 0)
		call_error(op->call, TT_UNKNOWN, "OCI runtime %s failed: %s", op->what,
		           op->job.err);
	else
		reply_empty(op->call);
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

static void h_update(struct call call, struct pb_str payload)
{
	DECODE(struct tk_update_req, tk_update_req_decode, "UpdateTaskRequest");
	struct container *c = lookup(call, req.id);
	if (!c)
		return;
	if (c->init.state == P_STOPPED || c->init.exited) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot update a stopped container");
		return;
	}
	if (!req.has_resources || req.resources.value.n == 0) {
		call_error(call, TT_INVALID_ARGUMENT, "update: no resources given");
		return;
	}
	struct op *op = op_new(call, c, &c->init, simple_finish);
	if (!op)
		return;
	op->what = "update";
	const char *args[] = { "update", "--resources", "-", c->id, NULL };
	(void)op_run(op, args, NULL, req.resources.value.p, req.resources.value.n, 0);
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
		struct tk_process_info pi = { .pid = (uint32_t)pid };
		uint8_t det[ID_MAX + 8];
		for (struct proc *p = op->c->execs; p; p = p->next) {
			if (p->pid != (pid_t)pid)
				continue;
			struct pb_w dw = pb_w_init(det, sizeof(det));
			struct opt_process_details d = { cs(p->exec_id) };
			opt_process_details_encode(&dw, &d);
			pi.has_info = 1;
			pi.info.type_url = cs(OPT_PROCESS_DETAILS_URL);
			pi.info.value = pb_str_of((const char *)det, dw.len);
		}
		tk_pids_resp_put(&w, &pi);
	}
	if (r < 0 || w.err)
		call_error(op->call, TT_UNKNOWN, "runc ps: unexpected output");
	else
		call_reply(op->call, buf, w.len);
	free(buf);
	free(out);
}

static void h_pids(struct call call, struct pb_str payload)
{
	DECODE(struct tk_id_req, tk_id_req_decode, "PidsRequest");
	struct container *c = lookup(call, req.id);
	if (!c)
		return;
	struct op *op = op_new(call, c, &c->init, pids_finish);
	if (!op)
		return;
	const char *args[] = { "ps", "--format", "json", c->id, NULL };
	(void)op_run(op, args, NULL, NULL, 0, RUNC_CAPTURE);
}

static void h_stats(struct call call, struct pb_str payload)
{
	DECODE(struct tk_id_req, tk_id_req_decode, "StatsRequest");
	struct container *c = lookup(call, req.id);
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
		struct tk_stats_resp r = { 1, { cs(type_url), pb_str_of((const char *)m, len) } };
		tk_stats_resp_encode(&w, &r);
		if (w.err)
			call_error(call, TT_RESOURCE_EXHAUSTED, "stats too large");
		else
			call_reply(call, out, w.len);
	}
	free(m);
	free(out);
}

static void h_checkpoint(struct call call, struct pb_str payload)
{
	DECODE(struct tk_checkpoint_req, tk_checkpoint_req_decode, "CheckpointTaskRequest");
	struct opt_checkpoint o;
	char image[PATH_LEN], work[PATH_LEN + 32];
	const char *args[24];
	size_t n = 0;
	struct container *c = lookup(call, req.id);
	if (!c)
		return;
	if (c->init.state != P_RUNNING && c->init.state != P_PAUSED) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot checkpoint a %s container",
		           state_word(c->init.state));
		return;
	}
	memset(&o, 0, sizeof(o));
	if (req.has_options && req.options.value.n &&
	    opt_checkpoint_decode(req.options.value.p, req.options.value.n, &o) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "checkpoint: undecodable options");
		return;
	}
	struct pb_str img = o.image_path.n ? o.image_path : req.path;
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

static void h_resize(struct call call, struct pb_str payload)
{
	DECODE(struct tk_resize_req, tk_resize_req_decode, "ResizePtyRequest");
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	if (p != &p->c->init && p->state == P_STOPPED) {
		call_error(call, TT_FAILED_PRECONDITION, "cannot resize a stopped container");
		return;
	}
	int e = pio_resize(&p->io, req.width, req.height);
	if (e < 0)
		call_error(call, TT_UNKNOWN, "resize pty: %s", strerror(-e));
	else
		reply_empty(call);
}

static void h_closeio(struct call call, struct pb_str payload)
{
	DECODE(struct tk_closeio_req, tk_closeio_req_decode, "CloseIORequest");
	struct proc *p = lookup_proc(call, req.id, req.exec_id);
	if (!p)
		return;
	if (req.stdin_close)
		pio_close_stdin(&p->io);
	reply_empty(call);
}

static void h_connect(struct call call, struct pb_str payload)
{
	DECODE(struct tk_id_req, tk_id_req_decode, "ConnectRequest");
	uint8_t buf[64];
	struct container *c = find(req.id);
	struct tk_connect_resp r = { .shim_pid = (uint32_t)getpid(),
		                     .task_pid = c ? (uint32_t)c->init.pid : 0 };
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	tk_connect_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

static void h_shutdown(struct call call, struct pb_str payload)
{
	DECODE(struct tk_shutdown_req, tk_shutdown_req_decode, "ShutdownRequest");
	(void)req;
	reply_empty(call);
	if (ncontainers == 0)
		svc_shutdown();
}

/* -- Dump: shimbox's own service, for shim-dump and SIGUSR1 -- */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		if (b->err)
			return;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap + (size_t)n) * 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A JSON string; our ids and paths never hold quotes or control bytes that need more. */
static void sb_str(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_printf(b, "\\u%04x", *s);
		else
			sb_printf(b, "%c", *s);
	}
	sb_printf(b, "\"");
}

static void sb_time(struct sbuf *b, const struct proc *p)
{
	char t[64] = "";
	if (p->state == P_STOPPED && p->exited_at.seconds != TK_TS_UNSET_SECONDS) {
		time_t s = (time_t)p->exited_at.seconds;
		struct tm tm;
		gmtime_r(&s, &tm);
		snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         (int)p->exited_at.nanos);
	}
	sb_str(b, t);
}

static long status_kb(const char *file, const char *key)
{
	char buf[4096];
	if (sys_read_file(file, buf, sizeof(buf)) <= 0)
		return -1;
	char *s = strstr(buf, key);
	return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static void dump_proc(struct sbuf *b, const struct proc *p)
{
	sb_printf(b, "{\"id\":");
	sb_str(b, p->exec_id[0] ? p->exec_id : p->c->id);
	sb_printf(b, ",\"exec_id\":");
	sb_str(b, p->exec_id);
	sb_printf(b, ",\"pid\":%d,\"state\":\"%s\",\"exit_status\":%d,\"exited_at\":", (int)p->pid,
	          state_word(visible_state(p)), p->exit_status);
	sb_time(b, p);
	sb_printf(b, ",\"stdin\":");
	sb_str(b, p->stdin_path);
	sb_printf(b, ",\"stdout\":");
	sb_str(b, p->stdout_path);
	sb_printf(b, ",\"stderr\":");
	sb_str(b, p->stderr_path);
	sb_printf(b, ",\"terminal\":%s}", p->terminal ? "true" : "false");
}

/* The dump document; the caller frees it. */
static char *dump_json(size_t *len)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	uint64_t sent, dropped;
	pub_stats(&sent, &dropped);
	sb_printf(&b, "{\"pid\":%d,\"version\":", (int)getpid());
	sb_str(&b, svc.version ? svc.version : "");
	sb_printf(&b, ",\"namespace\":");
	sb_str(&b, svc.ns);
	sb_printf(&b,
	          ",\"uptime_ms\":%llu,\"memory\":{\"rss_kb\":%ld,\"pss_kb\":%ld},"
	          "\"threads\":%ld,\"connections\":%zu,\"fds\":%d,"
	          "\"events\":{\"queued\":%zu,\"sent\":%llu,\"dropped\":%llu},\"containers\":[",
	          (unsigned long long)(sys_mono_ms() - started_ms),
	          status_kb("/proc/self/status", "VmRSS:"),
	          status_kb("/proc/self/smaps_rollup", "Pss:"),
	          status_kb("/proc/self/status", "Threads:"), conn_count(), count_fds(),
	          pub_queued(), (unsigned long long)sent, (unsigned long long)dropped);
	for (struct container *c = containers; c; c = c->next) {
		sb_printf(&b, "%s{\"id\":", c == containers ? "" : ",");
		sb_str(&b, c->id);
		sb_printf(&b, ",\"bundle\":");
		sb_str(&b, c->cfg.bundle);
		sb_printf(&b, ",\"runtime\":");
		sb_str(&b, c->cfg.binary);
		sb_printf(&b, ",\"processes\":[");
		dump_proc(&b, &c->init);
		for (struct proc *p = c->execs; p; p = p->next) {
			sb_printf(&b, ",");
			dump_proc(&b, p);
		}
		sb_printf(&b, "]}");
	}
	sb_printf(&b, "]}");
	if (b.err) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void h_dump(struct call call, struct pb_str payload)
{
	size_t len;
	(void)payload;
	char *js = dump_json(&len);
	uint8_t *out = js ? malloc(len + 16) : NULL;
	if (!out) {
		free(js);
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(out, len + 16);
	pb_put_bytes(&w, 1, js, len);
	call_reply(call, out, w.len);
	free(js);
	free(out);
}

void svc_dump_to_log(void)
{
	size_t len;
	char *js = dump_json(&len);
	if (!js)
		return;
	log_text("info", js, len);
	free(js);
}

/* -- dispatch -- */

struct method {
	const char *name;
	void (*fn)(struct call call, struct pb_str payload);
};

static const struct method task_methods[] = {
	{ "Create", h_create },
	{ "Start", h_start },
	{ "State", h_state },
	{ "Wait", h_wait },
	{ "Kill", h_kill },
	{ "Delete", h_delete },
	{ "Exec", h_exec },
	{ "Pause", h_pause },
	{ "Resume", h_resume },
	{ "Update", h_update },
	{ "Pids", h_pids },
	{ "Stats", h_stats },
	{ "Checkpoint", h_checkpoint },
	{ "ResizePty", h_resize },
	{ "CloseIO", h_closeio },
	{ "Connect", h_connect },
	{ "Shutdown", h_shutdown },
};

static const struct method shimbox_methods[] = {
	{ "Dump", h_dump },
};

void svc_dispatch(struct call call, const struct tt_req *req)
{
	const struct method *m = NULL;
	size_t n = 0;
	if (pb_str_eq(req->service, SVC_V2) || pb_str_eq(req->service, SVC_V3)) {
		m = task_methods;
		n = ARRAY_LEN(task_methods);
	} else if (pb_str_eq(req->service, SVC_SHIMBOX)) {
		m = shimbox_methods;
		n = ARRAY_LEN(shimbox_methods);
	} else {
		call_error(call, TT_UNIMPLEMENTED, "service %.*s", (int)req->service.n,
		           (const char *)req->service.p);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (pb_str_eq(req->method, m[i].name)) {
			log_debug("%.*s", (int)req->method.n, (const char *)req->method.p);
			m[i].fn(call, req->payload);
			return;
		}
	}
	call_error(call, TT_UNIMPLEMENTED, "method %.*s", (int)req->method.n,
	           (const char *)req->method.p);
}

void svc_call_task(struct call call, const char *method, const void *payload, size_t n)
{
	struct pb_str pl = { payload, n };
	for (size_t i = 0; i < ARRAY_LEN(task_methods); i++) {
		if (strcmp(method, task_methods[i].name) == 0) {
			task_methods[i].fn(call, pl);
			return;
		}
	}
	call_error(call, TT_UNIMPLEMENTED, "method %s", method);
}

const char *svc_proc_name(uint32_t pid)
{
	for (struct container *c = containers; c; c = c->next) {
		if (c->init.pid == (pid_t)pid)
			return c->id;
		for (struct proc *p = c->execs; p; p = p->next)
			if (p->pid == (pid_t)pid)
				return p->exec_id;
	}
	return "";
}

const char *svc_container_id(void)
{
	return containers ? containers->id : svc.id;
}

static void on_shutdown_tick(struct loop_timer *t)
{
	if ((pub_queued() == 0 && conn_pending_bytes() == 0) ||
	    sys_mono_ms() >= shutdown_deadline) {
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

/* A Wait dies with its connection: a peer that is gone cannot take the answer, and its
 * waiters would otherwise live as long as the process (conn_on_close). */
static void drop_waiters_of(struct proc *p, struct conn *conn)
{
	for (struct waiter **pp = &p->waiters; *pp;) {
		struct waiter *wt = *pp;
		if (call_conn(wt->call) != conn) {
			pp = &wt->next;
			continue;
		}
		*pp = wt->next;
		call_abandon(wt->call);
		free(wt);
	}
}

static void on_conn_closed(struct conn *conn)
{
	for (struct container *c = containers; c; c = c->next) {
		drop_waiters_of(&c->init, conn);
		for (struct proc *p = c->execs; p; p = p->next)
			drop_waiters_of(p, conn);
	}
}

int svc_init(const struct svc_config *cfg)
{
	svc = *cfg;
	started_ms = sys_mono_ms();
	conn_on_close(on_conn_closed);
	return 0;
}
