/* SPDX-License-Identifier: MIT */
/* Multicall dispatch: basename(argv[0]) names the applet; `shimbox APPLET ...` also works. */
#include "applets.h"

#include <stdio.h>
#include <string.h>

#ifndef SHIMBOX_VERSION
#define SHIMBOX_VERSION "0.0.0-dev"
#endif
#ifndef SHIMBOX_REVISION
#define SHIMBOX_REVISION "unknown"
#endif
const char shimbox_version[] = SHIMBOX_VERSION;
const char shimbox_revision[] = SHIMBOX_REVISION;

struct applet {
	const char *name;
	const char *summary;
	int (*main)(int, char **);
};

static const struct applet applets[] = {
#define APPLET(c, name, summary) { name, summary, c##_main },
#include "applets.def"
#undef APPLET
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static const struct applet *find(const char *name)
{
	/* containerd resolves runtime io.containerd.NAME.vN to containerd-shim-NAME-vN; the v1
	 * runtime runs containerd-shim by default (the shim applet's v1 mode). */
	if (strncmp(name, "containerd-shim-", 16) == 0 || strcmp(name, "containerd-shim") == 0)
		name = "shim";
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static int usage(FILE *f)
{
	fprintf(f,
	        "shimbox %s: a containerd shim in one static binary\n\n"
	        "usage: shimbox APPLET [ARGS...]   or run through a link named after the applet\n"
	        "       shimbox --list | -v | --help\n\n"
	        "Any name starting with containerd-shim- runs 'shim'; containerd-shim runs it as\n"
	        "the legacy v1 shim. Applets:\n",
	        shimbox_version);
	for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
		fprintf(f, "  %-14s %s\n", applets[i].name, applets[i].summary);
	return f == stdout ? 0 : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 ? base_name(argv[0]) : "shimbox";
	const struct applet *a = find(self);

	if (a)
		return a->main(argc, argv);
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++)
			puts(applets[i].name);
		return 0;
	}
	if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-version") == 0) {
		printf("shimbox %s (%s)\n", shimbox_version, shimbox_revision);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	a = find(argv[1]);
	if (!a || strncmp(argv[1], "containerd-shim-", 16) == 0) {
		fprintf(stderr, "shimbox: unknown applet '%s' (try --list)\n", argv[1]);
		return EXIT_USAGE;
	}
	return a->main(argc - 1, argv + 1);
}
