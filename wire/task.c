/* SPDX-License-Identifier: MIT */
/* Task API codecs: every message of containerd.task.v2/v3 the shim reads or writes. */
#include "task.h"

#include "pbdesc.h"

#define SUBS(X) X(tk_timestamp_desc) X(tk_any_desc) X(tk_mount_desc) X(pb_str_map_desc) X(pb_none)
PB_SUBS(SUBS);

/*
 * Descriptors carry their struct's size: a nested message that occurs twice replaces the first
 * occurrence instead of merging with it as protobuf specifies; no encoder sends a singular
 * message twice.
 */

#define PB_T struct tk_timestamp
PB_FIELDS(tk_timestamp_desc, PB_I64(1, seconds), PB_I32(2, nanos));
const struct pb_mdesc tk_timestamp_desc = PB_MDESC(tk_timestamp_desc, sizeof(PB_T));
#undef PB_T

#define PB_T struct tk_any
PB_FIELDS(tk_any_desc, PB_STR(1, type_url), PB_STR(2, value));
const struct pb_mdesc tk_any_desc = PB_MDESC(tk_any_desc, sizeof(PB_T));
#undef PB_T

/* options (4) are checked so that pb_repeated_next over raw cannot fail later. */
#define PB_T struct tk_mount
PB_FIELDS(tk_mount_desc, PB_RAW(raw), PB_STR(1, type), PB_STR(2, source), PB_STR(3, target),
          PB_CHECK(4, pb_none));
const struct pb_mdesc tk_mount_desc = PB_MDESC(tk_mount_desc, sizeof(PB_T));
#undef PB_T

int tk_timestamp_decode(const void *p, size_t n, struct tk_timestamp *m)
{
	return pb_decode_msg(&tk_timestamp_desc, p, n, m);
}

void tk_timestamp_put(struct pb_w *w, uint32_t num, const struct tk_timestamp *m)
{
	pb_put_msg(w, num, &tk_timestamp_desc, m);
}

int tk_any_decode(const void *p, size_t n, struct tk_any *m)
{
	return pb_decode_msg(&tk_any_desc, p, n, m);
}

void tk_any_encode(struct pb_w *w, const struct tk_any *m)
{
	pb_encode_msg(w, &tk_any_desc, m);
}

void tk_any_put(struct pb_w *w, uint32_t num, const struct tk_any *m)
{
	pb_put_msg(w, num, &tk_any_desc, m);
}

int tk_mount_decode(const void *p, size_t n, struct tk_mount *m)
{
	return pb_decode_msg(&tk_mount_desc, p, n, m);
}

int tk_mount_next(struct pb_r *it, uint32_t num, struct tk_mount *m)
{
	struct pb_str s;
	int e = pb_repeated_next(it, num, &s);
	if (e <= 0)
		return e;
	e = tk_mount_decode(s.p, s.n, m);
	return e < 0 ? e : 1;
}

/* rootfs (3): every mount validated and counted; encoded verbatim from raw. */
#define PB_T struct tk_create_req
PB_DESC(create_req, PB_RAW(raw), PB_STR(1, id), PB_STR(2, bundle),
        PB_COUNT(3, nrootfs, tk_mount_desc), PB_BOOL(4, terminal), PB_STR(5, stdin_path),
        PB_STR(6, stdout_path), PB_STR(7, stderr_path), PB_STR(8, checkpoint),
        PB_STR(9, parent_checkpoint), PB_OPT(10, options, has_options, tk_any_desc));
PB_CODEC(tk_create_req, struct tk_create_req, create_req)
#undef PB_T

#define PB_T struct tk_proc_req
PB_DESC(proc_req, PB_STR(1, id), PB_STR(2, exec_id));
PB_CODEC(tk_proc_req, struct tk_proc_req, proc_req)
#undef PB_T

#define PB_T struct tk_id_req
PB_DESC(id_req, PB_STR(1, id));
PB_CODEC(tk_id_req, struct tk_id_req, id_req)
#undef PB_T

#define PB_T struct tk_pid_resp
PB_DESC(pid_resp, PB_U32(1, pid));
PB_CODEC(tk_pid_resp, struct tk_pid_resp, pid_resp)
#undef PB_T

#define PB_T struct tk_delete_resp
PB_DESC(delete_resp, PB_U32(1, pid), PB_U32(2, exit_status),
        PB_MSG(3, exited_at, tk_timestamp_desc));
PB_CODEC(tk_delete_resp, struct tk_delete_resp, delete_resp)
#undef PB_T

#define PB_T struct tk_exec_req
PB_DESC(exec_req, PB_STR(1, id), PB_STR(2, exec_id), PB_BOOL(3, terminal), PB_STR(4, stdin_path),
        PB_STR(5, stdout_path), PB_STR(6, stderr_path), PB_OPT(7, spec, has_spec, tk_any_desc));
PB_CODEC(tk_exec_req, struct tk_exec_req, exec_req)
#undef PB_T

#define PB_T struct tk_resize_req
PB_DESC(resize_req, PB_STR(1, id), PB_STR(2, exec_id), PB_U32(3, width), PB_U32(4, height));
PB_CODEC(tk_resize_req, struct tk_resize_req, resize_req)
#undef PB_T

#define PB_T struct tk_state_resp
PB_DESC(state_resp, PB_STR(1, id), PB_STR(2, bundle), PB_U32(3, pid), PB_I32(4, status),
        PB_STR(5, stdin_path), PB_STR(6, stdout_path), PB_STR(7, stderr_path), PB_BOOL(8, terminal),
        PB_U32(9, exit_status), PB_MSG(10, exited_at, tk_timestamp_desc), PB_STR(11, exec_id));
PB_CODEC(tk_state_resp, struct tk_state_resp, state_resp)
#undef PB_T

#define PB_T struct tk_kill_req
PB_DESC(kill_req, PB_STR(1, id), PB_STR(2, exec_id), PB_U32(3, signal), PB_BOOL(4, all));
PB_CODEC(tk_kill_req, struct tk_kill_req, kill_req)
#undef PB_T

#define PB_T struct tk_closeio_req
PB_DESC(closeio_req, PB_STR(1, id), PB_STR(2, exec_id), PB_BOOL(3, stdin_close));
PB_CODEC(tk_closeio_req, struct tk_closeio_req, closeio_req)
#undef PB_T

#define PB_T struct tk_process_info
PB_DESC(process_info, PB_U32(1, pid), PB_OPT(2, info, has_info, tk_any_desc));
#undef PB_T

int tk_process_info_decode(const void *p, size_t n, struct tk_process_info *m)
{
	return pb_decode_msg(&process_info, p, n, m);
}

void tk_pids_resp_put(struct pb_w *w, const struct tk_process_info *m)
{
	pb_put_msg(w, 1, &process_info, m);
}

int tk_pids_resp_next(struct pb_r *it, struct tk_process_info *m)
{
	struct pb_str s;
	int e = pb_repeated_next(it, 1, &s);
	if (e <= 0)
		return e;
	e = tk_process_info_decode(s.p, s.n, m);
	return e < 0 ? e : 1;
}

#define PB_T struct tk_checkpoint_req
PB_DESC(checkpoint_req, PB_STR(1, id), PB_STR(2, path),
        PB_OPT(3, options, has_options, tk_any_desc));
PB_CODEC(tk_checkpoint_req, struct tk_checkpoint_req, checkpoint_req)
#undef PB_T

/* annotations (3): map entries validated and counted; encoded verbatim from raw. */
#define PB_T struct tk_update_req
PB_DESC(update_req, PB_RAW(raw), PB_STR(1, id), PB_OPT(2, resources, has_resources, tk_any_desc),
        PB_COUNT(3, nannotations, pb_str_map_desc));
PB_CODEC(tk_update_req, struct tk_update_req, update_req)
#undef PB_T

#define PB_T struct tk_wait_resp
PB_DESC(wait_resp, PB_U32(1, exit_status), PB_MSG(2, exited_at, tk_timestamp_desc));
PB_CODEC(tk_wait_resp, struct tk_wait_resp, wait_resp)
#undef PB_T

#define PB_T struct tk_stats_resp
PB_DESC(stats_resp, PB_OPT(1, stats, has_stats, tk_any_desc));
PB_CODEC(tk_stats_resp, struct tk_stats_resp, stats_resp)
#undef PB_T

#define PB_T struct tk_connect_resp
PB_DESC(connect_resp, PB_U32(1, shim_pid), PB_U32(2, task_pid), PB_STR(3, version));
PB_CODEC(tk_connect_resp, struct tk_connect_resp, connect_resp)
#undef PB_T

#define PB_T struct tk_shutdown_req
PB_DESC(shutdown_req, PB_STR(1, id), PB_BOOL(2, now));
PB_CODEC(tk_shutdown_req, struct tk_shutdown_req, shutdown_req)
#undef PB_T
