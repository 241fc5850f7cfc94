/* SPDX-License-Identifier: MIT */
/* The handover document of an in-place upgrade (handover.h): descriptors and iterators. */
#include "handover.h"

#include "pbdesc.h"

#include <string.h>

static const struct pb_mdesc call_desc, header_desc, conn_desc, copier_desc, proc_desc,
    container_desc, event_desc;
#define SUBS(X)                                                                                    \
	X(tk_timestamp_desc)                                                                       \
	X(call_desc) X(header_desc) X(conn_desc) X(copier_desc) X(proc_desc) X(container_desc)     \
	    X(event_desc) X(pb_none)
PB_SUBS(SUBS);

#define PB_T struct ho_call
PB_DESC(call_desc, PB_U32(1, conn), PB_U32(2, stream), PB_U32(3, tag));
#undef PB_T

#define PB_T struct ho_header
PB_DESC(header_desc, PB_STR(1, revision), PB_STR(2, start_binary), PB_U32(3, upgrades),
        PB_I32(4, listen_fd), PB_U64(5, started_ms), PB_U64(6, events_sent),
        PB_U64(7, events_dropped), PB_U64(8, events_dropped_full),
        PB_OPT(9, upgrade, has_upgrade, call_desc), PB_I32(10, log_fd));
#undef PB_T

#define PB_T struct ho_conn
PB_DESC(conn_desc, PB_U32(1, id), PB_I32(2, fd), PB_U32(3, rd_eof), PB_STR(4, in),
        PB_STR(5, out));
#undef PB_T

#define PB_T struct ho_copier
PB_DESC(copier_desc, PB_I32(1, src), PB_I32(2, dst), PB_I32(3, hold), PB_U32(4, flags),
        PB_STR(5, pending), PB_U32(6, src_events), PB_U32(7, dst_events));
#undef PB_T

#define PB_T struct ho_proc
PB_DESC(proc_desc, PB_STR(1, exec_id), PB_I32(2, pid), PB_U32(3, state), PB_U32(4, flags),
        PB_I32(5, exit_status), PB_MSG(6, exited_at, tk_timestamp_desc), PB_STR(7, stdin_path),
        PB_STR(8, stdout_path), PB_STR(9, stderr_path), PB_STR(10, spec),
        PB_MSG(11, in, copier_desc), PB_MSG(12, out, copier_desc), PB_MSG(13, err, copier_desc),
        PB_I32(14, stdin_holder), PB_I32(15, master), PB_I32(16, logger_pid), PB_I32(17, child0),
        PB_I32(18, child1), PB_I32(19, child2), PB_I32(20, console_fd), PB_STR(21, console_dir),
        PB_STR(22, console_path), PB_COUNT(HO_PROC_WAITER, nwaiters, call_desc), PB_RAW(raw));
#undef PB_T

#define PB_T struct ho_container
PB_DESC(container_desc, PB_STR(1, id), PB_STR(2, rootfs), PB_U32(3, flags),
        PB_U64(4, created_ms), PB_STR(5, binary), PB_STR(6, root), PB_STR(7, ns),
        PB_STR(8, bundle), PB_COUNT(HO_CT_INIT, ninit, proc_desc),
        PB_COUNT(HO_CT_EXEC, nexecs, proc_desc), PB_RAW(raw));
#undef PB_T

#define PB_T struct ho_event
PB_DESC(event_desc, PB_STR(1, topic), PB_STR(2, data), PB_U32(3, done_kind),
        PB_STR(4, done_container), PB_STR(5, done_exec), PB_U64(6, queued_ms),
        PB_U32(7, failures));
#undef PB_T

#define PB_T struct ho_doc
PB_DESC(doc_desc, PB_STR(1, magic), PB_U32(2, version),
        PB_OPT(HO_DOC_HEADER, header, has_header, header_desc),
        PB_COUNT(HO_DOC_CONN, nconns, conn_desc),
        PB_COUNT(HO_DOC_CONTAINER, ncontainers, container_desc),
        PB_COUNT(HO_DOC_EVENT, nevents, event_desc), PB_RAW(raw));
#undef PB_T

void ho_doc_begin(struct pb_w *w, uint32_t version)
{
	pb_put_cstr(w, 1, HO_MAGIC);
	pb_put_uint(w, 2, version);
}

void ho_header_put(struct pb_w *w, const struct ho_header *h)
{
	pb_put_msg(w, HO_DOC_HEADER, &header_desc, h);
}

void ho_conn_put(struct pb_w *w, const struct ho_conn *c)
{
	pb_put_msg(w, HO_DOC_CONN, &conn_desc, c);
}

void ho_event_put(struct pb_w *w, const struct ho_event *e)
{
	pb_put_msg(w, HO_DOC_EVENT, &event_desc, e);
}

void ho_container_fields_put(struct pb_w *w, const struct ho_container *c)
{
	struct ho_container f = *c;
	f.ninit = f.nexecs = 0; /* the caller nests the processes */
	f.raw.n = 0;
	pb_encode_msg(w, &container_desc, &f);
}

void ho_proc_fields_put(struct pb_w *w, const struct ho_proc *p)
{
	struct ho_proc f = *p;
	f.nwaiters = 0;
	f.raw.n = 0;
	pb_encode_msg(w, &proc_desc, &f);
}

void ho_call_put(struct pb_w *w, uint32_t num, const struct ho_call *c)
{
	pb_put_msg(w, num, &call_desc, c);
}

int ho_doc_decode(const void *p, size_t n, struct ho_doc *d)
{
	int e = pb_decode_msg(&doc_desc, p, n, d);
	if (e < 0)
		return e;
	if (!pb_str_eq(d->magic, HO_MAGIC) || d->version < HO_VERSION_MIN ||
	    d->version > HO_VERSION || !d->has_header)
		return -PB_ERANGE;
	return 0;
}

/* The next occurrence of field num in it, decoded by desc into out. */
static int next_of(struct pb_r *it, uint32_t num, const struct pb_mdesc *desc, void *out)
{
	struct pb_str s;
	int e = pb_repeated_next(it, num, &s);
	if (e <= 0)
		return e;
	return (e = pb_decode_msg(desc, s.p, s.n, out)) < 0 ? e : 1;
}

int ho_conn_next(struct pb_r *it, struct ho_conn *c)
{
	return next_of(it, HO_DOC_CONN, &conn_desc, c);
}

int ho_container_next(struct pb_r *it, struct ho_container *c)
{
	return next_of(it, HO_DOC_CONTAINER, &container_desc, c);
}

int ho_event_next(struct pb_r *it, struct ho_event *e)
{
	return next_of(it, HO_DOC_EVENT, &event_desc, e);
}

int ho_exec_next(struct pb_r *it, struct ho_proc *p)
{
	return next_of(it, HO_CT_EXEC, &proc_desc, p);
}

int ho_waiter_next(struct pb_r *it, struct ho_call *c)
{
	return next_of(it, HO_PROC_WAITER, &call_desc, c);
}

int ho_init_get(const struct ho_container *c, struct ho_proc *p)
{
	struct pb_r it = pb_r_of(c->raw);
	int e = next_of(&it, HO_CT_INIT, &proc_desc, p);
	return e < 0 ? e : e == 0 ? -PB_ERANGE : 0;
}
