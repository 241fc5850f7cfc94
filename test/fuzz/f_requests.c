/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes every wire/ decoder: the first byte picks one (targets.h), the rest is its input. With
 * FZ_SELECT=K1,K2,... in the environment, the first byte picks among those decoders only, so
 * that `scripts/fuzz --runs N` can give one decoder (or one group) N executions of its own.
 */
#include "targets.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int selected[FZ_COUNT], nselected;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s = getenv("FZ_SELECT");
	(void)argc;
	(void)argv;
	while (s && *s && nselected < FZ_COUNT) {
		char *end;
		long k = strtol(s, &end, 10);
		if (end == s || k < 0 || k >= FZ_COUNT)
			abort(); /* a typo must not fuzz the wrong decoders quietly */
		selected[nselected++] = (int)k;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int k = nselected ? selected[data[0] % nselected] : data[0] % FZ_COUNT;
	/* data + 1 ends where libFuzzer's exact-size buffer ends, so overreads are caught. */
	(void)fz_run(&fz_targets[k], data + 1, size - 1);
	return 0;
}
