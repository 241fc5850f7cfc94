/* SPDX-License-Identifier: MIT */
/* Log lines in logrus' text format, which containerd copies from the log FIFO into its own log. */
#include "log.h"

#include "sys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Writes one logrus-style line with msg escaped as logrus does (\" and \\; newlines as \n). */
static void log_line(const char *level, const char *msg, size_t len)
{
	char stack[2048], head[96];
	int64_t s;
	int32_t ns;
	struct tm tm;

	sys_now(&s, &ns);
	time_t t = (time_t)s;
	gmtime_r(&t, &tm);
	int hn = snprintf(head, sizeof(head),
	                  "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%09dZ\" level=%s msg=\"",
	                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                  tm.tm_sec, (int)ns, level);
	const char tail[] = "\" runtime=shimbox\n";
	size_t cap = (size_t)hn + 2 * len + sizeof(tail);
	char *line = cap <= sizeof(stack) ? stack : malloc(cap);
	if (!line || hn < 0)
		return;
	size_t n = (size_t)hn;
	memcpy(line, head, n);
	for (size_t i = 0; i < len; i++) {
		char c = msg[i];
		if (c == '"' || c == '\\' || c == '\n') {
			line[n++] = '\\';
			c = c == '\n' ? 'n' : c;
		}
		line[n++] = c;
	}
	memcpy(line + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	/* Non-blocking fd: a full FIFO drops the line rather than stall the loop. */
	ssize_t w = sys_write(log_out, line, n);
	(void)w;
	if (line != stack)
		free(line);
}

void log_msg(const char *level, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (log_out < 0 || (!log_debug_on && strcmp(level, "debug") == 0))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_line(level, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

void log_text(const char *level, const char *text, size_t len)
{
	if (log_out >= 0)
		log_line(level, text, len);
}
