/* SPDX-License-Identifier: MIT */
/* The applets' blocking ttrpc client: every wait is a poll bounded by the call's deadline. */
#include "client.h"

#include "address.h"
#include "sys.h"
#include "wire/frame.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

/* Milliseconds left until deadline (0: none set), -1 for "no limit". */
static int left_ms(uint64_t deadline)
{
	if (!deadline)
		return -1;
	uint64_t now = sys_mono_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? 0 : sys_mono_ms() + (uint64_t)timeout_ms + (timeout_ms == 0);
}

/* Waits for events on fd until the deadline. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = left_ms(deadline);
		if (ms == 0)
			return -ETIMEDOUT;
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0; /* ready, or an error the next syscall reports */
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

void ttc_init(struct ttc *c, int fd)
{
	c->fd = fd;
	c->next_stream = 1;
	if (sys_set_nonblock(fd, 1) < 0) { /* then poll still bounds every wait but the syscalls */
	}
}

void ttc_close(struct ttc *c)
{
	sys_closep(&c->fd);
}

int ttc_connect(struct ttc *c, const char *addr, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = deadline_of(timeout_ms);
	int fd, e = 0;

	c->fd = -1;
	addr = address_socket_path(addr);
	if (!*addr || strlen(addr) >= sizeof(sa.sun_path))
		return *addr ? -ENAMETOOLONG : -EINVAL;
	memcpy(sa.sun_path, addr, strlen(addr));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* AF_UNIX connects at once or fails; EAGAIN (a full backlog) is worth retrying. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EISCONN) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && left_ms(deadline) != 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		e = errno == EAGAIN ? -ETIMEDOUT : -errno;
		break;
	}
	if (e < 0) {
		sys_close(fd);
		return e;
	}
	ttc_init(c, fd);
	return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && errno == EAGAIN) {
			int e = wait_fd(fd, POLLOUT, deadline);
			if (e < 0)
				return e;
		} else {
			return r < 0 ? -errno : -ECONNRESET;
		}
	}
	return 0;
}

/* Receives at most n bytes, waiting until the deadline: > 0, or -errno (-ECONNRESET at EOF). */
static ssize_t recv_some(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
	for (;;) {
		ssize_t r = recv(fd, p, n, 0);
		if (r > 0)
			return r;
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int e = wait_fd(fd, POLLIN, deadline);
		if (e < 0)
			return e;
	}
}

/*
 * Receives frames until the Response on stream, dropping frames of other types or streams
 * unread. 0 with *buf (malloc'd) holding its payload of *len bytes, or -errno: -EMSGSIZE (a
 * frame announcing over TT_MAX_MSG), -ENOMEM, or what recv_some returns.
 */
static int recv_response(int fd, uint32_t stream, uint64_t deadline, uint8_t **buf, size_t *len)
{
	struct tt_frame rd;
	uint8_t sink[1024];
	int ev = TT_FRAME_MORE;

	*buf = NULL;
	tt_frame_init(&rd);
	while (ev != TT_FRAME_DONE) {
		uint8_t *at;
		size_t want = tt_frame_want(&rd, sink, sizeof(sink), &at);
		ssize_t r = recv_some(fd, at, want, deadline);
		if (r < 0) {
			free(*buf);
			*buf = NULL;
			return (int)r;
		}
		ev = tt_frame_got(&rd, (size_t)r);
		if (ev != TT_FRAME_HEADER)
			continue;
		if (rd.h.len > TT_MAX_MSG)
			return -EMSGSIZE;
		if (rd.h.type != TT_RESPONSE || rd.h.stream != stream) {
			ev = tt_frame_discard(&rd); /* a late answer to an abandoned call */
			continue;
		}
		if (!(*buf = malloc(rd.h.len ? rd.h.len : 1)))
			return -ENOMEM;
		ev = tt_frame_accept(&rd, *buf);
	}
	*len = rd.h.len;
	return 0;
}

static int send_request(struct ttc *c, uint32_t stream, const char *service, const char *method,
                        const void *req, size_t reqlen, const struct tt_kv *meta, size_t nmeta,
                        int timeout_ms, uint64_t deadline)
{
	size_t cap = TT_HDR_LEN + reqlen + strlen(service) + strlen(method) + 64;
	for (size_t i = 0; i < nmeta; i++)
		cap += strlen(meta[i].key) + strlen(meta[i].value) + 24;
	if (reqlen > TT_MAX_MSG || cap - TT_HDR_LEN > TT_MAX_MSG + 4096)
		return -EMSGSIZE;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	struct pb_w w = pb_w_init(buf + TT_HDR_LEN, cap - TT_HDR_LEN);
	tt_req_encode(&w, service, method, req, reqlen,
	              timeout_ms > 0 ? (int64_t)timeout_ms * 1000000 : 0, meta, nmeta);
	int e = w.err ? -ENOBUFS : w.len > TT_MAX_MSG ? -EMSGSIZE : 0;
	if (e == 0) {
		struct tt_hdr h = { .len = (uint32_t)w.len, .stream = stream, .type = TT_REQUEST };
		tt_hdr_encode(buf, &h);
		e = send_all(c->fd, buf, TT_HDR_LEN + w.len, deadline);
	}
	free(buf);
	return e;
}

int ttc_call(struct ttc *c, const char *service, const char *method, const void *req, size_t reqlen,
             const struct tt_kv *meta, size_t nmeta, int timeout_ms, uint8_t **resp_payload,
             size_t *resp_len, int *code, char *msg, size_t msgcap)
{
	uint64_t deadline = deadline_of(timeout_ms);
	uint32_t stream = c->next_stream;
	int e;

	*resp_payload = NULL;
	*resp_len = 0;
	*code = TT_UNKNOWN;
	if (msgcap)
		msg[0] = 0;
	if (c->fd < 0)
		return -EBADF;
	c->next_stream += 2;
	e = send_request(c, stream, service, method, req, reqlen, meta, nmeta, timeout_ms,
	                 deadline);
	if (e < 0)
		return e;
	uint8_t *buf;
	size_t len;
	struct tt_resp r;
	if ((e = recv_response(c->fd, stream, deadline, &buf, &len)) < 0)
		return e;
	if (tt_resp_decode(buf, len, &r) < 0) {
		free(buf);
		return -EPROTO;
	}
	*code = r.code;
	if (msgcap)
		snprintf(msg, msgcap, "%.*s", (int)r.message.n, (const char *)r.message.p);
	if (r.code == TT_OK && r.payload.n) {
		memmove(buf, r.payload.p, r.payload.n);
		*resp_payload = buf;
		*resp_len = r.payload.n;
	} else {
		free(buf);
	}
	return 0;
}

const char *ttc_code_name(int code)
{
	static const char *const names[] = {
		"OK",
		"CANCELLED",
		"UNKNOWN",
		"INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED",
		"NOT_FOUND",
		"ALREADY_EXISTS",
		"PERMISSION_DENIED",
		"RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION",
		"ABORTED",
		"OUT_OF_RANGE",
		"UNIMPLEMENTED",
		"INTERNAL",
		"UNAVAILABLE",
		"DATA_LOSS",
		"UNAUTHENTICATED",
	};
	return code >= 0 && code < (int)ARRAY_LEN(names) ? names[code] : "UNKNOWN_CODE";
}
