/* SPDX-License-Identifier: MIT */
/* Mount option strings to MS_* flags, and peeling every mount stacked on a target. */
#include "mount.h"

#include "log.h"
#include "loop.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

struct mopt {
	const char *name;
	int clear;
	unsigned long flag;
};

static const struct mopt mopts[] = {
	{ "async", 1, MS_SYNCHRONOUS },
	{ "atime", 1, MS_NOATIME },
	{ "bind", 0, MS_BIND },
	{ "defaults", 0, 0 },
	{ "dev", 1, MS_NODEV },
	{ "diratime", 1, MS_NODIRATIME },
	{ "dirsync", 0, MS_DIRSYNC },
	{ "exec", 1, MS_NOEXEC },
	{ "mand", 0, MS_MANDLOCK },
	{ "noatime", 0, MS_NOATIME },
	{ "nodev", 0, MS_NODEV },
	{ "nodiratime", 0, MS_NODIRATIME },
	{ "noexec", 0, MS_NOEXEC },
	{ "nomand", 1, MS_MANDLOCK },
	{ "norelatime", 1, MS_RELATIME },
	{ "nostrictatime", 1, MS_STRICTATIME },
	{ "nosuid", 0, MS_NOSUID },
	{ "rbind", 0, MS_BIND | MS_REC },
	{ "relatime", 0, MS_RELATIME },
	{ "remount", 0, MS_REMOUNT },
	{ "ro", 0, MS_RDONLY },
	{ "rw", 1, MS_RDONLY },
	{ "strictatime", 0, MS_STRICTATIME },
	{ "suid", 1, MS_NOSUID },
	{ "sync", 0, MS_SYNCHRONOUS },
};

int mount_one(const struct tk_mount *m, const char *target, struct err *err)
{
	char type[64], source[1024], data[2048];
	unsigned long flags = 0;
	size_t dlen = 0;
	struct pb_r it = pb_r_of(m->raw);
	struct pb_str opt;
	int r;

	if (m->type.n >= sizeof(type) || m->source.n >= sizeof(source)) {
		err_msg(err, "mount type or source too long");
		return -ENAMETOOLONG;
	}
	memcpy(type, m->type.p, m->type.n);
	type[m->type.n] = 0;
	memcpy(source, m->source.p, m->source.n);
	source[m->source.n] = 0;
	data[0] = 0;
	while ((r = pb_repeated_next(&it, 4, &opt)) > 0) {
		const struct mopt *found = NULL;
		for (size_t i = 0; i < ARRAY_LEN(mopts); i++)
			if (pb_str_eq(opt, mopts[i].name))
				found = &mopts[i];
		if (found) {
			flags = found->clear ? flags & ~found->flag : flags | found->flag;
			continue;
		}
		if (dlen + opt.n + 2 > sizeof(data)) {
			err_msg(err, "mount options of %s exceed a page", source);
			return -E2BIG;
		}
		if (dlen)
			data[dlen++] = ',';
		memcpy(data + dlen, opt.p, opt.n);
		dlen += opt.n;
		data[dlen] = 0;
	}
	if (r < 0) {
		err_msg(err, "malformed mount options");
		return -EINVAL;
	}
	if (mount(source, target, type, flags, dlen ? data : NULL) < 0) {
		int e = errno;
		err_msg(err, "mount %s:%s [%s]: %s", type, source, data, strerror(e));
		return -e;
	}
	/* A read-only bind needs a second, remounting call to become read-only. */
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount("", target, "", flags | MS_REMOUNT, NULL) < 0) {
		int e = errno;
		err_msg(err, "remount %s read-only: %s", target, strerror(e));
		umount2(target, MNT_DETACH);
		return -e;
	}
	return 0;
}

/* Unmounts until nothing is left (0), or -EBUSY, or another -errno. Never sleeps. */
static int unmount_now(const char *target)
{
	for (;;) {
		if (umount2(target, 0) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

struct unmount_retry {
	struct loop_timer timer;
	int tries;
	char target[];
};

static void on_unmount_retry(struct loop_timer *t)
{
	struct unmount_retry *u = (struct unmount_retry *)t;
	int e = unmount_now(u->target);
	if (e == -EBUSY && ++u->tries < 50) {
		loop_timer_arm(&u->timer, 50);
		return;
	}
	if (e == -EBUSY && umount2(u->target, MNT_DETACH) < 0)
		e = -errno;
	else if (e == -EBUSY)
		e = 0;
	if (e < 0)
		log_warn("unmount %s: %s", u->target, strerror(-e));
	free(u);
}

int mount_unmount_all_async(const char *target)
{
	int e = unmount_now(target);
	if (e != -EBUSY)
		return e;
	size_t n = strlen(target) + 1;
	struct unmount_retry *u = calloc(1, sizeof(*u) + n);
	if (!u)
		return umount2(target, MNT_DETACH) == 0 ? 0 : -errno;
	memcpy(u->target, target, n);
	u->timer.fn = on_unmount_retry;
	loop_timer_arm(&u->timer, 50);
	return 1;
}

int mount_unmount_all(const char *target)
{
	for (int tries = 0;; tries++) {
		int e = unmount_now(target);
		if (e != -EBUSY)
			return e;
		if (tries == 50) /* still busy after 2.5 s: detach so the bundle can be removed */
			return umount2(target, MNT_DETACH) == 0 ? 0 : -errno;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}
