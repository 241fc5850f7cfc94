/* SPDX-License-Identifier: MIT */
/*
 * Task events (package containerd.events, PROTOCOL.md 4.1), their Envelope and the ttrpc
 * ForwardRequest that carries them to containerd. Same conventions as task.h.
 */
#ifndef SHIMBOX_WIRE_EVENTS_H
#define SHIMBOX_WIRE_EVENTS_H

#include "task.h"
#include "ttrpc.h"

#define EV_SERVICE "containerd.services.events.ttrpc.v1.Events"
#define EV_METHOD "Forward"

/* TaskIO inside TaskCreate. */
struct ev_task_io {
	struct pb_str stdin_path, stdout_path, stderr_path;
	int terminal;
};

/*
 * /tasks/create. Mounts: the repeated Mount field rootfs_src_num of the message rootfs_src (may be
 * empty; e.g. a CreateTaskRequest's raw bytes with field 3). The encoder re-encodes each mount
 * from its known fields only (type, source, target, options): unknown fields are dropped, so the
 * event is never larger than what it says. A malformed mount sets w->err to its -PB_E*.
 */
struct ev_task_create {
	struct pb_str container_id, bundle;
	struct pb_str rootfs_src;
	uint32_t rootfs_src_num;
	struct ev_task_io io; /* always encoded */
	struct pb_str checkpoint;
	uint32_t pid;
};
int ev_task_create_decode(const void *p, size_t n, struct ev_task_create *m) PB_WARN;
void ev_task_create_encode(struct pb_w *w, const struct ev_task_create *m);
/* pid (6) is the last field written, and only when it is not 0: an event encoded before its pid
 * is known is completed by appending the pid with this. */
void ev_task_create_put_pid(struct pb_w *w, uint32_t pid);

/* /tasks/start {container_id=1, pid=2}. */
struct ev_task_start {
	struct pb_str container_id;
	uint32_t pid;
};
int ev_task_start_decode(const void *p, size_t n, struct ev_task_start *m) PB_WARN;
void ev_task_start_encode(struct pb_w *w, const struct ev_task_start *m);

/* /tasks/exit {container_id=1, id=2, pid=3, exit_status=4, exited_at=5}. */
struct ev_task_exit {
	struct pb_str container_id, id;
	uint32_t pid, exit_status;
	struct tk_timestamp exited_at; /* always encoded */
};
int ev_task_exit_decode(const void *p, size_t n, struct ev_task_exit *m) PB_WARN;
void ev_task_exit_encode(struct pb_w *w, const struct ev_task_exit *m);

/* /tasks/delete {container_id=1, pid=2, exit_status=3, exited_at=4, id=5}. */
struct ev_task_delete {
	struct pb_str container_id;
	uint32_t pid, exit_status;
	struct tk_timestamp exited_at; /* always encoded */
	struct pb_str id;
};
int ev_task_delete_decode(const void *p, size_t n, struct ev_task_delete *m) PB_WARN;
void ev_task_delete_encode(struct pb_w *w, const struct ev_task_delete *m);

/* /tasks/oom, /tasks/paused, /tasks/resumed: {container_id=1}. */
struct ev_task_id {
	struct pb_str container_id;
};
int ev_task_id_decode(const void *p, size_t n, struct ev_task_id *m) PB_WARN;
void ev_task_id_encode(struct pb_w *w, const struct ev_task_id *m);

/* /tasks/exec-added {container_id=1, exec_id=2}; /tasks/exec-started adds pid=3. */
struct ev_task_exec {
	struct pb_str container_id, exec_id;
	uint32_t pid;
};
int ev_task_exec_decode(const void *p, size_t n, struct ev_task_exec *m) PB_WARN;
void ev_task_exec_encode(struct pb_w *w, const struct ev_task_exec *m);

/* /tasks/checkpointed {container_id=1, checkpoint=2}. */
struct ev_task_checkpointed {
	struct pb_str container_id, checkpoint;
};
int ev_task_checkpointed_decode(const void *p, size_t n, struct ev_task_checkpointed *m) PB_WARN;
void ev_task_checkpointed_encode(struct pb_w *w, const struct ev_task_checkpointed *m);

/* The task events the shim publishes: one row each of ev_topic's table (PROTOCOL.md 4.1). */
enum ev_task {
	EV_TASK_CREATE,
	EV_TASK_START,
	EV_TASK_DELETE,
	EV_TASK_EXIT,
	EV_TASK_OOM,
	EV_TASK_EXEC_ADDED,
	EV_TASK_EXEC_STARTED,
	EV_TASK_PAUSED,
	EV_TASK_RESUMED,
	EV_TASK_CHECKPOINTED,
	EV_TASK_COUNT
};
struct ev_topic {
	const char *name;     /* "exec-added": the topic's last component */
	const char *topic;    /* "/tasks/exec-added" */
	const char *type_url; /* "containerd.events.TaskExecAdded" */
};
/* The row of t (NULL out of range); the row named name (NULL if none). */
const struct ev_topic *ev_topic(enum ev_task t);
const struct ev_topic *ev_topic_named(const char *name);

/* Envelope {timestamp=1, namespace=2, topic=3, event=4 Any}. */
struct ev_envelope {
	struct tk_timestamp timestamp;
	struct pb_str ns, topic;
	struct tk_any event;
};
int ev_envelope_decode(const void *p, size_t n, struct ev_envelope *m) PB_WARN;
void ev_envelope_encode(struct pb_w *w, const struct ev_envelope *m);

/* ForwardRequest {envelope=1}. */
int ev_forward_req_decode(const void *p, size_t n, struct ev_envelope *m) PB_WARN;
void ev_forward_req_encode(struct pb_w *w, const struct ev_envelope *m);

/*
 * The whole ttrpc Request of Events.Forward for m (what tt_req_encode writes for EV_SERVICE,
 * EV_METHOD and the encoded ForwardRequest, byte for byte), with the ForwardRequest encoded in
 * place: no separate copy of the event is needed to frame it.
 */
void ev_forward_call_encode(struct pb_w *w, const struct ev_envelope *m, int64_t timeout_nano,
                            const struct tt_kv *meta, size_t nmeta);

/*
 * The container an encoded task event is about: its first field 1, container_id in every task
 * event (PROTOCOL.md 4.1). 1 with *id set; 0 if the event has no field 1; -PB_EWIRETYPE if the
 * first field 1 is not length-delimited, or -PB_E* if the event is malformed before it.
 */
int ev_container_id(const void *event, size_t n, struct pb_str *id) PB_WARN;
/*
 * The exec process a task event of topic is about: TaskExit's id (2), TaskExecAdded's and
 * TaskExecStarted's exec_id (2), TaskDelete's id (5); empty when that is the container's own
 * id (its init), or the topic names no process. 0, or -PB_E* as ev_container_id.
 */
int ev_exec_id(const char *topic, const void *event, size_t n, struct pb_str *id) PB_WARN;

/*
 * Identifier rule that containerd applies to namespaces and topic components
 * (^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$, at most 76 characters). 1 if valid.
 */
int ev_identifier_valid(struct pb_str s);
/* Topic rule: starts with "/", at least one component, each a valid identifier. 1 if valid. */
int ev_topic_valid(struct pb_str s);

#endif
