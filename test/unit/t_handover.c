/* SPDX-License-Identifier: MIT */
/*
 * wire/handover: a document written as core/upgrade.c writes one (connections, a container with
 * its init and two execs, waiters, events) reads back field for field; another magic, a version
 * outside HO_VERSION_MIN..HO_VERSION, no header and every truncation are refused (the header
 * is written last, as core/upgrade.c does, so that a cut document never reads).
 */
#include "wire/handover.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static struct pb_str S(const char *c)
{
	return pb_str_of(c, strlen(c));
}

static int eq(struct pb_str s, const char *c)
{
	return pb_str_eq(s, c);
}

static void put_proc(struct pb_w *w, uint32_t num, const char *exec_id, int32_t pid, int nwait)
{
	struct ho_proc p = { .exec_id = S(exec_id),
		             .pid = pid,
		             .state = 2,
		             .flags = HO_P_EXITED | HO_P_TERMINAL,
		             .exit_status = 137,
		             .exited_at = { 1796361225, 42 },
		             .stdin_path = S("/fifo/in"),
		             .stdout_path = S("/fifo/out"),
		             .spec = S("{\"args\":[\"sh\"]}"),
		             .in = { -1, 7, -1, 0, { NULL, 0 }, 0, 0 },
		             .out = { 8, 9, 10, HO_CP_ACTIVE, S("left"), 0, 4 },
		             .err = { -1, -1, -1, 0, { NULL, 0 }, 0, 0 },
		             .stdin_holder = 11,
		             .master = -1,
		             .logger_pid = 0,
		             .child0 = -1,
		             .child1 = -1,
		             .child2 = -1,
		             .console_fd = -1 };
	size_t m = pb_begin(w, num);
	ho_proc_fields_put(w, &p);
	for (int i = 0; i < nwait; i++) {
		struct ho_call c = { 1 + (uint32_t)i, 3 + 2 * (uint32_t)i, (uint32_t)i };
		ho_call_put(w, HO_PROC_WAITER, &c);
	}
	pb_end(w, m);
}

/* The document of test_roundtrip, with magic and version as given. */
static size_t put_doc(uint8_t *buf, size_t cap, const char *magic, uint32_t version, int header)
{
	struct pb_w w = pb_w_init(buf, cap);
	pb_put_cstr(&w, 1, magic);
	pb_put_uint(&w, 2, version);
	struct ho_conn c1 = { 1, 12, 0, { (const uint8_t *)"\0\0\0", 3 }, S("") };
	struct ho_conn c2 = { 2, 13, 1, S(""), S("reply bytes") };
	ho_conn_put(&w, &c1);
	ho_conn_put(&w, &c2);
	size_t m = pb_begin(&w, HO_DOC_CONTAINER);
	struct ho_container hc = { .id = S("ctr-1"),
		                   .rootfs = S("/b/rootfs"),
		                   .flags = HO_C_LISTED | HO_C_ROOTFS_MOUNTED,
		                   .created_ms = 123456789,
		                   .binary = S("runc"),
		                   .root = S("/run/containerd/runc"),
		                   .ns = S("default"),
		                   .bundle = S("/b") };
	ho_container_fields_put(&w, &hc);
	put_proc(&w, HO_CT_INIT, "", 4242, 2);
	put_proc(&w, HO_CT_EXEC, "e1", 4343, 0);
	put_proc(&w, HO_CT_EXEC, "e2", 4444, 1);
	pb_end(&w, m);
	struct ho_event ev = { S("/tasks/exit"), S("\x0a\x01x"), HO_DONE_V1_WAITERS, S("ctr-1"),
		               S("e1"),         1796000000123ull, 17 };
	ho_event_put(&w, &ev);
	if (header) {
		struct ho_header h = { .revision = S("abc1234"),
			               .start_binary = S("/usr/local/bin/shimbox"),
			               .upgrades = 2,
			               .listen_fd = 3,
			               .started_ms = 99,
			               .events_sent = 5,
			               .upgrade = { 2, 7, 1 },
			               .has_upgrade = 1 };
		ho_header_put(&w, &h);
	}
	return w.err ? 0 : w.len;
}

static void test_roundtrip(void)
{
	static uint8_t buf[8192];
	size_t n = put_doc(buf, sizeof(buf), HO_MAGIC, HO_VERSION, 1);
	struct ho_doc d;
	struct ho_conn c;
	struct ho_container hc;
	struct ho_proc p;
	struct ho_call w;
	struct ho_event ev;

	CHECK(n > 0, "the document is written (%zu bytes)", n);
	CHECK(ho_doc_decode(buf, n, &d) == 0, "it reads back");
	CHECK(d.version == HO_VERSION && d.nconns == 2 && d.ncontainers == 1 && d.nevents == 1,
	      "version, 2 connections, 1 container, 1 event");
	CHECK(eq(d.header.revision, "abc1234") && eq(d.header.start_binary, "/usr/local/bin/shimbox") &&
	          d.header.upgrades == 2 && d.header.listen_fd == 3 && d.header.started_ms == 99 &&
	          d.header.events_sent == 5,
	      "the header's fields");
	CHECK(d.header.has_upgrade && d.header.upgrade.conn == 2 && d.header.upgrade.stream == 7 &&
	          d.header.upgrade.tag == 1,
	      "the Upgrade call to answer");

	struct pb_r it = pb_r_of(d.raw);
	CHECK(ho_conn_next(&it, &c) == 1 && c.id == 1 && c.fd == 12 && !c.rd_eof && c.in.n == 3 &&
	          c.out.n == 0,
	      "connection 1: fd, a cut header of 3 bytes");
	CHECK(ho_conn_next(&it, &c) == 1 && c.id == 2 && c.fd == 13 && c.rd_eof &&
	          eq(c.out, "reply bytes"),
	      "connection 2: half-closed, its unsent reply");
	CHECK(ho_conn_next(&it, &c) == 0, "then no more connections");

	it = pb_r_of(d.raw);
	CHECK(ho_container_next(&it, &hc) == 1 && eq(hc.id, "ctr-1") && eq(hc.bundle, "/b") &&
	          eq(hc.binary, "runc") && hc.flags == (HO_C_LISTED | HO_C_ROOTFS_MOUNTED) &&
	          hc.created_ms == 123456789 && hc.ninit == 1 && hc.nexecs == 2,
	      "the container's fields, one init, two execs");
	CHECK(ho_init_get(&hc, &p) == 0 && p.exec_id.n == 0 && p.pid == 4242 && p.nwaiters == 2,
	      "its init: pid, 2 waiters");
	CHECK(p.exit_status == 137 && p.exited_at.seconds == 1796361225 && p.exited_at.nanos == 42 &&
	          p.flags == (HO_P_EXITED | HO_P_TERMINAL) && eq(p.stdout_path, "/fifo/out") &&
	          eq(p.spec, "{\"args\":[\"sh\"]}"),
	      "its exit, flags, paths, spec");
	CHECK(p.in.src == -1 && p.in.dst == 7 && p.out.src == 8 && p.out.dst == 9 &&
	          p.out.hold == 10 && p.out.flags == HO_CP_ACTIVE && p.out.src_events == 0 &&
	          p.out.dst_events == 4 &&
	          eq(p.out.pending, "left") && p.stdin_holder == 11 && p.master == -1 &&
	          p.child0 == -1 && p.console_fd == -1,
	      "its copiers and fds (-1 kept as -1, 0-length pending absent)");
	struct pb_r wi = pb_r_of(p.raw);
	CHECK(ho_waiter_next(&wi, &w) == 1 && w.conn == 1 && w.stream == 3 && w.tag == 0 &&
	          ho_waiter_next(&wi, &w) == 1 && w.conn == 2 && w.stream == 5 && w.tag == 1 &&
	          ho_waiter_next(&wi, &w) == 0,
	      "its waiters, in order");
	struct pb_r ei = pb_r_of(hc.raw);
	CHECK(ho_exec_next(&ei, &p) == 1 && eq(p.exec_id, "e1") && p.pid == 4343 &&
	          p.nwaiters == 0 && ho_exec_next(&ei, &p) == 1 && eq(p.exec_id, "e2") &&
	          p.nwaiters == 1 && ho_exec_next(&ei, &p) == 0,
	      "the execs, in order");
	CHECK(ho_container_next(&it, &hc) == 0, "then no more containers");

	it = pb_r_of(d.raw);
	CHECK(ho_event_next(&it, &ev) == 1 && eq(ev.topic, "/tasks/exit") && ev.data.n == 3 &&
	          ev.done_kind == HO_DONE_V1_WAITERS && eq(ev.done_container, "ctr-1") &&
	          eq(ev.done_exec, "e1") && ev.queued_ms == 1796000000123ull &&
	          ev.failures == 17 && ho_event_next(&it, &ev) == 0,
	      "the event, with the Waits it answers, when it was queued and its failed attempts");
}

static void test_refused(void)
{
	static uint8_t buf[8192];
	struct ho_doc d;
	size_t n;
	int accepted = 0;

	n = put_doc(buf, sizeof(buf), "shimbox-handovex", HO_VERSION, 1);
	CHECK(ho_doc_decode(buf, n, &d) == -PB_ERANGE, "another magic: -PB_ERANGE");
	n = put_doc(buf, sizeof(buf), HO_MAGIC, HO_VERSION + 1, 1);
	CHECK(ho_doc_decode(buf, n, &d) == -PB_ERANGE, "version HO_VERSION + 1: -PB_ERANGE");
	n = put_doc(buf, sizeof(buf), HO_MAGIC, HO_VERSION_MIN - 1, 1);
	CHECK(ho_doc_decode(buf, n, &d) == -PB_ERANGE, "version HO_VERSION_MIN - 1: -PB_ERANGE");
	n = put_doc(buf, sizeof(buf), HO_MAGIC, HO_VERSION, 0);
	CHECK(ho_doc_decode(buf, n, &d) == -PB_ERANGE, "no header: -PB_ERANGE");
	CHECK(ho_doc_decode(buf, 0, &d) == -PB_ERANGE, "nothing at all: -PB_ERANGE");
	n = put_doc(buf, sizeof(buf), HO_MAGIC, HO_VERSION, 1);
	for (size_t cut = 1; cut < n; cut++) {
		uint8_t *p = malloc(cut);
		memcpy(p, buf, cut);
		/* The header is written last: a cut inside a field is malformed, at a field boundary
		 * it leaves no header. */
		accepted += ho_doc_decode(p, cut, &d) == 0;
		free(p);
	}
	CHECK(accepted == 0, "each of the %zu truncations is refused", n - 1);
}

int main(void)
{
	test_roundtrip();
	test_refused();
	return tap_done();
}
