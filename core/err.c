/* SPDX-License-Identifier: MIT */
/* The error sentence of core/'s idiom (err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

void err_msg(struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}
