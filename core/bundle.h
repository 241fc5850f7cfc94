/* SPDX-License-Identifier: MIT */
/* What the service reads of a bundle and of Create's runtime options. */
#ifndef SHIMBOX_CORE_BUNDLE_H
#define SHIMBOX_CORE_BUNDLE_H

#include "proc.h"
#include "wire/request.h"

/* Whether bundle/config.json gives the container a pid namespace of its own (1 if unknown). */
int bundle_pidns_private(const char *bundle);
/* Reads a pid file the runtime wrote: 0 and *pid, or -1. */
int bundle_read_pid_file(const char *path, pid_t *pid) __attribute__((warn_unused_result));
/* Applies Create's runc options (r->o.runc) to c's runtime settings and the stdio owner (*uid,
 * *gid, left as they are when not given); options of another type, or undecodable, are logged
 * and ignored. */
void bundle_runc_options(const struct tk_request *r, struct container *c, int *uid, int *gid);

#endif
