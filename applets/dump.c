/* SPDX-License-Identifier: MIT */
/*
 * shim-dump: asks a running shim for its state (ttrpc shimbox.v1.Shim/Dump, answered with a
 * message whose field 1 is a JSON document) and prints it, verbatim or as text for people.
 */
#include "applets.h"

#include "core/client.h"
#include "core/flags.h"
#include "core/locate.h"
#include "core/sys.h"
#include "wire/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_SERVICE "shimbox.v1.Shim"
#define DUMP_METHOD "Dump"
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
		if (json_get(doc, "namespace", &it) == 1 && json_string(it, id, sizeof(id)) > 0)
			printf(", namespace %s", id);
		putchar('\n');
	}
	printf("events: %s queued, %s sent, %s dropped\n", nstr(num(ev, "queued"), b[0]),
	       nstr(num(ev, "sent"), b[1]), nstr(num(ev, "dropped"), b[2]));
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

int shim_dump_main(int argc, char **argv)
{
	const char *ns = NULL, *id = NULL, *state = NULL, *bundle = NULL, *address = NULL;
	int json = 0, i = 1, r;
	char err[512], addr[256];
	struct loc l;
	const struct flag defs[] = {
		{ "namespace", FLAG_STR, &ns },    { "id", FLAG_STR, &id },
		{ "state", FLAG_STR, &state },     { "bundle", FLAG_STR, &bundle },
		{ "address", FLAG_STR, &address }, { "json", FLAG_BOOL, &json },
	};

	r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, err, sizeof(err));
	if (r == FLAGS_HELP)
		return fputs(help, stdout) < 0;
	if (r == 0 && i < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'", argv[i]);
		r = FLAGS_ERROR;
	} else if (r == 0 && address && (bundle || id)) {
		snprintf(err, sizeof(err), "give -address, or -bundle, or -namespace and -id");
		r = FLAGS_ERROR;
	}
	if (r < 0) {
		fprintf(stderr, "shim-dump: %s\nrun 'shim-dump --help' for usage\n", err);
		return EXIT_USAGE;
	}
	if (address) {
		snprintf(addr, sizeof(addr), "%s", address);
	} else {
		if ((r = loc_resolve(&l, bundle, state, ns, id, err, sizeof(err))) < 0) {
			fprintf(stderr, "shim-dump: %s\n", err);
			return r == -EINVAL ? EXIT_USAGE : 1;
		}
		if (loc_address(l.bundle, addr, sizeof(addr)) < 0) {
			fprintf(stderr,
			        "shim-dump: %s/address is missing: no shim runs for %s/%s "
			        "(or it was cleaned up)\n",
			        l.bundle, l.ns, l.id);
			return 1;
		}
		ns = l.ns;
	}

	struct ttc c;
	uint8_t *resp = NULL;
	size_t len;
	int code;
	char msg[512];
	const struct tt_kv meta[] = { { TTC_META_NS, ns ? ns : "" } };
	int e = ttc_connect(&c, addr, TIMEOUT_MS);
	if (e < 0) {
		fprintf(stderr, "shim-dump: no shim answers at %s: %s\n", addr, strerror(-e));
		return 1;
	}
	e = ttc_call(&c, DUMP_SERVICE, DUMP_METHOD, NULL, 0, meta, ns ? 1 : 0, TIMEOUT_MS, &resp,
	             &len, &code, msg, sizeof(msg));
	ttc_close(&c);
	if (e < 0) {
		fprintf(stderr, "shim-dump: the shim at %s did not answer: %s\n", addr,
		        strerror(-e));
		return 1;
	}
	if (code == TT_UNIMPLEMENTED) {
		fprintf(stderr,
		        "shim-dump: the shim at %s does not implement " DUMP_SERVICE "/" DUMP_METHOD
		        " (%s): it is not shimbox, or too old\n",
		        addr, msg);
		return 1;
	}
	if (code != TT_OK) {
		fprintf(stderr, "shim-dump: the shim at %s refused Dump: %s (%d): %s\n", addr,
		        ttc_code_name(code), code, msg);
		return 1;
	}

	/* The answer: a message whose field 1 is the JSON document. */
	struct pb_r rd = pb_r_init(resp, len);
	struct pb_field f;
	struct pb_str doc = { 0 };
	while ((r = pb_next(&rd, &f)) > 0)
		if (f.num == 1 && (r = pb_as_str(&f, &doc)) < 0)
			break;
	if (r < 0 || doc.n == 0) {
		fprintf(stderr, "shim-dump: the shim at %s sent %s\n", addr,
		        r < 0 ? "an answer that does not decode" : "an empty dump");
		free(resp);
		return 1;
	}
	if (json) {
		r = fwrite(doc.p, 1, doc.n, stdout) == doc.n && putchar('\n') != EOF ? 0 : -1;
	} else if ((r = print_text(doc)) < 0) {
		fprintf(stderr, "shim-dump: the dump is not the JSON object expected: %.*s\n",
		        (int)(doc.n > 200 ? 200 : doc.n), (const char *)doc.p);
	}
	free(resp);
	return r < 0 || fflush(stdout) != 0 ? 1 : 0;
}
