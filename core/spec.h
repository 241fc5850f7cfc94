/* SPDX-License-Identifier: MIT */
/*
 * A bundle's OCI spec (config.json), read whole: the one reader of the `start` action (for the
 * grouping annotations) and of the service (for the pid namespace). Up to SPEC_MAX bytes, as
 * containerd and runc accept any size: a larger spec is read as absent, which both readers take
 * as "the defaults" (its own group; a private pid namespace).
 */
#ifndef SHIMBOX_CORE_SPEC_H
#define SHIMBOX_CORE_SPEC_H

#include "wire/pb.h"

#define SPEC_MAX ((size_t)1 << 20)

/* Reads dir/config.json into a buffer of its own (*doc; free(doc->p) when done): 0, or -errno
 * (-EFBIG over SPEC_MAX) with *doc empty. */
int spec_read(const char *dir, struct pb_str *doc) __attribute__((warn_unused_result));

#endif
