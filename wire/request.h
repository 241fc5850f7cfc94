/* SPDX-License-Identifier: MIT */
/*
 * A Task API request as the handlers take it: the method, its decoded message, and the options
 * it carries (Create's runc Options, Checkpoint's CheckpointOptions) decoded too. One shape for
 * every dialect: tk_request_decode makes it from a containerd.task.v2/v3 request, and
 * v1_request_decode (shimv1.h) from a v1 shim's, so that no request is encoded again to be
 * served. Pure: the strings point into the payload decoded, which must outlive the request.
 */
#ifndef SHIMBOX_WIRE_REQUEST_H
#define SHIMBOX_WIRE_REQUEST_H

#include "options.h"
#include "task.h"

/* The Task API methods the shim serves. */
enum tk_method {
	TK_CREATE,
	TK_START,
	TK_STATE,
	TK_WAIT,
	TK_KILL,
	TK_DELETE,
	TK_EXEC,
	TK_PAUSE,
	TK_RESUME,
	TK_UPDATE,
	TK_PIDS,
	TK_STATS,
	TK_CHECKPOINT,
	TK_RESIZE,
	TK_CLOSEIO,
	TK_CONNECT,
	TK_SHUTDOWN,
	TK_NMETHODS
};

/* What a request's options field held, for the handler to act on or to log. */
enum {
	TK_OPTS_NONE,    /* absent or empty */
	TK_OPTS_OK,      /* decoded into the request's o */
	TK_OPTS_FOREIGN, /* of a type the shim does not read (Create: not containerd.runc.v1) */
	TK_OPTS_BAD,     /* of the right type, but undecodable */
};

struct tk_request {
	enum tk_method method;
	union {
		struct tk_create_req create;
		struct tk_proc_req proc; /* Start, State, Wait, Delete */
		struct tk_id_req id;     /* Pause, Resume, Pids, Stats, Connect */
		struct tk_kill_req kill;
		struct tk_exec_req exec;
		struct tk_update_req update;
		struct tk_checkpoint_req checkpoint;
		struct tk_resize_req resize;
		struct tk_closeio_req closeio;
		struct tk_shutdown_req shutdown;
	} u;
	uint32_t rootfs_field; /* Create: the field of u.create.raw holding the mounts (a v1
	                        * request has them in 4, a Task API one in 3) */
	int opts;              /* TK_OPTS_*: Create's and Checkpoint's options */
	union {
		struct opt_runc runc;             /* Create */
		struct opt_checkpoint checkpoint; /* Checkpoint */
	} o;
};

/* The method of a Task API method name, or -1 if the service has none such. */
int tk_method_of(struct pb_str name);
/* The method's name ("Create"), and its request message's ("CreateTaskRequest"). */
const char *tk_method_name(enum tk_method m);
const char *tk_method_request(enum tk_method m);

/*
 * Decodes a containerd.task.v2 (or v3) request of method m. Create's options are decoded when
 * their type URL ends in containerd.runc.v1.Options, or read from the TOML table of a
 * runtimeoptions.v1.Options (what CRI sends a runtime type of its own: opt_runc_from_toml; one
 * with a config_path instead is TK_OPTS_FOREIGN); Checkpoint's, whatever their type (as the
 * reference does). 0, or -PB_E* for an undecodable message (undecodable options are reported in
 * r->opts instead).
 */
int tk_request_decode(enum tk_method m, const void *p, size_t n, struct tk_request *r) PB_WARN;

/*
 * Writes r as the containerd.task.v2 request of its method, fields in protoc's order: what
 * tk_request_decode reads back as r, for tests and tools (the shim serves decoded requests and
 * never encodes one). Options in TK_OPTS_OK are written from r->o, under the canonical type
 * URL; Create's mounts are copied from field r->rootfs_field of u.create.raw to field 3.
 */
void tk_request_encode(struct pb_w *w, const struct tk_request *r);

#endif
