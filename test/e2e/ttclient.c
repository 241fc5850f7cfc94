/* SPDX-License-Identifier: MIT */
/*
 * ttclient: a small ttrpc client that feeds good and bad input to a live shim socket.
 * Uses only the header API of wire/pb.h and wire/ttrpc.h (plus libc).
 *
 * usage: ttclient SOCKET MODE [ARGS]
 *   SOCKET is a path or a unix:// address. Modes:
 *   garbage              one well-framed Request whose payload is not protobuf (expect code 3)
 *   noise                unframed bytes ("this is not ttrpc..."), then close
 *   oversize             header announcing 5 MiB, then the 5 MiB (expect code 8 or closed)
 *   unknown-method       containerd.task.v2.Task/Nope (expect code 12)
 *   unknown-service      nope.v1.Nope/Nope (expect code 12)
 *   truncated            header announcing 100 bytes, 10 bytes, a short wait, then close
 *   midheader            5 bytes of a header, then close
 *   even-stream          a State request on stream id 2 (expect code 3 or closed)
 *   bad-payload ID       containerd.task.v2.Task/State with a payload that does not decode
 *   call SERVICE METHOD HEXPAYLOAD
 *   state ID             containerd.task.v2.Task/State{id}, decoded
 *   repeat N ID          N State calls on one connection, each answered in turn
 *   partial-big SECS     a header announcing 4 MiB and 4 MiB - 1 bytes of it; then waits SECS
 *                        for an answer (a refusal: code=8) and prints it, or "noreply"
 *   pipeline N SECS ID   up to N State requests sent without reading a reply, until the shim
 *                        stops taking them for 1 s ("sent=K"); held SECS, then closed
 *   halfclose-wait ID EXECID  Wait{ID, EXECID}, then shutdown(SHUT_WR); prints the reply
 *                        ("code=0 exit_status=S") however long it takes (TTCLIENT_TIMEOUT)
 *   halfclose-gone ID EXECID  Wait{ID, EXECID}, shutdown(SHUT_WR), 1 s for the shim to read
 *                        the end, then close ("sent")
 *   wait ID EXECID       Wait{ID, EXECID} on an open connection; prints "code=0 exit_status=S"
 *   wait-close N ID      N connections in turn, each sending Wait{ID} and closing ("sent=K
 *                        refused=R": R were closed by the shim before taking the Wait)
 *   hold N SECS          N more connections held open SECS ("opened=K": those that connected)
 *   slow MS ID           State{ID} sent one byte every MS milliseconds, then read as "state"
 * Prints one line: "code=N msg=TEXT" (error response), "code=0 payload=HEX" (call),
 * "code=0 status=S pid=P exit_status=E" (state), "closed" (EOF or reset before a whole
 * response), "noreply" (nothing within the wait), or "sent" (modes that only send).
 * Exit status: 0 when a result line was printed, 1 connection or I/O error, 2 usage,
 * 3 overall timeout (TTCLIENT_TIMEOUT seconds, default 15). TTCLIENT_NS, if set, is sent as the
 * containerd-namespace-ttrpc metadata; TTCLIENT_TRACEPARENT, if set, as a W3C traceparent (as
 * containerd 2.x's OpenTelemetry interceptor sends it). TTCLIENT_SERVICE names the task service
 * of the modes above (default containerd.task.v2.Task; 2.x's reference serves only v3).
 */
#include "wire/pb.h"
#include "wire/ttrpc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TASK_SVC task_service()

static const char *task_service(void)
{
	const char *s = getenv("TTCLIENT_SERVICE");
	return s && *s ? s : "containerd.task.v2.Task";
}

static uint8_t rbuf[TT_MAX_MSG + TT_HDR_LEN];
static uint8_t wbuf[1 << 16];

static void on_alarm(int sig)
{
	static const char m[] = "timeout\n";
	(void)sig;
	if (write(1, m, sizeof(m) - 1) < 0) {
		/* nothing to do */
	}
	_exit(3);
}

static int dial(const char *addr)
{
	struct sockaddr_un sa;
	int fd;

	if (strncmp(addr, "unix://", 7) == 0)
		addr += 7;
	if (strlen(addr) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ttclient: socket path too long\n");
		exit(1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		printf("error connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* Writes all of p; 0, or -1 when the peer is gone (EPIPE/ECONNRESET). */
static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads exactly n bytes: 1, 0 at EOF/reset (even mid-way), -1 after wait_ms without data. */
static int recv_all(int fd, uint8_t *p, size_t n, int wait_ms)
{
	while (n > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int r = poll(&pfd, 1, wait_ms);
		ssize_t k;
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

static void send_frame(int fd, uint32_t stream, uint8_t type, const void *payload, size_t n)
{
	struct tt_hdr h = { (uint32_t)n, stream, type, 0 };
	uint8_t hb[TT_HDR_LEN];
	tt_hdr_encode(hb, &h);
	if (send_all(fd, hb, sizeof(hb)) < 0 || send_all(fd, payload, n) < 0) {
		printf("closed\n");
		exit(0);
	}
}

static void send_request(int fd, uint32_t stream, const char *svc, const char *method,
                         const void *payload, size_t n)
{
	struct pb_w w = pb_w_init(wbuf, sizeof(wbuf));
	struct tt_kv kv[2];
	size_t nkv = 0;
	if (getenv("TTCLIENT_NS"))
		kv[nkv++] = (struct tt_kv){ "containerd-namespace-ttrpc", getenv("TTCLIENT_NS") };
	if (getenv("TTCLIENT_TRACEPARENT"))
		kv[nkv++] = (struct tt_kv){ "traceparent", getenv("TTCLIENT_TRACEPARENT") };
	tt_req_encode(&w, svc, method, payload, n, 0, kv, nkv);
	if (w.err) {
		fprintf(stderr, "ttclient: request too large\n");
		exit(2);
	}
	send_frame(fd, stream, TT_REQUEST, w.buf, w.len);
}

static void print_hex(struct pb_str s)
{
	for (size_t i = 0; i < s.n; i++)
		printf("%02x", s.p[i]);
}

static void print_msg(struct pb_str s)
{
	for (size_t i = 0; i < s.n; i++)
		putchar(s.p[i] == '\n' ? ' ' : s.p[i]);
}

/*
 * Reads one Response frame into rbuf. Returns 1 with *resp filled, 0 after printing "closed" or
 * "noreply". Frames of other types are skipped.
 */
static int read_response(int fd, struct tt_resp *resp, int wait_ms)
{
	for (;;) {
		struct tt_hdr h;
		int r = recv_all(fd, rbuf, TT_HDR_LEN, wait_ms);
		if (r <= 0) {
			printf(r == 0 ? "closed\n" : "noreply\n");
			return 0;
		}
		tt_hdr_decode(rbuf, &h);
		if (h.len > TT_MAX_MSG) {
			printf("badframe len=%u\n", (unsigned)h.len);
			exit(1);
		}
		r = recv_all(fd, rbuf + TT_HDR_LEN, h.len, wait_ms);
		if (r <= 0) {
			printf(r == 0 ? "closed\n" : "noreply\n");
			return 0;
		}
		if (h.type != TT_RESPONSE)
			continue;
		if (tt_resp_decode(rbuf + TT_HDR_LEN, h.len, resp) < 0) {
			printf("badresponse stream=%u\n", (unsigned)h.stream);
			exit(1);
		}
		return 1;
	}
}

/* Prints "code=N msg=..." for an error, else calls ok(resp). */
static int report(int fd, int wait_ms, void (*ok)(const struct tt_resp *))
{
	struct tt_resp resp;
	if (!read_response(fd, &resp, wait_ms))
		return 0;
	if (resp.code != 0 || ok == NULL) {
		printf("code=%d msg=", (int)resp.code);
		print_msg(resp.message);
		putchar('\n');
		return 0;
	}
	ok(&resp);
	return 0;
}

static void ok_payload(const struct tt_resp *resp)
{
	printf("code=0 payload=");
	print_hex(resp->payload);
	putchar('\n');
}

/* StateResponse: pid=3, status=4, exit_status=9. */
static void ok_state(const struct tt_resp *resp)
{
	struct pb_r r = pb_r_of(resp->payload);
	struct pb_field f;
	uint64_t pid = 0, status = 0, exit_status = 0;
	int e;
	while ((e = pb_next(&r, &f)) > 0) {
		if (f.type != PB_VARINT)
			continue;
		if (f.num == 3)
			pid = f.u;
		else if (f.num == 4)
			status = f.u;
		else if (f.num == 9)
			exit_status = f.u;
	}
	if (e < 0) {
		printf("badpayload\n");
		return;
	}
	printf("code=0 status=%llu pid=%llu exit_status=%llu\n", (unsigned long long)status,
	       (unsigned long long)pid, (unsigned long long)exit_status);
}

static size_t id_request(uint8_t *buf, size_t cap, const char *id)
{
	struct pb_w w = pb_w_init(buf, cap);
	pb_put_cstr(&w, 1, id);
	if (w.err) {
		fprintf(stderr, "ttclient: id too long\n");
		exit(2);
	}
	return w.len;
}

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* Sends a 5 MiB frame while watching for an early answer; then reports. */
static int oversize(int fd)
{
	const uint32_t len = 5u << 20;
	struct tt_hdr h = { len, 1, TT_REQUEST, 0 };
	uint8_t hb[TT_HDR_LEN];
	size_t sent = 0;
	static uint8_t zeros[1 << 16];

	tt_hdr_encode(hb, &h);
	if (send_all(fd, hb, sizeof(hb)) < 0)
		return report(fd, 5000, NULL);
	while (sent < len) {
		struct pollfd pfd[1] = { { fd, POLLIN | POLLOUT, 0 } };
		size_t chunk = len - sent < sizeof(zeros) ? len - sent : sizeof(zeros);
		ssize_t k;
		if (poll(pfd, 1, 5000) <= 0)
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			break; /* an early answer, or the server closed */
		k = send(fd, zeros, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k < 0)
			break;
		sent += (size_t)k;
	}
	return report(fd, 5000, NULL);
}

/* WaitResponse: exit_status=1. */
static void ok_wait(const struct tt_resp *resp)
{
	struct pb_r r = pb_r_of(resp->payload);
	struct pb_field f;
	uint64_t st = 0;
	while (pb_next(&r, &f) > 0)
		if (f.type == PB_VARINT && f.num == 1)
			st = f.u;
	printf("code=0 exit_status=%llu\n", (unsigned long long)st);
}

static size_t wait_request(uint8_t *buf, size_t cap, const char *id, const char *exec_id)
{
	struct pb_w w = pb_w_init(buf, cap);
	pb_put_cstr(&w, 1, id);
	if (exec_id && *exec_id)
		pb_put_cstr(&w, 2, exec_id);
	return w.err ? 0 : w.len;
}

static void usage(void)
{
	fprintf(stderr, "usage: ttclient SOCKET garbage|noise|oversize|unknown-method|"
	                "unknown-service|truncated|midheader|even-stream|bad-payload ID|"
	                "call SERVICE METHOD HEX|state ID|repeat N ID|partial-big SECS|"
	                "pipeline N SECS ID|halfclose-wait ID EXECID|wait-close N ID|hold N SECS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	const char *t = getenv("TTCLIENT_TIMEOUT");
	uint8_t p[4096];
	int fd;

	if (argc < 3)
		usage();
	mode = argv[2];
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(t ? (unsigned)atoi(t) : 15);
	fd = dial(argv[1]);

	if (strcmp(mode, "garbage") == 0) {
		/* Field 15 with wire type 7: no protobuf decoder accepts this. */
		memset(p, 0xff, 16);
		send_frame(fd, 1, TT_REQUEST, p, 16);
		return report(fd, 5000, NULL);
	}
	if (strcmp(mode, "noise") == 0) {
		static const char noise[] = "this is not ttrpc\r\n\r\n\x01\x02\x03 garbage garbage";
		if (send_all(fd, noise, sizeof(noise) - 1) < 0) {
			printf("closed\n");
			return 0;
		}
		printf("sent\n");
		return 0;
	}
	if (strcmp(mode, "oversize") == 0)
		return oversize(fd);
	if (strcmp(mode, "unknown-method") == 0) {
		send_request(fd, 1, TASK_SVC, "Nope", NULL, 0);
		return report(fd, 5000, NULL);
	}
	if (strcmp(mode, "unknown-service") == 0) {
		send_request(fd, 1, "nope.v1.Nope", "Nope", NULL, 0);
		return report(fd, 5000, NULL);
	}
	if (strcmp(mode, "truncated") == 0) {
		struct tt_hdr h = { 100, 1, TT_REQUEST, 0 };
		struct tt_resp resp;
		tt_hdr_encode(p, &h);
		memset(p + TT_HDR_LEN, 0x0a, 10);
		if (send_all(fd, p, TT_HDR_LEN + 10) < 0) {
			printf("closed\n");
			return 0;
		}
		/* The server must wait for the rest: any answer now is a bug, report it. */
		if (read_response(fd, &resp, 500))
			printf("code=%d unexpected answer to half a frame\n", (int)resp.code);
		return 0;
	}
	if (strcmp(mode, "midheader") == 0) {
		static const uint8_t half[5] = { 0, 0, 0, 20, 0 };
		printf(send_all(fd, half, sizeof(half)) < 0 ? "closed\n" : "sent\n");
		return 0;
	}
	if (strcmp(mode, "even-stream") == 0) {
		size_t n = id_request(p, sizeof(p), "x");
		send_request(fd, 2, TASK_SVC, "State", p, n);
		return report(fd, 5000, NULL);
	}
	if (strcmp(mode, "bad-payload") == 0 && argc == 4) {
		/* A string field (1) whose length runs past the end of the message. */
		static const uint8_t bad[] = { 0x0a, 0x7f, 'x' };
		send_request(fd, 1, TASK_SVC, "State", bad, sizeof(bad));
		return report(fd, 5000, NULL);
	}
	if (strcmp(mode, "call") == 0 && argc == 6) {
		static uint8_t payload[sizeof(wbuf) / 2];
		int n = unhex(argv[5], payload, sizeof(payload));
		if (n < 0)
			usage();
		send_request(fd, 1, argv[3], argv[4], payload, (size_t)n);
		return report(fd, 10000, ok_payload);
	}
	if (strcmp(mode, "state") == 0 && argc == 4) {
		size_t n = id_request(p, sizeof(p), argv[3]);
		send_request(fd, 1, TASK_SVC, "State", p, n);
		return report(fd, 10000, ok_state);
	}
	if (strcmp(mode, "repeat") == 0 && argc == 5) {
		long count = atol(argv[3]);
		size_t n = id_request(p, sizeof(p), argv[4]);
		for (long i = 0; i < count; i++) {
			struct tt_resp resp;
			send_request(fd, (uint32_t)(2 * i + 1), TASK_SVC, "State", p, n);
			if (!read_response(fd, &resp, 10000))
				return 0;
			if (resp.code != 0) {
				printf("code=%d msg=", (int)resp.code);
				print_msg(resp.message);
				printf(" (call %ld)\n", i + 1);
				return 0;
			}
		}
		printf("code=0 answered=%ld\n", count);
		return 0;
	}
	if (strcmp(mode, "partial-big") == 0 && argc == 4) {
		static uint8_t big[TT_MAX_MSG];
		struct tt_hdr h = { TT_MAX_MSG, 1, TT_REQUEST, 0 };
		tt_hdr_encode(p, &h);
		memset(big, 0x0a, sizeof(big));
		if (send_all(fd, p, TT_HDR_LEN) < 0 || send_all(fd, big, sizeof(big) - 1) < 0) {
			printf("closed\n");
			return 0;
		}
		return report(fd, atoi(argv[3]) * 1000, NULL);
	}
	if (strcmp(mode, "pipeline") == 0 && argc == 6) {
		long count = atol(argv[3]), sent = 0;
		size_t n = id_request(p, sizeof(p), argv[5]);
		struct pb_w w = pb_w_init(wbuf, sizeof(wbuf));
		tt_req_encode(&w, TASK_SVC, "State", p, n, 0, NULL, 0);
		static uint8_t frame[TT_HDR_LEN + 4096];
		memcpy(frame + TT_HDR_LEN, wbuf, w.len);
		for (; sent < count; sent++) {
			struct tt_hdr h = { (uint32_t)w.len, (uint32_t)(2 * sent + 1), TT_REQUEST, 0 };
			struct pollfd pfd = { fd, POLLOUT, 0 };
			tt_hdr_encode(frame, &h);
			if (poll(&pfd, 1, 1000) != 1 || send_all(fd, frame, TT_HDR_LEN + w.len) < 0)
				break; /* the shim stopped reading (a frame may be cut: it waits) */
		}
		printf("sent=%ld\n", sent);
		fflush(stdout);
		sleep((unsigned)atoi(argv[4]));
		return 0;
	}
	if ((strcmp(mode, "halfclose-wait") == 0 || strcmp(mode, "wait") == 0) && argc == 5) {
		size_t n = wait_request(p, sizeof(p), argv[3], argv[4]);
		send_request(fd, 1, TASK_SVC, "Wait", p, n);
		if (mode[0] == 'h')
			shutdown(fd, SHUT_WR);
		return report(fd, 3600 * 1000, ok_wait);
	}
	if (strcmp(mode, "halfclose-gone") == 0 && argc == 5) {
		size_t n = wait_request(p, sizeof(p), argv[3], argv[4]);
		send_request(fd, 1, TASK_SVC, "Wait", p, n);
		shutdown(fd, SHUT_WR);
		sleep(1);
		close(fd);
		printf("sent\n");
		return 0;
	}
	if (strcmp(mode, "wait-close") == 0 && argc == 5) {
		long count = atol(argv[3]), refused = 0;
		size_t n = wait_request(p, sizeof(p), argv[4], NULL);
		struct pb_w w = pb_w_init(wbuf, sizeof(wbuf));
		struct tt_kv kv = { "containerd-namespace-ttrpc", getenv("TTCLIENT_NS") };
		tt_req_encode(&w, TASK_SVC, "Wait", p, n, 0, &kv, kv.value ? 1 : 0);
		static uint8_t frame[TT_HDR_LEN + 4096];
		struct tt_hdr h = { (uint32_t)w.len, 1, TT_REQUEST, 0 };
		tt_hdr_encode(frame, &h);
		memcpy(frame + TT_HDR_LEN, wbuf, w.len);
		close(fd);
		for (long i = 0; i < count; i++) {
			int c = dial(argv[1]);
			if (send_all(c, frame, TT_HDR_LEN + w.len) < 0)
				refused++;
			close(c);
		}
		printf("sent=%ld refused=%ld\n", count - refused, refused);
		return 0;
	}
	if (strcmp(mode, "slow") == 0 && argc == 5) {
		size_t n = id_request(p, sizeof(p), argv[4]);
		struct pb_w w = pb_w_init(wbuf, sizeof(wbuf));
		struct tt_kv kv = { "containerd-namespace-ttrpc", getenv("TTCLIENT_NS") };
		tt_req_encode(&w, TASK_SVC, "State", p, n, 0, &kv, kv.value ? 1 : 0);
		static uint8_t frame[TT_HDR_LEN + 4096];
		struct tt_hdr h = { (uint32_t)w.len, 1, TT_REQUEST, 0 };
		tt_hdr_encode(frame, &h);
		memcpy(frame + TT_HDR_LEN, wbuf, w.len);
		for (size_t i = 0; i < TT_HDR_LEN + w.len; i++) {
			if (send_all(fd, frame + i, 1) < 0) {
				printf("closed\n");
				return 0;
			}
			usleep((useconds_t)atoi(argv[3]) * 1000);
		}
		return report(fd, 10000, ok_state);
	}
	if (strcmp(mode, "hold") == 0 && argc == 5) {
		long count = atol(argv[3]), opened = 0;
		for (long i = 0; i < count; i++) {
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			const char *path = strncmp(argv[1], "unix://", 7) == 0 ? argv[1] + 7 : argv[1];
			int c = socket(AF_UNIX, SOCK_STREAM, 0);
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
			if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				opened++;
		}
		printf("opened=%ld\n", opened);
		fflush(stdout);
		sleep((unsigned)atoi(argv[4]));
		return 0;
	}
	usage();
	return 2;
}
