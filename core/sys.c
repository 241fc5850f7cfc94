/* SPDX-License-Identifier: MIT */
/* EINTR-safe wrappers: every interruptible call retries, every error comes back as -errno. */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t sys_read(int fd, void *buf, size_t n)
{
	ssize_t r;
	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t sys_write(int fd, const void *buf, size_t n)
{
	ssize_t r;
	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int sys_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t r = sys_write(fd, p, n);
		if (r < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int sys_open(const char *path, int flags, mode_t mode)
{
	int fd;
	do
		fd = open(path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

void sys_close(int fd)
{
	if (fd >= 0)
		close(fd); /* Linux releases the fd even on EINTR: never retry. */
}

void sys_closep(int *fd)
{
	sys_close(*fd);
	*fd = -1;
}

int sys_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

ssize_t sys_read_file(const char *path, char *buf, size_t cap)
{
	int fd = sys_open(path, O_RDONLY, 0);
	size_t len = 0;
	if (fd < 0)
		return fd;
	while (len + 1 < cap) {
		ssize_t r = sys_read(fd, buf + len, cap - 1 - len);
		if (r < 0) {
			sys_close(fd);
			return r;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	sys_close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}

int sys_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode)
{
	char tmp[1100];
	int fd, e;
	if ((e = sys_fmt(tmp, sizeof(tmp), "%s.tmp", path)) < 0)
		return e;
	unlink(tmp);
	fd = sys_open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return fd;
	e = sys_write_all(fd, buf, n);
	sys_close(fd);
	if (e == 0 && rename(tmp, path) < 0)
		e = -errno;
	if (e < 0)
		unlink(tmp);
	return e;
}

int sys_mkdir_p(const char *path, mode_t mode)
{
	char p[1100];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		char c = p[i];
		p[i] = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		p[i] = c;
	}
	return 0;
}

void sys_now(int64_t *seconds, int32_t *nanos)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*seconds = ts.tv_sec;
	*nanos = (int32_t)ts.tv_nsec;
}

uint64_t sys_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sys_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}
