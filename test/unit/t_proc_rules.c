/* SPDX-License-Identifier: MIT */
/*
 * core/proc_rules: every (process kind, phase, request) cell of the two tables, and every
 * (kind, phase, event) move, against the grids below, written from PROTOCOL.md 3.2 and the reference's answers, not from the table; the
 * messages of the refusals; the formats' shape. Pure, so it runs under ASan+UBSan.
 */
#include "core/proc_rules.h"
#include "tap.h"
#include "wire/ttrpc.h"

/* A row per request (enum proc_req order), a column per phase (enum proc_phase order):
 *   CR ST RU PG PD XR XP SP DC DS  (created, starting, running, pausing, paused, exited while
 *   running, exited while paused, stopped, deleting created, deleting stopped).
 * '.' allowed, no phase change; 'S' allowed, enters starting; 'P' pausing; 'D' deleting;
 * 'E' deleting stopped; 'F' FAILED_PRECONDITION; 'N' NOT_FOUND; 'I' INTERNAL. */
static const char *const init_grid[PR_COUNT] = {
	[PR_START] = "SFFFFFFFFF",      [PR_KILL] = ".....NNN.N",   [PR_KILL_ALL] = "..........",
	[PR_DELETE] = "DFFFFFFEFF",     [PR_EXEC] = "FF.FFFFFFF",   [PR_START_EXEC] = "FF.FFFFFFF",
	[PR_PAUSE] = "FFPFFFFFFF",      [PR_RESUME] = "FFFF.F.FFF", [PR_UPDATE] = ".....FFF.F",
	[PR_CHECKPOINT] = "FF.F.FFFFF", [PR_RESIZE] = "..........",
};
static const char *const exec_grid[PR_COUNT] = {
	[PR_START] = "SFFFFFFFFF",      [PR_KILL] = "FF...NNNFN",   [PR_KILL_ALL] = "FF...NNNFN",
	[PR_DELETE] = "DFFFFFFEFF",     [PR_EXEC] = "IIIIIIIIII",   [PR_START_EXEC] = "IIIIIIIIII",
	[PR_PAUSE] = "IIIIIIIIII",      [PR_RESUME] = "IIIIIIIIII", [PR_UPDATE] = "IIIIIIIIII",
	[PR_CHECKPOINT] = "IIIIIIIIII", [PR_RESIZE] = ".......F.F",
};
/* The events' moves, by phase as above: '.' none; 'C' created, 'R' running, 'P' paused,
 * 'X' exited running, 'S' stopped, 'E' deleting stopped. Done/failed are the runtime's answer to
 * the request in flight, the one each phase has: Start (ST), Pause (PG), Resume (PD, XP),
 * Delete (DC, DS); undone, the request ended before the runtime ran. */
static const char *const init_moves[PE_COUNT] = {
	[PE_DONE] = ".R.PR.X...", [PE_FAILED] = ".C.R....CS", [PE_UNDONE] = ".C.R....CS",
	[PE_EXIT_SHOWN] = "S.SSSSS.E.",
};
static const char *const exec_moves[PE_COUNT] = {
	[PE_DONE] = ".R........", [PE_FAILED] = ".S......CS", [PE_UNDONE] = ".C......CS",
	[PE_EXIT_SHOWN] = "S.S..SS.E.",
};
static const char *const event_names[PE_COUNT] = { "done", "failed", "undone", "exit shown" };

static char move(int next)
{
	switch (next) {
	case PH_SAME: return '.';
	case PH_CREATED: return 'C';
	case PH_RUNNING: return 'R';
	case PH_PAUSED: return 'P';
	case PH_EXITED_RUNNING: return 'X';
	case PH_STOPPED: return 'S';
	case PH_DELETING_STOPPED: return 'E';
	default: return '?';
	}
}

static void moves(int is_exec, const char *const *want)
{
	for (int ev = 0; ev < PE_COUNT; ev++) {
		char got[PH_COUNT + 1];
		for (int ph = 0; ph < PH_COUNT; ph++)
			got[ph] = move(proc_event_next(is_exec, (enum proc_phase)ph, (enum proc_event)ev));
		got[PH_COUNT] = 0;
		CHECK(strcmp(got, want[ev]) == 0, "%s of %s, by phase: %s (want %s)", event_names[ev],
		      is_exec ? "an exec" : "an init", got, want[ev]);
	}
}

static const char *const req_names[PR_COUNT] = {
	"Start", "Kill", "Kill --all", "Delete", "Exec", "Start of an exec", "Pause", "Resume",
	"Update", "Checkpoint", "ResizePty",
};

static char cell(const struct proc_rule *r)
{
	if (r->code == 0) {
		switch (r->next) {
		case PH_SAME: return '.';
		case PH_STARTING: return 'S';
		case PH_PAUSING: return 'P';
		case PH_DELETING: return 'D';
		case PH_DELETING_STOPPED: return 'E';
		default: return '?';
		}
	}
	switch (r->code) {
	case TT_FAILED_PRECONDITION: return 'F';
	case TT_NOT_FOUND: return 'N';
	case TT_INTERNAL: return 'I';
	default: return '?';
	}
}

static void grid(int is_exec, const char *const *want)
{
	for (int rq = 0; rq < PR_COUNT; rq++) {
		char got[PH_COUNT + 1];
		for (int ph = 0; ph < PH_COUNT; ph++)
			got[ph] = cell(proc_rule(is_exec, (enum proc_phase)ph, (enum proc_req)rq));
		got[PH_COUNT] = 0;
		CHECK(strcmp(got, want[rq]) == 0, "%s of %s, by phase: %s (want %s)", req_names[rq],
		      is_exec ? "an exec" : "an init", got, want[rq]);
	}
}

/* Every refusal's message is non-empty, has at most one conversion and that one is %s. */
static void formats(int is_exec)
{
	int bad = 0;
	for (int rq = 0; rq < PR_COUNT; rq++) {
		for (int ph = 0; ph < PH_COUNT; ph++) {
			const struct proc_rule *r = proc_rule(is_exec, (enum proc_phase)ph, (enum proc_req)rq);
			char out[256];
			proc_rule_message(r, (enum proc_phase)ph, "NAME", out, sizeof(out));
			if (r->code != 0 && (!out[0] || strchr(out, '%') || strstr(out, "(null)")))
				bad++;
		}
	}
	CHECK(bad == 0, "every refusal of %s has a whole message (%d do not)",
	      is_exec ? "an exec" : "an init", bad);
}

static void message(int is_exec, enum proc_phase ph, enum proc_req rq, const char *want)
{
	char out[256];
	proc_rule_message(proc_rule(is_exec, ph, rq), ph, "c1", out, sizeof(out));
	CHECK(strcmp(out, want) == 0, "%s of %s %s: \"%s\"", req_names[rq],
	      is_exec ? "an exec" : "an init", proc_phase_word(ph), out);
}

int main(void)
{
	grid(0, init_grid);
	grid(1, exec_grid);
	moves(0, init_moves);
	moves(1, exec_moves);
	CHECK(proc_event_next(0, PH_COUNT, PE_DONE) == PH_SAME &&
	          proc_event_next(1, PH_RUNNING, PE_COUNT) == PH_SAME,
	      "an event or phase out of range moves nothing");
	formats(0);
	formats(1);

	message(0, PH_RUNNING, PR_DELETE, "cannot delete a running process");
	message(0, PH_EXITED_RUNNING, PR_DELETE, "cannot delete a running process");
	message(0, PH_PAUSED, PR_DELETE, "cannot delete a paused process");
	message(0, PH_DELETING_STOPPED, PR_DELETE, "container c1 is being deleted");
	message(1, PH_DELETING, PR_DELETE, "process c1 is being deleted");
	message(0, PH_STOPPED, PR_START, "cannot start a stopped process");
	message(1, PH_STARTING, PR_START, "cannot start a starting process");
	message(0, PH_DELETING, PR_START, "cannot start a created process");
	message(0, PH_STOPPED, PR_KILL, "process already finished: not found");
	message(1, PH_CREATED, PR_KILL, "process not created");
	message(0, PH_PAUSED, PR_PAUSE, "cannot pause a paused container");
	message(0, PH_CREATED, PR_PAUSE, "cannot pause task in created state");
	message(0, PH_RUNNING, PR_RESUME, "cannot resume a running process");
	message(0, PH_PAUSING, PR_EXEC, "cannot exec in a paused state");
	message(0, PH_STOPPED, PR_EXEC, "cannot exec in a stopped state");
	message(0, PH_PAUSED, PR_START_EXEC, "container c1 init process is not running");
	message(0, PH_STOPPED, PR_UPDATE, "cannot update a stopped container");
	message(0, PH_CREATED, PR_CHECKPOINT, "cannot checkpoint a created container");
	message(1, PH_STOPPED, PR_RESIZE, "cannot resize a stopped container");
	message(0, PH_RUNNING, PR_START, "cannot start a running process");
	message(0, PH_CREATED, PR_START, "allowed");

	char small[8];
	proc_rule_message(proc_rule(0, PH_RUNNING, PR_DELETE), PH_RUNNING, "c1", small,
	                  sizeof(small));
	CHECK(strcmp(small, "cannot ") == 0, "a message is cut to its buffer (\"%s\")", small);
	const struct proc_rule *r = proc_rule(0, PH_COUNT, PR_START);
	CHECK(r && r->code == TT_INTERNAL, "a phase out of range is refused with INTERNAL");
	r = proc_rule(1, PH_RUNNING, PR_COUNT);
	CHECK(r && r->code == TT_INTERNAL, "a request out of range is refused with INTERNAL");
	r = proc_rule(0, (enum proc_phase)-1, PR_START);
	CHECK(r && r->code == TT_INTERNAL, "a negative phase is refused with INTERNAL");
	CHECK(strcmp(proc_phase_word(PH_EXITED_PAUSED), "paused") == 0 &&
	          strcmp(proc_phase_word(PH_COUNT), "unknown") == 0,
	      "phase words: an exited init still shows its state; out of range is \"unknown\"");
	return tap_done();
}
