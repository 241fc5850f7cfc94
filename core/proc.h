/* SPDX-License-Identifier: MIT */
/*
 * The task model: containers and their processes, the registry of containers served, the
 * order in which exits become visible (PROTOCOL.md 4.2), and the task events built from them.
 * Internal to the service (core/svc_*.c, op.c, dump.c); nothing else includes it.
 *
 * Ownership: a container is freed when its last reference goes (container_unref): the list
 * holds one while it is listed, every op in flight one, every pid watched one. Its processes
 * (init, then execs) and their stdio live and die with it, except an exec that Delete removes.
 */
#ifndef SHIMBOX_CORE_PROC_H
#define SHIMBOX_CORE_PROC_H

#include "cgroup.h"
#include "conn.h"
#include "console.h"
#include "proc_rules.h"
#include "runc.h"
#include "service.h"
#include "stdio.h"
#include "wire/pb.h"
#include "wire/events.h"
#include "wire/task.h"

#include <string.h>
#include <sys/types.h>

#define ID_MAX 128
#define PATH_LEN 1024

enum proc_state { P_CREATING, P_CREATED, P_RUNNING, P_PAUSING, P_PAUSED, P_STOPPED };

struct waiter {
	struct waiter *next;
	struct call call;
};

struct container;

/* A process: the container's init (exec_id empty) or an exec. */
struct proc {
	struct proc *next; /* execs of the container */
	struct container *c;
	char exec_id[ID_MAX];
	pid_t pid;
	enum proc_state state;
	int starting;      /* a Start is in flight: its exit is published after TaskStart */
	int exit_deferred; /* the exit arrived while starting */
	int exited;        /* the reaper reported it (state may still show running) */
	int deleting;      /* an exec's Delete waits for its output */
	int exit_status;
	struct tk_timestamp exited_at;
	int terminal;
	/* The client's stdio paths, in one allocation of their own size (an exec is small). */
	const char *stdin_path, *stdout_path, *stderr_path;
	char *stdio_paths;
	struct pio io;
	struct console_sock console;
	struct waiter *waiters;
	char *spec; /* exec: the JSON Process with terminal forced */
	size_t spec_len;
};

struct container {
	struct container *next;
	int refs; /* the list's, plus one per op in flight and per pid watched */
	int listed;
	int deleting;
	int init_exit_held; /* init exited; its exit waits for the execs' exits */
	uint64_t created_ms;
	char id[ID_MAX];
	char rootfs[PATH_LEN];
	int rootfs_mounted;
	int no_pivot, no_keyring;
	int shared_pidns; /* no private pid namespace: init's death does not end the others */
	struct runc_cfg cfg;
	struct proc init;
	struct proc *execs;
	struct cg *cg;
};

/* The service's settings and run state (core/service.c). */
extern struct svc_config svc_cfg;
extern int svc_shutting_down;
extern uint64_t svc_started_ms;

/* The registry: listed containers, newest first. */
extern struct container *svc_containers;
extern size_t svc_ncontainers;

static inline struct tk_timestamp ts_unset(void)
{
	struct tk_timestamp t = { TK_TS_UNSET_SECONDS, 0 };
	return t;
}

static inline struct pb_str cs(const char *s)
{
	return pb_str_of(s, strlen(s));
}

struct container *container_find(struct pb_str id);
/* Drops one reference; the last frees the container, its processes and its cgroup handle. */
void container_unref(struct container *c);
/* Unmounts what Create mounted on c's rootfs, if anything (a failure is logged). */
void container_unmount_rootfs(struct container *c);
/* Takes c off the list (once): it is no longer found; the list's reference is dropped. */
void container_unlist(struct container *c);

struct proc *proc_find_exec(struct container *c, struct pb_str exec_id);
void proc_init(struct proc *p, struct container *c);
/* Copies the three paths of a request. 0, or -1 if one holds a NUL or memory is short. */
int proc_set_stdio(struct proc *p, struct pb_str in, struct pb_str out, struct pb_str err)
    __attribute__((warn_unused_result));
/* Frees what p holds (stdio, console, spec), not p itself. */
void proc_release(struct proc *p);
/* Has a pid whose exit the reaper has not reported. */
int proc_live(const struct proc *p);
/* Claims p's pid with the reaper; the container stays alive until the exit is handled. */
int proc_watch(struct proc *p) __attribute__((warn_unused_result));
/* Publishes p's exit in the order of PROTOCOL.md 4.2 (an init's exit is the container's last). */
void proc_exit_publish(struct proc *p);
/* Answers p's waiters with its exit. */
void proc_release_waiters(struct proc *p);
/* The word for a state in messages and Dump ("running"...). */
const char *proc_state_word(enum proc_state s);
/* What State reports: an exec of a paused container is paused too. */
enum proc_state proc_visible_state(const struct proc *p);
/* Starts a process's IO after the runtime has it: the console's master, or the copiers. */
int proc_io_start(struct proc *p, struct err *err);
/* The phase of p's rules (proc_rules.h), derived from its state and flags. */
enum proc_phase proc_phase(const struct proc *p);
/* The rule of request rq on p. Allowed: returns it (proc_enter its next phase once the request
 * is under way). Refused: answers the call with the rule's code and message, returns NULL. */
const struct proc_rule *proc_check(struct call call, const struct proc *p, enum proc_req rq);
/* Puts p in phase ph (PH_SAME: nothing). The exit itself (p->exited) is data, not set here: an
 * exited init entering running or paused reads as exited running or exited paused. */
void proc_enter(struct proc *p, int ph);
/* Moves p as its event table says for ev (proc_event_next). */
void proc_on(struct proc *p, enum proc_event ev);
/*
 * In-place upgrade: the v1 shim's queued exits answer their Waits once delivered (done, ctx).
 * proc_exit_delivery_name names such a callback (-1 if done is another one); _adopt makes one
 * again for container c (a reference of its own) and an exec id (empty: init).
 */
int proc_exit_delivery_name(void (*done)(void *ctx), void *ctx, struct pb_str *container,
                            struct pb_str *exec_id);
int proc_exit_delivery_adopt(struct container *c, struct pb_str exec_id,
                             void (**done)(void *ctx), void **ctx);
/* The cgroup OOM callback of a container (ctx): publishes TaskOOM. */
void proc_on_oom(void *ctx);

/* Task events, encoded from values; the v1 shim publishes only exits (PROTOCOL.md 6.1). */
void svc_emit(enum ev_task t, const void *buf, size_t n);
void svc_publish_id(enum ev_task t, const char *id);
void svc_publish_exec(enum ev_task t, const struct proc *p);

/* conn_on_close: a peer that is gone has its parked Waits dropped. */
void svc_on_conn_closed(struct conn *conn);

#endif
