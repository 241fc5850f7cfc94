/* SPDX-License-Identifier: MIT */
/* What the service reads of a bundle (config.json, pid files) and of the runc options. */
#include "bundle.h"

#include "spec.h"

#include "log.h"
#include "sys.h"
#include "wire/json.h"
#include "wire/options.h"

#include <stdlib.h>
#include <string.h>

/* Whether the spec in bundle gives the container a pid namespace of its own. */
int bundle_pidns_private(const char *bundle)
{
	struct pb_str doc, ns, it, el, v;
	int private = 0;

	if (spec_read(bundle, &doc) < 0 ||
	    json_get_path(doc, &ns, "linux", "namespaces", (const char *)NULL) != 1) {
		free((void *)doc.p);
		return 1; /* unknown: assume the usual private namespace */
	}
	it = ns;
	while (json_array_next(&it, &el) > 0) {
		char type[16], nspath[8];
		if (json_get(el, "type", &v) != 1 || json_string(v, type, sizeof(type)) < 0 ||
		    strcmp(type, "pid") != 0)
			continue;
		private =
		    json_get(el, "path", &v) != 1 || json_string(v, nspath, sizeof(nspath)) == 0;
	}
	free((void *)doc.p);
	return private;
}


int bundle_read_pid_file(const char *path, pid_t *pid)
{
	char buf[32];
	long long v;
	if (sys_read_file(path, buf, sizeof(buf)) <= 0 ||
	    json_int(pb_str_of(buf, strlen(buf)), &v) < 0 || v <= 0 || v > 0x7fffffff)
		return -1;
	*pid = (pid_t)v;
	return 0;
}


void bundle_runc_options(const struct tk_request *r, struct container *c, int *uid, int *gid)
{
	const struct opt_runc *o = &r->o.runc;
	struct pb_str url = r->u.create.options.type_url;

	if (r->opts == TK_OPTS_FOREIGN)
		log_info("ignoring runtime options of type %.*s", (int)url.n, (const char *)url.p);
	else if (r->opts == TK_OPTS_BAD)
		log_warn("ignoring undecodable runc options");
	if (r->opts != TK_OPTS_OK)
		return;
	if (o->binary_name.n && pb_str_copy(c->cfg.binary, sizeof(c->cfg.binary), o->binary_name) < 0)
		log_warn("binary_name too long; using runc");
	if (o->root.n && pb_str_copy(c->cfg.root, sizeof(c->cfg.root), o->root) < 0)
		log_warn("root too long; using the default");
	c->cfg.systemd_cgroup = o->systemd_cgroup;
	c->no_pivot = o->no_pivot_root;
	c->no_keyring = o->no_new_keyring;
	if (o->io_uid || o->io_gid) {
		*uid = (int)o->io_uid;
		*gid = (int)o->io_gid;
	}
}
