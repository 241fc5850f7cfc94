/* SPDX-License-Identifier: MIT */
/* core/spec: a bundle's config.json read whole, up to SPEC_MAX bytes and not one more. */
#include "core/spec.h"
#include "core/sys.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char top[] = "/tmp/m_spec.XXXXXX";

static int write_spec(size_t n)
{
	char p[600];
	char *b = malloc(n + 1);
	if (!b)
		abort();
	memset(b, ' ', n);
	if (n)
		b[0] = '{', b[n - 1] = '}';
	snprintf(p, sizeof(p), "%s/config.json", top);
	int e = sys_write_file_atomic(p, b, n, 0600);
	free(b);
	return e;
}

int main(void)
{
	struct pb_str doc;
	char p[600];

	if (!mkdtemp(top))
		abort();
	CHECK(spec_read(top, &doc) == -ENOENT && doc.n == 0, "no config.json: -ENOENT");
	if (write_spec(2) < 0)
		abort();
	int e = spec_read(top, &doc);
	CHECK(e == 0 && doc.n == 2 && memcmp(doc.p, "{}", 2) == 0, "a spec read whole");
	free((void *)doc.p);
	if (write_spec(SPEC_MAX) < 0)
		abort();
	e = spec_read(top, &doc);
	CHECK(e == 0 && doc.n == SPEC_MAX && doc.p[SPEC_MAX - 1] == '}',
	      "a spec of exactly SPEC_MAX bytes is read");
	free((void *)doc.p);
	if (write_spec(SPEC_MAX + 1) < 0)
		abort();
	CHECK(spec_read(top, &doc) == -EFBIG && doc.n == 0, "one byte more: -EFBIG, nothing read");
	snprintf(p, sizeof(p), "%s/config.json", top);
	unlink(p);
	rmdir(top);
	return tap_done();
}
