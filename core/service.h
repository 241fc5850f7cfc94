/* SPDX-License-Identifier: MIT */
/*
 * The Task API service (containerd.task.v2.Task and v3): containers, their processes and the
 * state machine of PROTOCOL.md 3.2, driven by ttrpc calls and by the reaper.
 */
#ifndef SHIMBOX_CORE_SERVICE_H
#define SHIMBOX_CORE_SERVICE_H

#include "conn.h"

#include <stddef.h>

struct svc_config {
	const char *ns;
	const char *id;          /* the -id the shim was started with */
	const char *socket_path; /* removed on shutdown */
	const char *version;     /* shown by Dump */
	int v1;                  /* serving the legacy v1 shim: only exits are published */
};

int svc_init(const struct svc_config *cfg) __attribute__((warn_unused_result));
/* The ttrpc dispatcher for every service the shim serves. */
void svc_dispatch(struct call call, const struct tt_req *req);
/* Begins the orderly shutdown (SIGTERM, or Shutdown with no container left). */
void svc_shutdown(void);
size_t svc_container_count(void);
/* Runs a containerd.task.v2.Task method on a payload in that service's encoding (the v1 shim
 * translates its requests and calls this). */
void svc_call_task(struct call call, const char *method, const void *payload, size_t n);
/* The process name of a pid: its exec id, or the container id for an init; "" if unknown. */
const char *svc_proc_name(uint32_t pid);
/* The id of the (first) container served, else the -id the shim was started with. */
const char *svc_container_id(void);
/* Writes the Dump document (what shim-dump shows) to the log. */
void svc_dump_to_log(void);

#endif
