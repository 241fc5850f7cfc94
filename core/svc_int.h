/* SPDX-License-Identifier: MIT */
/* The service's internal interface: what the Task API handler files share with dispatch. */
#ifndef SHIMBOX_CORE_SVC_INT_H
#define SHIMBOX_CORE_SVC_INT_H

#include "proc.h"
#include "wire/request.h"

void svc_reply_empty(struct call call);
void svc_reply_pid(struct call call, pid_t pid);
/* Start's reply: {pid}, or for a v1 call {id=the process's name, pid}. */
void svc_reply_start(struct call call, const struct proc *p);
/* The container of a request; answers NOT_FOUND itself (and returns NULL) when there is none. */
struct container *svc_lookup(struct call call, struct pb_str id);
/* Init (empty exec_id) or an exec; answers NOT_FOUND itself. */
struct proc *svc_lookup_proc(struct call call, struct pb_str id, struct pb_str exec_id);

/* Task API handlers, on requests decoded from either dialect (request.h): each answers its call,
 * at once or when its op completes. */
void h_create(struct call call, const struct tk_request *r);
void h_start(struct call call, const struct tk_request *r);
void h_state(struct call call, const struct tk_request *r);
void h_wait(struct call call, const struct tk_request *r);
void h_kill(struct call call, const struct tk_request *r);
void h_delete(struct call call, const struct tk_request *r);
void h_exec(struct call call, const struct tk_request *r);
void h_pause(struct call call, const struct tk_request *r);
void h_resume(struct call call, const struct tk_request *r);
void h_update(struct call call, const struct tk_request *r);
void h_pids(struct call call, const struct tk_request *r);
void h_stats(struct call call, const struct tk_request *r);
void h_checkpoint(struct call call, const struct tk_request *r);
void h_resize(struct call call, const struct tk_request *r);
void h_closeio(struct call call, const struct tk_request *r);
void h_connect(struct call call, const struct tk_request *r);
void h_shutdown(struct call call, const struct tk_request *r);
/* shimbox.v1.Shim/Dump (core/dump.c). */
void h_dump(struct call call, struct pb_str payload);

#endif
