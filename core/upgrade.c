/* SPDX-License-Identifier: MIT */
/*
 * In-place upgrade (shimbox.v1.Shim/Upgrade, the shim-upgrade applet). The old image:
 *   1. asks the new binary which handover versions it reads (`-handover-versions`, a child of
 *      the loop); one that does not read HO_VERSION is refused and nothing else happens;
 *   2. parks: no connection is read, so no new request starts; it waits until nothing is in
 *      flight (no op, no runtime child, no event with the transport, no refused payload being
 *      dropped), at most UPGRADE_QUIET_MS, else it refuses and reads again;
 *   3. writes the handover document (wire/handover.h) into a memfd, clears FD_CLOEXEC on the
 *      fds it names and execve's the binary with the same argv and SHIMBOX_HANDOVER=<memfd>.
 * If the execve fails, the fds get FD_CLOEXEC back, the reads resume and the call is answered
 * with the error: the old image goes on serving, nothing half-done. The new image (same pid,
 * still the children's parent and subreaper) reads the document before it serves and answers
 * the Upgrade call. Exits that happen meanwhile wait as zombies and pending SIGCHLD, which the
 * execve keeps, for the new reaper.
 */
#include "upgrade.h"

#include "budget.h"
#include "handover.h"
#include "log.h"
#include "loop.h"
#include "op.h"
#include "publish.h"
#include "reaper.h"
#include "spawn.h"
#include "svc_int.h"
#include "sys.h"
#include "wire/shimbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define UPGRADE_CHECK_MS 5000  /* for the new binary to say which versions it reads */
#define UPGRADE_QUIET_MS 10000 /* for what is in flight to finish */
#define UPGRADE_POLL_MS 10
#define HANDOVER_ENV "SHIMBOX_HANDOVER"

extern char **environ;

static struct {
	enum { UP_IDLE, UP_CHECKING, UP_PARKED } phase;
	struct call call;
	char binary[PATH_MAX];
	pid_t check_pid; /* while UP_CHECKING */
	int check_out;   /* memfd: the check child's stdout, while UP_CHECKING */
	int check_status;
	uint64_t deadline;
	struct loop_timer timer;
	/* What every image knows: kept across upgrades. */
	char start_binary[PATH_MAX];
	char from_revision[64];
	uint32_t upgrades;
	char *const *argv;
	/* The document read at start (upgrade_adopt_begin), mapped until upgrade_adopt_finish. */
	void *doc;
	size_t doc_len;
} up; /* zeroed (bss, not data: its paths are 12 KiB); check_out is set before use */

void ho_fds_keep(struct ho_fds *f, int fd)
{
	if (fd < 0 || f->err)
		return;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		int *v = realloc(f->v, cap * sizeof(*v));
		if (!v) {
			f->err = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = fd;
}

void ho_fds_free(struct ho_fds *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void upgrade_init(char *const *argv, const char *revision)
{
	up.argv = argv;
	if (!up.start_binary[0]) {
		ssize_t n = readlink("/proc/self/exe", up.start_binary, sizeof(up.start_binary) - 1);
		up.start_binary[n > 0 ? n : 0] = 0;
	}
	if (!up.from_revision[0])
		snprintf(up.from_revision, sizeof(up.from_revision), "%s", revision);
}

const char *upgrade_start_binary(void)
{
	return up.start_binary;
}

uint32_t upgrade_count(void)
{
	return up.upgrades;
}

/* Ends the attempt in the old image: the call gets code and the message; reads go on. */
static void upgrade_refuse(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void upgrade_refuse(int code, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("upgrade to %s refused: %s", up.binary, msg);
	loop_timer_cancel(&up.timer);
	if (up.phase == UP_PARKED)
		conn_hold_reads(0);
	up.phase = UP_IDLE;
	call_error(up.call, code, "%s", msg);
}

/* --- the document ------------------------------------------------------------------------- */

static void proc_put(struct pb_w *w, uint32_t num, const struct proc *p, struct ho_fds *fds)
{
	struct ho_proc hp = { .exec_id = cs(p->exec_id),
		              .pid = p->pid,
		              .state = (uint32_t)p->state,
		              .exit_status = p->exit_status,
		              .exited_at = p->exited_at,
		              .stdin_path = cs(p->stdin_path),
		              .stdout_path = cs(p->stdout_path),
		              .stderr_path = cs(p->stderr_path),
		              .spec = { (const uint8_t *)p->spec, p->spec ? p->spec_len : 0 },
		              .console_fd = p->console.fd,
		              .console_dir = cs(p->console.dir),
		              .console_path = cs(p->console.path) };
	hp.flags = (p->starting ? HO_P_STARTING : 0) | (p->exit_deferred ? HO_P_EXIT_DEFERRED : 0) |
	           (p->exited ? HO_P_EXITED : 0) | (p->deleting ? HO_P_DELETING : 0);
	pio_handover_get(&p->io, &hp, fds);
	if (p->terminal)
		hp.flags |= HO_P_TERMINAL;
	ho_fds_keep(fds, p->console.fd);
	size_t m = pb_begin(w, num);
	ho_proc_fields_put(w, &hp);
	for (const struct waiter *wt = p->waiters; wt; wt = wt->next) {
		struct ho_call hc = { conn_handover_id(call_conn(wt->call)), wt->call.stream,
			              wt->call.tag };
		ho_call_put(w, HO_PROC_WAITER, &hc);
	}
	pb_end(w, m);
}

static void container_put(struct pb_w *w, const struct container *c, struct ho_fds *fds)
{
	struct ho_container hc = { .id = cs(c->id),
		                   .rootfs = cs(c->rootfs),
		                   .created_ms = c->created_ms,
		                   .binary = cs(c->cfg.binary),
		                   .root = cs(c->cfg.root),
		                   .ns = cs(c->cfg.ns),
		                   .bundle = cs(c->cfg.bundle) };
	hc.flags = (c->listed ? HO_C_LISTED : 0) | (c->deleting ? HO_C_DELETING : 0) |
	           (c->init_exit_held ? HO_C_INIT_EXIT_HELD : 0) |
	           (c->rootfs_mounted ? HO_C_ROOTFS_MOUNTED : 0) | (c->no_pivot ? HO_C_NO_PIVOT : 0) |
	           (c->no_keyring ? HO_C_NO_KEYRING : 0) |
	           (c->shared_pidns ? HO_C_SHARED_PIDNS : 0) |
	           (c->cfg.systemd_cgroup ? HO_C_SYSTEMD_CGROUP : 0);
	size_t m = pb_begin(w, HO_DOC_CONTAINER);
	ho_container_fields_put(w, &hc);
	proc_put(w, HO_CT_INIT, &c->init, fds);
	for (const struct proc *p = c->execs; p; p = p->next)
		proc_put(w, HO_CT_EXEC, p, fds);
	pb_end(w, m);
}

static int describe_done(void (*done)(void *ctx), void *ctx, struct ho_event *e)
{
	e->done_kind = HO_DONE_V1_WAITERS;
	return proc_exit_delivery_name(done, ctx, &e->done_container, &e->done_exec);
}

/* The whole document into w; the fds it names into fds. */
static void doc_put(struct pb_w *w, struct ho_fds *fds)
{
	struct ho_header h = { .revision = cs(svc_cfg.revision),
		               .start_binary = cs(up.start_binary),
		               .upgrades = up.upgrades,
		               .listen_fd = conn_listen_fd(),
		               .started_ms = svc_started_ms,
		               .has_upgrade = 1,
		               .log_fd = log_fd() > 2 ? log_fd() : -1 };
	ho_doc_begin(w, HO_VERSION);
	ho_fds_keep(fds, h.listen_fd);
	ho_fds_keep(fds, h.log_fd);
	/* Connections first: they get the ids that the calls below name. */
	conn_handover_put(w, fds);
	h.upgrade = (struct ho_call){ conn_handover_id(call_conn(up.call)), up.call.stream,
		                      up.call.tag };
	for (const struct container *c = svc_containers; c; c = c->next)
		container_put(w, c, fds);
	pub_handover_put(w, &h, describe_done);
	ho_header_put(w, &h); /* last: it has the publisher's counters */
}

/* The document in a memfd (not close-on-exec): its fd, or -errno. */
static int doc_write(struct ho_fds *fds)
{
	size_t cap = (size_t)64 << 10;
	cap += pub_queued_bytes() + conn_pending_bytes() * 2;
	for (;;) {
		uint8_t *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		struct pb_w w = pb_w_init(buf, cap);
		fds->n = 0;
		doc_put(&w, fds);
		if (w.err == PB_ENOSPC && cap < ((size_t)256 << 20)) {
			free(buf);
			cap *= 4;
			continue;
		}
		int e = w.err || fds->err ? -EPROTO : 0;
		int fd = e < 0 ? e : memfd_create("shimbox-handover", 0);
		if (fd < 0) {
			free(buf);
			return fd < 0 && e == 0 ? -errno : e;
		}
		if ((e = sys_write_all(fd, buf, w.len)) < 0) {
			sys_close(fd);
			fd = e;
		}
		free(buf);
		return fd;
	}
}

static void set_cloexec(const struct ho_fds *fds, int on)
{
	for (size_t i = 0; i < fds->n; i++) {
		int fl = fcntl(fds->v[i], F_GETFD);
		if (fl >= 0)
			(void)fcntl(fds->v[i], F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
	}
}

/* The environment with SHIMBOX_HANDOVER=fd in place of any earlier one; NULL if short. */
static char **handover_env(int fd, char *var, size_t cap)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], HANDOVER_ENV "=", sizeof(HANDOVER_ENV)) != 0)
			env[k++] = environ[i];
	snprintf(var, cap, HANDOVER_ENV "=%d", fd);
	env[k++] = var;
	env[k] = NULL;
	return env;
}

/* Everything is quiet: writes the document and becomes the new binary, or refuses. */
static void upgrade_exec(void)
{
	struct ho_fds fds = { 0 };
	char var[64];
	int fd = doc_write(&fds);
	if (fd < 0) {
		ho_fds_free(&fds);
		upgrade_refuse(TT_INTERNAL, "cannot write the handover document: %s",
		               strerror(-fd));
		return;
	}
	char **env = handover_env(fd, var, sizeof(var));
	if (env) {
		log_info("upgrading to %s (%zu containers, %zu fds handed over)", up.binary,
		         svc_ncontainers, fds.n);
		set_cloexec(&fds, 0);
		execve(up.binary, up.argv, env);
		int e = errno;
		set_cloexec(&fds, 1);
		free(env);
		sys_close(fd);
		ho_fds_free(&fds);
		upgrade_refuse(TT_FAILED_PRECONDITION, "execve %s: %s", up.binary, strerror(e));
		return;
	}
	sys_close(fd);
	ho_fds_free(&fds);
	upgrade_refuse(TT_RESOURCE_EXHAUSTED, "out of memory");
}

/* --- the steps before ---------------------------------------------------------------------- */

static int upgrade_quiet(void)
{
	return op_count() == 0 && runc_jobs_running() == 0 && pub_quiet() && conn_quiet();
}

static void on_upgrade_timer(struct loop_timer *t)
{
	if (up.phase == UP_CHECKING) {
		kill(up.check_pid, SIGKILL); /* its exit ends the check */
		return;
	}
	if (svc_shutting_down) {
		upgrade_refuse(TT_FAILED_PRECONDITION, "the shim is shutting down");
		return;
	}
	if (upgrade_quiet()) {
		upgrade_exec();
		return;
	}
	if (sys_mono_ms() >= up.deadline) {
		upgrade_refuse(TT_UNAVAILABLE,
		               "still busy after %d ms (%zu operations, %zu runtime children, an "
		               "event in flight: %s); try again",
		               UPGRADE_QUIET_MS, op_count(), runc_jobs_running(),
		               pub_quiet() ? "no" : "yes");
		return;
	}
	loop_timer_arm(t, UPGRADE_POLL_MS);
}

/* The check child's answer: "shimbox-handover MIN MAX". 0 if it reads HO_VERSION. */
static int check_answer(char *why, size_t cap)
{
	char out[256] = "";
	unsigned lo = 0, hi = 0;
	ssize_t n = pread(up.check_out, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	char *s = strstr(out, "shimbox-handover ");
	if (up.check_status != 0 || !s) {
		snprintf(why, cap,
		         "%s -handover-versions exited with %d and did not name the handover "
		         "versions it reads: it is not shimbox, or too old to be upgraded to",
		         up.binary, up.check_status);
		return -1;
	}
	char *end;
	lo = (unsigned)strtoul(s + 17, &end, 10);
	hi = (unsigned)strtoul(end, NULL, 10);
	if (HO_VERSION < lo || HO_VERSION > hi) {
		snprintf(why, cap,
		         "%s reads handover versions %u..%u, this shim writes version %u: not "
		         "upgraded",
		         up.binary, lo, hi, HO_VERSION);
		return -1;
	}
	return 0;
}

static void on_check_exit(void *ctx, const struct reap_exit *e)
{
	char why[PATH_MAX + 200];
	(void)ctx;
	up.check_pid = -1;
	up.check_status = e->status;
	loop_timer_cancel(&up.timer);
	int ok = check_answer(why, sizeof(why));
	sys_closep(&up.check_out);
	if (ok < 0) {
		upgrade_refuse(TT_FAILED_PRECONDITION, "%s", why);
		return;
	}
	up.phase = UP_PARKED;
	up.deadline = sys_mono_ms() + UPGRADE_QUIET_MS;
	conn_hold_reads(1);
	on_upgrade_timer(&up.timer);
}

static int check_start(void)
{
	const char *argv[] = { "containerd-shim-shimbox-v2", "-handover-versions", NULL };
	if ((up.check_out = memfd_create("handover-check", MFD_CLOEXEC)) < 0)
		return -errno;
	struct spawn_opts o = { .path = up.binary, .argv = argv, .fds = { -1, up.check_out, -1 } };
	pid_t pid = spawn(&o);
	if (pid < 0 || reap_watch(pid, on_check_exit, NULL) < 0) {
		if (pid > 0)
			kill(pid, SIGKILL);
		sys_closep(&up.check_out);
		return pid < 0 ? (int)pid : -ENOMEM;
	}
	up.check_pid = pid;
	return 0;
}

void h_upgrade(struct call call, struct pb_str payload)
{
	struct sb_upgrade_req req;
	struct stat st;
	int e;

	if (sb_upgrade_req_decode(payload.p, payload.n, &req) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "upgrade: malformed request");
		return;
	}
	if (up.phase != UP_IDLE || svc_shutting_down) {
		call_error(call, TT_FAILED_PRECONDITION, "upgrade: %s",
		           svc_shutting_down ? "the shim is shutting down"
		                             : "an upgrade is already under way");
		return;
	}
	if (req.binary.n ? pb_str_copy(up.binary, sizeof(up.binary), req.binary) < 0
	                 : sys_fmt(up.binary, sizeof(up.binary), "%s", up.start_binary) < 0) {
		call_error(call, TT_INVALID_ARGUMENT, "upgrade: the binary's path is too long");
		return;
	}
	if (up.binary[0] != '/' || stat(up.binary, &st) < 0 || !S_ISREG(st.st_mode) ||
	    access(up.binary, X_OK) < 0) {
		call_error(call, TT_INVALID_ARGUMENT,
		           "upgrade: %s is not an executable file given by an absolute path%s%s",
		           up.binary[0] ? up.binary : "(none)", errno ? ": " : "",
		           errno ? strerror(errno) : "");
		return;
	}
	up.call = call;
	up.phase = UP_CHECKING;
	up.timer.fn = on_upgrade_timer;
	if ((e = check_start()) < 0) {
		upgrade_refuse(TT_FAILED_PRECONDITION, "cannot run %s: %s", up.binary,
		               strerror(-e));
		return;
	}
	loop_timer_arm(&up.timer, UPGRADE_CHECK_MS);
	log_info("upgrade to %s: asking it which handover versions it reads", up.binary);
}

/* --- the new image ------------------------------------------------------------------------ */

int upgrade_adopt_begin(int *listen_fd, int *log_fd)
{
	const char *v = getenv(HANDOVER_ENV);
	struct ho_doc d;
	struct stat st;
	char *end;
	int e;

	if (!v)
		return 0;
	int fd = (int)strtol(v, &end, 10);
	unsetenv(HANDOVER_ENV); /* no child inherits it */
	if (*end || fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0)
		return -EBADF;
	up.doc_len = (size_t)st.st_size;
	up.doc = mmap(NULL, up.doc_len, PROT_READ, MAP_PRIVATE, fd, 0);
	sys_close(fd);
	if (up.doc == MAP_FAILED) {
		up.doc = NULL;
		return -errno;
	}
	if ((e = ho_doc_decode(up.doc, up.doc_len, &d)) < 0)
		return -EPROTO;
	*listen_fd = d.header.listen_fd;
	*log_fd = d.header.log_fd;
	(void)!pb_str_copy(up.start_binary, sizeof(up.start_binary), d.header.start_binary);
	(void)!pb_str_copy(up.from_revision, sizeof(up.from_revision), d.header.revision);
	up.upgrades = d.header.upgrades + 1;
	/* Every fd the old image handed over is ours: none may leak into a child. */
	DIR *dir = opendir("/proc/self/fd");
	for (struct dirent *de; dir && (de = readdir(dir));) {
		int n = atoi(de->d_name);
		if (n > 2 && n != dirfd(dir))
			(void)fcntl(n, F_SETFD, FD_CLOEXEC);
	}
	if (dir)
		closedir(dir);
	return 1;
}

static int proc_adopt(struct proc *p, const struct ho_proc *hp, struct conn *const *conns,
                      size_t nconns)
{
	struct pb_r it = pb_r_of(hp->raw);
	struct waiter **tail = &p->waiters;
	struct ho_call hc;
	int e;

	if (pb_str_copy(p->exec_id, sizeof(p->exec_id), hp->exec_id) < 0 ||
	    proc_set_stdio(p, hp->stdin_path, hp->stdout_path, hp->stderr_path) < 0 ||
	    pb_str_copy(p->console.dir, sizeof(p->console.dir), hp->console_dir) < 0 ||
	    pb_str_copy(p->console.path, sizeof(p->console.path), hp->console_path) < 0)
		return -EPROTO;
	p->pid = hp->pid;
	p->state = (enum proc_state)hp->state;
	p->starting = !!(hp->flags & HO_P_STARTING);
	p->exit_deferred = !!(hp->flags & HO_P_EXIT_DEFERRED);
	p->exited = !!(hp->flags & HO_P_EXITED);
	p->deleting = !!(hp->flags & HO_P_DELETING);
	p->terminal = !!(hp->flags & HO_P_TERMINAL);
	p->exit_status = hp->exit_status;
	p->exited_at = hp->exited_at;
	p->console.fd = hp->console_fd;
	if (hp->spec.n) {
		if (!(p->spec = malloc(hp->spec.n + 1)))
			return -ENOMEM;
		memcpy(p->spec, hp->spec.p, hp->spec.n);
		p->spec[hp->spec.n] = 0;
		p->spec_len = hp->spec.n;
	}
	if ((e = pio_adopt(&p->io, hp)) < 0)
		return e;
	while ((e = ho_waiter_next(&it, &hc)) > 0) {
		struct waiter *wt;
		if (hc.conn == 0 || hc.conn > nconns || !conns[hc.conn - 1])
			continue; /* its connection is gone: as if it had closed */
		if (!(wt = calloc(1, sizeof(*wt))))
			return -ENOMEM;
		wt->call = call_adopt(conns[hc.conn - 1], hc.stream, hc.tag);
		*tail = wt;
		tail = &wt->next;
	}
	if (e < 0)
		return -EPROTO;
	if (proc_live(p) && (e = proc_watch(p)) < 0)
		return e;
	if (p->exited && p->terminal && !p->io.tty_final)
		pio_process_exited(&p->io);
	return 0;
}

static int container_adopt(const struct ho_container *hc, struct conn *const *conns,
                           size_t nconns, struct container ***tail)
{
	struct pb_r it = pb_r_of(hc->raw);
	struct container *c = calloc(1, sizeof(*c));
	struct proc **ptail;
	struct ho_proc hp;
	int e;

	if (!c)
		return -ENOMEM;
	c->refs = 1;
	c->listed = 1;
	proc_init(&c->init, c);
	**tail = c;
	*tail = &c->next;
	svc_ncontainers++;
	if (pb_str_copy(c->id, sizeof(c->id), hc->id) < 0 ||
	    pb_str_copy(c->rootfs, sizeof(c->rootfs), hc->rootfs) < 0 ||
	    pb_str_copy(c->cfg.binary, sizeof(c->cfg.binary), hc->binary) < 0 ||
	    pb_str_copy(c->cfg.root, sizeof(c->cfg.root), hc->root) < 0 ||
	    pb_str_copy(c->cfg.ns, sizeof(c->cfg.ns), hc->ns) < 0 ||
	    pb_str_copy(c->cfg.bundle, sizeof(c->cfg.bundle), hc->bundle) < 0)
		return -EPROTO;
	c->created_ms = hc->created_ms;
	c->deleting = !!(hc->flags & HO_C_DELETING);
	c->init_exit_held = !!(hc->flags & HO_C_INIT_EXIT_HELD);
	c->rootfs_mounted = !!(hc->flags & HO_C_ROOTFS_MOUNTED);
	c->no_pivot = !!(hc->flags & HO_C_NO_PIVOT);
	c->no_keyring = !!(hc->flags & HO_C_NO_KEYRING);
	c->shared_pidns = !!(hc->flags & HO_C_SHARED_PIDNS);
	c->cfg.systemd_cgroup = !!(hc->flags & HO_C_SYSTEMD_CGROUP);
	if (ho_init_get(hc, &hp) < 0)
		return -EPROTO;
	if ((e = proc_adopt(&c->init, &hp, conns, nconns)) < 0)
		return e;
	ptail = &c->execs;
	while ((e = ho_exec_next(&it, &hp)) > 0) {
		struct proc *p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		proc_init(p, c);
		*ptail = p;
		ptail = &p->next;
		if ((e = proc_adopt(p, &hp, conns, nconns)) < 0)
			return e;
	}
	if (e < 0)
		return -EPROTO;
	/* The OOM watch is made again; an OOM kill during the handover itself is not reported. */
	if (proc_live(&c->init) && cg_open(&c->cg, c->init.pid) == 0 &&
	    cg_oom_watch(c->cg, proc_on_oom, c) < 0)
		log_debug("container %s: no OOM watch", c->id);
	return 0;
}

static int events_adopt(const struct ho_doc *d)
{
	struct pb_r it = pb_r_of(d->raw);
	struct ho_event ev;
	int e;

	while ((e = ho_event_next(&it, &ev)) > 0) {
		void (*done)(void *ctx) = NULL;
		void *ctx = NULL;
		struct container *c = ev.done_kind == HO_DONE_V1_WAITERS
		                          ? container_find(ev.done_container)
		                          : NULL;
		if (c && proc_exit_delivery_adopt(c, ev.done_exec, &done, &ctx) < 0)
			return -ENOMEM;
		if ((e = pub_adopt(&ev, done, ctx)) < 0)
			return e;
	}
	pub_adopt_stats(&d->header);
	return e < 0 ? -EPROTO : 0;
}

/* Answers the Upgrade call of the old image, on its connection. */
static void upgrade_answer(const struct ho_doc *d, struct conn *const *conns, size_t nconns)
{
	uint8_t buf[256];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	const struct ho_call *hc = &d->header.upgrade;
	if (!d->header.has_upgrade || hc->conn == 0 || hc->conn > nconns || !conns[hc->conn - 1])
		return;
	struct sb_upgrade_resp r = { cs(up.from_revision), cs(svc_cfg.revision), up.upgrades,
		                     (uint32_t)getpid() };
	sb_upgrade_resp_encode(&w, &r);
	call_reply(call_adopt(conns[hc->conn - 1], hc->stream, hc->tag), buf, w.len);
}

int upgrade_adopt_finish(void)
{
	struct conn **conns = NULL;
	struct container **tail = &svc_containers;
	struct ho_container hc;
	struct ho_conn hn;
	struct ho_doc d;
	struct pb_r it;
	int e = -EPROTO;

	if (!up.doc || ho_doc_decode(up.doc, up.doc_len, &d) < 0)
		goto out;
	svc_started_ms = d.header.started_ms;
	if (d.nconns && !(conns = calloc(d.nconns, sizeof(*conns)))) {
		e = -ENOMEM;
		goto out;
	}
	it = pb_r_of(d.raw);
	while ((e = ho_conn_next(&it, &hn)) > 0)
		if (hn.id >= 1 && hn.id <= d.nconns)
			conns[hn.id - 1] = conn_adopt(&hn);
	it = pb_r_of(d.raw);
	while (e >= 0 && (e = ho_container_next(&it, &hc)) > 0)
		e = container_adopt(&hc, conns, d.nconns, &tail);
	if (e >= 0)
		e = events_adopt(&d);
	if (e >= 0) {
		reap_collect(); /* exits of the handover's moment, now that every pid is watched */
		log_info("upgraded from revision %s to %s (upgrade %u): %zu containers, %zu "
		         "connections, %zu events queued",
		         up.from_revision, svc_cfg.revision, up.upgrades, svc_ncontainers,
		         d.nconns, pub_queued());
		upgrade_answer(&d, conns, d.nconns);
	}
out:
	free(conns);
	if (up.doc)
		munmap(up.doc, up.doc_len);
	up.doc = NULL;
	return e < 0 ? e : 0;
}

const char *upgrade_from_revision(void)
{
	return up.from_revision;
}
