/* SPDX-License-Identifier: MIT */
/* Log lines in logrus' text format, which containerd copies from the log FIFO into its own log. */
#include "log.h"

#include "sys.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int log_out = -1;
static int log_debug_on;

void log_set_fd(int fd, int debug)
{
	log_out = fd;
	log_debug_on = debug;
}

int log_fd(void)
{
	return log_out;
}

void log_msg(const char *level, const char *fmt, ...)
{
	char line[1024], msg[768];
	int64_t s;
	int32_t ns;
	struct tm tm;
	va_list ap;

	if (log_out < 0 || (!log_debug_on && strcmp(level, "debug") == 0))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\n')
			*p = *p == '"' ? '\'' : ' ';
	sys_now(&s, &ns);
	time_t t = (time_t)s;
	gmtime_r(&t, &tm);
	int n = snprintf(line, sizeof(line),
			 "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%09dZ\" level=%s msg=\"%s\" runtime=shimbox\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)ns, level, msg);
	if (n > 0) {
		/* Non-blocking fd: a full FIFO drops the line rather than stall the loop. */
		ssize_t w = sys_write(log_out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
	}
}
