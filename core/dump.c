/* SPDX-License-Identifier: MIT */
/*
 * shimbox.v1.Shim/Dump: the shim's state as a JSON document, answered to shim-dump (the reply's
 * codec is wire/shimbox) and written to the log on SIGUSR1.
 */
#include "svc_int.h"

#include "log.h"
#include "publish.h"
#include "sys.h"
#include "upgrade.h"
#include "wire/events.h"
#include "wire/shimbox.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The document being written: grows on the heap; err is sticky, as a pb_w's. */
struct jbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		if (b->err)
			return;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap + (size_t)n) * 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A JSON string; our ids and paths never hold quotes or control bytes that need more. */
static void jb_str(struct jbuf *b, const char *s)
{
	jb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			jb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			jb_printf(b, "\\u%04x", *s);
		else
			jb_printf(b, "%c", *s);
	}
	jb_printf(b, "\"");
}

/* RFC 3339 in UTC with nanoseconds, or "" when unset. */
static void jb_time_of(struct jbuf *b, int set, int64_t seconds, int32_t nanos)
{
	char t[64] = "";
	if (set) {
		time_t s = (time_t)seconds;
		struct tm tm;
		gmtime_r(&s, &tm);
		snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)nanos);
	}
	jb_str(b, t);
}

static void jb_time(struct jbuf *b, const struct proc *p)
{
	jb_time_of(b, p->state == P_STOPPED && p->exited_at.seconds != TK_TS_UNSET_SECONDS,
	           p->exited_at.seconds, p->exited_at.nanos);
}

static void jb_time_ms(struct jbuf *b, uint64_t ms)
{
	jb_time_of(b, ms != 0, (int64_t)(ms / 1000), (int32_t)(ms % 1000) * 1000000);
}

/* A borrowed string as a JSON string (ids: at most 76 bytes, longer ones cut). */
static void jb_pbstr(struct jbuf *b, struct pb_str s)
{
	char t[80];
	if (pb_str_copy(t, sizeof(t), s) < 0)
		snprintf(t, sizeof(t), "%.*s", (int)(sizeof(t) - 1), (const char *)s.p);
	jb_str(b, t);
}

#define DUMP_PENDING_MAX 64

static void dump_pending(const struct pub_pending *p, void *ctx)
{
	struct jbuf *b = ctx;
	struct pb_str ct = { NULL, 0 }, ex = { NULL, 0 };
	if (ev_container_id(p->event.p, p->event.n, &ct) <= 0)
		ct.n = 0;
	if (ev_exec_id(p->topic, p->event.p, p->event.n, &ex) < 0)
		ex.n = 0;
	jb_printf(b, "%s{\"topic\":", b->len == 0 || b->p[b->len - 1] == '[' ? "" : ",");
	jb_str(b, p->topic);
	jb_printf(b, ",\"container_id\":");
	jb_pbstr(b, ct);
	jb_printf(b, ",\"exec_id\":");
	jb_pbstr(b, ex);
	jb_printf(b, ",\"queued_at\":");
	jb_time_ms(b, p->queued_ms);
	jb_printf(b, ",\"failures\":%u}", p->failures);
}

/* "events": counters, the first DUMP_PENDING_MAX queued events, the last failure. */
static void dump_events(struct jbuf *b)
{
	uint64_t sent, dropped, failed_ms;
	pub_stats(&sent, &dropped);
	jb_printf(b, "\"events\":{\"queued\":%zu,\"sent\":%llu,\"dropped\":%llu,\"pending\":[",
	          pub_queued(), (unsigned long long)sent, (unsigned long long)dropped);
	pub_pending_each(DUMP_PENDING_MAX, dump_pending, b);
	jb_printf(b, "],\"last_failure\":");
	jb_str(b, pub_last_failure(&failed_ms));
	jb_printf(b, ",\"last_failure_at\":");
	jb_time_ms(b, failed_ms);
	jb_printf(b, "},");
}

static long status_kb(const char *file, const char *key)
{
	char buf[4096];
	if (sys_read_file(file, buf, sizeof(buf)) <= 0)
		return -1;
	char *s = strstr(buf, key);
	return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

static void dump_proc(struct jbuf *b, const struct proc *p)
{
	jb_printf(b, "{\"id\":");
	jb_str(b, p->exec_id[0] ? p->exec_id : p->c->id);
	jb_printf(b, ",\"exec_id\":");
	jb_str(b, p->exec_id);
	jb_printf(b, ",\"pid\":%d,\"state\":\"%s\",\"exit_status\":%d,\"exited_at\":", (int)p->pid,
	          proc_state_word(proc_visible_state(p)), p->exit_status);
	jb_time(b, p);
	jb_printf(b, ",\"stdin\":");
	jb_str(b, p->stdin_path);
	jb_printf(b, ",\"stdout\":");
	jb_str(b, p->stdout_path);
	jb_printf(b, ",\"stderr\":");
	jb_str(b, p->stderr_path);
	jb_printf(b, ",\"terminal\":%s}", p->terminal ? "true" : "false");
}

/* The dump document; the caller frees it. */
static char *dump_json(size_t *len)
{
	struct jbuf b = { NULL, 0, 0, 0 };
	jb_printf(&b, "{\"pid\":%d,\"version\":", (int)getpid());
	jb_str(&b, svc_cfg.version ? svc_cfg.version : "");
	jb_printf(&b, ",\"revision\":");
	jb_str(&b, svc_cfg.revision ? svc_cfg.revision : "");
	jb_printf(&b, ",\"binary\":");
	jb_str(&b, upgrade_start_binary());
	jb_printf(&b, ",\"upgrades\":%u,\"upgraded_from\":", upgrade_count());
	jb_str(&b, upgrade_count() ? upgrade_from_revision() : "");
	jb_printf(&b, ",\"namespace\":");
	jb_str(&b, svc_cfg.ns);
	jb_printf(&b,
	          ",\"uptime_ms\":%llu,\"memory\":{\"rss_kb\":%ld,\"pss_kb\":%ld},"
	          "\"threads\":%ld,\"connections\":%zu,\"fds\":%d,",
	          (unsigned long long)(sys_mono_ms() - svc_started_ms),
	          status_kb("/proc/self/status", "VmRSS:"),
	          status_kb("/proc/self/smaps_rollup", "Pss:"),
	          status_kb("/proc/self/status", "Threads:"), conn_count(), count_fds());
	dump_events(&b);
	jb_printf(&b, "\"containers\":[");
	for (struct container *c = svc_containers; c; c = c->next) {
		jb_printf(&b, "%s{\"id\":", c == svc_containers ? "" : ",");
		jb_str(&b, c->id);
		jb_printf(&b, ",\"bundle\":");
		jb_str(&b, c->cfg.bundle);
		jb_printf(&b, ",\"runtime\":");
		jb_str(&b, c->cfg.binary);
		jb_printf(&b, ",\"processes\":[");
		dump_proc(&b, &c->init);
		for (struct proc *p = c->execs; p; p = p->next) {
			jb_printf(&b, ",");
			dump_proc(&b, p);
		}
		jb_printf(&b, "]}");
	}
	jb_printf(&b, "]}");
	if (b.err) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

void h_dump(struct call call, struct pb_str payload)
{
	size_t len;
	(void)payload;
	char *js = dump_json(&len);
	uint8_t *out = js ? malloc(len + 16) : NULL;
	if (!out) {
		free(js);
		call_error(call, TT_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	struct pb_w w = pb_w_init(out, len + 16);
	struct sb_dump_resp m = { pb_str_of(js, len) };
	sb_dump_resp_encode(&w, &m);
	call_reply(call, out, w.len);
	free(js);
	free(out);
}

void svc_dump_to_log(void)
{
	size_t len;
	char *js = dump_json(&len);
	if (!js)
		return;
	log_text("info", js, len);
	free(js);
}
