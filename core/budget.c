/* SPDX-License-Identifier: MIT */
/* The buffered-bytes budget (budget.h): two counters. */
#include "budget.h"

#include <errno.h>

static size_t used, peak;

int budget_take(size_t n)
{
	if (n > BUDGET_MAX - used)
		return -ENOBUFS;
	used += n;
	if (used > peak)
		peak = used;
	return 0;
}

void budget_give(size_t n)
{
	used = n > used ? 0 : used - n;
}

size_t budget_used(void)
{
	return used;
}

size_t budget_peak(void)
{
	return peak;
}
