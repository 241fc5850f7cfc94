/* SPDX-License-Identifier: MIT */
/*
 * The legacy v1 shim's ttrpc service, containerd.runtime.linux.shim.v1.Shim (PROTOCOL.md 6):
 * each request is read as the Task API request that serves it (wire/shimv1.h, nothing encoded
 * again) and served by the Task service (service.h), which writes the replies where v1 differs
 * (StartResponse, ListPidsResponse) in v1's form: the call is tagged SVC_DIALECT_V1.
 */
#ifndef SHIMBOX_CORE_SVC_V1_H
#define SHIMBOX_CORE_SVC_V1_H

#include "conn.h"

/* The shim's v1 flags that the translated requests need. NULL: unset. */
struct v1_config {
	const char *runtime_root; /* -runtime-root: runc's --root (the namespace is appended) */
	const char *criu;         /* -criu (containerd 1.6 sends -criu-path) */
	const char *workdir;      /* -workdir: CRIU's work directory is <workdir>/criu-work */
	int systemd_cgroup;       /* -systemd-cgroup */
};

int v1_init(const struct v1_config *cfg) __attribute__((warn_unused_result));
/* The connection dispatcher in v1 mode: the v1 service, else svc_dispatch (shimbox.v1.Shim/Dump,
 * and the Task API itself). */
void v1_dispatch(struct call call, const struct tt_req *req);

#endif
