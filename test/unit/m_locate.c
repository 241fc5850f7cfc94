/* SPDX-License-Identifier: MIT */
/* core/locate: finding bundles under a state dir, refusing bad names, reading address files. */
#include "core/locate.h"
#include "core/sys.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char top[] = "/tmp/m_locate.XXXXXX", p[600], want[600], addr[128];
	struct err er;
	struct loc l;
	int e;

	if (!mkdtemp(top))
		abort();
	snprintf(p, sizeof(p), "%s/state/" LOC_V2_DIR "/ns1/c1", top);
	if (sys_mkdir_p(p, 0700) < 0)
		abort();
	memcpy(want, p, strlen(p) + 1);

	snprintf(p, sizeof(p), "%s/state", top);
	e = loc_resolve(&l, NULL, p, "ns1", "c1", &er);
	CHECK(e == 0 && strcmp(l.bundle, want) == 0 && strcmp(l.ns, "ns1") == 0 &&
	          strcmp(l.id, "c1") == 0,
	      "-state DIR: DIR/" LOC_V2_DIR "/NS/ID (%s)", e ? er.msg : l.bundle);
	snprintf(p, sizeof(p), "%s/state/" LOC_V2_DIR, top);
	e = loc_resolve(&l, NULL, p, "ns1", "c1", &er);
	CHECK(e == 0 && strcmp(l.bundle, want) == 0, "-state being the v2.task dir itself");
	snprintf(p, sizeof(p), "%s/state", top);
	e = loc_resolve(&l, NULL, p, "ns1", "c2", &er);
	CHECK(e == -ENOENT && strstr(er.msg, "no container c2 in namespace ns1"), "unknown id: %s",
	      er.msg);
	e = loc_resolve(&l, NULL, p, "ns1", "..", &er);
	CHECK(e == -EINVAL && strstr(er.msg, "invalid id"), "id '..' refused: %s", er.msg);
	e = loc_resolve(&l, NULL, p, "a/b", "c1", &er);
	CHECK(e == -EINVAL && strstr(er.msg, "invalid namespace"), "namespace with '/' refused: %s",
	      er.msg);
	e = loc_resolve(&l, NULL, p, "ns1", NULL, &er);
	CHECK(e == -EINVAL, "-namespace without -id: %s", er.msg);

	snprintf(p, sizeof(p), "%s/state/" LOC_V2_DIR "/ns1/./c1/", top);
	e = loc_resolve(&l, p, NULL, NULL, NULL, &er);
	CHECK(e == 0 && strcmp(l.bundle, want) == 0 && strcmp(l.ns, "ns1") == 0 &&
	          strcmp(l.id, "c1") == 0,
	      "-bundle: cleaned, ns and id from its path (%s/%s)", l.ns, l.id);
	e = loc_resolve(&l, p, NULL, "other", "x", &er);
	CHECK(e == 0 && strcmp(l.ns, "other") == 0 && strcmp(l.id, "x") == 0,
	      "-bundle with -namespace/-id: the flags win");
	snprintf(p, sizeof(p), "%s/nope", top);
	e = loc_resolve(&l, p, NULL, NULL, NULL, &er);
	CHECK(e == -ENOENT && strstr(er.msg, "no bundle directory"), "missing bundle: %s", er.msg);

	CHECK(loc_in_state_dir(want), "a bundle is inside a state dir");
	CHECK(loc_in_state_dir("/run/containerd/io.containerd.runtime.v1.linux/default/x"),
	      "v1 bundles too");
	CHECK(!loc_in_state_dir("/home/me/" LOC_V2_DIR) && !loc_in_state_dir("/etc"),
	      "other paths are not");

	e = loc_address(want, addr, sizeof(addr));
	CHECK(e == -ENOENT, "no address file: -ENOENT (%d)", e);
	if (sys_fmt(p, sizeof(p), "%s/address", want) < 0)
		abort();
	if (sys_write_file_atomic(p, "unix:///run/x/s\n", 16, 0600) < 0)
		abort();
	e = loc_address(want, addr, sizeof(addr));
	CHECK(e == 15 && strcmp(addr, "unix:///run/x/s") == 0, "address read, newline trimmed");
	if (sys_write_file_atomic(p, "", 0, 0600) < 0)
		abort();
	CHECK(loc_address(want, addr, sizeof(addr)) == -ENOENT, "empty address file: -ENOENT");

	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	if (system(p) != 0)
		CHECK(0, "cleanup");
	return tap_done();
}
