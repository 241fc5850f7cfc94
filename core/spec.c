/* SPDX-License-Identifier: MIT */
/* A bundle's OCI spec, read whole (spec.h). */
#include "spec.h"

#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

int spec_read(const char *dir, struct pb_str *doc)
{
	char path[PATH_MAX];
	char *buf;
	ssize_t n;

	*doc = pb_str_of("", 0);
	if (sys_fmt(path, sizeof(path), "%s/config.json", dir) < 0)
		return -ENAMETOOLONG;
	/* One byte more than the limit, to tell a spec of SPEC_MAX bytes from a longer one. */
	if (!(buf = malloc(SPEC_MAX + 2)))
		return -ENOMEM;
	if ((n = sys_read_file(path, buf, SPEC_MAX + 2)) < 0 || (size_t)n > SPEC_MAX) {
		free(buf);
		return n < 0 ? (int)n : -EFBIG;
	}
	*doc = pb_str_of(buf, (size_t)n);
	return 0;
}
