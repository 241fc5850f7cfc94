/* SPDX-License-Identifier: MIT */
/* The v1 Shim service: its requests served as Task API ones (svc_v1.h). */
#include "svc_v1.h"

#include "log.h"
#include "service.h"
#include "sys.h"
#include "wire/shimv1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define V1_PATH_MAX 1024

static struct {
	char root[V1_PATH_MAX], criu[V1_PATH_MAX], criu_work[V1_PATH_MAX];
	int systemd_cgroup;
} v1;

int v1_init(const struct v1_config *cfg)
{
	memset(&v1, 0, sizeof(v1));
	v1.systemd_cgroup = cfg->systemd_cgroup;
	if (sys_fmt(v1.root, sizeof(v1.root), "%s", cfg->runtime_root ? cfg->runtime_root : "") <
	        0 ||
	    sys_fmt(v1.criu, sizeof(v1.criu), "%s", cfg->criu ? cfg->criu : "") < 0)
		return -ENAMETOOLONG;
	if (cfg->workdir && *cfg->workdir &&
	    sys_fmt(v1.criu_work, sizeof(v1.criu_work), "%s/criu-work", cfg->workdir) < 0)
		return -ENAMETOOLONG;
	return 0;
}

static void log_notes(const struct v1_note *note)
{
	static const char *const restore[8] = {
		NULL,       NULL,         "open_tcp",         "external_unix_sockets",
		"terminal", "file_locks", "empty_namespaces", "cgroups_mode"
	};
	char names[160] = "";
	size_t k = 0;

	if (note->ignored_options.n)
		log_warn("create: ignoring runtime options of type %.*s (the v1 runtime's are %s)",
		         (int)note->ignored_options.n, (const char *)note->ignored_options.p,
		         V1_CREATE_OPTIONS_URL);
	for (int b = 2; b < 8; b++) {
		if (!(note->ignored_fields & (1u << b)))
			continue;
		int r = snprintf(names + k, sizeof(names) - k, "%s%s", k ? ", " : "", restore[b]);
		if (r > 0 && (size_t)r < sizeof(names) - k)
			k += (size_t)r;
	}
	if (k)
		log_warn("create: ignoring CreateOptions %s (restore settings: restore is not "
		         "supported)",
		         names);
}

/* ShimInfo: containerd kills the shim by this pid when it is done. */
static void shim_info(struct call call, struct pb_str payload)
{
	uint8_t buf[16];
	struct pb_w w = pb_w_init(buf, sizeof(buf));
	struct tk_pid_resp r = { (uint32_t)getpid() };

	if (v1_empty_decode(payload.p, payload.n) < 0) {
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: ShimInfo request");
		return;
	}
	tk_pid_resp_encode(&w, &r);
	call_reply(call, buf, w.len);
}

void v1_dispatch(struct call call, const struct tt_req *req)
{
	struct v1_note note;
	struct tk_request r;

	if (!pb_str_eq(req->service, V1_SERVICE)) {
		svc_dispatch(call, req);
		return;
	}
	log_debug("v1 %.*s", (int)req->method.n, (const char *)req->method.p);
	if (pb_str_eq(req->method, "ShimInfo")) {
		shim_info(call, req->payload);
		return;
	}
	const char *cid = svc_container_id();
	struct v1_ctx ctx = { cid, v1.root, v1.criu, v1.criu_work, v1.systemd_cgroup };
	int e = v1_request_decode(req->method, req->payload.p, req->payload.n, &ctx, &r, &note);
	switch (e) {
	case 0:
		log_notes(&note);
		call.tag = SVC_DIALECT_V1;
		svc_serve(call, &r);
		break;
	case -V1_EMETHOD:
		call_error(call, TT_UNIMPLEMENTED, "method %.*s", (int)req->method.n,
		           (const char *)req->method.p);
		break;
	case -V1_EINIT:
		call_error(call, TT_INVALID_ARGUMENT,
		           "cannot delete init process with DeleteProcess");
		break;
	case -V1_EEXISTS:
		call_error(call, TT_ALREADY_EXISTS, "id %s: already exists", cid);
		break;
	default:
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: %.*s request",
		           (int)req->method.n, (const char *)req->method.p);
	}
}
