/* SPDX-License-Identifier: MIT */
/* The service's internal interface: what the Task API handler files share with dispatch. */
#ifndef SHIMBOX_CORE_SVC_INT_H
#define SHIMBOX_CORE_SVC_INT_H

#include "proc.h"

/* Decodes the handler's payload into `req`, or answers INTERNAL (as ttrpc-go does) and returns. */
#define DECODE(type, fn, name)                                                                     \
	type req;                                                                                  \
	if (fn(payload.p, payload.n, &req) < 0) {                                                  \
		call_error(call, TT_INTERNAL, "ttrpc: error unmarshalling payload: " name);        \
		return;                                                                            \
	}

void svc_reply_empty(struct call call);
void svc_reply_pid(struct call call, pid_t pid);
/* The container of a request; answers NOT_FOUND itself (and returns NULL) when there is none. */
struct container *svc_lookup(struct call call, struct pb_str id);
/* Init (empty exec_id) or an exec; answers NOT_FOUND itself. */
struct proc *svc_lookup_proc(struct call call, struct pb_str id, struct pb_str exec_id);

/* Task API handlers: each answers its call, at once or when its op completes. */
void h_create(struct call call, struct pb_str payload);
void h_start(struct call call, struct pb_str payload);
void h_state(struct call call, struct pb_str payload);
void h_wait(struct call call, struct pb_str payload);
void h_kill(struct call call, struct pb_str payload);
void h_delete(struct call call, struct pb_str payload);
void h_exec(struct call call, struct pb_str payload);
void h_pause(struct call call, struct pb_str payload);
void h_resume(struct call call, struct pb_str payload);
void h_update(struct call call, struct pb_str payload);
void h_pids(struct call call, struct pb_str payload);
void h_stats(struct call call, struct pb_str payload);
void h_checkpoint(struct call call, struct pb_str payload);
void h_resize(struct call call, struct pb_str payload);
void h_closeio(struct call call, struct pb_str payload);
void h_connect(struct call call, struct pb_str payload);
void h_shutdown(struct call call, struct pb_str payload);
/* shimbox.v1.Shim/Dump (core/dump.c). */
void h_dump(struct call call, struct pb_str payload);

#endif
