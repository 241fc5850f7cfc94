/* SPDX-License-Identifier: MIT */
/*
 * Finding a container's bundle and its shim from a shell: containerd 1.6 keeps bundles at
 * <state>/io.containerd.runtime.v2.task/<ns>/<id> and the shim's address in <bundle>/address.
 */
#ifndef SHIMBOX_CORE_LOCATE_H
#define SHIMBOX_CORE_LOCATE_H

#include "err.h"
#include <stddef.h>

#define LOC_STATE_DEFAULT "/run/containerd"
#define LOC_V2_DIR "io.containerd.runtime.v2.task"

struct loc {
	char bundle[900]; /* absolute, symlinks resolved */
	char ns[80];
	char id[80];
};

/*
 * Fills l from either bundle (ns and id default to its last two path components) or ns + id
 * under state (default LOC_STATE_DEFAULT): state/LOC_V2_DIR/ns/id, or state/ns/id when state is
 * the v2.task directory itself. Any of the strings may be NULL.
 * Returns 0; -EINVAL for bad or missing flags; -ENOENT when no such bundle exists. err always
 * gets a message saying which.
 */
int loc_resolve(struct loc *l, const char *bundle, const char *state, const char *ns,
                const char *id, struct err *err) __attribute__((warn_unused_result));

/* 1 if path lies inside a runtime state directory (".../io.containerd.runtime.v2.task/..." or
 * ".../io.containerd.runtime.v1.linux/..."). */
int loc_in_state_dir(const char *path);

/* Reads <bundle>/address (whitespace trimmed) into addr, or where there is none, the address
 * containerd 1.7+ recorded in <bundle>/bootstrap.json. Its length, or -errno (-ENOENT). */
int loc_address(const char *bundle, char *addr, size_t cap) __attribute__((warn_unused_result));

#endif
