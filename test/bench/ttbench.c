/* SPDX-License-Identifier: MIT */
/*
 * ttbench: times Task API calls on a shim's socket, with our own wire layer as the client
 * (the wire/ codecs, built with cc and glibc by scripts/bench). One connection, one call in flight at a time;
 * each call is timed with clock_gettime(CLOCK_MONOTONIC) from the first byte written to the last
 * byte of its Response read.
 *
 * usage: ttbench SOCKET state N ID [RAWFILE]
 *          N calls of State{id: ID} on the task service TTCLIENT_SERVICE (default
 *          containerd.task.v2.Task; 2.x's reference serves only containerd.task.v3.Task)
 *        ttbench SOCKET exec N ID [RAWFILE]
 *          N cycles of Exec (process `true`, no stdio) / Start / Wait / Delete on container ID;
 *          one cycle is timed as one sample
 * SOCKET is a path or a unix:// address. TTBENCH_NS, if set, is sent as the
 * containerd-namespace-ttrpc metadata. Prints one line:
 *   "calls=N p50_us=X p90_us=X p99_us=X max_us=X mean_us=X"
 * and, with RAWFILE, writes every sample in nanoseconds there, one per line, in call order.
 * Exit status: 0 if every call succeeded, 1 on an error response or I/O error (a message on
 * stderr names the call), 2 on usage.
 */
#include "wire/pb.h"
#include "wire/task.h"
#include "wire/ttrpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TASK_SVC task_service()

static const char *task_service(void)
{
	const char *s = getenv("TTCLIENT_SERVICE");
	return s && *s ? s : "containerd.task.v2.Task";
}
#define PROCESS_URL "types.containerd.io/opencontainers/runtime-spec/1/Process"

static uint8_t rbuf[TT_MAX_MSG + TT_HDR_LEN];
static uint8_t wbuf[1 << 16];
static uint8_t pbuf[1 << 14];
static uint32_t next_stream = 1;
static const char *ns;

static int dial(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strncmp(addr, "unix://", 7) == 0)
		addr += 7;
	if (strlen(addr) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ttbench: socket path too long\n");
		exit(2);
	}
	strcpy(sa.sun_path, addr);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "ttbench: connect %s: %s\n", addr, strerror(errno));
		exit(1);
	}
	return fd;
}

static void io_fail(const char *what)
{
	fprintf(stderr, "ttbench: %s: %s\n", what, errno ? strerror(errno) : "connection closed");
	exit(1);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			io_fail("write");
		p += k;
		n -= (size_t)k;
	}
}

static void read_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = 0;
			io_fail("read");
		}
		p += k;
		n -= (size_t)k;
	}
}

/* One unary call; returns the response payload (a slice of rbuf). Exits on any failure. */
static struct pb_str call(int fd, const char *method, const uint8_t *payload, size_t n)
{
	struct pb_w w = pb_w_init(wbuf + TT_HDR_LEN, sizeof(wbuf) - TT_HDR_LEN);
	struct tt_kv kv = { "containerd-namespace-ttrpc", ns };
	tt_req_encode(&w, TASK_SVC, method, payload, n, 0, &kv, ns ? 1 : 0);
	if (w.err) {
		fprintf(stderr, "ttbench: request too large\n");
		exit(2);
	}
	uint32_t stream = next_stream;
	next_stream += 2;
	struct tt_hdr h = { (uint32_t)w.len, stream, TT_REQUEST, 0 };
	tt_hdr_encode(wbuf, &h);
	write_all(fd, wbuf, TT_HDR_LEN + w.len);
	for (;;) {
		read_all(fd, rbuf, TT_HDR_LEN);
		tt_hdr_decode(rbuf, &h);
		if (h.len > TT_MAX_MSG) {
			fprintf(stderr, "ttbench: %s: frame of %u bytes\n", method, (unsigned)h.len);
			exit(1);
		}
		read_all(fd, rbuf + TT_HDR_LEN, h.len);
		if (h.type == TT_RESPONSE && h.stream == stream)
			break;
	}
	struct tt_resp resp;
	if (tt_resp_decode(rbuf + TT_HDR_LEN, h.len, &resp) < 0) {
		fprintf(stderr, "ttbench: %s: undecodable response\n", method);
		exit(1);
	}
	if (resp.code != 0) {
		fprintf(stderr, "ttbench: %s: code %d: %.*s\n", method, (int)resp.code,
			(int)resp.message.n, (const char *)resp.message.p);
		exit(1);
	}
	return resp.payload;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct_us(const long long *v, long n, double p)
{
	long k = (long)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1000.0;
}

static size_t proc_req(uint8_t *buf, size_t cap, const char *id, const char *exec_id)
{
	struct pb_w w = pb_w_init(buf, cap);
	struct tk_proc_req r = { pb_str_of(id, strlen(id)), pb_str_of(exec_id, strlen(exec_id)) };
	tk_proc_req_encode(&w, &r);
	if (w.err) {
		fprintf(stderr, "ttbench: id too long\n");
		exit(2);
	}
	return w.len;
}

/* One Exec/Start/Wait/Delete cycle of `true`; checks that it exited 0. */
static void exec_cycle(int fd, const char *id, long i)
{
	static const char spec[] = "{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
				   "\"args\":[\"true\"],\"env\":[\"PATH=/bin:/sbin\"],\"cwd\":\"/\"}";
	char exec_id[64];
	snprintf(exec_id, sizeof(exec_id), "ttbench-%d-%ld", (int)getpid(), i);
	struct tk_exec_req e = { 0 };
	e.id = pb_str_of(id, strlen(id));
	e.exec_id = pb_str_of(exec_id, strlen(exec_id));
	e.has_spec = 1;
	e.spec.type_url = pb_str_of(PROCESS_URL, sizeof(PROCESS_URL) - 1);
	e.spec.value = pb_str_of(spec, sizeof(spec) - 1);
	struct pb_w w = pb_w_init(pbuf, sizeof(pbuf));
	tk_exec_req_encode(&w, &e);
	call(fd, "Exec", pbuf, w.len);
	size_t n = proc_req(pbuf, sizeof(pbuf), id, exec_id);
	call(fd, "Start", pbuf, n);
	struct pb_str p = call(fd, "Wait", pbuf, n);
	struct tk_wait_resp wr;
	if (tk_wait_resp_decode(p.p, p.n, &wr) < 0 || wr.exit_status != 0) {
		fprintf(stderr, "ttbench: exec %s: exit status %u\n", exec_id, (unsigned)wr.exit_status);
		exit(1);
	}
	call(fd, "Delete", pbuf, n);
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6 || (strcmp(argv[2], "state") != 0 && strcmp(argv[2], "exec") != 0)) {
		fprintf(stderr, "usage: ttbench SOCKET state|exec N ID [RAWFILE]\n");
		return 2;
	}
	long n = atol(argv[3]);
	const char *id = argv[4];
	int is_exec = strcmp(argv[2], "exec") == 0;
	if (n < 1 || n > 10000000) {
		fprintf(stderr, "ttbench: N must be between 1 and 10000000\n");
		return 2;
	}
	ns = getenv("TTBENCH_NS");
	long long *v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return 1;
	int fd = dial(argv[1]);
	uint8_t req[512];
	size_t rn = proc_req(req, sizeof(req), id, "");
	for (long i = 0; i < n; i++) {
		long long t0 = now_ns();
		if (is_exec)
			exec_cycle(fd, id, i);
		else
			(void)call(fd, "State", req, rn);
		v[i] = now_ns() - t0;
	}
	close(fd);
	if (argc == 6) {
		FILE *f = fopen(argv[5], "w");
		if (!f) {
			fprintf(stderr, "ttbench: %s: %s\n", argv[5], strerror(errno));
			return 1;
		}
		for (long i = 0; i < n; i++)
			fprintf(f, "%lld\n", v[i]);
		if (fclose(f) != 0)
			return 1;
	}
	double sum = 0;
	for (long i = 0; i < n; i++)
		sum += (double)v[i];
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	printf("calls=%ld p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n", n,
	       pct_us(v, n, 50), pct_us(v, n, 90), pct_us(v, n, 99), (double)v[n - 1] / 1000.0,
	       sum / (double)n / 1000.0);
	return 0;
}
