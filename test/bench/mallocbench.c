/* SPDX-License-Identifier: MIT */
/*
 * mallocbench: what one malloc/free pair costs in the shim's allocator (musl's, linked static
 * as the shim is), for the arena decision of scripts/alloc-count. Allocates and frees sizes the
 * shim's request path uses (a request payload, a reply, a queued frame), 10^6 rounds, best of 5.
 * Prints "malloc+free pair: X ns".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
	static const size_t sizes[3] = { 96, 512, 300 };
	double best = 1e30;
	for (int round = 0; round < 5; round++) {
		struct timespec a, b;
		void *p[3];
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 1000000; i++) {
			for (int k = 0; k < 3; k++) {
				p[k] = malloc(sizes[k]);
				if (!p[k])
					return 1;
				*(volatile char *)p[k] = 0;
			}
			for (int k = 0; k < 3; k++)
				free(p[k]);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 3e6;
		if (ns < best)
			best = ns;
	}
	printf("malloc+free pair: %.0f ns\n", best);
	return 0;
}
