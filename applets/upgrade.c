/* SPDX-License-Identifier: MIT */
/*
 * shim-upgrade: replaces a running shimbox shim's binary in place (shimbox.v1.Shim/Upgrade,
 * core/upgrade.c): same pid, same containers, connections, stdio and queued events, the new
 * binary's code. One shim (found as shim-dump finds it), or every shim of a state directory.
 */
#include "applets.h"

#include "core/client.h"
#include "core/flags.h"
#include "core/locate.h"
#include "core/sys.h"
#include "wire/shimbox.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shim waits up to 5 s for the binary's answer and 10 s for what is in flight. */
#define TIMEOUT_MS 30000
#define ALL_MAX 1024

static const char help[] =
    "usage: shim-upgrade -namespace NS -id ID [-state DIR] [-binary PATH]\n"
    "       shim-upgrade -bundle DIR [-binary PATH]\n"
    "       shim-upgrade -address unix:///run/containerd/s/HEX [-namespace NS] [-binary PATH]\n"
    "       shim-upgrade -all [-state DIR] [-binary PATH]\n"
    "Replaces the code of a running shimbox shim in place: it keeps its pid, its containers\n"
    "and their processes, stdio, terminals, connections, pending Waits and queued events, and\n"
    "goes on with the new binary. Install the new binary over the old one, then run this.\n"
    "  -namespace NS  containerd namespace\n"
    "  -id ID         container id; the shim is found through the bundle's address file\n"
    "  -state DIR     containerd's state directory (default /run/containerd)\n"
    "  -bundle DIR    the container's bundle\n"
    "  -address A     the shim's socket (unix://PATH or PATH)\n"
    "  -binary PATH   the new binary (default: the path the shim was started from)\n"
    "  -all           every shim with a bundle under the state directory, once each\n"
    "A binary that cannot read the running shim's handover format is refused before it runs;\n"
    "the shim then goes on as it was.\n"
    "Exit status: 0 upgraded, 1 refused or no answer (the shim is unchanged), 100 usage.\n";

struct up_flags {
	const char *ns, *id, *state, *bundle, *address, *binary;
	int all;
};

static int up_parse(int argc, char **argv, struct up_flags *fl, int *status)
{
	int i = 1, r;
	struct err err;
	const struct flag defs[] = {
		{ "namespace", FLAG_STR, &fl->ns },    { "id", FLAG_STR, &fl->id },
		{ "state", FLAG_STR, &fl->state },     { "bundle", FLAG_STR, &fl->bundle },
		{ "address", FLAG_STR, &fl->address }, { "binary", FLAG_STR, &fl->binary },
		{ "all", FLAG_BOOL, &fl->all },
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
	} else if (r == 0 && fl->all && (fl->address || fl->bundle || fl->id)) {
		err_msg(&err, "-all takes no -address, -bundle or -id");
		r = FLAGS_ERROR;
	} else if (r == 0 && fl->address && (fl->bundle || fl->id)) {
		err_msg(&err, "give -address, or -bundle, or -namespace and -id");
		r = FLAGS_ERROR;
	} else if (r == 0 && fl->binary && fl->binary[0] != '/') {
		err_msg(&err, "-binary must be an absolute path: %s", fl->binary);
		r = FLAGS_ERROR;
	}
	if (r < 0) {
		fprintf(stderr, "shim-upgrade: %s\nrun 'shim-upgrade --help' for usage\n", err.msg);
		*status = EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* Upgrades the shim at addr: 0 after a line on stdout, or 1 after a message. */
static int upgrade_one(const char *addr, const char *ns, const char *binary)
{
	uint8_t req[4096 + 16], *resp = NULL;
	struct pb_w w = pb_w_init(req, sizeof(req));
	struct sb_upgrade_req rq = { pb_str_of(binary ? binary : "", binary ? strlen(binary) : 0) };
	const struct tt_kv meta[] = { { TTC_META_NS, ns ? ns : "" } };
	struct sb_upgrade_resp r;
	struct ttc c;
	char msg[1024];
	size_t len;
	int code;

	sb_upgrade_req_encode(&w, &rq);
	int e = w.err ? -ENAMETOOLONG : ttc_connect(&c, addr, TIMEOUT_MS);
	if (e < 0) {
		fprintf(stderr, "shim-upgrade: no shim answers at %s: %s\n", addr, strerror(-e));
		return 1;
	}
	e = ttc_call(&c, SB_SERVICE, SB_UPGRADE_METHOD, req, w.len, meta, ns ? 1 : 0, TIMEOUT_MS,
	             &resp, &len, &code, msg, sizeof(msg));
	ttc_close(&c);
	if (e < 0) {
		fprintf(stderr, "shim-upgrade: the shim at %s did not answer: %s\n", addr,
		        strerror(-e));
	} else if (code == TT_UNIMPLEMENTED) {
		fprintf(stderr, "shim-upgrade: the shim at %s cannot be upgraded in place (%s): it "
		        "is not shimbox, or too old\n", addr, msg);
	} else if (code != TT_OK) {
		fprintf(stderr, "shim-upgrade: the shim at %s is not upgraded: %s\n", addr, msg);
	} else if (sb_upgrade_resp_decode(resp, len, &r) < 0) {
		fprintf(stderr, "shim-upgrade: the shim at %s sent an answer that does not decode\n",
		        addr);
	} else {
		printf("%s: pid %u upgraded from %.*s to %.*s (upgrade %u)\n", addr, r.pid,
		       (int)r.from_revision.n, (const char *)r.from_revision.p,
		       (int)r.to_revision.n, (const char *)r.to_revision.p, r.upgrades);
		free(resp);
		return 0;
	}
	free(resp);
	return 1;
}

/* Every bundle's shim under state, each address once: 0 if all were upgraded, else 1. */
static int upgrade_all(const char *state, const char *ns_only, const char *binary)
{
	char dir[4096], addr[256];
	static char seen[ALL_MAX][256];
	size_t nseen = 0;
	int status = 0, found = 0;

	snprintf(dir, sizeof(dir), "%s/%s", state ? state : LOC_STATE_DEFAULT, LOC_V2_DIR);
	DIR *top = opendir(dir);
	if (!top) {
		fprintf(stderr, "shim-upgrade: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (struct dirent *n; (n = readdir(top));) {
		char nsdir[4096];
		if (n->d_name[0] == '.' || (ns_only && strcmp(ns_only, n->d_name) != 0) ||
		    sys_fmt(nsdir, sizeof(nsdir), "%s/%s", dir, n->d_name) < 0)
			continue;
		DIR *d = opendir(nsdir);
		for (struct dirent *b; d && (b = readdir(d));) {
			char bundle[4096];
			size_t i;
			if (b->d_name[0] == '.' ||
			    sys_fmt(bundle, sizeof(bundle), "%s/%s", nsdir, b->d_name) < 0 ||
			    loc_address(bundle, addr, sizeof(addr)) < 0)
				continue;
			for (i = 0; i < nseen && strcmp(seen[i], addr) != 0; i++)
				;
			if (i < nseen || nseen == ALL_MAX)
				continue;
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", addr);
			found = 1;
			status |= upgrade_one(addr, n->d_name, binary);
		}
		if (d)
			closedir(d);
	}
	closedir(top);
	if (!found)
		printf("shim-upgrade: no shim under %s\n", dir);
	return status;
}

int shim_upgrade_main(int argc, char **argv)
{
	struct up_flags fl;
	struct loc l;
	struct err err;
	char addr[256];
	int r;

	if (up_parse(argc, argv, &fl, &r) < 0)
		return r;
	if (fl.all)
		return upgrade_all(fl.state, fl.ns, fl.binary);
	if (fl.address)
		return upgrade_one(fl.address, fl.ns, fl.binary);
	if ((r = loc_resolve(&l, fl.bundle, fl.state, fl.ns, fl.id, &err)) < 0) {
		fprintf(stderr, "shim-upgrade: %s\n", err.msg);
		return r == -EINVAL ? EXIT_USAGE : 1;
	}
	if (loc_address(l.bundle, addr, sizeof(addr)) < 0) {
		fprintf(stderr, "shim-upgrade: %s/address is missing: no shim runs for %s/%s\n",
		        l.bundle, l.ns, l.id);
		return 1;
	}
	return upgrade_one(addr, l.ns, fl.binary);
}
