/* SPDX-License-Identifier: MIT */
/*
 * Task API messages (containerd.task.v2 and v3 share them) and the common types Timestamp, Any and
 * Mount (PROTOCOL.md 3.1). Decoders borrow slices from their input; encoders append to a pb_w and
 * leave errors in w->err. Unknown fields are skipped; a known field with the wrong wire type is
 * an error. Proto3 rules: zero scalars and empty strings are not encoded.
 */
#ifndef SHIMBOX_WIRE_TASK_H
#define SHIMBOX_WIRE_TASK_H

#include "pb.h"

/* Go's zero time, sent for "not exited" (PROTOCOL.md 1.10). */
#define TK_TS_UNSET_SECONDS (-62135596800LL)

struct tk_timestamp {
	int64_t seconds;
	int32_t nanos;
};

struct tk_any {
	struct pb_str type_url;
	struct pb_str value;
};

/* A Mount; `raw` is the encoded message, iterate options with pb_repeated_next(raw, 4). */
struct tk_mount {
	struct pb_str type;
	struct pb_str source;
	struct pb_str target;
	struct pb_str raw;
};

enum {
	TK_STATUS_UNKNOWN = 0,
	TK_STATUS_CREATED = 1,
	TK_STATUS_RUNNING = 2,
	TK_STATUS_STOPPED = 3,
	TK_STATUS_PAUSED = 4,
	TK_STATUS_PAUSING = 5,
};

int tk_timestamp_decode(const void *p, size_t n, struct tk_timestamp *m) PB_WARN;
/* Writes field num as a nested Timestamp (always present, even if zero). */
void tk_timestamp_put(struct pb_w *w, uint32_t num, const struct tk_timestamp *m);
int tk_any_decode(const void *p, size_t n, struct tk_any *m) PB_WARN;
/* An Any as a whole message (what `containerd publish` reads on stdin). */
void tk_any_encode(struct pb_w *w, const struct tk_any *m);
/* Writes field num as a nested Any (always present). */
void tk_any_put(struct pb_w *w, uint32_t num, const struct tk_any *m);
int tk_mount_decode(const void *p, size_t n, struct tk_mount *m) PB_WARN;
/* Iterates the repeated Mount field `num` of message `it` (see pb_repeated_next). 1, 0 or -PB_E*.
 */
int tk_mount_next(struct pb_r *it, uint32_t num, struct tk_mount *m) PB_WARN;
/*
 * Copies every occurrence of repeated field src_num of message src to field dst_num, verbatim.
 * A malformed src (or an occurrence that is not length-delimited) sets w->err to its -PB_E*.
 */
void pb_copy_repeated(struct pb_w *w, uint32_t dst_num, struct pb_str src, uint32_t src_num);

/*
 * CreateTaskRequest. Mounts: tk_mount_next over pb_r_of(raw) with field 3; the decoder has
 * validated every mount, so after a successful decode that iteration cannot fail.
 */
struct tk_create_req {
	struct pb_str id, bundle;
	int terminal;
	struct pb_str stdin_path, stdout_path, stderr_path;
	struct pb_str checkpoint, parent_checkpoint;
	int has_options;
	struct tk_any options;
	size_t nrootfs;
	struct pb_str raw;
};
int tk_create_req_decode(const void *p, size_t n, struct tk_create_req *m) PB_WARN;
/* Encodes the scalar fields and, verbatim, the rootfs mounts found in m->raw (field 3). */
void tk_create_req_encode(struct pb_w *w, const struct tk_create_req *m);

/* Requests that carry only {id=1, exec_id=2}: Start, Delete, State, Wait. */
struct tk_proc_req {
	struct pb_str id, exec_id;
};
int tk_proc_req_decode(const void *p, size_t n, struct tk_proc_req *m) PB_WARN;
void tk_proc_req_encode(struct pb_w *w, const struct tk_proc_req *m);

/* Requests that carry only {id=1}: Pids, Stats, Connect, Pause, Resume. */
struct tk_id_req {
	struct pb_str id;
};
int tk_id_req_decode(const void *p, size_t n, struct tk_id_req *m) PB_WARN;
void tk_id_req_encode(struct pb_w *w, const struct tk_id_req *m);

/* CreateTaskResponse, StartResponse: {pid=1}. */
struct tk_pid_resp {
	uint32_t pid;
};
int tk_pid_resp_decode(const void *p, size_t n, struct tk_pid_resp *m) PB_WARN;
void tk_pid_resp_encode(struct pb_w *w, const struct tk_pid_resp *m);

/* DeleteResponse {pid=1, exit_status=2, exited_at=3}; also the `delete` action's output. */
struct tk_delete_resp {
	uint32_t pid;
	uint32_t exit_status;
	struct tk_timestamp exited_at;
};
int tk_delete_resp_decode(const void *p, size_t n, struct tk_delete_resp *m) PB_WARN;
void tk_delete_resp_encode(struct pb_w *w, const struct tk_delete_resp *m);

struct tk_exec_req {
	struct pb_str id, exec_id;
	int terminal;
	struct pb_str stdin_path, stdout_path, stderr_path;
	int has_spec;
	struct tk_any spec;
};
int tk_exec_req_decode(const void *p, size_t n, struct tk_exec_req *m) PB_WARN;
void tk_exec_req_encode(struct pb_w *w, const struct tk_exec_req *m);

struct tk_resize_req {
	struct pb_str id, exec_id;
	uint32_t width, height;
};
int tk_resize_req_decode(const void *p, size_t n, struct tk_resize_req *m) PB_WARN;
void tk_resize_req_encode(struct pb_w *w, const struct tk_resize_req *m);

struct tk_state_resp {
	struct pb_str id, bundle;
	uint32_t pid;
	int32_t status; /* TK_STATUS_* */
	struct pb_str stdin_path, stdout_path, stderr_path;
	int terminal;
	uint32_t exit_status;
	struct tk_timestamp exited_at; /* always encoded */
	struct pb_str exec_id;
};
int tk_state_resp_decode(const void *p, size_t n, struct tk_state_resp *m) PB_WARN;
void tk_state_resp_encode(struct pb_w *w, const struct tk_state_resp *m);

struct tk_kill_req {
	struct pb_str id, exec_id;
	uint32_t signal;
	int all;
};
int tk_kill_req_decode(const void *p, size_t n, struct tk_kill_req *m) PB_WARN;
void tk_kill_req_encode(struct pb_w *w, const struct tk_kill_req *m);

struct tk_closeio_req {
	struct pb_str id, exec_id;
	int stdin_close;
};
int tk_closeio_req_decode(const void *p, size_t n, struct tk_closeio_req *m) PB_WARN;
void tk_closeio_req_encode(struct pb_w *w, const struct tk_closeio_req *m);

/* ProcessInfo {pid=1, info=2 Any}. */
struct tk_process_info {
	uint32_t pid;
	int has_info;
	struct tk_any info;
};
int tk_process_info_decode(const void *p, size_t n, struct tk_process_info *m) PB_WARN;
/* PidsResponse is a sequence of field-1 ProcessInfo entries: the caller loops over this. */
void tk_pids_resp_put(struct pb_w *w, const struct tk_process_info *m);
/* Iterates a PidsResponse: 1, 0 or -PB_E*. */
int tk_pids_resp_next(struct pb_r *it, struct tk_process_info *m) PB_WARN;

struct tk_checkpoint_req {
	struct pb_str id, path;
	int has_options;
	struct tk_any options;
};
int tk_checkpoint_req_decode(const void *p, size_t n, struct tk_checkpoint_req *m) PB_WARN;
void tk_checkpoint_req_encode(struct pb_w *w, const struct tk_checkpoint_req *m);

/*
 * UpdateTaskRequest; annotations (map, field 3, validated and counted) are kept in raw and ignored
 * by the shim.
 */
struct tk_update_req {
	struct pb_str id;
	int has_resources;
	struct tk_any resources;
	size_t nannotations;
	struct pb_str raw;
};
int tk_update_req_decode(const void *p, size_t n, struct tk_update_req *m) PB_WARN;
void tk_update_req_encode(struct pb_w *w, const struct tk_update_req *m);

/* WaitResponse {exit_status=1, exited_at=2}. */
struct tk_wait_resp {
	uint32_t exit_status;
	struct tk_timestamp exited_at; /* always encoded */
};
int tk_wait_resp_decode(const void *p, size_t n, struct tk_wait_resp *m) PB_WARN;
void tk_wait_resp_encode(struct pb_w *w, const struct tk_wait_resp *m);

/* StatsResponse {stats=1 Any}. */
struct tk_stats_resp {
	int has_stats;
	struct tk_any stats;
};
int tk_stats_resp_decode(const void *p, size_t n, struct tk_stats_resp *m) PB_WARN;
void tk_stats_resp_encode(struct pb_w *w, const struct tk_stats_resp *m);

struct tk_connect_resp {
	uint32_t shim_pid, task_pid;
	struct pb_str version;
};
int tk_connect_resp_decode(const void *p, size_t n, struct tk_connect_resp *m) PB_WARN;
void tk_connect_resp_encode(struct pb_w *w, const struct tk_connect_resp *m);

struct tk_shutdown_req {
	struct pb_str id;
	int now;
};
int tk_shutdown_req_decode(const void *p, size_t n, struct tk_shutdown_req *m) PB_WARN;
void tk_shutdown_req_encode(struct pb_w *w, const struct tk_shutdown_req *m);

#endif
