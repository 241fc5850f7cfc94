/* SPDX-License-Identifier: MIT */
/*
 * The legacy v1 shim's messages (service containerd.runtime.linux.shim.v1.Shim, PROTOCOL.md 6)
 * with their v1 field numbers, the runc option messages of the v1 runtime
 * (containerd.linux.runc), and a v1 request read as the Task API request (request.h) that
 * serves it. Same conventions as task.h.
 *
 * Where a v1 message carries what a Task API message carries, it is decoded into the task.h
 * struct (its v2-only fields stay empty) and encoded from it (those fields are not written).
 * Messages identical on the wire in both services have no codec here, task.h's serve both:
 *   StateRequest, StartRequest, WaitRequest, ListPidsRequest, DeleteProcessRequest {id=1}:
 *     tk_id_req; ShimInfoResponse {shim_pid=1} and CreateTaskResponse {pid=1}: tk_pid_resp;
 *   StateResponse (v1 lacks exec_id=11, which the shim leaves empty), DeleteResponse,
 *   WaitResponse, ListPidsResponse: their task.h codecs.
 * Delete, Pause, Resume and ShimInfo take google.protobuf.Empty.
 */
#ifndef SHIMBOX_WIRE_SHIMV1_H
#define SHIMBOX_WIRE_SHIMV1_H

#include "request.h"

#define V1_SERVICE "containerd.runtime.linux.shim.v1.Shim"
#define V1_CREATE_OPTIONS_URL "containerd.linux.runc.CreateOptions"
#define V1_CHECKPOINT_OPTIONS_URL "containerd.linux.runc.CheckpointOptions"
#define V1_PROCESS_DETAILS_URL "containerd.linux.runc.ProcessDetails"

/*
 * CreateTaskRequest {id=1, bundle=2, runtime=3, rootfs=4, terminal=5, stdin=6, stdout=7,
 * stderr=8, checkpoint=9, parent_checkpoint=10, options=11}. runtime is the OCI runtime binary.
 * Mounts: tk_mount_next over pb_r_of(raw) with field 4; the decoder has validated them all.
 */
struct v1_create_req {
	struct pb_str id, bundle, runtime;
	int terminal;
	struct pb_str stdin_path, stdout_path, stderr_path;
	struct pb_str checkpoint, parent_checkpoint;
	int has_options;
	struct tk_any options;
	size_t nrootfs;
	struct pb_str raw;
};
int v1_create_req_decode(const void *p, size_t n, struct v1_create_req *m) PB_WARN;
/* Encodes the scalar fields and, verbatim, the rootfs mounts found in m->raw (field 4). */
void v1_create_req_encode(struct pb_w *w, const struct v1_create_req *m);

/* ExecProcessRequest {id=1, terminal=2, stdin=3, stdout=4, stderr=5, spec=6}; exec_id unused. */
int v1_exec_req_decode(const void *p, size_t n, struct tk_exec_req *m) PB_WARN;
void v1_exec_req_encode(struct pb_w *w, const struct tk_exec_req *m);

/* ResizePtyRequest {id=1, width=2, height=3}; exec_id unused. */
int v1_resize_req_decode(const void *p, size_t n, struct tk_resize_req *m) PB_WARN;
void v1_resize_req_encode(struct pb_w *w, const struct tk_resize_req *m);

/* KillRequest {id=1, signal=2, all=3}; exec_id unused. */
int v1_kill_req_decode(const void *p, size_t n, struct tk_kill_req *m) PB_WARN;
void v1_kill_req_encode(struct pb_w *w, const struct tk_kill_req *m);

/* CloseIORequest {id=1, stdin=2}; exec_id unused. */
int v1_closeio_req_decode(const void *p, size_t n, struct tk_closeio_req *m) PB_WARN;
void v1_closeio_req_encode(struct pb_w *w, const struct tk_closeio_req *m);

/* CheckpointTaskRequest {path=1, options=2}; id unused. */
int v1_checkpoint_req_decode(const void *p, size_t n, struct tk_checkpoint_req *m) PB_WARN;
void v1_checkpoint_req_encode(struct pb_w *w, const struct tk_checkpoint_req *m);

/* UpdateTaskRequest {resources=1}; id unused, no annotations (raw is left empty). */
int v1_update_req_decode(const void *p, size_t n, struct tk_update_req *m) PB_WARN;
void v1_update_req_encode(struct pb_w *w, const struct tk_update_req *m);

/* StartResponse {id=1, pid=2}: the process's name (its exec id, or the container id). */
struct v1_start_resp {
	struct pb_str id;
	uint32_t pid;
};
int v1_start_resp_decode(const void *p, size_t n, struct v1_start_resp *m) PB_WARN;
void v1_start_resp_encode(struct pb_w *w, const struct v1_start_resp *m);

/*
 * containerd.linux.runc.CreateOptions {no_pivot_root=1, open_tcp=2, external_unix_sockets=3,
 * terminal=4, file_locks=5, empty_namespaces=6 (repeated; validated and counted, iterate
 * pb_repeated_next over raw), cgroups_mode=7, no_new_keyring=8, shim_cgroup=9, io_uid=10,
 * io_gid=11, criu_work_path=12, criu_image_path=13}.
 */
struct v1_create_opts {
	int no_pivot_root, open_tcp, external_unix_sockets, terminal, file_locks;
	size_t nempty_namespaces;
	struct pb_str cgroups_mode;
	int no_new_keyring;
	struct pb_str shim_cgroup;
	uint32_t io_uid, io_gid;
	struct pb_str criu_work_path, criu_image_path;
	struct pb_str raw;
};
int v1_create_opts_decode(const void *p, size_t n, struct v1_create_opts *m) PB_WARN;
void v1_create_opts_encode(struct pb_w *w, const struct v1_create_opts *m);

/*
 * containerd.linux.runc.CheckpointOptions: the v2 CheckpointOptions with work_path=8 and
 * image_path=9 swapped (v2: image_path=8, work_path=9).
 */
int v1_checkpoint_opts_decode(const void *p, size_t n, struct opt_checkpoint *m) PB_WARN;
void v1_checkpoint_opts_encode(struct pb_w *w, const struct opt_checkpoint *m);

/* --- requests ---------------------------------------------------------------------------- */

/* What the Task API requests need that v1 requests leave to the shim. NULL strings are "". */
struct v1_ctx {
	const char *container;    /* the container the shim serves ("" before Create) */
	const char *runtime_root; /* -runtime-root */
	const char *criu;         /* -criu (-criu-path) */
	const char *criu_work; /* CRIU's default work dir (the reference: <-workdir>/criu-work) */
	int systemd_cgroup;    /* -systemd-cgroup */
};

/* What a v1 request carried that its Task API request drops, for the log. */
struct v1_note {
	struct pb_str ignored_options; /* type URL of Create options of an unknown type */
	unsigned ignored_fields;       /* CreateOptions fields with no Task API equivalent: bit k
	                                * set for field number k (2-7: restore settings) */
};

/* Errors beyond -PB_E*. */
enum {
	V1_EMETHOD = 32, /* no v1 method served by the Task API (ShimInfo: v1_empty_decode) */
	V1_EINIT = 33,   /* DeleteProcess of init (the reference: INVALID_ARGUMENT) */
	V1_EEXISTS = 34, /* Exec with init's id (the reference: ALREADY_EXISTS) */
};

/*
 * Reads a request of the v1 Shim service as the Task API request that serves it (request.h),
 * with nothing encoded again: strings point into p, or into ctx. In v1 `id` names the process
 * itself: the container's id (or "") is init, any other id an exec of ctx->container; requests
 * without an id (Delete, Pause, Resume, Checkpoint, Update) and ListPids apply to
 * ctx->container. Create's runtime, CreateOptions and the shim's flags become its runc Options
 * (r->o.runc; TK_OPTS_NONE when they say nothing), its mounts stay in field 4 of the v1 request
 * (r->rootfs_field); Checkpoint's v1 CheckpointOptions become v2 ones (work path: ctx->criu_work
 * by default). Returns 0, -PB_E* for an undecodable payload, or -V1_E* as above. note may be NULL.
 */
int v1_request_decode(struct pb_str method, const void *p, size_t n, const struct v1_ctx *ctx,
                      struct tk_request *r, struct v1_note *note) PB_WARN;

/* An Empty (ShimInfo's, Delete's...): any well-formed message, unknown fields skipped as Go does. */
int v1_empty_decode(const void *p, size_t n) PB_WARN;

/*
 * One process of a ListPidsResponse: a v1 shim gives every process it knows a
 * containerd.linux.runc.ProcessDetails{exec_id=name} (init too, named by the container id), as
 * the reference answers; name "" gives none. StartResponse is v1_start_resp_encode.
 */
void v1_pids_resp_put(struct pb_w *w, uint32_t pid, struct pb_str name);

#endif
