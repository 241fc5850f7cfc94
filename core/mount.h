/* SPDX-License-Identifier: MIT */
/* Rootfs mounts from CreateTaskRequest (PROTOCOL.md 5.2) and their removal. */
#ifndef SHIMBOX_CORE_MOUNT_H
#define SHIMBOX_CORE_MOUNT_H

#include "err.h"
#include "wire/task.h"

#include <stddef.h>

/* Mounts one Mount onto target; err gets a message on failure. Returns 0 or -errno. */
int mount_one(const struct tk_mount *m, const char *target, struct err *err)
    __attribute__((warn_unused_result));
/* Unmounts target until nothing is mounted there (EINVAL), retrying EBUSY for up to 2.5 s and
 * detaching as a last resort. Returns 0 or -errno. */
int mount_unmount_all(const char *target) __attribute__((warn_unused_result));
/*
 * For the loop, which must not sleep: unmounts what it can now; if target is busy, retries from
 * the loop every 50 ms for 2.5 s, then detaches. Returns 0 when done now, 1 when it goes on in
 * the background, or -errno.
 */
int mount_unmount_all_async(const char *target) __attribute__((warn_unused_result));

#endif
