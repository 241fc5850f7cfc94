/* SPDX-License-Identifier: MIT */
/* The task model: containers and processes, their registry, exit order and events (proc.h). */
#include "proc.h"

#include "exit_record.h"

#include "log.h"
#include "mount.h"
#include "publish.h"
#include "reaper.h"
#include "wire/events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct container *svc_containers;
size_t svc_ncontainers;

struct container *container_find(struct pb_str id)
{
	for (struct container *c = svc_containers; c; c = c->next)
		if (pb_str_eq(id, c->id))
			return c;
	return NULL;
}

struct proc *proc_find_exec(struct container *c, struct pb_str exec_id)
{
	for (struct proc *p = c->execs; p; p = p->next)
		if (pb_str_eq(exec_id, p->exec_id))
			return p;
	return NULL;
}

void proc_init(struct proc *p, struct container *c)
{
	p->c = c;
	p->stdin_path = p->stdout_path = p->stderr_path = "";
	p->state = P_CREATING;
	p->exited_at = ts_unset();
	pio_init(&p->io);
	console_sock_init(&p->console);
}

/* Copies the three paths of a request. 0, or -1 if one holds a NUL or memory is short. */
int proc_set_stdio(struct proc *p, struct pb_str in, struct pb_str out, struct pb_str err)
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

void proc_release(struct proc *p)
{
	free(p->stdio_paths);
	p->stdio_paths = NULL;
	p->stdin_path = p->stdout_path = p->stderr_path = "";
	pio_destroy(&p->io);
	console_sock_close(&p->console);
	free(p->spec);
	p->spec = NULL;
}

void container_unref(struct container *c)
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

int proc_live(const struct proc *p)
{
	return p->pid > 0 && !p->exited;
}

void container_unmount_rootfs(struct container *c)
{
	if (c->rootfs_mounted) {
		int e = mount_unmount_all_async(c->rootfs);
		if (e < 0)
			log_warn("unmount %s: %s", c->rootfs, strerror(-e));
		c->rootfs_mounted = 0;
	}
}

void container_unlist(struct container *c)
{
	if (!c->listed)
		return;
	for (struct container **pp = &svc_containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->listed = 0;
	svc_ncontainers--;
	/* A never-started init deleted before it exited: its exit is no longer ours to report. */
	if (proc_live(&c->init)) {
		reap_unwatch(c->init.pid);
		container_unref(c); /* the reaper's reference */
	}
	container_unref(c);
	if (svc_ncontainers == 0 && svc_shutting_down == 0)
		log_info("no container left");
}


/* --- events ------------------------------------------------------------------------------ */

/* The v1 shim publishes only exits: containerd publishes the other events itself (6.1).
 * done(ctx), if given, runs once the event is delivered or dropped. */
static void emit_then(enum ev_task t, const void *buf, size_t n, void (*done)(void *ctx),
                      void *ctx)
{
	const struct ev_topic *et = ev_topic(t);
	if (svc_cfg.v1 && t != EV_TASK_EXIT) {
		if (done)
			done(ctx);
		return;
	}
	pub_event_then(et->topic, et->type_url, buf, n, done, ctx);
}

void svc_emit(enum ev_task t, const void *buf, size_t n)
{
	emit_then(t, buf, n, NULL, NULL);
}

void svc_publish_id(enum ev_task t, const char *id)
{
	uint8_t buf[256];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_id ev = { cs(id) };
	ev_task_id_encode(&w, &ev);
	if (!w.err)
		svc_emit(t, buf, w.len);
}

void svc_publish_exec(enum ev_task t, const struct proc *p)
{
	uint8_t buf[512];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct ev_task_exec ev = { cs(p->c->id), cs(p->exec_id), (uint32_t)p->pid };
	ev_task_exec_encode(&w, &ev);
	if (!w.err)
		svc_emit(t, buf, w.len);
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
		emit_then(EV_TASK_EXIT, buf, w.len, done, ctx);
	else if (done)
		done(ctx);
}

void proc_on_oom(void *ctx)
{
	struct container *c = ctx;
	log_info("container %s: OOM", c->id);
	svc_publish_id(EV_TASK_OOM, c->id);
}

void proc_release_waiters(struct proc *p)
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
	struct proc *p = d->exec_id[0] ? proc_find_exec(d->c, cs(d->exec_id)) : &d->c->init;
	if (p)
		proc_release_waiters(p);
	container_unref(d->c);
	free(d);
}

int proc_exit_delivery_name(void (*done)(void *ctx), void *ctx, struct pb_str *container,
                            struct pb_str *exec_id)
{
	const struct exit_delivery *d = ctx;
	if (done != on_exit_delivered)
		return -1;
	*container = cs(d->c->id);
	*exec_id = cs(d->exec_id);
	return 0;
}

int proc_exit_delivery_adopt(struct container *c, struct pb_str exec_id,
                             void (**done)(void *ctx), void **ctx)
{
	struct exit_delivery *d = calloc(1, sizeof(*d));
	if (!d || pb_str_copy(d->exec_id, sizeof(d->exec_id), exec_id) < 0) {
		free(d);
		return -1;
	}
	d->c = c;
	c->refs++;
	*done = on_exit_delivered;
	*ctx = d;
	return 0;
}

/*
 * The exit becomes visible: state, event, then waiters, so Wait never answers before the event
 * is queued. The v1 shim answers Wait only once containerd has the event: containerd publishes
 * /tasks/delete itself, and a client deleting at once would otherwise see delete before exit.
 */
static void proc_exit_visible(struct proc *p)
{
	struct exit_delivery *d;
	int e;
	/* Kept before it is published: if the shim dies now, the delete action still has it. */
	struct exit_record rec = { p->pid, p->exit_status, p->exited_at };
	if (p == &p->c->init && (e = exit_record_save(p->c->cfg.bundle, &rec)) < 0)
		log_warn("container %s: cannot keep its exit in the bundle: %s", p->c->id,
		         strerror(-e));
	proc_on(p, PE_EXIT_SHOWN);
	if (svc_cfg.v1 && (d = calloc(1, sizeof(*d))) != NULL) {
		d->c = p->c;
		p->c->refs++;
		snprintf(d->exec_id, sizeof(d->exec_id), "%s", p->exec_id);
		publish_exit(p, on_exit_delivered, d);
		return;
	}
	publish_exit(p, NULL, NULL);
	proc_release_waiters(p);
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


/* Publishes an exit in the order of PROTOCOL.md 4.2: an init's exit is the container's last. */
void proc_exit_publish(struct proc *p)
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
int proc_watch(struct proc *p)
{
	p->c->refs++;
	int e = reap_watch(p->pid, on_proc_exit, p);
	if (e < 0)
		p->c->refs--;
	return e;
}

const char *proc_state_word(enum proc_state s)
{
	static const char *const words[] = { "creating", "created", "running",
		                             "pausing",  "paused",  "stopped" };
	return words[s];
}

/* What State reports: an exec of a paused container is paused too. */
enum proc_state proc_visible_state(const struct proc *p)
{
	enum proc_state is = p->c->init.state;
	if (p != &p->c->init && p->state == P_RUNNING && (is == P_PAUSED || is == P_PAUSING))
		return is;
	return p->state;
}

/* Starts a process's IO after the runtime has it: the console's master, or the copiers. */
int proc_io_start(struct proc *p, struct err *err)
{
	int master = -1, e;
	if (p->terminal) {
		master = console_sock_recv(&p->console);
		console_sock_close(&p->console);
		if (master < 0) {
			err_msg(err, "no pty master from the runtime: %s", strerror(-master));
			return master;
		}
	}
	pio_close_child_ends(&p->io);
	if ((e = pio_start(&p->io, master)) < 0) {
		err_msg(err, "start stdio copiers: %s", strerror(-e));
		return e;
	}
	return 0;
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

void svc_on_conn_closed(struct conn *conn)
{
	for (struct container *c = svc_containers; c; c = c->next) {
		drop_waiters_of(&c->init, conn);
		for (struct proc *p = c->execs; p; p = p->next)
			drop_waiters_of(p, conn);
	}
}

/* --- rules ------------------------------------------------------------------------------- */

enum proc_phase proc_phase(const struct proc *p)
{
	int deleting = p == &p->c->init ? p->c->deleting : p->deleting;
	if (deleting)
		return p->state == P_STOPPED ? PH_DELETING_STOPPED : PH_DELETING;
	if (p->starting)
		return PH_STARTING;
	switch (p->state) {
	case P_RUNNING:
		return p->exited ? PH_EXITED_RUNNING : PH_RUNNING;
	case P_PAUSING:
		return PH_PAUSING; /* the pause in flight settles it */
	case P_PAUSED:
		return p->exited ? PH_EXITED_PAUSED : PH_PAUSED;
	case P_STOPPED:
		return PH_STOPPED;
	case P_CREATING: /* not found by requests (svc_lookup) */
	case P_CREATED:
		break;
	}
	return PH_CREATED;
}

const struct proc_rule *proc_check(struct call call, const struct proc *p, enum proc_req rq)
{
	enum proc_phase ph = proc_phase(p);
	const struct proc_rule *r = proc_rule(p != &p->c->init, ph, rq);
	char msg[256];
	if (r->code == 0)
		return r;
	proc_rule_message(r, ph, p->exec_id[0] ? p->exec_id : p->c->id, msg, sizeof(msg));
	call_error(call, r->code, "%s", msg);
	return NULL;
}

/* The flag of a Delete in flight: the container's for an init, the process's own for an exec. */
static int *deleting_flag(struct proc *p)
{
	return p == &p->c->init ? &p->c->deleting : &p->deleting;
}

void proc_enter(struct proc *p, int ph)
{
	switch (ph) {
	case PH_CREATED:
		p->starting = 0;
		*deleting_flag(p) = 0;
		break;
	case PH_STARTING:
		p->starting = 1;
		break;
	case PH_RUNNING:
	case PH_EXITED_RUNNING:
		p->starting = 0;
		p->state = P_RUNNING;
		break;
	case PH_PAUSING:
		p->state = P_PAUSING;
		break;
	case PH_PAUSED:
	case PH_EXITED_PAUSED:
		p->state = P_PAUSED;
		break;
	case PH_STOPPED:
		p->starting = 0;
		*deleting_flag(p) = 0;
		p->state = P_STOPPED;
		break;
	case PH_DELETING:
		*deleting_flag(p) = 1;
		break;
	case PH_DELETING_STOPPED:
		*deleting_flag(p) = 1;
		p->state = P_STOPPED;
		break;
	default: /* PH_SAME */
		break;
	}
}

void proc_on(struct proc *p, enum proc_event ev)
{
	proc_enter(p, proc_event_next(p != &p->c->init, proc_phase(p), ev));
}
