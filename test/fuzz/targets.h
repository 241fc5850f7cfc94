/* SPDX-License-Identifier: MIT */
/*
 * Every wire/ decoder as a fuzz target, shared by f_requests and f_frame. For each input a decoder
 * accepts, fuzz_run checks what must hold for any input: the decoded message re-encodes without
 * error, the re-encoding decodes again, re-encodes to the same bytes (a fixed point), and a buffer
 * one byte short gives ENOSPC without writing past its end. A violation traps.
 */
#ifndef SHIMBOX_FUZZ_TARGETS_H
#define SHIMBOX_FUZZ_TARGETS_H

#include <stdlib.h>
#include <string.h>

#include "wire/events.h"
#include "wire/handover.h"
#include "wire/options.h"
#include "wire/shimbox.h"
#include "wire/shimv1.h"
#include "wire/task.h"
#include "wire/ttrpc.h"

/*
 * Selectors: the first byte of an f_requests input, modulo FZ_COUNT. scripts/fuzz-seeds uses the
 * same numbers: change both together.
 */
enum {
	FZ_CREATE = 0,
	FZ_PROC = 1,
	FZ_ID = 2,
	FZ_EXEC = 3,
	FZ_RESIZE = 4,
	FZ_KILL = 5,
	FZ_CLOSEIO = 6,
	FZ_CHECKPOINT = 7,
	FZ_UPDATE = 8,
	FZ_SHUTDOWN = 9,
	FZ_FORWARD = 10,
	FZ_RUNC = 11,
	FZ_BOOTSTRAP = 12,
	FZ_RESP = 13,
	FZ_PIDS = 14,
	FZ_MOUNTS = 15,
	FZ_REQ = 16,
	FZ_CKPT_OPTS = 17,
	FZ_ENVELOPE = 18,
	FZ_PID_RESP = 19,
	FZ_DELETE_RESP = 20,
	FZ_STATE_RESP = 21,
	FZ_WAIT_RESP = 22,
	FZ_STATS_RESP = 23,
	FZ_CONNECT_RESP = 24,
	FZ_TIMESTAMP = 25,
	FZ_ANY = 26,
	FZ_MOUNT = 27,
	FZ_EV_CREATE = 28,
	FZ_EV_START = 29,
	FZ_EV_EXIT = 30,
	FZ_EV_DELETE = 31,
	FZ_EV_ID = 32,
	FZ_EV_EXEC = 33,
	FZ_EV_CHECKPOINTED = 34,
	FZ_PROCESS_DETAILS = 35,
	FZ_BOOTSTRAP_RESULT = 36,
	/* The legacy v1 shim (wire/shimv1.h). */
	FZ_V1_CREATE = 37,
	FZ_V1_EXEC = 38,
	FZ_V1_RESIZE = 39,
	FZ_V1_KILL = 40,
	FZ_V1_CLOSEIO = 41,
	FZ_V1_CHECKPOINT = 42,
	FZ_V1_UPDATE = 43,
	FZ_V1_START_RESP = 44,
	FZ_V1_CREATE_OPTS = 45,
	FZ_V1_CKPT_OPTS = 46,
	FZ_V1_TRANSLATE = 47, /* next byte: a method of fz_v1_methods, then its request */
	FZ_V1_REPLY = 48,     /* next byte: 0 StartResponse, 1 PidsResponse (v2), then the reply */
	/* shimbox's own (wire/shimbox.h). */
	FZ_DUMP_RESP = 49,
	FZ_RUNTIME_INFO = 50,
	FZ_RUNTIME_OPTS = 51, /* runtimeoptions.v1.Options, and the runc Options of its TOML */
	FZ_HANDOVER = 52,     /* an in-place upgrade's handover document, walked whole */
	FZ_COUNT
};

union fz_msg {
	struct tk_create_req create;
	struct tk_proc_req proc;
	struct tk_id_req id;
	struct tk_exec_req exec;
	struct tk_resize_req resize;
	struct tk_kill_req kill;
	struct tk_closeio_req closeio;
	struct tk_checkpoint_req checkpoint;
	struct tk_update_req update;
	struct tk_shutdown_req shutdown;
	struct ev_envelope envelope;
	struct opt_runc runc;
	struct opt_bootstrap_params bootstrap;
	struct tt_resp resp;
	struct tt_req req;
	struct opt_checkpoint ckpt_opts;
	struct tk_pid_resp pid_resp;
	struct tk_delete_resp delete_resp;
	struct tk_state_resp state_resp;
	struct tk_wait_resp wait_resp;
	struct tk_stats_resp stats_resp;
	struct tk_connect_resp connect_resp;
	struct tk_timestamp timestamp;
	struct tk_any any;
	struct tk_mount mount;
	struct ev_task_create ev_create;
	struct ev_task_start ev_start;
	struct ev_task_exit ev_exit;
	struct ev_task_delete ev_delete;
	struct ev_task_id ev_id;
	struct ev_task_exec ev_exec;
	struct ev_task_checkpointed ev_checkpointed;
	struct opt_process_details process_details;
	struct opt_bootstrap_result bootstrap_result;
	struct v1_create_req v1_create;
	struct v1_start_resp v1_start_resp;
	struct v1_create_opts v1_create_opts;
	struct sb_dump_resp dump_resp;
	struct sb_runtime_info runtime_info;
	struct opt_runtime runtime_opts;
};

/* dec: decodes p[0..n) into m (and walks every repeated field); enc: encodes m (p, n: its input).
 */
struct fz_target {
	int (*dec)(const uint8_t *p, size_t n, union fz_msg *m);
	void (*enc)(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n);
};

#define FZ_PLAIN(name, member, decode, encode)                                                     \
	__attribute__((unused)) static int fz_##name##_dec(const uint8_t *p, size_t n,             \
	                                                   union fz_msg *m)                        \
	{                                                                                          \
		return decode(p, n, &m->member);                                                   \
	}                                                                                          \
	__attribute__((unused)) static void fz_##name##_enc(struct pb_w *w, const union fz_msg *m, \
	                                                    const uint8_t *p, size_t n)            \
	{                                                                                          \
		(void)p;                                                                           \
		(void)n;                                                                           \
		encode(w, &m->member);                                                             \
	}

static void fz_ts_put(struct pb_w *w, const struct tk_timestamp *m)
{
	pb_put_int(w, 1, m->seconds);
	pb_put_int(w, 2, m->nanos);
}

static void fz_mount_put(struct pb_w *w, const struct tk_mount *m)
{
	pb_put_raw(w, m->raw.p, m->raw.n);
}

static void fz_resp_put(struct pb_w *w, const struct tt_resp *m);

FZ_PLAIN(proc, proc, tk_proc_req_decode, tk_proc_req_encode)
FZ_PLAIN(id, id, tk_id_req_decode, tk_id_req_encode)
FZ_PLAIN(exec, exec, tk_exec_req_decode, tk_exec_req_encode)
FZ_PLAIN(resize, resize, tk_resize_req_decode, tk_resize_req_encode)
FZ_PLAIN(kill, kill, tk_kill_req_decode, tk_kill_req_encode)
FZ_PLAIN(closeio, closeio, tk_closeio_req_decode, tk_closeio_req_encode)
FZ_PLAIN(checkpoint, checkpoint, tk_checkpoint_req_decode, tk_checkpoint_req_encode)
FZ_PLAIN(update, update, tk_update_req_decode, tk_update_req_encode)
FZ_PLAIN(shutdown, shutdown, tk_shutdown_req_decode, tk_shutdown_req_encode)
FZ_PLAIN(forward, envelope, ev_forward_req_decode, ev_forward_req_encode)
FZ_PLAIN(runc, runc, opt_runc_decode, opt_runc_encode)
FZ_PLAIN(resp, resp, tt_resp_decode, fz_resp_put)
FZ_PLAIN(envelope, envelope, ev_envelope_decode, ev_envelope_encode)
FZ_PLAIN(pid_resp, pid_resp, tk_pid_resp_decode, tk_pid_resp_encode)
FZ_PLAIN(delete_resp, delete_resp, tk_delete_resp_decode, tk_delete_resp_encode)
FZ_PLAIN(state_resp, state_resp, tk_state_resp_decode, tk_state_resp_encode)
FZ_PLAIN(wait_resp, wait_resp, tk_wait_resp_decode, tk_wait_resp_encode)
FZ_PLAIN(stats_resp, stats_resp, tk_stats_resp_decode, tk_stats_resp_encode)
FZ_PLAIN(connect_resp, connect_resp, tk_connect_resp_decode, tk_connect_resp_encode)
FZ_PLAIN(timestamp, timestamp, tk_timestamp_decode, fz_ts_put)
FZ_PLAIN(any, any, tk_any_decode, tk_any_encode)
FZ_PLAIN(mount, mount, tk_mount_decode, fz_mount_put)
FZ_PLAIN(ev_start, ev_start, ev_task_start_decode, ev_task_start_encode)
FZ_PLAIN(ev_exit, ev_exit, ev_task_exit_decode, ev_task_exit_encode)
FZ_PLAIN(ev_delete, ev_delete, ev_task_delete_decode, ev_task_delete_encode)
FZ_PLAIN(ev_id, ev_id, ev_task_id_decode, ev_task_id_encode)
FZ_PLAIN(ev_exec, ev_exec, ev_task_exec_decode, ev_task_exec_encode)
FZ_PLAIN(ev_checkpointed, ev_checkpointed, ev_task_checkpointed_decode, ev_task_checkpointed_encode)
FZ_PLAIN(process_details, process_details, opt_process_details_decode, opt_process_details_encode)
FZ_PLAIN(bootstrap_result, bootstrap_result, opt_bootstrap_result_decode,
         opt_bootstrap_result_encode)
FZ_PLAIN(ckpt_opts_plain, ckpt_opts, opt_checkpoint_decode, opt_checkpoint_encode)
FZ_PLAIN(bootstrap_plain, bootstrap, opt_bootstrap_params_decode, opt_bootstrap_params_encode)
FZ_PLAIN(create_plain, create, tk_create_req_decode, tk_create_req_encode)
FZ_PLAIN(v1_exec, exec, v1_exec_req_decode, v1_exec_req_encode)
FZ_PLAIN(v1_resize, resize, v1_resize_req_decode, v1_resize_req_encode)
FZ_PLAIN(v1_kill, kill, v1_kill_req_decode, v1_kill_req_encode)
FZ_PLAIN(v1_closeio, closeio, v1_closeio_req_decode, v1_closeio_req_encode)
FZ_PLAIN(v1_checkpoint, checkpoint, v1_checkpoint_req_decode, v1_checkpoint_req_encode)
FZ_PLAIN(v1_update, update, v1_update_req_decode, v1_update_req_encode)
FZ_PLAIN(v1_start_resp, v1_start_resp, v1_start_resp_decode, v1_start_resp_encode)
FZ_PLAIN(v1_ckpt_opts_plain, ckpt_opts, v1_checkpoint_opts_decode, v1_checkpoint_opts_encode)
FZ_PLAIN(v1_create_plain, v1_create, v1_create_req_decode, v1_create_req_encode)
FZ_PLAIN(v1_create_opts_plain, v1_create_opts, v1_create_opts_decode, v1_create_opts_encode)
FZ_PLAIN(ev_create_plain, ev_create, ev_task_create_decode, ev_task_create_encode)
FZ_PLAIN(dump_resp, dump_resp, sb_dump_resp_decode, sb_dump_resp_encode)
FZ_PLAIN(runtime_info, runtime_info, sb_runtime_info_decode, sb_runtime_info_encode)

static int fz_in(struct pb_str s, struct pb_str body)
{
	return s.n == 0 || (s.p >= body.p && s.p + s.n <= body.p + body.n);
}

/* A CRI handler's options: the TOML read gives a count or a refusal, and every string it sets
 * lies inside the body. */
static int fz_runtime_opts_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct opt_runc o;
	int e = opt_runtime_decode(p, n, &m->runtime_opts);
	if (e < 0)
		return e;
	struct pb_str b = m->runtime_opts.config_body;
	int set = opt_runc_from_toml(b, &o);
	if (set < -PB_ERANGE || (set == -PB_ERANGE ? 0 : set < 0))
		__builtin_trap();
	if (set >= 0 && !(fz_in(o.binary_name, b) && fz_in(o.root, b) && fz_in(o.shim_cgroup, b) &&
	                  fz_in(o.criu_path, b) && fz_in(o.criu_image_path, b) &&
	                  fz_in(o.criu_work_path, b)))
		__builtin_trap();
	return 0;
}

static void fz_runtime_opts_enc(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n)
{
	(void)p;
	(void)n;
	opt_runtime_encode(w, &m->runtime_opts);
}

static void fz_resp_put(struct pb_w *w, const struct tt_resp *m)
{
	/* tt_resp_encode takes a C string: stop the message at its first NUL. */
	char msg[256];
	size_t k = 0;
	while (k < m->message.n && k < sizeof(msg) - 1 && m->message.p[k])
		k++;
	if (k)
		memcpy(msg, m->message.p, k);
	msg[k] = 0;
	tt_resp_encode(w, m->code, msg, m->payload.p, m->payload.n);
}

/* Walks every mount of field num of s, and every option of each; the count, or an error. */
static int fz_mounts_walk(struct pb_str s, uint32_t num)
{
	struct pb_r it = pb_r_of(s);
	struct tk_mount mnt;
	int e, count = 0;
	while ((e = tk_mount_next(&it, num, &mnt)) > 0) {
		struct pb_r ot = pb_r_of(mnt.raw);
		struct pb_str o;
		while ((e = pb_repeated_next(&ot, 4, &o)) > 0)
			;
		if (e < 0)
			__builtin_trap(); /* the mount decoder accepted bad options */
		count++;
	}
	return e < 0 ? e : count;
}

static int fz_create_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	int e = tk_create_req_decode(p, n, &m->create);
	if (e < 0)
		return e;
	/* Decoding validated the mounts: iterating them cannot fail. */
	if (fz_mounts_walk(m->create.raw, 3) != (int)m->create.nrootfs)
		__builtin_trap();
	return e;
}

static int fz_ev_create_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	int e = ev_task_create_decode(p, n, &m->ev_create);
	if (e < 0)
		return e;
	if (fz_mounts_walk(m->ev_create.rootfs_src, m->ev_create.rootfs_src_num) < 0)
		__builtin_trap();
	return e;
}

static int fz_ckpt_opts_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str s;
	size_t count = 0;
	int e = opt_checkpoint_decode(p, n, &m->ckpt_opts);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m->ckpt_opts.raw);
	while ((e = pb_repeated_next(&it, 6, &s)) > 0)
		count++;
	if (e < 0 || count != m->ckpt_opts.nempty_namespaces)
		__builtin_trap();
	return 0;
}

static int fz_bootstrap_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct tk_any any;
	size_t count = 0;
	int e = opt_bootstrap_params_decode(p, n, &m->bootstrap);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m->bootstrap.raw);
	while ((e = opt_bootstrap_extension_next(&it, &any)) > 0)
		count++;
	if (e < 0 || count != m->bootstrap.nextensions)
		__builtin_trap();
	return 0;
}

static int fz_update_all_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str s;
	size_t count = 0;
	int e = tk_update_req_decode(p, n, &m->update);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m->update.raw);
	while ((e = pb_repeated_next(&it, 3, &s)) > 0)
		count++;
	if (e < 0 || count != m->update.nannotations)
		__builtin_trap();
	return 0;
}

static int fz_pids_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_r it = pb_r_init(p, n);
	struct tk_process_info pi;
	int e;
	(void)m;
	while ((e = tk_pids_resp_next(&it, &pi)) > 0)
		;
	return e;
}

static void fz_pids_enc(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n)
{
	struct pb_r it = pb_r_init(p, n);
	struct tk_process_info pi;
	(void)m;
	while (tk_pids_resp_next(&it, &pi) > 0)
		tk_pids_resp_put(w, &pi);
}

static int fz_mounts_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str s = { p, n };
	(void)m;
	return fz_mounts_walk(s, 3);
}

static void fz_mounts_enc(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n)
{
	(void)m;
	pb_copy_repeated(w, 3, pb_str_of((const char *)p, n), 3);
}

static int fz_req_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str v;
	int e = tt_req_decode(p, n, &m->req);
	if (e >= 0)
		(void)tt_req_meta(&m->req, "containerd-namespace-ttrpc", &v);
	return e;
}

/* Copies s into scratch as a C string cut at its first NUL; advances *at. */
static const char *fz_cstr(char *scratch, size_t *at, struct pb_str s)
{
	char *c = scratch + *at;
	size_t k = 0;
	while (k < s.n && s.p[k])
		k++;
	if (k)
		memcpy(c, s.p, k);
	c[k] = 0;
	*at += k + 1;
	return c;
}

#define FZ_MAX_META 16

static void fz_req_enc(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n)
{
	struct tt_kv meta[FZ_MAX_META];
	size_t nmeta = 0, at = 0;
	struct pb_str kv;
	/* Every string is a disjoint slice of the input, so n bytes plus NULs suffice. */
	char *scratch = malloc(n + 2 + 2 * FZ_MAX_META);
	if (!scratch)
		abort();
	(void)p;
	struct pb_r it = pb_r_of(m->req.raw);
	while (nmeta < FZ_MAX_META && pb_repeated_next(&it, 5, &kv) > 0) {
		struct pb_r r = pb_r_of(kv);
		struct pb_field f;
		struct pb_str k = { NULL, 0 }, v = { NULL, 0 };
		while (pb_next(&r, &f) > 0)
			if (f.num == 1)
				k = f.s;
			else if (f.num == 2)
				v = f.s;
		meta[nmeta].key = fz_cstr(scratch, &at, k);
		meta[nmeta].value = fz_cstr(scratch, &at, v);
		nmeta++;
	}
	const char *service = fz_cstr(scratch, &at, m->req.service);
	const char *method = fz_cstr(scratch, &at, m->req.method);
	tt_req_encode(w, service, method, m->req.payload.p, m->req.payload.n, m->req.timeout_nano,
	              meta, nmeta);
	free(scratch);
}

static uint8_t *fz_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

static int fz_v1_create_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	int e = v1_create_req_decode(p, n, &m->v1_create);
	if (e < 0)
		return e;
	if (fz_mounts_walk(m->v1_create.raw, 4) != (int)m->v1_create.nrootfs)
		__builtin_trap();
	return e;
}

static int fz_v1_create_opts_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str s;
	size_t count = 0;
	int e = v1_create_opts_decode(p, n, &m->v1_create_opts);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m->v1_create_opts.raw);
	while ((e = pb_repeated_next(&it, 6, &s)) > 0)
		count++;
	if (e < 0 || count != m->v1_create_opts.nempty_namespaces)
		__builtin_trap();
	return 0;
}

static int fz_v1_ckpt_opts_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_str s;
	size_t count = 0;
	int e = v1_checkpoint_opts_decode(p, n, &m->ckpt_opts);
	if (e < 0)
		return e;
	struct pb_r it = pb_r_of(m->ckpt_opts.raw);
	while ((e = pb_repeated_next(&it, 6, &s)) > 0)
		count++;
	if (e < 0 || count != m->ckpt_opts.nempty_namespaces)
		__builtin_trap();
	return 0;
}

/* The v1 Shim service's methods, in shim.proto's order (FZ_V1_TRANSLATE's method byte). */
static const char *const fz_v1_methods[16] = {
	"State",   "Create",   "Start",      "Delete", "DeleteProcess", "ListPids",
	"Pause",   "Resume",   "Checkpoint", "Kill",   "Exec",          "ResizePty",
	"CloseIO", "ShimInfo", "Update",     "Wait",
};

/*
 * What the v1 shim does with a request (core/svc_v1.c): read it as a Task API request, as the
 * shim would with all its flags set. A request read so must be one the Task API would have sent:
 * written out (tk_request_encode) it is read back by its method's decoder, with its mounts and
 * its options.
 */
static int fz_v1_translate_check(struct pb_str method, const uint8_t *p, size_t n)
{
	static const struct v1_ctx ctx = { "redis-7f3a", "/run/containerd/runc", "/usr/sbin/criu",
		                           "/var/lib/containerd/work/criu-work", 1 };
	size_t cap = 2 * n + 1024;
	uint8_t *out = malloc(cap);
	struct tk_request r, back;
	struct v1_note note;
	if (!out)
		abort();
	int e = v1_request_decode(method, p, n, &ctx, &r, &note);
	if (e == 0) {
		struct pb_w w = pb_w_init(out, cap);
		tk_request_encode(&w, &r);
		if (w.err || tk_request_decode(r.method, out, w.len, &back) < 0 ||
		    (r.opts == TK_OPTS_OK) != (back.opts == TK_OPTS_OK))
			__builtin_trap();
		if (r.method == TK_CREATE &&
		    (fz_mounts_walk(r.u.create.raw, r.rootfs_field) != (int)r.u.create.nrootfs ||
		     fz_mounts_walk(back.u.create.raw, 3) != (int)r.u.create.nrootfs))
			__builtin_trap();
	}
	free(out);
	return e;
}

/* FZ_V1_TRANSLATE and FZ_V1_REPLY keep their input as the message: the checks are in dec. */
static void fz_raw_enc(struct pb_w *w, const union fz_msg *m, const uint8_t *p, size_t n)
{
	(void)m;
	pb_put_raw(w, p, n);
}

static int fz_v1_translate_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	(void)m;
	if (n == 0)
		return -PB_ETRUNC;
	const char *name = fz_v1_methods[p[0] % 16];
	uint8_t *c = fz_copy(p + 1, n - 1);
	int e = fz_v1_translate_check(pb_str_of(name, strlen(name)), c, n - 1);
	free(c);
	return e;
}

static const char *fz_name_of(uint32_t pid)
{
	return pid % 3 == 0 ? "" : pid % 3 == 1 ? "redis-7f3a" : "exec-\xce\xb1";
}

/* The v1 replies written from what a Task API reply holds: every pid, named as the shim names it. */
static int fz_v1_reply_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct pb_r it;
	struct tk_process_info pi;
	struct v1_start_resp sr;
	int e, count = 0, count2 = 0;
	(void)m;
	if (n == 0)
		return -PB_ETRUNC;
	/* A 4-byte ProcessInfo {pid} can come back 15 times larger, with its ProcessDetails. */
	uint8_t *c = fz_copy(p + 1, n - 1), *out = malloc(32 * n + 256);
	if (!out)
		abort();
	struct pb_w w = pb_w_init(out, 32 * n + 256);
	if (p[0] & 1) {
		it = pb_r_init(c, n - 1);
		while ((e = tk_pids_resp_next(&it, &pi)) > 0) {
			const char *name = fz_name_of(pi.pid);
			v1_pids_resp_put(&w, pi.pid, pb_str_of(name, strlen(name)));
			count++;
		}
		it = pb_r_init(out, w.len);
		while (!w.err && tk_pids_resp_next(&it, &pi) > 0) {
			count2++;
			if (pi.has_info != (fz_name_of(pi.pid)[0] != 0) ||
			    (pi.has_info && !pb_str_eq(pi.info.type_url, V1_PROCESS_DETAILS_URL)))
				__builtin_trap();
		}
		if (w.err || count2 != count)
			__builtin_trap();
	} else {
		struct tk_pid_resp pr;
		if ((e = tk_pid_resp_decode(c, n - 1, &pr)) == 0) {
			const char *name = fz_name_of(pr.pid);
			struct v1_start_resp v1 = { pb_str_of(name, strlen(name)), pr.pid };
			v1_start_resp_encode(&w, &v1);
			if (w.err || v1_start_resp_decode(out, w.len, &sr) < 0 || sr.pid != pr.pid ||
			    !pb_str_eq(sr.id, name))
				__builtin_trap();
		}
	}
	free(c);
	free(out);
	return e < 0 ? e : 0;
}

/* A handover document that reads walks whole: ho_doc_decode checked every nested message, so no
 * iterator may fail after it. */
static int fz_handover_dec(const uint8_t *p, size_t n, union fz_msg *m)
{
	struct ho_doc d;
	struct ho_conn c;
	struct ho_container hc;
	struct ho_proc hp;
	struct ho_call call;
	struct ho_event ev;
	struct pb_r it, pi, wi;
	int e;
	(void)m;
	if ((e = ho_doc_decode(p, n, &d)) < 0)
		return e;
	for (it = pb_r_of(d.raw); (e = ho_conn_next(&it, &c)) > 0;)
		;
	if (e < 0)
		__builtin_trap();
	for (it = pb_r_of(d.raw); (e = ho_container_next(&it, &hc)) > 0;) {
		if (ho_init_get(&hc, &hp) < 0 ? hc.ninit != 0 : hc.ninit == 0)
			__builtin_trap();
		for (pi = pb_r_of(hc.raw); (e = ho_exec_next(&pi, &hp)) > 0;) {
			for (wi = pb_r_of(hp.raw); (e = ho_waiter_next(&wi, &call)) > 0;)
				;
			if (e < 0)
				__builtin_trap();
		}
		if (e < 0)
			__builtin_trap();
	}
	if (e < 0)
		__builtin_trap();
	for (it = pb_r_of(d.raw); (e = ho_event_next(&it, &ev)) > 0;)
		;
	if (e < 0)
		__builtin_trap();
	return 0;
}

static const struct fz_target fz_targets[FZ_COUNT] = {
	[FZ_CREATE] = { fz_create_dec, fz_create_plain_enc },
	[FZ_PROC] = { fz_proc_dec, fz_proc_enc },
	[FZ_ID] = { fz_id_dec, fz_id_enc },
	[FZ_EXEC] = { fz_exec_dec, fz_exec_enc },
	[FZ_RESIZE] = { fz_resize_dec, fz_resize_enc },
	[FZ_KILL] = { fz_kill_dec, fz_kill_enc },
	[FZ_CLOSEIO] = { fz_closeio_dec, fz_closeio_enc },
	[FZ_CHECKPOINT] = { fz_checkpoint_dec, fz_checkpoint_enc },
	[FZ_UPDATE] = { fz_update_all_dec, fz_update_enc },
	[FZ_SHUTDOWN] = { fz_shutdown_dec, fz_shutdown_enc },
	[FZ_FORWARD] = { fz_forward_dec, fz_forward_enc },
	[FZ_RUNC] = { fz_runc_dec, fz_runc_enc },
	[FZ_BOOTSTRAP] = { fz_bootstrap_dec, fz_bootstrap_plain_enc },
	[FZ_RESP] = { fz_resp_dec, fz_resp_enc },
	[FZ_PIDS] = { fz_pids_dec, fz_pids_enc },
	[FZ_MOUNTS] = { fz_mounts_dec, fz_mounts_enc },
	[FZ_REQ] = { fz_req_dec, fz_req_enc },
	[FZ_CKPT_OPTS] = { fz_ckpt_opts_dec, fz_ckpt_opts_plain_enc },
	[FZ_ENVELOPE] = { fz_envelope_dec, fz_envelope_enc },
	[FZ_PID_RESP] = { fz_pid_resp_dec, fz_pid_resp_enc },
	[FZ_DELETE_RESP] = { fz_delete_resp_dec, fz_delete_resp_enc },
	[FZ_STATE_RESP] = { fz_state_resp_dec, fz_state_resp_enc },
	[FZ_WAIT_RESP] = { fz_wait_resp_dec, fz_wait_resp_enc },
	[FZ_STATS_RESP] = { fz_stats_resp_dec, fz_stats_resp_enc },
	[FZ_CONNECT_RESP] = { fz_connect_resp_dec, fz_connect_resp_enc },
	[FZ_TIMESTAMP] = { fz_timestamp_dec, fz_timestamp_enc },
	[FZ_ANY] = { fz_any_dec, fz_any_enc },
	[FZ_MOUNT] = { fz_mount_dec, fz_mount_enc },
	[FZ_EV_CREATE] = { fz_ev_create_dec, fz_ev_create_plain_enc },
	[FZ_EV_START] = { fz_ev_start_dec, fz_ev_start_enc },
	[FZ_EV_EXIT] = { fz_ev_exit_dec, fz_ev_exit_enc },
	[FZ_EV_DELETE] = { fz_ev_delete_dec, fz_ev_delete_enc },
	[FZ_EV_ID] = { fz_ev_id_dec, fz_ev_id_enc },
	[FZ_EV_EXEC] = { fz_ev_exec_dec, fz_ev_exec_enc },
	[FZ_EV_CHECKPOINTED] = { fz_ev_checkpointed_dec, fz_ev_checkpointed_enc },
	[FZ_PROCESS_DETAILS] = { fz_process_details_dec, fz_process_details_enc },
	[FZ_BOOTSTRAP_RESULT] = { fz_bootstrap_result_dec, fz_bootstrap_result_enc },
	[FZ_V1_CREATE] = { fz_v1_create_dec, fz_v1_create_plain_enc },
	[FZ_V1_EXEC] = { fz_v1_exec_dec, fz_v1_exec_enc },
	[FZ_V1_RESIZE] = { fz_v1_resize_dec, fz_v1_resize_enc },
	[FZ_V1_KILL] = { fz_v1_kill_dec, fz_v1_kill_enc },
	[FZ_V1_CLOSEIO] = { fz_v1_closeio_dec, fz_v1_closeio_enc },
	[FZ_V1_CHECKPOINT] = { fz_v1_checkpoint_dec, fz_v1_checkpoint_enc },
	[FZ_V1_UPDATE] = { fz_v1_update_dec, fz_v1_update_enc },
	[FZ_V1_START_RESP] = { fz_v1_start_resp_dec, fz_v1_start_resp_enc },
	[FZ_V1_CREATE_OPTS] = { fz_v1_create_opts_dec, fz_v1_create_opts_plain_enc },
	[FZ_V1_CKPT_OPTS] = { fz_v1_ckpt_opts_dec, fz_v1_ckpt_opts_plain_enc },
	[FZ_V1_TRANSLATE] = { fz_v1_translate_dec, fz_raw_enc },
	[FZ_V1_REPLY] = { fz_v1_reply_dec, fz_raw_enc },
	[FZ_DUMP_RESP] = { fz_dump_resp_dec, fz_dump_resp_enc },
	[FZ_RUNTIME_INFO] = { fz_runtime_info_dec, fz_runtime_info_enc },
	[FZ_RUNTIME_OPTS] = { fz_runtime_opts_dec, fz_runtime_opts_enc },
	[FZ_HANDOVER] = { fz_handover_dec, fz_raw_enc },
};

/* Runs target t on p[0..n), a buffer of exactly n bytes; returns the decoder's result. */
static int fz_run(const struct fz_target *t, const uint8_t *p, size_t n)
{
	union fz_msg m, m2;
	int e = t->dec(p, n, &m);
	if (e < 0)
		return e;
	/* Re-encoding can grow a message: a uint32 sent in 5 bytes comes back as a 10-byte int32,
	 * and always-present fields appear. Twice the input plus a margin is plenty. */
	size_t cap = 2 * n + 256;
	uint8_t *a = malloc(cap), *b = malloc(cap);
	if (!a || !b)
		abort();
	struct pb_w w = pb_w_init(a, cap);
	t->enc(&w, &m, p, n);
	if (w.err)
		__builtin_trap();
	uint8_t *c = fz_copy(a, w.len);
	if (t->dec(c, w.len, &m2) < 0)
		__builtin_trap();
	struct pb_w w2 = pb_w_init(b, cap);
	t->enc(&w2, &m2, c, w.len);
	if (w2.err || w2.len != w.len || memcmp(a, b, w.len) != 0)
		__builtin_trap();
	free(c);
	if (w.len) {
		uint8_t *s = malloc(w.len - 1 ? w.len - 1 : 1);
		if (!s)
			abort();
		struct pb_w w3 = pb_w_init(s, w.len - 1);
		t->enc(&w3, &m, p, n);
		if (w3.err != -PB_ENOSPC || w3.len > w.len - 1)
			__builtin_trap();
		free(s);
	}
	free(a);
	free(b);
	return e;
}

#endif
