/* SPDX-License-Identifier: MIT */
/*
 * The core's side of the handover document (wire/handover.h) of an in-place upgrade: each module
 * writes its own state into it and adopts it back in the new image. While the document is
 * written, every fd it names is added to a struct ho_fds: exactly those lose FD_CLOEXEC before
 * the execve, and get it back if the execve fails.
 */
#ifndef SHIMBOX_CORE_HANDOVER_H
#define SHIMBOX_CORE_HANDOVER_H

#include "wire/handover.h"

#include <stddef.h>

struct ho_fds {
	int *v;
	size_t n, cap;
	int err; /* sticky: memory ran out, the set is incomplete */
};

/* Adds fd (ignored when < 0). */
void ho_fds_keep(struct ho_fds *f, int fd);
void ho_fds_free(struct ho_fds *f);

#endif
