/* SPDX-License-Identifier: MIT */
/*
 * What a request may do to a process in each phase: one [phase][request] table for an init
 * and one for an exec, consulted by every handler (s6's way: a table, not compound ifs).
 * Pure: no state, no syscalls, so the table is unit-tested without containerd (t_proc_rules).
 *
 * A phase is derived from a process's state and flags (proc_phase, core/proc.c). A rule either
 * allows the request, naming the phase the process enters while it is in flight (or PH_SAME),
 * or refuses it with a ttrpc code and a message.
 *
 * What moves a process without a request is in a second pair of tables, [phase][event]: the
 * runtime's answer to the request in flight (the phase tells which one it is: Start in
 * starting, Pause in pausing, Resume in paused, Delete in deleting), and its exit becoming
 * visible. An event is never refused; the table names the phase it leads to.
 */
#ifndef SHIMBOX_CORE_PROC_RULES_H
#define SHIMBOX_CORE_PROC_RULES_H

#include <stddef.h>

enum proc_phase {
	PH_CREATED,          /* created by the runtime, not started */
	PH_STARTING,         /* a Start is in flight */
	PH_RUNNING,
	PH_PAUSING,          /* a Pause is in flight */
	PH_PAUSED,
	PH_EXITED_RUNNING,   /* init exited while running; its exit waits for the execs' */
	PH_EXITED_PAUSED,    /* the same, paused (Resume lets the killed execs die) */
	PH_STOPPED,          /* its exit is visible */
	PH_DELETING,         /* a Delete of a never-started process is in flight */
	PH_DELETING_STOPPED, /* a Delete of a stopped process is in flight */
	PH_COUNT,
	PH_SAME = -1 /* a rule's next phase: the request changes none */
};

enum proc_req {
	PR_START,
	PR_KILL,
	PR_KILL_ALL,   /* Kill with all: init only (an exec's Kill ignores it) */
	PR_DELETE,
	PR_EXEC,       /* Exec: add a process to the container (init's rules) */
	PR_START_EXEC, /* Start of an exec: what the container's init must be (init's rules) */
	PR_PAUSE,
	PR_RESUME,
	PR_UPDATE,
	PR_CHECKPOINT,
	PR_RESIZE,
	PR_COUNT
};

enum proc_event {
	PE_DONE,       /* the runtime did what the request in flight asked */
	PE_FAILED,     /* the runtime failed it */
	PE_UNDONE,     /* the request ended before the runtime ran: the phase it entered is left */
	PE_EXIT_SHOWN, /* the process's exit becomes visible (its event is queued) */
	PE_COUNT
};

/* Three bytes a rule: the two tables are 660 bytes. */
struct proc_rule {
	unsigned char code; /* 0: allowed; else the ttrpc code of the refusal */
	signed char next;   /* allowed: the phase entered while the request is in flight, or PH_SAME */
	unsigned char msg;  /* refused: its message (proc_rule_message) */
};

/* The rule for request rq on a process (an exec if is_exec, else an init) in phase ph; never
 * NULL for ph < PH_COUNT and rq < PR_COUNT. A request that does not apply to an exec (Pause...)
 * is refused with INTERNAL. */
const struct proc_rule *proc_rule(int is_exec, enum proc_phase ph, enum proc_req rq);
/* The phase a process (an exec if is_exec) in ph enters on ev, or PH_SAME; PH_SAME out of range.
 * A Delete done leaves the process to be freed: PH_SAME. */
int proc_event_next(int is_exec, enum proc_phase ph, enum proc_event ev);
/* The word for a phase in messages: "created", "running"... (an exited init still "running"). */
const char *proc_phase_word(enum proc_phase ph);
/* Writes a refusal's message into out (cap bytes, cut if longer): it names the phase's word or
 * the process (name: its exec id, or the container's id for an init); "allowed" for a rule that
 * allows. */
void proc_rule_message(const struct proc_rule *r, enum proc_phase ph, const char *name,
                       char *out, size_t cap);

#endif
