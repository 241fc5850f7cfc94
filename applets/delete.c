/* SPDX-License-Identifier: MIT */
/* shim-delete: not built yet; it says so instead of pretending. */
#include "applets.h"

#include <stdio.h>

int shim_delete_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shim-delete: not implemented yet in shimbox %s\n", shimbox_version);
	return 1;
}
