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
};

int svc_init(const struct svc_config *cfg) __attribute__((warn_unused_result));
/* The ttrpc dispatcher for every service the shim serves. */
void svc_dispatch(struct call call, const struct tt_req *req);
/* Begins the orderly shutdown (SIGTERM, or Shutdown with no container left). */
void svc_shutdown(void);
size_t svc_container_count(void);
/* Writes the Dump document (what shim-dump shows) to the log. */
void svc_dump_to_log(void);


#endif
