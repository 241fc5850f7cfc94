/* SPDX-License-Identifier: MIT */
/* Rootfs mounts from CreateTaskRequest (PROTOCOL.md 5.2) and their removal. */
#ifndef SHIMBOX_CORE_MOUNT_H
#define SHIMBOX_CORE_MOUNT_H

#include "wire/task.h"

#include <stddef.h>

/* Mounts one Mount onto target; err gets a message on failure. Returns 0 or -errno. */
int mount_one(const struct tk_mount *m, const char *target, char *err, size_t errcap)
    __attribute__((warn_unused_result));
/* Unmounts target until nothing is mounted there (EINVAL), retrying EBUSY for up to 2.5 s and
 * detaching as a last resort. Returns 0 or -errno. */
int mount_unmount_all(const char *target) __attribute__((warn_unused_result));

#endif
