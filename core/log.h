/* SPDX-License-Identifier: MIT */
/* Logging to the bundle's `log` FIFO: text lines, never blocking, dropped when it would block. */
#ifndef SHIMBOX_CORE_LOG_H
#define SHIMBOX_CORE_LOG_H

#include <stddef.h>

/* Sets the fd logs go to (-1: nowhere) and whether debug lines are written. */
void log_set_fd(int fd, int debug);
int log_fd(void);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line of any length (log_msg truncates at 768 bytes). */
void log_text(const char *level, const char *text, size_t len);

#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warning", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)
#define log_debug(...) log_msg("debug", __VA_ARGS__)

#endif
