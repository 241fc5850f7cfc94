/* SPDX-License-Identifier: MIT */
/*
 * Operations: a call parked on a runtime child (runc_job), completed by the child's exit, and
 * the wait for a stopped process's output to drain first. Internal to the service.
 */
#ifndef SHIMBOX_CORE_OP_H
#define SHIMBOX_CORE_OP_H

#include "loop.h"
#include "proc.h"
#include "runc.h"

/* An operation waiting for a runtime child (and sometimes for stdio or a logger first). */
struct op {
	struct runc_job job; /* first: the job callback finds the op */
	struct call call;
	struct container *c;
	struct proc *p;
	void (*finish)(struct op *op);
	struct loop_timer timer;
	struct pb_w event; /* Create: its TaskCreate event but for the pid, over a buffer of its own */
	char path[PATH_LEN + 64]; /* a file to remove when done */
	char pidfile[PATH_LEN + 64];
	const char *what; /* the runtime command, for messages */
	char criu_log[PATH_LEN + 64]; /* checkpoint: CRIU's log, named in an error */
	void (*after_drain)(struct op *op);
};

/* A new op holding a reference to c; finish(op) runs when the job is done, then op is freed.
 * NULL (the call answered RESOURCE_EXHAUSTED) if memory is short. */
struct op *op_new(struct call call, struct container *c, struct proc *p,
                  void (*finish)(struct op *));
/* Operations in flight (made by op_new, not yet freed). */
size_t op_count(void);
/* Releases the job, removes op->path, drops the container's reference. */
void op_free(struct op *op);
/* Answers the call with code and msg, then frees op. */
void op_fail(struct op *op, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs the runtime for op (runc_run's arguments); on failure answers the call and frees op. */
int op_run(struct op *op, const char *const *args, const int *fds, const void *in,
           size_t inlen, int flags);
/* Calls next(op) once the output copiers of the exited op->p have delivered what it wrote
 * (a client reading to EOF gets every byte), or after 2 s if something else holds the pipes. */
void op_after_output_drained(struct op *op, void (*next)(struct op *op));

#endif
