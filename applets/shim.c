/* SPDX-License-Identifier: MIT */
#include "applets.h"

#include <stdio.h>

int shim_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shim: not implemented yet\n");
	return 1;
}
