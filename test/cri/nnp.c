/* SPDX-License-Identifier: MIT
 * Stand-in for the e2e-test-images/nonewprivs image's program: installed setuid root, it prints
 * the effective uid it runs with, which is 0 unless the container has no_new_privs. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("Effective uid: %d\n", (int)geteuid());
	return 0;
}
