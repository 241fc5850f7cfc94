/* SPDX-License-Identifier: MIT */
/* The [phase][request] rules and the [phase][event] moves of an init and of an exec (proc_rules.h). */
#include "proc_rules.h"

#include "wire/ttrpc.h"

#include <stdio.h>

enum {
	M_NONE,
	M_START,
	M_GONE,
	M_NA,
	M_DEL_RUNNING,
	M_DEL_PAUSED,
	M_DELETING_CONTAINER,
	M_DELETING_EXEC,
	M_EXEC_STATE,
	M_EXEC_PAUSED,
	M_EXEC_EXITED,
	M_INIT_NOT_RUNNING,
	M_PAUSE_STATE,
	M_PAUSE_PAUSED,
	M_PAUSE_EXITED,
	M_RESUME,
	M_UPDATE_STOPPED,
	M_CHECKPOINT_STATE,
	M_CHECKPOINT_EXITED,
	M_NOT_CREATED,
	M_RESIZE_STOPPED,
	M_BAD,
	M_COUNT
};

static const struct { const char *text; int names_proc; } messages[M_COUNT] = {
	[M_NONE] = { "allowed", 0 },
	[M_START] = { "cannot start a %s process", 0 },
	[M_GONE] = { "process already finished: not found", 0 },
	[M_NA] = { "not a request on an exec", 0 },
	[M_DEL_RUNNING] = { "cannot delete a running process", 0 },
	[M_DEL_PAUSED] = { "cannot delete a paused process", 0 },
	[M_DELETING_CONTAINER] = { "container %s is being deleted", 1 },
	[M_DELETING_EXEC] = { "process %s is being deleted", 1 },
	[M_EXEC_STATE] = { "cannot exec in a %s state", 0 },
	[M_EXEC_PAUSED] = { "cannot exec in a paused state", 0 },
	[M_EXEC_EXITED] = { "cannot exec: the container's init has exited", 0 },
	[M_INIT_NOT_RUNNING] = { "container %s init process is not running", 1 },
	[M_PAUSE_STATE] = { "cannot pause task in %s state", 0 },
	[M_PAUSE_PAUSED] = { "cannot pause a paused container", 0 },
	[M_PAUSE_EXITED] = { "cannot pause: the container's init has exited", 0 },
	[M_RESUME] = { "cannot resume a %s process", 0 },
	[M_UPDATE_STOPPED] = { "cannot update a stopped container", 0 },
	[M_CHECKPOINT_STATE] = { "cannot checkpoint a %s container", 0 },
	[M_CHECKPOINT_EXITED] = { "cannot checkpoint: the container's init has exited", 0 },
	[M_NOT_CREATED] = { "process not created", 0 },
	[M_RESIZE_STOPPED] = { "cannot resize a stopped container", 0 },
	[M_BAD] = { "no such phase or request", 0 },
};

#define OK(n) { 0, n, M_NONE }
#define NO(code, m) { code, PH_SAME, m }
#define FP TT_FAILED_PRECONDITION
#define GONE NO(TT_NOT_FOUND, M_GONE)
#define NA NO(TT_INTERNAL, M_NA)
/* One row per request, the phases in the order of enum proc_phase. */
#define ALL(r) { r, r, r, r, r, r, r, r, r, r }
/* Init and exec alike: only a created process starts. */
#define START_ROW { OK(PH_STARTING), NO(FP, M_START), NO(FP, M_START), NO(FP, M_START), \
		    NO(FP, M_START), NO(FP, M_START), NO(FP, M_START), NO(FP, M_START), \
		    NO(FP, M_START), NO(FP, M_START) }

static const struct proc_rule init_rules[PR_COUNT][PH_COUNT] = {
	[PR_START] = START_ROW,
	[PR_KILL] = { OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), GONE, GONE,
	              GONE, OK(PH_SAME), GONE },
	[PR_KILL_ALL] = ALL(OK(PH_SAME)),
	[PR_DELETE] = { OK(PH_DELETING), NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_PAUSED),
	                NO(FP, M_DEL_PAUSED),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_PAUSED), OK(PH_DELETING_STOPPED),
	                NO(FP, M_DELETING_CONTAINER),
	                NO(FP, M_DELETING_CONTAINER) },
	[PR_EXEC] = { NO(FP, M_EXEC_STATE), NO(FP, M_EXEC_STATE),
	              OK(PH_SAME), NO(FP, M_EXEC_PAUSED),
	              NO(FP, M_EXEC_PAUSED),
	              NO(FP, M_EXEC_EXITED),
	              NO(FP, M_EXEC_PAUSED), NO(FP, M_EXEC_STATE),
	              NO(FP, M_EXEC_STATE), NO(FP, M_EXEC_STATE) },
	[PR_START_EXEC] = { NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING), OK(PH_SAME),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING),
	                    NO(FP, M_INIT_NOT_RUNNING) },
	[PR_PAUSE] = { NO(FP, M_PAUSE_STATE),
	               NO(FP, M_PAUSE_STATE), OK(PH_PAUSING),
	               NO(FP, M_PAUSE_STATE),
	               NO(FP, M_PAUSE_PAUSED),
	               NO(FP, M_PAUSE_EXITED),
	               NO(FP, M_PAUSE_PAUSED),
	               NO(FP, M_PAUSE_STATE),
	               NO(FP, M_PAUSE_STATE),
	               NO(FP, M_PAUSE_STATE) },
	[PR_RESUME] = { NO(FP, M_RESUME), NO(FP, M_RESUME),
	                NO(FP, M_RESUME), NO(FP, M_RESUME),
	                OK(PH_SAME), NO(FP, M_RESUME), OK(PH_SAME),
	                NO(FP, M_RESUME), NO(FP, M_RESUME),
	                NO(FP, M_RESUME) },
	[PR_UPDATE] = { OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME),
	                NO(FP, M_UPDATE_STOPPED),
	                NO(FP, M_UPDATE_STOPPED),
	                NO(FP, M_UPDATE_STOPPED), OK(PH_SAME),
	                NO(FP, M_UPDATE_STOPPED) },
	[PR_CHECKPOINT] = { NO(FP, M_CHECKPOINT_STATE),
	                    NO(FP, M_CHECKPOINT_STATE), OK(PH_SAME),
	                    NO(FP, M_CHECKPOINT_STATE), OK(PH_SAME),
	                    NO(FP, M_CHECKPOINT_EXITED),
	                    NO(FP, M_CHECKPOINT_EXITED),
	                    NO(FP, M_CHECKPOINT_STATE),
	                    NO(FP, M_CHECKPOINT_STATE),
	                    NO(FP, M_CHECKPOINT_STATE) },
	[PR_RESIZE] = ALL(OK(PH_SAME)),
};

static const struct proc_rule exec_rules[PR_COUNT][PH_COUNT] = {
	[PR_START] = START_ROW,
	[PR_KILL] = { NO(FP, M_NOT_CREATED), NO(FP, M_NOT_CREATED), OK(PH_SAME),
	              OK(PH_SAME), OK(PH_SAME), GONE, GONE, GONE, NO(FP, M_NOT_CREATED),
	              GONE },
	[PR_KILL_ALL] = { NO(FP, M_NOT_CREATED), NO(FP, M_NOT_CREATED),
	                  OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), GONE, GONE, GONE,
	                  NO(FP, M_NOT_CREATED), GONE },
	[PR_DELETE] = { OK(PH_DELETING), NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING),
	                NO(FP, M_DEL_RUNNING), OK(PH_DELETING_STOPPED),
	                NO(FP, M_DELETING_EXEC),
	                NO(FP, M_DELETING_EXEC) },
	[PR_EXEC] = ALL(NA),
	[PR_START_EXEC] = ALL(NA),
	[PR_PAUSE] = ALL(NA),
	[PR_RESUME] = ALL(NA),
	[PR_UPDATE] = ALL(NA),
	[PR_CHECKPOINT] = ALL(NA),
	[PR_RESIZE] = { OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME), OK(PH_SAME),
	                OK(PH_SAME), OK(PH_SAME), NO(FP, M_RESIZE_STOPPED),
	                OK(PH_SAME), NO(FP, M_RESIZE_STOPPED) },
};

/*
 * [event][phase] -> the phase entered. Cells that cannot occur are PH_SAME: an exit seen while
 * starting is deferred until the start's end, a Delete done frees the process, and no request
 * of an exec is in flight in pausing or paused (those are init's).
 */
#define S PH_SAME
#define CR PH_CREATED
#define RU PH_RUNNING
#define PD PH_PAUSED
#define XR PH_EXITED_RUNNING
#define SP PH_STOPPED
#define DS PH_DELETING_STOPPED
static const signed char init_events[PE_COUNT][PH_COUNT] = {
	/*                 CR  ST  RU  PG  PD  XR  XP  SP  DC  DS */
	[PE_DONE] =       { S, RU,  S, PD, RU,  S, XR,  S,  S,  S },
	[PE_FAILED] =     { S, CR,  S, RU,  S,  S,  S,  S, CR, SP },
	[PE_UNDONE] =     { S, CR,  S, RU,  S,  S,  S,  S, CR, SP },
	[PE_EXIT_SHOWN] = { SP, S, SP, SP, SP, SP, SP,  S, DS,  S },
};
static const signed char exec_events[PE_COUNT][PH_COUNT] = {
	/*                 CR  ST  RU  PG  PD  XR  XP  SP  DC  DS */
	[PE_DONE] =       { S, RU,  S,  S,  S,  S,  S,  S,  S,  S },
	[PE_FAILED] =     { S, SP,  S,  S,  S,  S,  S,  S, CR, SP },
	[PE_UNDONE] =     { S, CR,  S,  S,  S,  S,  S,  S, CR, SP },
	[PE_EXIT_SHOWN] = { SP, S, SP,  S,  S, SP, SP,  S, DS,  S },
};
#undef S
#undef CR
#undef RU
#undef PD
#undef XR
#undef SP
#undef DS

int proc_event_next(int is_exec, enum proc_phase ph, enum proc_event ev)
{
	if ((unsigned)ph >= PH_COUNT || (unsigned)ev >= PE_COUNT)
		return PH_SAME;
	return is_exec ? exec_events[ev][ph] : init_events[ev][ph];
}

const struct proc_rule *proc_rule(int is_exec, enum proc_phase ph, enum proc_req rq)
{
	static const struct proc_rule bad = NO(TT_INTERNAL, M_BAD);
	if ((unsigned)ph >= PH_COUNT || (unsigned)rq >= PR_COUNT)
		return &bad;
	return is_exec ? &exec_rules[rq][ph] : &init_rules[rq][ph];
}

const char *proc_phase_word(enum proc_phase ph)
{
	static const char *const words[PH_COUNT] = {
		[PH_CREATED] = "created",         [PH_STARTING] = "starting",
		[PH_RUNNING] = "running",         [PH_PAUSING] = "pausing",
		[PH_PAUSED] = "paused",           [PH_EXITED_RUNNING] = "running",
		[PH_EXITED_PAUSED] = "paused",    [PH_STOPPED] = "stopped",
		[PH_DELETING] = "created",        [PH_DELETING_STOPPED] = "stopped",
	};
	return (unsigned)ph < PH_COUNT ? words[ph] : "unknown";
}

void proc_rule_message(const struct proc_rule *r, enum proc_phase ph, const char *name,
                       char *out, size_t cap)
{
	unsigned m = r->msg < M_COUNT ? r->msg : M_BAD;
	const char *arg = messages[m].names_proc ? name : proc_phase_word(ph);
	/* The formats are this file's literals, each with at most one %s (t_proc_rules checks). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(out, cap, messages[m].text, arg);
#pragma GCC diagnostic pop
}
