/* SPDX-License-Identifier: MIT */
/*
 * The Task API service (containerd.task.v2.Task and v3): containers, their processes and the
 * state machine of PROTOCOL.md 3.2, driven by ttrpc calls and by the reaper.
 */
#ifndef SHIMBOX_CORE_SERVICE_H
#define SHIMBOX_CORE_SERVICE_H

#include "conn.h"
#include "wire/request.h"

#include <stddef.h>

/* call.tag: the dialect the service writes a call's replies in (where the v1 shim's differ:
 * StartResponse and ListPidsResponse). */
enum { SVC_DIALECT_TASK = 0, SVC_DIALECT_V1 = 1 };

struct svc_config {
	const char *ns;
	const char *id;          /* the -id the shim was started with */
	const char *socket_path; /* removed on shutdown */
	const char *version;     /* shown by Dump */
	const char *revision;    /* the build's, shown by Dump and named in a handover */
	int v1;                  /* serving the legacy v1 shim: only exits are published */
};

int svc_init(const struct svc_config *cfg) __attribute__((warn_unused_result));
/* The ttrpc dispatcher for every service the shim serves. */
void svc_dispatch(struct call call, const struct tt_req *req);
/* Begins the orderly shutdown (SIGTERM, or Shutdown with no container left). */
void svc_shutdown(void);
size_t svc_container_count(void);
/* Serves a decoded Task API request (svc_dispatch's, or the v1 shim's, read from its v1 form). */
void svc_serve(struct call call, const struct tk_request *r);
/* The id of the (first) container served, else the -id the shim was started with. */
const char *svc_container_id(void);
/* Writes the Dump document (what shim-dump shows) to the log. */
void svc_dump_to_log(void);

#endif
