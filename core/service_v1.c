/* SPDX-License-Identifier: MIT */
/* The v1 Shim service: translation to the Task API and back (service_v1.h). */
#include "service_v1.h"

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

/* v1's StartResponse names the process: {id=1, pid=2} where v2 has {pid=1}. */
static void xform_start(struct pb_w *out, const void *payload, size_t n)
{
	v1_start_resp_from_task(out, payload, n, svc_proc_name);
}

/* v1's ListPidsResponse gives every known process a containerd.linux.runc.ProcessDetails. */
static void xform_pids(struct pb_w *out, const void *payload, size_t n)
{
	v1_pids_resp_from_task(out, payload, n, svc_proc_name);
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

void v1_dispatch(struct call call, const struct tt_req *req)
{
	struct v1_note note;
	const char *method;
	uint8_t info[16];

	if (!pb_str_eq(req->service, V1_SERVICE)) {
		svc_dispatch(call, req);
		return;
	}
	log_debug("v1 %.*s", (int)req->method.n, (const char *)req->method.p);
	const char *cid = svc_container_id();
	struct v1_ctx ctx = { cid, v1.root, v1.criu, v1.criu_work, v1.systemd_cgroup };
	/* The Task API request is the v1 one plus the container id, an exec id moved, and for
	 * Create the runc Options: the flags, and fields moved out of the v1 request. */
	size_t cap = 2 * req->payload.n + 2 * strlen(cid) + strlen(v1.root) + strlen(v1.criu) +
	             strlen(v1.criu_work) + 256;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(buf, cap);
	int e = v1_translate(req->method, req->payload.p, req->payload.n, &ctx, &w, &method, &note);
	switch (e) {
	case 0:
		log_notes(&note);
		if (strcmp(method, "Start") == 0)
			call.xform = xform_start;
		else if (strcmp(method, "Pids") == 0)
			call.xform = xform_pids;
		svc_call_task(call, method, buf, w.len);
		break;
	case V1_LOCAL: { /* ShimInfo: containerd kills the shim by this pid when it is done */
		struct pb_w iw = pb_w_init(info, sizeof(info));
		struct tk_pid_resp r = { (uint32_t)getpid() };
		tk_pid_resp_encode(&iw, &r);
		call_reply(call, info, iw.len);
		break;
	}
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
		call_error(call, e == -PB_ENOSPC ? TT_RESOURCE_EXHAUSTED : TT_INTERNAL,
		           "ttrpc: error unmarshalling payload: %.*s request", (int)req->method.n,
		           (const char *)req->method.p);
	}
	free(buf);
}
