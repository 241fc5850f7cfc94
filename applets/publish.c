/* SPDX-License-Identifier: MIT */
/* shim-publish: not built yet; it says so instead of pretending. */
#include "applets.h"

#include <stdio.h>

int shim_publish_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shim-publish: not implemented yet in shimbox %s\n", shimbox_version);
	return 1;
}
