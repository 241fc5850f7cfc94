/* SPDX-License-Identifier: MIT */
/* Event codecs: task event payloads, their Envelope, Events.Forward and containerd name rules. */
#include "events.h"

#include <string.h>

/* A nested message occurring twice replaces the first (see task.c). */
static int get_ts(const struct pb_field *f, struct tk_timestamp *t)
{
	if (f->type != PB_LEN)
		return -PB_EWIRETYPE;
	return tk_timestamp_decode(f->s.p, f->s.n, t);
}

static int task_io_decode(struct pb_str s, struct ev_task_io *m)
{
	struct pb_r r = pb_r_of(s);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->stdin_path);
			break;
		case 2:
			e = pb_as_str(&f, &m->stdout_path);
			break;
		case 3:
			e = pb_as_str(&f, &m->stderr_path);
			break;
		case 4:
			e = pb_as_bool(&f, &m->terminal);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

int ev_task_create_decode(const void *p, size_t n, struct ev_task_create *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	struct tk_mount mnt;
	int e;

	memset(m, 0, sizeof(*m));
	m->rootfs_src.p = p;
	m->rootfs_src.n = n;
	m->rootfs_src_num = 3;
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_str(&f, &m->bundle);
			break;
		case 3:
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = tk_mount_decode(f.s.p, f.s.n, &mnt);
			break;
		case 4:
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = task_io_decode(f.s, &m->io);
			break;
		case 5:
			e = pb_as_str(&f, &m->checkpoint);
			break;
		case 6:
			e = pb_as_u32(&f, &m->pid);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_create_encode(struct pb_w *w, const struct ev_task_create *m)
{
	size_t mark;

	pb_put_str(w, 1, m->container_id);
	pb_put_str(w, 2, m->bundle);
	pb_copy_repeated(w, 3, m->rootfs_src, m->rootfs_src_num);
	mark = pb_begin(w, 4);
	pb_put_str(w, 1, m->io.stdin_path);
	pb_put_str(w, 2, m->io.stdout_path);
	pb_put_str(w, 3, m->io.stderr_path);
	pb_put_bool(w, 4, m->io.terminal);
	pb_end(w, mark);
	pb_put_str(w, 5, m->checkpoint);
	pb_put_uint(w, 6, m->pid);
}

int ev_task_start_decode(const void *p, size_t n, struct ev_task_start *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_u32(&f, &m->pid);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_start_encode(struct pb_w *w, const struct ev_task_start *m)
{
	pb_put_str(w, 1, m->container_id);
	pb_put_uint(w, 2, m->pid);
}

int ev_task_exit_decode(const void *p, size_t n, struct ev_task_exit *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_str(&f, &m->id);
			break;
		case 3:
			e = pb_as_u32(&f, &m->pid);
			break;
		case 4:
			e = pb_as_u32(&f, &m->exit_status);
			break;
		case 5:
			e = get_ts(&f, &m->exited_at);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_exit_encode(struct pb_w *w, const struct ev_task_exit *m)
{
	pb_put_str(w, 1, m->container_id);
	pb_put_str(w, 2, m->id);
	pb_put_uint(w, 3, m->pid);
	pb_put_uint(w, 4, m->exit_status);
	tk_timestamp_put(w, 5, &m->exited_at);
}

int ev_task_delete_decode(const void *p, size_t n, struct ev_task_delete *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_u32(&f, &m->pid);
			break;
		case 3:
			e = pb_as_u32(&f, &m->exit_status);
			break;
		case 4:
			e = get_ts(&f, &m->exited_at);
			break;
		case 5:
			e = pb_as_str(&f, &m->id);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_delete_encode(struct pb_w *w, const struct ev_task_delete *m)
{
	pb_put_str(w, 1, m->container_id);
	pb_put_uint(w, 2, m->pid);
	pb_put_uint(w, 3, m->exit_status);
	tk_timestamp_put(w, 4, &m->exited_at);
	pb_put_str(w, 5, m->id);
}

int ev_task_id_decode(const void *p, size_t n, struct ev_task_id *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		e = f.num == 1 ? pb_as_str(&f, &m->container_id) : 0;
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_id_encode(struct pb_w *w, const struct ev_task_id *m)
{
	pb_put_str(w, 1, m->container_id);
}

int ev_task_exec_decode(const void *p, size_t n, struct ev_task_exec *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_str(&f, &m->exec_id);
			break;
		case 3:
			e = pb_as_u32(&f, &m->pid);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_exec_encode(struct pb_w *w, const struct ev_task_exec *m)
{
	pb_put_str(w, 1, m->container_id);
	pb_put_str(w, 2, m->exec_id);
	pb_put_uint(w, 3, m->pid);
}

int ev_task_checkpointed_decode(const void *p, size_t n, struct ev_task_checkpointed *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = pb_as_str(&f, &m->container_id);
			break;
		case 2:
			e = pb_as_str(&f, &m->checkpoint);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_task_checkpointed_encode(struct pb_w *w, const struct ev_task_checkpointed *m)
{
	pb_put_str(w, 1, m->container_id);
	pb_put_str(w, 2, m->checkpoint);
}

int ev_envelope_decode(const void *p, size_t n, struct ev_envelope *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case 1:
			e = get_ts(&f, &m->timestamp);
			break;
		case 2:
			e = pb_as_str(&f, &m->ns);
			break;
		case 3:
			e = pb_as_str(&f, &m->topic);
			break;
		case 4:
			if ((e = pb_want(&f, PB_LEN)) == 0)
				e = tk_any_decode(f.s.p, f.s.n, &m->event);
			break;
		default:
			e = 0;
		}
		if (e < 0)
			return e;
	}
	return e;
}

void ev_envelope_encode(struct pb_w *w, const struct ev_envelope *m)
{
	tk_timestamp_put(w, 1, &m->timestamp);
	pb_put_str(w, 2, m->ns);
	pb_put_str(w, 3, m->topic);
	tk_any_put(w, 4, &m->event);
}

int ev_forward_req_decode(const void *p, size_t n, struct ev_envelope *m)
{
	struct pb_r r = pb_r_init(p, n);
	struct pb_field f;
	int e;

	memset(m, 0, sizeof(*m));
	while ((e = pb_next(&r, &f)) > 0) {
		if (f.num != 1)
			continue;
		if ((e = pb_want(&f, PB_LEN)) < 0 || (e = ev_envelope_decode(f.s.p, f.s.n, m)) < 0)
			return e;
	}
	return e;
}

void ev_forward_req_encode(struct pb_w *w, const struct ev_envelope *m)
{
	size_t mark = pb_begin(w, 1);
	ev_envelope_encode(w, m);
	pb_end(w, mark);
}

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
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
