/* SPDX-License-Identifier: MIT */
/* Create: bundle, rootfs mounts, stdio, `runc create`, and undoing a Create that fails. */
#include "svc_int.h"

#include "bundle.h"
#include "log.h"
#include "mount.h"
#include "op.h"
#include "reaper.h"
#include "sys.h"
#include "wire/events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* -- Create -- */

static void create_cleanup(struct container *c)
{
	proc_release(&c->init);
	container_unmount_rootfs(c);
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
	char path[PATH_LEN + 16];
	struct err err;

	if (op->job.status != 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create failed: %s", op->job.err);
		create_cleanup(c);
		return;
	}
	if (sys_fmt(path, sizeof(path), "%s/init.pid", c->cfg.bundle) < 0 ||
	    bundle_read_pid_file(path, &p->pid) < 0) {
		call_error(op->call, TT_UNKNOWN, "OCI runtime create: cannot read %s", path);
		create_cleanup(c);
		return;
	}
	p->state = P_CREATED;
	c->shared_pidns = !bundle_pidns_private(c->cfg.bundle);
	if (proc_watch(p) < 0) {
		p->pid = 0;
		call_error(op->call, TT_RESOURCE_EXHAUSTED, "out of memory");
		create_cleanup(c);
		return;
	}
	if (proc_io_start(p, &err) < 0) {
		call_error(op->call, TT_UNKNOWN, "create %s: %s", c->id, err.msg);
		create_abort(c);
		return;
	}
	/* Armed now, so that an OOM between create and start is not missed. */
	if (cg_open(&c->cg, p->pid) == 0) {
		if (cg_oom_watch(c->cg, proc_on_oom, c) < 0)
			log_warn("container %s: no OOM watch", c->id);
	} else {
		c->cg = NULL;
	}
	if (op->event.buf && !op->event.err) {
		ev_task_create_put_pid(&op->event, (uint32_t)p->pid);
		if (!op->event.err)
			svc_emit(EV_TASK_CREATE, op->event.buf, op->event.len);
	}
	svc_reply_pid(op->call, p->pid);
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


/* Refuses a Create that cannot be served; 0 if it can. */
static int create_refused(struct call call, const struct tk_create_req *req)
{
	if (svc_shutting_down) {
		call_error(call, TT_UNAVAILABLE, "shim is shutting down");
	} else if (req->id.n == 0 || req->bundle.n == 0) {
		call_error(call, TT_INVALID_ARGUMENT, "create: id and bundle are required");
	} else if (req->id.n >= ID_MAX || memchr(req->id.p, 0, req->id.n) ||
	           memchr(req->id.p, '/', req->id.n)) {
		call_error(call, TT_INVALID_ARGUMENT, "create: invalid container id");
	} else if (container_find(req->id)) {
		call_error(call, TT_ALREADY_EXISTS, "container %.*s: already exists", (int)req->id.n,
		           (const char *)req->id.p);
	} else if (req->checkpoint.n) {
		call_error(call, TT_UNIMPLEMENTED,
		           "restore from a checkpoint: not supported by shimbox (CRIU restore)");
	} else {
		return 0;
	}
	return -1;
}

/* A new listed container for an accepted Create (runtime defaults, paths copied), or NULL with
 * the call answered. */
static struct container *create_container(struct call call, const struct tk_create_req *req)
{
	struct container *c = calloc(1, sizeof(*c));
	if (!c) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	c->refs = 1;
	c->listed = 1;
	c->created_ms = sys_mono_ms();
	proc_init(&c->init, c);
	c->init.terminal = req->terminal;
	(void)!pb_str_copy(c->id, sizeof(c->id), req->id); /* checked to fit (create_refused) */
	strcpy(c->cfg.binary, "runc");
	strcpy(c->cfg.root, RUNC_DEFAULT_ROOT);
	snprintf(c->cfg.ns, sizeof(c->cfg.ns), "%s", svc_cfg.ns);
	if (pb_str_copy(c->cfg.bundle, sizeof(c->cfg.bundle), req->bundle) < 0 ||
	    proc_set_stdio(&c->init, req->stdin_path, req->stdout_path, req->stderr_path) < 0 ||
	    sys_fmt(c->rootfs, sizeof(c->rootfs), "%s/rootfs", c->cfg.bundle) < 0) {
		free(c->init.stdio_paths);
		free(c);
		call_error(call, TT_INVALID_ARGUMENT, "create: a path is too long or holds a NUL");
		return NULL;
	}
	c->next = svc_containers;
	svc_containers = c;
	svc_ncontainers++;
	return c;
}

/* Mounts the request's rootfs components on c->rootfs; -1 with the call answered. */
static int create_mount_rootfs(struct call call, struct container *c, const struct tk_request *r)
{
	struct pb_r it = pb_r_of(r->u.create.raw);
	struct tk_mount m;
	struct err err;
	int e;

	if (mkdir(c->rootfs, 0711) < 0 && errno != EEXIST) {
		call_error(call, TT_UNKNOWN, "mkdir %s: %s", c->rootfs, strerror(errno));
		return -1;
	}
	while ((e = tk_mount_next(&it, r->rootfs_field, &m)) > 0) {
		c->rootfs_mounted = 1;
		if ((e = mount_one(&m, c->rootfs, &err)) < 0)
			break;
	}
	if (e < 0) {
		call_error(call, TT_UNKNOWN, "failed to mount rootfs component: %s", err.msg);
		return -1;
	}
	return 0;
}

/*
 * The TaskCreate event, encoded now from the request (which does not outlive this call) but for
 * its pid, the event's last field, which create_finish appends once `runc create` wrote it.
 * -1 if there is no memory for it.
 */
static int create_event(struct op *op, const struct tk_request *r)
{
	const struct tk_create_req *req = &r->u.create;
	/* raw is the whole request, which holds all the event copies (mounts are rebuilt from
	 * their known fields: never longer); 64 for the io message's header and the pid. */
	size_t cap = req->raw.n + 64;
	uint8_t *buf = malloc(cap);
	struct ev_task_create ev = { .container_id = req->id,
		                     .bundle = req->bundle,
		                     .rootfs_src = req->raw,
		                     .rootfs_src_num = r->rootfs_field,
		                     .checkpoint = req->checkpoint };

	if (!buf)
		return -1;
	ev.io.stdin_path = req->stdin_path;
	ev.io.stdout_path = req->stdout_path;
	ev.io.stderr_path = req->stderr_path;
	ev.io.terminal = req->terminal;
	op->event = pb_w_init(buf, cap);
	ev_task_create_encode(&op->event, &ev);
	return 0;
}

void h_create(struct call call, const struct tk_request *r)
{
	const struct tk_create_req *req = &r->u.create;
	struct container *c;
	struct err err;
	int uid = -1, gid = -1, e;

	if (create_refused(call, req) || !(c = create_container(call, req)))
		return;
	bundle_runc_options(r, c, &uid, &gid);
	if ((e = runc_cfg_save(&c->cfg)) < 0)
		log_warn("cannot save options.json in %s: %s", c->cfg.bundle, strerror(-e));
	if (req->nrootfs && create_mount_rootfs(call, c, r) < 0) {
		create_cleanup(c);
		return;
	}
	if (req->terminal && (e = console_sock_open(&c->init.console)) < 0) {
		call_error(call, TT_UNKNOWN, "failed to create console socket: %s", strerror(-e));
		create_cleanup(c);
		return;
	}
	struct op *op = op_new(call, c, &c->init, create_finish);
	if (!op) {
		create_cleanup(c);
		return;
	}
	if (create_event(op, r) < 0) {
		create_cleanup(c);
		op_fail(op, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pio_cfg pc = { c->init.stdin_path,
		              c->init.stdout_path,
		              c->init.stderr_path,
		              req->terminal,
		              uid,
		              gid,
		              c->id,
		              svc_cfg.ns };
	c->init.io.ctx = op;
	c->init.io.on_ready = create_on_ready;
	e = pio_open(&c->init.io, &pc, &err);
	if (e < 0) {
		create_cleanup(c);
		op_fail(op, TT_UNKNOWN, "%s", err.msg);
		return;
	}
	if (e == PIO_WAIT)
		return; /* create_on_ready continues */
	create_run(op);
}
