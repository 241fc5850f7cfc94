/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes wire/json: the input is a document as the shim reads config.json and options.json. Every
 * lookup the shim makes is tried on it, every array walked, every string unquoted into a buffer
 * of exactly its size, and what must hold for any input is checked: a value found lies inside
 * the document and json_skip accepts it whole; json_string never writes past cap.
 */
#include "wire/json.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct pb_str doc, struct pb_str v)
{
	if (v.n > doc.n || v.p < doc.p || v.p + v.n > doc.p + doc.n)
		__builtin_trap();
}

static void value(struct pb_str doc, struct pb_str v)
{
	char small[8];
	long long ll;
	inside(doc, v);
	if (json_skip(v) < 0)
		__builtin_trap(); /* a value json_get returned must be a whole value */
	char *big = malloc(v.n + 1);
	if (!big)
		abort();
	int n = json_string(v, big, v.n + 1);
	if (n >= 0 && (size_t)n > v.n)
		__builtin_trap(); /* unescaping never grows a string */
	(void)json_string(v, small, sizeof(small));
	(void)json_int(v, &ll);
	free(big);
	struct pb_str it = v, elem;
	for (int i = 0; i < 64 && json_array_next(&it, &elem) > 0; i++)
		inside(doc, elem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: reads past the document are caught by ASan. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	struct pb_str doc = pb_str_of(copy, size), v;
	static const char *const keys[] = { "annotations", "binary_name", "root", "systemd_cgroup",
		                            "process", "terminal", "linux", "io.containerd.runc.v2.group",
		                            "io.kubernetes.cri.sandbox-id" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_get(doc, keys[i], &v) == 1)
			value(doc, v);
	if (json_get_path(doc, &v, "linux", "namespaces", NULL) == 1)
		value(doc, v);
	if (json_get_path(doc, &v, "annotations", "io.kubernetes.cri.sandbox-id", NULL) == 1)
		value(doc, v);
	(void)json_skip(doc);
	free(copy);
	return 0;
}
