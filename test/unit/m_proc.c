/* SPDX-License-Identifier: MIT */
/*
 * core/proc: the phase of the rules (proc_phase) as derived from a process's state and flags,
 * for an init and an exec; proc_enter, which must put a process in exactly the phase each
 * allowed rule names (else a handler would leave it in another than the table says); and
 * proc_on, which must do the same for each event's move.
 */
#include "core/proc.h"
#include "tap.h"

#include <stdlib.h>

static const char *const names[PH_COUNT] = { "created", "starting", "running", "pausing",
	                                     "paused", "exited running", "exited paused",
	                                     "stopped", "deleting", "deleting stopped" };

/* The test's own way into each phase, from a fresh process (p of container c). */
static void put_in(struct container *c, struct proc *p, int ph)
{
	int init = p == &c->init;
	c->deleting = p->deleting = p->starting = p->exited = 0;
	p->state = P_CREATED;
	switch (ph) {
	case PH_STARTING: p->starting = 1; break;
	case PH_RUNNING: p->state = P_RUNNING; break;
	case PH_PAUSING: p->state = P_PAUSING; break;
	case PH_PAUSED: p->state = P_PAUSED; break;
	case PH_EXITED_RUNNING: p->state = P_RUNNING; p->exited = 1; break;
	case PH_EXITED_PAUSED: p->state = P_PAUSED; p->exited = 1; break;
	case PH_STOPPED: p->state = P_STOPPED; p->exited = 1; break;
	case PH_DELETING: *(init ? &c->deleting : &p->deleting) = 1; break;
	case PH_DELETING_STOPPED:
		p->state = P_STOPPED;
		p->exited = 1;
		*(init ? &c->deleting : &p->deleting) = 1;
		break;
	}
}

int main(void)
{
	struct container *c = calloc(1, sizeof(*c));
	struct proc *e = calloc(1, sizeof(*e));
	if (!c || !e)
		abort();
	proc_init(&c->init, c);
	proc_init(e, c);
	c->init.state = P_CREATING;
	CHECK(proc_phase(&c->init) == PH_CREATED, "a container being created reads as created");

	for (int kind = 0; kind < 2; kind++) {
		struct proc *p = kind ? e : &c->init;
		int bad = 0;
		for (int ph = 0; ph < PH_COUNT; ph++) {
			put_in(c, p, ph);
			if (proc_phase(p) != (enum proc_phase)ph) {
				bad++;
				printf("# %s: %s read as %s\n", kind ? "exec" : "init", names[ph],
				       names[proc_phase(p)]);
			}
		}
		CHECK(bad == 0, "%s: every phase is read back from its state and flags",
		      kind ? "an exec" : "an init");
		bad = 0;
		int moves = 0;
		for (int rq = 0; rq < PR_COUNT; rq++) {
			for (int ph = 0; ph < PH_COUNT; ph++) {
				const struct proc_rule *r =
				    proc_rule(kind, (enum proc_phase)ph, (enum proc_req)rq);
				if (r->code != 0)
					continue;
				put_in(c, p, ph);
				proc_enter(p, r->next);
				enum proc_phase want = r->next == PH_SAME ? (enum proc_phase)ph
				                                          : (enum proc_phase)r->next;
				moves += r->next != PH_SAME;
				if (proc_phase(p) != want) {
					bad++;
					printf("# %s: request %d from %s entered %s, not %s\n",
					       kind ? "exec" : "init", rq, names[ph],
					       names[proc_phase(p)], names[want]);
				}
			}
		}
		CHECK(bad == 0 && moves == (kind ? 3 : 4),
		      "%s: proc_enter puts it in the phase each allowed rule names (%d moves)",
		      kind ? "an exec" : "an init", moves);
		bad = moves = 0;
		for (int ev = 0; ev < PE_COUNT; ev++) {
			for (int ph = 0; ph < PH_COUNT; ph++) {
				int next = proc_event_next(kind, (enum proc_phase)ph,
				                           (enum proc_event)ev);
				put_in(c, p, ph);
				proc_on(p, (enum proc_event)ev);
				enum proc_phase want =
				    next == PH_SAME ? (enum proc_phase)ph : (enum proc_phase)next;
				moves += next != PH_SAME;
				if (proc_phase(p) != want) {
					bad++;
					printf("# %s: event %d in %s led to %s, not %s\n",
					       kind ? "exec" : "init", ev, names[ph],
					       names[proc_phase(p)], names[want]);
				}
			}
		}
		CHECK(bad == 0 && moves == (kind ? 12 : 19),
		      "%s: proc_on puts it in the phase each event's move names (%d moves)",
		      kind ? "an exec" : "an init", moves);
	}
	/* An exec's phase does not depend on the container being deleted, nor init's on an exec's. */
	put_in(c, e, PH_RUNNING);
	c->deleting = 1;
	CHECK(proc_phase(e) == PH_RUNNING, "an exec's phase ignores the container's Delete");
	put_in(c, &c->init, PH_RUNNING);
	e->deleting = 1;
	CHECK(proc_phase(&c->init) == PH_RUNNING, "init's phase ignores an exec's Delete");
	free(e);
	free(c);
	return tap_done();
}
