/* SPDX-License-Identifier: MIT */
/* Minimal TAP-style test helpers: `ok`/`not ok` lines and a final "N passed, N failed". */
#ifndef SHIMBOX_TAP_H
#define SHIMBOX_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_passed, tap_failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			tap_passed++;                                                              \
			printf("ok %d - ", tap_passed + tap_failed);                               \
		} else {                                                                           \
			tap_failed++;                                                              \
			printf("not ok %d - %s:%d: ", tap_passed + tap_failed, __FILE__,           \
			       __LINE__);                                                          \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

#define CHECK_MEM(a, an, b, bn, ...) CHECK((an) == (bn) && memcmp((a), (b), (an)) == 0, __VA_ARGS__)

static inline int tap_done(void)
{
	printf("%d passed, %d failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
