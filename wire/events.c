/* SPDX-License-Identifier: MIT */
/* Event codecs: task event payloads, their Envelope, Events.Forward and containerd name rules. */
#include "events.h"

#include <string.h>

#include "pbdesc.h"

static const struct pb_mdesc task_io, envelope;
#define SUBS(X) X(tk_timestamp_desc) X(tk_any_desc) X(tk_mount_desc) X(task_io) X(envelope)
PB_SUBS(SUBS);

#define PB_T struct ev_task_io
PB_DESC(task_io, PB_STR(1, stdin_path), PB_STR(2, stdout_path), PB_STR(3, stderr_path),
        PB_BOOL(4, terminal));
#undef PB_T

/* rootfs (3): every mount validated, not stored; rootfs_src is the whole message, so that the
 * mounts of a CreateTaskRequest (also field 3) can be passed on the same way. */
#define PB_T struct ev_task_create
PB_DESC(task_create, PB_RAW(rootfs_src), PB_STR(1, container_id), PB_STR(2, bundle),
        PB_CHECK(3, tk_mount_desc), PB_MSG(4, io, task_io), PB_STR(5, checkpoint), PB_U32(6, pid));
#undef PB_T

int ev_task_create_decode(const void *p, size_t n, struct ev_task_create *m)
{
	int e = pb_decode_msg(&task_create, p, n, m);
	m->rootfs_src_num = 3;
	return e;
}

/*
 * One Mount {type=1, source=2, target=3, options=4} rebuilt from its known fields: whatever else
 * the peer put in it (unknown fields, of any size) is not ours to queue and forward.
 */
static void put_mount(struct pb_w *w, uint32_t num, const struct tk_mount *mnt)
{
	struct pb_r it = pb_r_of(mnt->raw);
	struct pb_str opt;
	int e;
	size_t mark = pb_begin(w, num);

	pb_put_str(w, 1, mnt->type);
	pb_put_str(w, 2, mnt->source);
	pb_put_str(w, 3, mnt->target);
	while ((e = pb_repeated_next(&it, 4, &opt)) > 0)
		pb_put_bytes_always(w, 4, opt.p, opt.n); /* an empty option is still an entry */
	if (e < 0 && !w->err)
		w->err = e;
	pb_end(w, mark);
}

void ev_task_create_encode(struct pb_w *w, const struct ev_task_create *m)
{
	struct pb_r it = pb_r_of(m->rootfs_src);
	struct tk_mount mnt;
	int e;

	pb_put_str(w, 1, m->container_id);
	pb_put_str(w, 2, m->bundle);
	while ((e = tk_mount_next(&it, m->rootfs_src_num, &mnt)) > 0)
		put_mount(w, 3, &mnt);
	if (e < 0 && !w->err)
		w->err = e;
	pb_put_msg(w, 4, &task_io, &m->io);
	pb_put_str(w, 5, m->checkpoint);
	ev_task_create_put_pid(w, m->pid);
}

void ev_task_create_put_pid(struct pb_w *w, uint32_t pid)
{
	pb_put_uint(w, 6, pid);
}

#define PB_T struct ev_task_start
PB_DESC(task_start, PB_STR(1, container_id), PB_U32(2, pid));
PB_CODEC(ev_task_start, struct ev_task_start, task_start)
#undef PB_T

#define PB_T struct ev_task_exit
PB_DESC(task_exit, PB_STR(1, container_id), PB_STR(2, id), PB_U32(3, pid), PB_U32(4, exit_status),
        PB_MSG(5, exited_at, tk_timestamp_desc));
PB_CODEC(ev_task_exit, struct ev_task_exit, task_exit)
#undef PB_T

#define PB_T struct ev_task_delete
PB_DESC(task_delete, PB_STR(1, container_id), PB_U32(2, pid), PB_U32(3, exit_status),
        PB_MSG(4, exited_at, tk_timestamp_desc), PB_STR(5, id));
PB_CODEC(ev_task_delete, struct ev_task_delete, task_delete)
#undef PB_T

#define PB_T struct ev_task_id
PB_DESC(task_id, PB_STR(1, container_id));
PB_CODEC(ev_task_id, struct ev_task_id, task_id)
#undef PB_T

#define PB_T struct ev_task_exec
PB_DESC(task_exec, PB_STR(1, container_id), PB_STR(2, exec_id), PB_U32(3, pid));
PB_CODEC(ev_task_exec, struct ev_task_exec, task_exec)
#undef PB_T

#define PB_T struct ev_task_checkpointed
PB_DESC(task_checkpointed, PB_STR(1, container_id), PB_STR(2, checkpoint));
PB_CODEC(ev_task_checkpointed, struct ev_task_checkpointed, task_checkpointed)
#undef PB_T

#define PB_T struct ev_envelope
PB_DESC(envelope, PB_MSG(1, timestamp, tk_timestamp_desc), PB_STR(2, ns), PB_STR(3, topic),
        PB_MSG(4, event, tk_any_desc));
PB_CODEC(ev_envelope, struct ev_envelope, envelope)

/* ForwardRequest {envelope=1}: the envelope is the whole struct. */
PB_DESC(forward_req, PB_FLAT(1, envelope));
PB_CODEC(ev_forward_req, struct ev_envelope, forward_req)
#undef PB_T

/* Request {service=1, method=2, payload=3, timeout_nano=4, metadata=5} as tt_req_encode. */
void ev_forward_call_encode(struct pb_w *w, const struct ev_envelope *m, int64_t timeout_nano,
                            const struct tt_kv *meta, size_t nmeta)
{
	pb_put_cstr(w, 1, EV_SERVICE);
	pb_put_cstr(w, 2, EV_METHOD);
	size_t mark = pb_begin(w, 3);
	ev_forward_req_encode(w, m);
	pb_end(w, mark);
	tt_req_encode(w, "", "", NULL, 0, timeout_nano, meta, nmeta); /* fields 4 and 5 */
}

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The first string field num of an encoded message: 1 with *s set, 0 if it has none. */
static int first_str(const void *msg, size_t n, uint32_t num, struct pb_str *s)
{
	struct pb_r r = pb_r_init(msg, n);
	struct pb_field f;
	int e;

	while ((e = pb_next(&r, &f)) > 0)
		if (f.num == num)
			return (e = pb_as_str(&f, s)) < 0 ? e : 1;
	return e;
}

int ev_container_id(const void *event, size_t n, struct pb_str *id)
{
	return first_str(event, n, 1, id);
}

int ev_exec_id(const char *topic, const void *event, size_t n, struct pb_str *id)
{
	static const struct {
		const char *topic;
		uint32_t num;
	} fields[] = { { "/tasks/exit", 2 }, { "/tasks/exec-added", 2 },
		       { "/tasks/exec-started", 2 }, { "/tasks/delete", 5 } };
	struct pb_str ct = { NULL, 0 };
	int e;

	*id = ct;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(topic, fields[i].topic) != 0)
			continue;
		if ((e = first_str(event, n, fields[i].num, id)) <= 0 ||
		    (e = ev_container_id(event, n, &ct)) < 0)
			return e;
		if (id->n == ct.n && (ct.n == 0 || memcmp(id->p, ct.p, ct.n) == 0))
			id->n = 0;
		return 0;
	}
	return 0;
}

int ev_identifier_valid(struct pb_str s)
{
	int after_sep = 1; /* a leading separator is as bad as two in a row */

	if (s.n == 0 || s.n > 76)
		return 0;
	for (size_t i = 0; i < s.n; i++) {
		uint8_t c = s.p[i];
		if (is_alnum(c)) {
			after_sep = 0;
		} else if (c == '.' || c == '_' || c == '-') {
			if (after_sep)
				return 0;
			after_sep = 1;
		} else {
			return 0;
		}
	}
	return !after_sep;
}

int ev_topic_valid(struct pb_str s)
{
	size_t start = 1;

	if (s.n < 2 || s.p[0] != '/')
		return 0;
	for (size_t i = 1; i <= s.n; i++) {
		if (i < s.n && s.p[i] != '/')
			continue;
		struct pb_str c = { s.p + start, i - start };
		if (!ev_identifier_valid(c))
			return 0;
		start = i + 1;
	}
	return 1;
}

static const struct ev_topic topics[EV_TASK_COUNT] = {
	[EV_TASK_CREATE] = { "create", "/tasks/create", "containerd.events.TaskCreate" },
	[EV_TASK_START] = { "start", "/tasks/start", "containerd.events.TaskStart" },
	[EV_TASK_DELETE] = { "delete", "/tasks/delete", "containerd.events.TaskDelete" },
	[EV_TASK_EXIT] = { "exit", "/tasks/exit", "containerd.events.TaskExit" },
	[EV_TASK_OOM] = { "oom", "/tasks/oom", "containerd.events.TaskOOM" },
	[EV_TASK_EXEC_ADDED] = { "exec-added", "/tasks/exec-added",
		                 "containerd.events.TaskExecAdded" },
	[EV_TASK_EXEC_STARTED] = { "exec-started", "/tasks/exec-started",
		                   "containerd.events.TaskExecStarted" },
	[EV_TASK_PAUSED] = { "paused", "/tasks/paused", "containerd.events.TaskPaused" },
	[EV_TASK_RESUMED] = { "resumed", "/tasks/resumed", "containerd.events.TaskResumed" },
	[EV_TASK_CHECKPOINTED] = { "checkpointed", "/tasks/checkpointed",
		                   "containerd.events.TaskCheckpointed" },
};

const struct ev_topic *ev_topic(enum ev_task t)
{
	return (unsigned)t < EV_TASK_COUNT ? &topics[t] : NULL;
}

const struct ev_topic *ev_topic_named(const char *name)
{
	for (int t = 0; t < EV_TASK_COUNT; t++)
		if (strcmp(topics[t].name, name) == 0)
			return &topics[t];
	return NULL;
}
