/* SPDX-License-Identifier: MIT */
/* Bundle and shim address lookup for the applets (see locate.h). */
#include "locate.h"

#include "sys.h"
#include "wire/events.h"
#include "wire/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int valid_name(const char *s)
{
	return ev_identifier_valid(pb_str_of(s, strlen(s)));
}

/* The last component of p[0..n) into out; returns the length of what precedes it. */
static size_t last_component(const char *p, size_t n, char *out, size_t cap)
{
	while (n > 1 && p[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && p[s - 1] != '/')
		s--;
	snprintf(out, cap, "%.*s", (int)(n - s), p + s);
	return s;
}

int loc_resolve(struct loc *l, const char *bundle, const char *state, const char *ns,
                const char *id, struct err *err)
{
	char path[PATH_MAX];

	memset(l, 0, sizeof(*l));
	if (bundle) {
		if (!*bundle || !realpath(bundle, path) || !is_dir(path)) {
			err_msg(err, "no bundle directory at %s", bundle);
			return -ENOENT;
		}
		size_t rest = last_component(path, strlen(path), l->id, sizeof(l->id));
		last_component(path, rest, l->ns, sizeof(l->ns));
	} else if (!ns || !id) {
		err_msg(err, "give -namespace and -id, or -bundle");
		return -EINVAL;
	}
	if (ns)
		snprintf(l->ns, sizeof(l->ns), "%s", ns);
	if (id)
		snprintf(l->id, sizeof(l->id), "%s", id);
	/* containerd's identifier rule; it also keeps "..", "/" and the like out of paths. */
	if (!valid_name(l->ns) || !valid_name(l->id)) {
		int ns_ok = valid_name(l->ns);
		const char *hint = bundle ? " (from the bundle path; give -namespace and -id)" : "";
		err_msg(err, "invalid %s \"%s\"%s", ns_ok ? "id" : "namespace",
		         ns_ok ? l->id : l->ns, hint);
		return -EINVAL;
	}
	if (bundle) {
		if (sys_fmt(l->bundle, sizeof(l->bundle), "%s", path) >= 0)
			return 0;
		err_msg(err, "bundle path too long: %s", path);
		return -EINVAL;
	}

	if (!state)
		state = LOC_STATE_DEFAULT;
	char a[PATH_MAX], b[PATH_MAX];
	if (sys_fmt(a, sizeof(a), "%s/" LOC_V2_DIR "/%s/%s", state, l->ns, l->id) < 0 ||
	    sys_fmt(b, sizeof(b), "%s/%s/%s", state, l->ns, l->id) < 0) {
		err_msg(err, "state directory path too long: %s", state);
		return -EINVAL;
	}
	const char *found = is_dir(a) ? a : is_dir(b) ? b : NULL;
	if (!found || !realpath(found, path) ||
	    sys_fmt(l->bundle, sizeof(l->bundle), "%s", path) < 0) {
		err_msg(err, "no container %s in namespace %s: %s does not exist", l->id,
		         l->ns, a);
		return -ENOENT;
	}
	return 0;
}

int loc_in_state_dir(const char *path)
{
	return strstr(path, "/io.containerd.runtime.v2.task/") != NULL ||
	       strstr(path, "/io.containerd.runtime.v1.linux/") != NULL;
}

/* containerd 1.7+'s bootstrap.json {"version":..,"address":"unix://...",..}: its address. */
static ssize_t bootstrap_address(const char *bundle, char *addr, size_t cap)
{
	char path[PATH_MAX], doc[4096];
	struct pb_str v;
	if (sys_fmt(path, sizeof(path), "%s/bootstrap.json", bundle) < 0)
		return -ENAMETOOLONG;
	ssize_t n = sys_read_file(path, doc, sizeof(doc));
	if (n < 0)
		return n;
	if (json_get(pb_str_of(doc, (size_t)n), "address", &v) != 1)
		return -ENOENT;
	int m = json_string(v, addr, cap);
	return m > 0 ? m : -ENOENT;
}

int loc_address(const char *bundle, char *addr, size_t cap)
{
	char path[PATH_MAX];
	int e = sys_fmt(path, sizeof(path), "%s/address", bundle);
	if (e < 0)
		return e;
	ssize_t n = sys_read_file(path, addr, cap);
	if (n == -ENOENT) /* a shim that writes none (2.x's reference): what containerd recorded */
		n = bootstrap_address(bundle, addr, cap);
	if (n < 0)
		return (int)n;
	while (n > 0 && (addr[n - 1] == '\n' || addr[n - 1] == ' ' || addr[n - 1] == '\r'))
		addr[--n] = 0;
	return n > 0 ? (int)n : -ENOENT;
}
