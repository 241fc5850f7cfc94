/* SPDX-License-Identifier: MIT */
/* Fuzzes every wire/ decoder: the first byte picks one (targets.h), the rest is its input. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* data + 1 ends where libFuzzer's exact-size buffer ends, so overreads are caught. */
	(void)fz_run(&fz_targets[data[0] % FZ_COUNT], data + 1, size - 1);
	return 0;
}
