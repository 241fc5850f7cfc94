/* SPDX-License-Identifier: MIT */
/*
 * The OOM watch: an eventfd registered through cgroup.event_control (v1) or inotify on
 * memory.events and cgroup.events (v2) on the loop, reconciled with the oom_kill counter so that
 * every OOM is reported once, from the loop or from cg_oom_poll.
 */
#include "cgroup_int.h"

#include "log.h"
#include "sys.h"
#include "wire/kernfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

/* The cgroup's oom_kill counter: v1 memory.oom_control (0 before Linux 4.13, which lacks the
 * key), v2 memory.events. -ENOENT/-ENODEV when the cgroup is gone. */
static int oom_kills(const struct cg *cg, uint64_t *v)
{
	char buf[512];
	ssize_t n = cg->v2 ? cg_rd(cg->dir[CG_UNIFIED], "memory.events", buf, sizeof(buf))
	                   : cg_rd(cg->dir[CG_MEMORY], "memory.oom_control", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (kf_kv_get(buf, "oom_kill", v) < 0)
		*v = 0;
	return 0;
}

static int is_gone_err(int e)
{
	return e == -ENOENT || e == -ENODEV;
}

/* Calls on_oom until `happened` OOMs (counted from the baseline) have been reported. */
static int report(struct cg *cg, uint64_t happened)
{
	int n = 0;
	while (cg->reported < happened && cg->on_oom) {
		cg->reported++;
		n++;
		cg->on_oom(cg->ctx);
	}
	return n;
}

static uint64_t since_base(const struct cg *cg, uint64_t kills)
{
	return kills > cg->base ? kills - cg->base : 0;
}

/* v1: the eventfd's pending count (0 if none or no watch); reading resets it. */
static uint64_t eventfd_take(struct cg *cg)
{
	uint64_t n = 0;
	if (cg->v2 || cg->watch.fd < 0 || sys_read(cg->watch.fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/*
 * One reconciliation, from the loop or from cg_oom_poll. v1: the kernel signals the eventfd
 * before it kills (and also when the cgroup is removed, which is told apart by the cgroup being
 * gone), so the count of OOMs is the larger of notifications and kills. v2: kills.
 */
static int reconcile(struct cg *cg)
{
	uint64_t pending = eventfd_take(cg), kills = 0;
	int e = oom_kills(cg, &kills);

	if (e < 0) {
		if (is_gone_err(e)) {
			if (cg->watch.fd >= 0)
				log_debug("cgroup removed: OOM watch stopped");
			cg_oom_stop(cg);
		} else {
			log_warn("OOM watch: reading the oom_kill counter: %s", strerror(-e));
		}
		return 0;
	}
	if (cg->v2)
		return report(cg, since_base(cg, kills));
	cg->events += pending;
	uint64_t k = since_base(cg, kills);
	return report(cg, cg->events > k ? cg->events : k);
}

static void on_watch(struct loop_watch *w, uint32_t events)
{
	struct cg *cg = (struct cg *)(void *)((char *)w - offsetof(struct cg, watch));

	(void)events;
	if (cg->v2) {
		/* Drain the inotify events: what matters is the counter, read below. */
		union {
			struct inotify_event ev;
			char b[1024];
		} u;
		while (sys_read(w->fd, u.b, sizeof(u.b)) > 0)
			;
	}
	(void)reconcile(cg);
}

void cg_oom_stop(struct cg *cg)
{
	loop_del(&cg->watch);
	sys_closep(&cg->watch.fd);
}

static int arm_v1(struct cg *cg)
{
	const char *dir = cg->dir[CG_MEMORY];
	char path[CG_PATH_MAX], line[64];
	int efd, ofd, cfd, e;

	if (!dir)
		return -ENOENT;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	if ((e = sys_fmt(path, sizeof(path), "%s/memory.oom_control", dir)) < 0 ||
	    (e = ofd = sys_open(path, O_RDONLY, 0)) < 0) {
		sys_close(efd);
		return e;
	}
	if ((e = sys_fmt(path, sizeof(path), "%s/cgroup.event_control", dir)) >= 0 &&
	    (e = cfd = sys_open(path, O_WRONLY, 0)) >= 0) {
		if ((e = sys_fmt(line, sizeof(line), "%d %d", efd, ofd)) >= 0)
			e = sys_write_all(cfd, line, strlen(line));
		sys_close(cfd);
	}
	sys_close(ofd); /* the registration holds its own reference */
	if (e < 0) {
		sys_close(efd);
		return e;
	}
	cg->watch.fd = efd;
	return 0;
}

static int arm_v2(struct cg *cg)
{
	const char *dir = cg->dir[CG_UNIFIED];
	char path[CG_PATH_MAX];
	int fd, e;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((e = sys_fmt(path, sizeof(path), "%s/memory.events", dir)) < 0 ||
	    (e = inotify_add_watch(fd, path, IN_MODIFY) < 0 ? -errno : 0) < 0) {
		sys_close(fd);
		return e;
	}
	/* cgroup.events changes when the cgroup empties: one more look at memory.events then. */
	if (sys_fmt(path, sizeof(path), "%s/cgroup.events", dir) >= 0 &&
	    inotify_add_watch(fd, path, IN_MODIFY) < 0)
		log_debug("OOM watch: %s: %s", path, strerror(errno));
	cg->watch.fd = fd;
	return 0;
}

int cg_oom_watch(struct cg *cg, void (*on_oom)(void *ctx), void *ctx)
{
	uint64_t kills = 0;
	int e;

	cg->on_oom = on_oom;
	cg->ctx = ctx;
	if (cg->watch.fd >= 0)
		return 0;
	e = oom_kills(cg, &kills);
	if (!cg->have_base && e == 0) {
		cg->have_base = 1;
		cg->base = kills;
	}
	if (e < 0)
		return e;
	e = cg->v2 ? arm_v2(cg) : arm_v1(cg);
	if (e < 0) {
		log_warn("OOM watch on %s: %s", cg->dir[cg->v2 ? CG_UNIFIED : CG_MEMORY],
		         strerror(-e));
		return e;
	}
	cg->watch.fn = on_watch;
	if ((e = loop_set(&cg->watch, EPOLLIN)) < 0) {
		log_warn("OOM watch: epoll: %s", strerror(-e));
		sys_closep(&cg->watch.fd);
		return e;
	}
	return 0;
}

int cg_oom_poll(struct cg *cg)
{
	if (!cg->on_oom)
		return 0;
	return reconcile(cg);
}

int cg_oom_watching(const struct cg *cg)
{
	return cg->watch.fd >= 0;
}
