/* SPDX-License-Identifier: MIT */
/* Calls parked on runtime children, and the wait for output to drain (op.h). */
#include "op.h"

#include "err.h"

#include "log.h"
#include "sys.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_DRAIN_MS 2000

static size_t ops_live;

size_t op_count(void)
{
	return ops_live;
}

void op_free(struct op *op)
{
	ops_live--;
	runc_job_release(&op->job);
	if (op->path[0])
		unlink(op->path);
	loop_timer_cancel(&op->timer);
	container_unref(op->c);
	free(op->event.buf);
	free(op);
}

static void op_job_done(struct runc_job *job)
{
	struct op *op = (struct op *)job;
	op->finish(op);
	op_free(op);
}

struct op *op_new(struct call call, struct container *c, struct proc *p,
                         void (*finish)(struct op *))
{
	struct op *op = calloc(1, sizeof(*op));
	if (!op) {
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	ops_live++;
	op->call = call;
	op->c = c;
	op->p = p;
	op->finish = finish;
	op->job.done = op_job_done;
	op->job.out_fd = op->job.err_fd = -1;
	c->refs++;
	return op;
}

void op_fail(struct op *op, int code, const char *fmt, ...)
{
	struct err e;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	call_error(op->call, code, "%s", e.msg);
	op_free(op);
}

/* Runs the runtime for op; on failure answers the call and frees op. */
int op_run(struct op *op, const char *const *args, const int *fds, const void *in,
                  size_t inlen, int flags)
{
	int e = runc_run(&op->job, &op->c->cfg, args, fds, in, inlen, flags);
	if (e < 0)
		op_fail(op, TT_UNKNOWN, "cannot run the OCI runtime %s: %s", op->c->cfg.binary,
		        strerror(-e));
	return e;
}


static void drained_continue(struct op *op)
{
	loop_timer_cancel(&op->timer);
	op->p->io.drained = NULL;
	op->after_drain(op);
}

static void on_drained(struct pio *io)
{
	drained_continue(io->ctx);
}

static void on_drain_timeout(struct loop_timer *t)
{
	struct op *op = (struct op *)((char *)t - offsetof(struct op, timer));
	log_warn("container %s: output of %s still flowing after %d ms; deleting anyway", op->c->id,
	         op->p->exec_id[0] ? op->p->exec_id : "init", IO_DRAIN_MS);
	drained_continue(op);
}

/*
 * Calls next(op) once the output copiers of the exited op->p have delivered what it wrote
 * (a client reading to EOF gets every byte), or after 2 s if something else holds the pipes.
 */
void op_after_output_drained(struct op *op, void (*next)(struct op *op))
{
	struct proc *p = op->p;
	op->after_drain = next;
	if (pio_outputs_busy(&p->io) && p->state == P_STOPPED) {
		p->io.ctx = op;
		p->io.drained = on_drained;
		op->timer.fn = on_drain_timeout;
		loop_timer_arm(&op->timer, IO_DRAIN_MS);
		return;
	}
	next(op);
}
