/* SPDX-License-Identifier: MIT */
/*
 * shim-dump: asks a running shim for its state (ttrpc shimbox.v1.Shim/Dump, answered with a
 * DumpResponse holding a JSON document, wire/shimbox) and prints it, verbatim or as text for
 * people.
 */
#include "applets.h"

#include "core/client.h"
#include "core/flags.h"
#include "core/locate.h"
#include "core/sys.h"
#include "wire/json.h"
#include "wire/shimbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 5000

static const char help[] =
    "usage: shim-dump -namespace NS -id ID [-state DIR] [-json]\n"
    "       shim-dump -bundle DIR [-json]\n"
    "       shim-dump -address unix:///run/containerd/s/HEX [-namespace NS] [-json]\n"
    "Prints the state of a running shimbox shim: its pid, uptime, memory, threads,\n"
    "connections, fds and event queue, then each container and each of its processes\n"
    "(pid, state, exit status, stdio).\n"
    "  -namespace NS  containerd namespace\n"
    "  -id ID         container id; the shim is found through the bundle's address file\n"
    "  -state DIR     containerd's state directory (default /run/containerd)\n"
    "  -bundle DIR    the container's bundle\n"
    "  -address A     the shim's socket (unix://PATH or PATH)\n"
    "  -json          print the shim's JSON document as it is\n"
    "The shim also writes this dump to its log (containerd's log) on SIGUSR1:\n"
    "  kill -USR1 SHIM_PID\n"
    "Exit status: 0 printed, 1 no such container or no answer from a shimbox shim,\n"
    "100 usage.\n";

/* --- text output -------------------------------------------------------------------------- */

static long long num(struct pb_str obj, const char *key)
{
	struct pb_str v;
	long long x;
	return json_get(obj, key, &v) == 1 && json_int(v, &x) == 0 ? x : -1;
}

static const char *str(struct pb_str obj, const char *key, char *buf, size_t cap)
{
	struct pb_str v;
	if (json_get(obj, key, &v) != 1 || json_string(v, buf, cap) < 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* v as text in b (24 bytes), "?" when absent. */
static const char *nstr(long long v, char *b)
{
	if (v < 0)
		return "?";
	snprintf(b, 24, "%lld", v);
	return b;
}

static void print_uptime(long long ms)
{
	long long s = ms / 1000;
	if (ms < 0) {
		printf("?");
		return;
	}
	if (s >= 86400)
		printf("%lldd", s / 86400);
	if (s >= 3600)
		printf("%lldh", s / 3600 % 24);
	if (s >= 60)
		printf("%lldm%llds", s / 60 % 60, s % 60);
	else
		printf("%lld.%llds", s, ms % 1000 / 100);
}

static void print_process(struct pb_str p, const char *cid)
{
	char exec[256], state[32], at[64], in[1024], out[1024], err[1024];
	struct pb_str v;

	str(p, "exec_id", exec, sizeof(exec));
	if (!exec[0] || strcmp(exec, "?") == 0)
		printf("  %s init:", cid);
	else
		printf("  %s exec %s:", cid, exec);
	char b[24];
	printf(" pid %s", nstr(num(p, "pid"), b));
	printf(", %s", str(p, "state", state, sizeof(state)));
	str(p, "exited_at", at, sizeof(at));
	if (strcmp(state, "stopped") == 0 || (at[0] && strcmp(at, "?") != 0)) {
		printf(", exit status %s", nstr(num(p, "exit_status"), b));
		if (at[0] && strcmp(at, "?") != 0)
			printf(" at %s", at);
	}
	str(p, "stdin", in, sizeof(in));
	str(p, "stdout", out, sizeof(out));
	str(p, "stderr", err, sizeof(err));
	printf("; stdin %s, stdout %s, stderr %s", in[0] ? in : "-", out[0] ? out : "-",
	       err[0] ? err : "-");
	if (json_get(p, "terminal", &v) == 1 && v.n == 4 && memcmp(v.p, "true", 4) == 0)
		printf(", terminal");
	putchar('\n');
}

/* The events not delivered yet, oldest first, and why the last attempt failed. */
static void print_pending(struct pb_str ev)
{
	struct pb_str list, e;
	char topic[80], ct[256], ex[256], at[64], why[256], b[24];

	if (json_get(ev, "pending", &list) != 1)
		return;
	while (json_array_next(&list, &e) == 1) {
		str(e, "exec_id", ex, sizeof(ex));
		printf("  pending %s of %s%s%s, queued %s, %s failed attempts\n",
		       str(e, "topic", topic, sizeof(topic)), str(e, "container_id", ct, sizeof(ct)),
		       ex[0] ? " exec " : "", ex, str(e, "queued_at", at, sizeof(at)),
		       nstr(num(e, "failures"), b));
	}
	if (str(ev, "last_failure", why, sizeof(why))[0] && strcmp(why, "?") != 0)
		printf("  last failure %s: %s\n", str(ev, "last_failure_at", at, sizeof(at)), why);
}

static int print_text(struct pb_str doc)
{
	struct pb_str mem, ev, list, it, c, procs, p;
	char id[256], rt[256], bundle[1024], b[6][24];
	int n = 0;

	if (json_get(doc, "pid", &it) != 1)
		return -1;
	if (json_get(doc, "memory", &mem) != 1)
		mem = pb_str_of("{}", 2);
	if (json_get(doc, "events", &ev) != 1)
		ev = pb_str_of("{}", 2);
	printf("shim %s: up ", nstr(num(doc, "pid"), b[0]));
	print_uptime(num(doc, "uptime_ms"));
	printf(", rss %s KiB, pss %s KiB, threads %s, connections %s, fds %s\n",
	       nstr(num(mem, "rss_kb"), b[1]), nstr(num(mem, "pss_kb"), b[2]),
	       nstr(num(doc, "threads"), b[3]), nstr(num(doc, "connections"), b[4]),
	       nstr(num(doc, "fds"), b[5]));
	if (json_get(doc, "version", &it) == 1 && json_string(it, id, sizeof(id)) > 0) {
		printf("shimbox %s", id);
		if (json_get(doc, "revision", &it) == 1 && json_string(it, id, sizeof(id)) > 0)
			printf(" (%s)", id);
		if (num(doc, "upgrades") > 0)
			printf(", upgraded %lld times in place (last from %s)", num(doc, "upgrades"),
			       str(doc, "upgraded_from", id, sizeof(id)));
		if (json_get(doc, "namespace", &it) == 1 && json_string(it, id, sizeof(id)) > 0)
			printf(", namespace %s", id);
		putchar('\n');
	}
	printf("events: %s queued, %s sent, %s dropped\n", nstr(num(ev, "queued"), b[0]),
	       nstr(num(ev, "sent"), b[1]), nstr(num(ev, "dropped"), b[2]));
	print_pending(ev);
	if (json_get(doc, "containers", &list) == 1) {
		it = list;
		while (json_array_next(&it, &c) == 1) {
			n++;
			printf("container %s: runtime %s, bundle %s\n",
			       str(c, "id", id, sizeof(id)), str(c, "runtime", rt, sizeof(rt)),
			       str(c, "bundle", bundle, sizeof(bundle)));
			if (json_get(c, "processes", &procs) != 1)
				continue;
			while (json_array_next(&procs, &p) == 1)
				print_process(p, id);
		}
	}
	if (!n)
		printf("no containers\n");
	return 0;
}

/* --- the call ----------------------------------------------------------------------------- */

struct dump_flags {
	const char *ns, *id, *state, *bundle, *address;
	int json;
};

/* Parses argv into fl: 0, or -1 when the applet is done (help printed, or a usage error) and
 * exits with *status. */
static int dump_parse(int argc, char **argv, struct dump_flags *fl, int *status)
{
	int i = 1, r;
	struct err err;
	const struct flag defs[] = {
		{ "namespace", FLAG_STR, &fl->ns },    { "id", FLAG_STR, &fl->id },
		{ "state", FLAG_STR, &fl->state },     { "bundle", FLAG_STR, &fl->bundle },
		{ "address", FLAG_STR, &fl->address }, { "json", FLAG_BOOL, &fl->json },
	};

	memset(fl, 0, sizeof(*fl));
	r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, &err);
	if (r == FLAGS_HELP) {
		*status = fputs(help, stdout) < 0;
		return -1;
	}
	if (r == 0 && i < argc) {
		err_msg(&err, "unexpected argument '%s'", argv[i]);
		r = FLAGS_ERROR;
	} else if (r == 0 && fl->address && (fl->bundle || fl->id)) {
		err_msg(&err, "give -address, or -bundle, or -namespace and -id");
		r = FLAGS_ERROR;
	}
	if (r < 0) {
		fprintf(stderr, "shim-dump: %s\nrun 'shim-dump --help' for usage\n", err.msg);
		*status = EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* The shim to ask: its address and the namespace the call names (NULL: none; may point into l). */
struct dump_target {
	char addr[256];
	const char *ns;
	struct loc l;
};

/* -address as given, or the address file of the bundle that the flags name: 0, or the exit
 * status after a message. */
static int dump_locate(const struct dump_flags *fl, struct dump_target *t)
{
	struct err err;
	int r;

	t->ns = fl->ns;
	if (fl->address) {
		snprintf(t->addr, sizeof(t->addr), "%s", fl->address);
		return 0;
	}
	if ((r = loc_resolve(&t->l, fl->bundle, fl->state, fl->ns, fl->id, &err)) < 0) {
		fprintf(stderr, "shim-dump: %s\n", err.msg);
		return r == -EINVAL ? EXIT_USAGE : 1;
	}
	if (loc_address(t->l.bundle, t->addr, sizeof(t->addr)) < 0) {
		fprintf(stderr,
		        "shim-dump: %s/address is missing: no shim runs for %s/%s "
		        "(or it was cleaned up)\n",
		        t->l.bundle, t->l.ns, t->l.id);
		return 1;
	}
	t->ns = t->l.ns;
	return 0;
}

/* Calls Dump: 0 with the reply's payload in *resp (the caller frees it), or 1 after a message. */
static int dump_call(const struct dump_target *t, uint8_t **resp, size_t *len)
{
	struct ttc c;
	int code;
	char msg[512];
	const struct tt_kv meta[] = { { TTC_META_NS, t->ns ? t->ns : "" } };
	int e = ttc_connect(&c, t->addr, TIMEOUT_MS);
	*resp = NULL;
	if (e < 0) {
		fprintf(stderr, "shim-dump: no shim answers at %s: %s\n", t->addr, strerror(-e));
		return 1;
	}
	e = ttc_call(&c, SB_SERVICE, SB_DUMP_METHOD, NULL, 0, meta, t->ns ? 1 : 0, TIMEOUT_MS, resp,
	             len, &code, msg, sizeof(msg));
	ttc_close(&c);
	if (e < 0) {
		fprintf(stderr, "shim-dump: the shim at %s did not answer: %s\n", t->addr,
		        strerror(-e));
		return 1;
	}
	if (code == TT_UNIMPLEMENTED) {
		fprintf(stderr,
		        "shim-dump: the shim at %s does not implement " SB_SERVICE
		        "/" SB_DUMP_METHOD " (%s): it is not shimbox, or too old\n",
		        t->addr, msg);
	} else if (code != TT_OK) {
		fprintf(stderr, "shim-dump: the shim at %s refused Dump: %s (%d): %s\n", t->addr,
		        ttc_code_name(code), code, msg);
	}
	return code == TT_OK ? 0 : 1;
}

/* Prints the document of a Dump reply, as it is (json) or as text: 0, or 1 after a message. */
static int dump_print(const struct dump_target *t, const uint8_t *resp, size_t len, int json)
{
	struct sb_dump_resp m;
	int r = sb_dump_resp_decode(resp, len, &m);
	if (r < 0 || m.json.n == 0) {
		fprintf(stderr, "shim-dump: the shim at %s sent %s\n", t->addr,
		        r < 0 ? "an answer that does not decode" : "an empty dump");
		return 1;
	}
	if (json) {
		int whole = fwrite(m.json.p, 1, m.json.n, stdout) == m.json.n;
		r = whole && putchar('\n') != EOF ? 0 : -1;
	} else if ((r = print_text(m.json)) < 0) {
		fprintf(stderr, "shim-dump: the dump is not the JSON object expected: %.*s\n",
		        (int)(m.json.n > 200 ? 200 : m.json.n), (const char *)m.json.p);
	}
	return r < 0 || fflush(stdout) != 0 ? 1 : 0;
}

int shim_dump_main(int argc, char **argv)
{
	struct dump_flags fl;
	struct dump_target t;
	uint8_t *resp;
	size_t len;
	int r;

	if (dump_parse(argc, argv, &fl, &r) < 0)
		return r;
	if ((r = dump_locate(&fl, &t)) != 0)
		return r;
	if ((r = dump_call(&t, &resp, &len)) != 0) {
		free(resp);
		return r;
	}
	r = dump_print(&t, resp, len, fl.json);
	free(resp);
	return r;
}
