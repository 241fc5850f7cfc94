/* SPDX-License-Identifier: MIT */
/*
 * core/exit_record: an init's exit kept in its bundle and read back, what containerd 2.4's
 * reference shim writes read too, what is not a record refused, and the delete action's answer.
 */
#include "core/exit_record.h"
#include "core/sys.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char top[] = "/tmp/m_exit_record.XXXXXX";

static void put(const char *name, const char *text)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", top, name);
	if (sys_write_file_atomic(p, text, strlen(text), 0600) < 0)
		abort();
}

static int load_text(const char *text, struct exit_record *e)
{
	put(EXIT_RECORD_FILE, text);
	return exit_record_load(top, e);
}

int main(void)
{
	struct exit_record e, got;
	struct tk_delete_resp r;
	char p[600];

	if (!mkdtemp(top))
		abort();
	CHECK(exit_record_load(top, &got) == -ENOENT, "no record: -ENOENT");
	int64_t before = 0;
	int32_t ns;
	sys_now(&before, &ns);
	exit_record_delete_resp(top, &r);
	CHECK(r.pid == 0 && r.exit_status == 137 && r.exited_at.seconds >= before,
	      "no record, no pid file: the delete action answers 137 now, as the reference does");
	put("init.pid", "4321");
	exit_record_delete_resp(top, &r);
	CHECK(r.pid == 4321 && r.exit_status == 137, "no record: init's pid from init.pid, 137");

	e = (struct exit_record){ 4321, 42, { 1796350154, 477197318 } };
	int saved = exit_record_save(top, &e);
	char doc[256] = "";
	snprintf(p, sizeof(p), "%s/" EXIT_RECORD_FILE, top);
	CHECK(saved == 0 && sys_read_file(p, doc, sizeof(doc)) > 0 &&
	          strcmp(doc, "{\"Timestamp\":\"2026-12-04T02:09:14.477197318Z\",\"Pid\":4321,"
	                      "\"Status\":42}") == 0,
	      "kept as the reference keeps it: %s", doc);
	CHECK(exit_record_load(top, &got) == 0 && got.pid == 4321 && got.status == 42 &&
	          got.at.seconds == e.at.seconds && got.at.nanos == e.at.nanos,
	      "read back: 42 of pid 4321 at %lld.%09d", (long long)got.at.seconds,
	      (int)got.at.nanos);
	exit_record_delete_resp(top, &r);
	CHECK(r.pid == 4321 && r.exit_status == 42 && r.exited_at.seconds == e.at.seconds &&
	          r.exited_at.nanos == e.at.nanos,
	      "the delete action answers the kept exit");

	/* As Go marshals time.Time: the fraction trimmed, or none; a zone offset when not UTC. */
	CHECK(load_text("{\"Timestamp\":\"2026-12-04T03:09:14.5+01:00\",\"Pid\":7,\"Status\":137}",
	                &got) == 0 &&
	          got.at.seconds == 1796350154 && got.at.nanos == 500000000 && got.status == 137,
	      "the reference's record with a +01:00 offset and a trimmed fraction");
	CHECK(load_text("{\"Status\":0,\"Pid\":9,\"Timestamp\":\"1970-01-01T00:00:00Z\"}\n", &got) ==
	              0 &&
	          got.at.seconds == 0 && got.at.nanos == 0 && got.status == 0 && got.pid == 9,
	      "members in any order, no fraction, a trailing newline");
	CHECK(load_text("{\"Timestamp\":\"2000-02-29T23:59:59.999999999-05:30\",\"Pid\":1,"
	                "\"Status\":1}",
	                &got) == 0 &&
	          got.at.seconds == 951868799 + 5 * 3600 + 1800 && got.at.nanos == 999999999,
	      "a leap day and a negative offset");

	static const char *const bad[] = {
		"",
		"{}",
		"{\"Timestamp\":\"2026-12-04T02:49:14Z\",\"Pid\":0,\"Status\":42}",
		"{\"Timestamp\":\"2026-12-04T02:49:14Z\",\"Pid\":1,\"Status\":-1}",
		"{\"Timestamp\":\"0001-01-01T00:00:00Z\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04 02:49:14Z\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-13-04T02:49:14Z\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04T02:49:14\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04T02:49:14.Z\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04T02:49:14.1234567891Z\",\"Pid\":1,\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04T02:49:14Z\",\"Pid\":\"1\",\"Status\":0}",
		"{\"Timestamp\":\"2026-12-04T02:49:14Z\",\"Pid\":1,\"Status\":0",
		"42 1796350154 477197318\n",
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = load_text(bad[i], &got);
		refused += rc == -EINVAL;
		if (rc != -EINVAL)
			printf("# accepted: %s\n", bad[i]);
	}
	CHECK(refused == (int)(sizeof(bad) / sizeof(bad[0])),
	      "what is not a record is refused (%d of %zu)", refused, sizeof(bad) / sizeof(bad[0]));
	exit_record_delete_resp(top, &r);
	CHECK(r.exit_status == 137 && r.pid == 4321, "an unreadable record: 137, as without one");

	unlink(p);
	snprintf(p, sizeof(p), "%s/init.pid", top);
	unlink(p);
	rmdir(top);
	return tap_done();
}
