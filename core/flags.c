/* SPDX-License-Identifier: MIT */
/* Go-style flag parsing for the applets (see flags.h). */
#include "flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_bool(const char *v, int *out)
{
	static const char *const t[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const f[] = { "0", "f", "F", "false", "FALSE", "False" };
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		if (strcmp(v, t[k]) == 0 || strcmp(v, f[k]) == 0) {
			*out = strcmp(v, t[k]) == 0;
			return 0;
		}
	}
	return -1;
}

static int parse_u32(const char *v, uint32_t *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int flags_parse(const struct flag *defs, size_t n, int argc, char **argv, int *i, struct err *err)
{
	for (; *i < argc; (*i)++) {
		const char *a = argv[*i];
		if (a[0] != '-' || a[1] == 0)
			return 0;
		if (strcmp(a, "--") == 0) {
			(*i)++;
			return 0;
		}
		a += a[1] == '-' ? 2 : 1;
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		if ((len == 1 && a[0] == 'h') || (len == 4 && strncmp(a, "help", 4) == 0))
			return FLAGS_HELP;
		const struct flag *d = NULL;
		for (size_t k = 0; k < n && !d; k++)
			if (strlen(defs[k].name) == len && strncmp(defs[k].name, a, len) == 0)
				d = &defs[k];
		if (!d || len == 0 || a[0] == '-') {
			err_msg(err, "flag provided but not defined: -%.*s", (int)len, a);
			return FLAGS_ERROR;
		}
		const char *v = eq ? eq + 1 : NULL;
		if (d->type == FLAG_BOOL) {
			if (!v) {
				*(int *)d->dst = 1;
				continue;
			}
			if (parse_bool(v, (int *)d->dst) == 0)
				continue;
			err_msg(err, "invalid boolean value \"%s\" for -%s", v, d->name);
			return FLAGS_ERROR;
		}
		if (!v) {
			if (*i + 1 >= argc) {
				err_msg(err, "flag needs an argument: -%s", d->name);
				return FLAGS_ERROR;
			}
			v = argv[++*i];
		}
		if (d->type == FLAG_STR) {
			*(const char **)d->dst = v;
		} else if (parse_u32(v, (uint32_t *)d->dst) < 0) {
			err_msg(err, "invalid value \"%s\" for flag -%s: %s", v, d->name,
			         "not a number from 0 to 4294967295");
			return FLAGS_ERROR;
		}
	}
	return 0;
}
