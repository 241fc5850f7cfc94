/* SPDX-License-Identifier: MIT */
/*
 * core/client: the blocking ttrpc client against a fake server on the other end of a socketpair
 * (answers are queued in the socket before the call; the request is checked after it), and
 * ttc_connect against real, refused and missing socket paths.
 */
#include "core/client.h"
#include "core/sys.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static uint8_t big[TT_MAX_MSG + 1];

/* Writes one frame to fd. */
static void frame(int fd, uint32_t stream, uint8_t type, const void *p, size_t n)
{
	uint8_t h[TT_HDR_LEN];
	struct tt_hdr hd = { .len = (uint32_t)n, .stream = stream, .type = type };
	tt_hdr_encode(h, &hd);
	if (sys_write_all(fd, h, sizeof(h)) < 0 || sys_write_all(fd, p, n) < 0)
		CHECK(0, "fake server write");
}

static void respond(int fd, uint32_t stream, int code, const char *msg, const char *payload)
{
	uint8_t b[1024];
	struct pb_w w = pb_w_init(b, sizeof(b));
	tt_resp_encode(&w, code, msg, payload, payload ? strlen(payload) : 0);
	frame(fd, stream, TT_RESPONSE, b, w.len);
}

/* Reads one request frame from fd into req (payload kept in buf). Returns the stream id. */
static uint32_t read_request(int fd, uint8_t *buf, size_t cap, struct tt_req *req)
{
	uint8_t h[TT_HDR_LEN];
	struct tt_hdr hd;
	if (read(fd, h, sizeof(h)) != sizeof(h))
		return 0;
	tt_hdr_decode(h, &hd);
	if (hd.len > cap || read(fd, buf, hd.len) != (ssize_t)hd.len || hd.type != TT_REQUEST ||
	    tt_req_decode(buf, hd.len, req) < 0)
		return 0;
	return hd.stream;
}

struct call {
	int rc, code;
	uint8_t *payload;
	size_t len;
	char msg[64];
};

static void call(struct ttc *c, const char *payload, int timeout_ms, struct call *r)
{
	const struct tt_kv meta[] = { { TTC_META_NS, "ns1" } };
	r->rc = ttc_call(c, "svc.v1.S", "M", payload, payload ? strlen(payload) : 0, meta, 1,
	                 timeout_ms, &r->payload, &r->len, &r->code, r->msg, sizeof(r->msg));
}

static void pair(struct ttc *c, int *srv)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	ttc_init(c, sv[0]);
	*srv = sv[1];
}

static void test_calls(void)
{
	struct ttc c;
	struct call r;
	struct tt_req req;
	struct pb_str v;
	uint8_t buf[4096];
	int s;

	pair(&c, &s);
	respond(s, 1, 0, NULL, "hello");
	call(&c, "ping", 1000, &r);
	CHECK(r.rc == 0 && r.code == 0 && r.len == 5 && r.payload &&
	          memcmp(r.payload, "hello", 5) == 0,
	      "OK response: payload returned (rc %d code %d len %zu)", r.rc, r.code, r.len);
	free(r.payload);
	uint32_t st = read_request(s, buf, sizeof(buf), &req);
	CHECK(st == 1, "first request on stream 1 (%u)", st);
	CHECK(pb_str_eq(req.service, "svc.v1.S") && pb_str_eq(req.method, "M") &&
	          pb_str_eq(req.payload, "ping"),
	      "request carries service, method and payload");
	CHECK(tt_req_meta(&req, TTC_META_NS, &v) == 1 && pb_str_eq(v, "ns1"),
	      "namespace metadata sent");
	CHECK(req.timeout_nano == 1000000000LL, "timeout_nano is the call's timeout (%lld)",
	      (long long)req.timeout_nano);

	/* A late answer to another stream and a Data frame come first: both are dropped. */
	respond(s, 1, 0, NULL, "stale");
	frame(s, 3, TT_DATA, "x", 1);
	respond(s, 3, TT_NOT_FOUND, "container c9: not found", NULL);
	call(&c, NULL, 1000, &r);
	CHECK(r.rc == 0 && r.code == TT_NOT_FOUND &&
	          strcmp(r.msg, "container c9: not found") == 0 && r.payload == NULL,
	      "error status: code %d, message \"%s\", no payload", r.code, r.msg);
	st = read_request(s, buf, sizeof(buf), &req);
	CHECK(st == 3 && req.payload.n == 0, "second request on stream 3 with an empty payload");

	respond(s, 5, 0, NULL, NULL);
	call(&c, "x", -1, &r);
	CHECK(r.rc == 0 && r.code == 0 && r.payload == NULL && r.len == 0,
	      "OK with an empty payload (Empty)");
	st = read_request(s, buf, sizeof(buf), &req);
	CHECK(st == 5 && req.timeout_nano == 0, "third request on stream 5, no timeout sent");

	/* Silence: the deadline holds. */
	uint64_t t0 = sys_mono_ms();
	call(&c, "x", 200, &r);
	uint64_t dt = sys_mono_ms() - t0;
	CHECK(r.rc == -ETIMEDOUT && dt >= 190 && dt < 1000, "no answer: -ETIMEDOUT after %llu ms",
	      (unsigned long long)dt);
	ttc_close(&c);
	close(s);

	/* Half a response, then EOF. */
	pair(&c, &s);
	uint8_t h[TT_HDR_LEN];
	struct tt_hdr hd = { .len = 100, .stream = 1, .type = TT_RESPONSE };
	tt_hdr_encode(h, &hd);
	if (write(s, h, sizeof(h)) < 0 || write(s, "abc", 3) < 0 || shutdown(s, SHUT_WR) < 0)
		CHECK(0, "fake server write");
	call(&c, "x", 1000, &r);
	CHECK(r.rc == -ECONNRESET, "closed inside a response: -ECONNRESET (%d)", r.rc);
	ttc_close(&c);
	close(s);

	/* A response announced over 4 MiB is refused before it is read. */
	pair(&c, &s);
	hd.len = TT_MAX_MSG + 1;
	tt_hdr_encode(h, &hd);
	if (write(s, h, sizeof(h)) < 0)
		CHECK(0, "fake server write");
	call(&c, "x", 1000, &r);
	CHECK(r.rc == -EMSGSIZE, "oversize response: -EMSGSIZE (%d)", r.rc);
	ttc_close(&c);
	close(s);

	/* A Response that does not decode. */
	pair(&c, &s);
	frame(s, 1, TT_RESPONSE,
	      "\x0a\x05"
	      "ab",
	      4);
	call(&c, "x", 1000, &r);
	CHECK(r.rc == -EPROTO, "undecodable Response: -EPROTO (%d)", r.rc);
	ttc_close(&c);
	close(s);

	/* A request over 4 MiB is refused before anything is sent. */
	pair(&c, &s);
	int code;
	uint8_t *pl;
	size_t len;
	int rc = ttc_call(&c, "s", "m", big, sizeof(big), NULL, 0, 1000, &pl, &len, &code, NULL, 0);
	CHECK(rc == -EMSGSIZE, "oversize request: -EMSGSIZE (%d)", rc);
	if (sys_set_nonblock(s, 1) < 0)
		abort();
	CHECK(read(s, buf, 1) < 0 && errno == EAGAIN, "nothing was sent");
	ttc_close(&c);
	close(s);

	/* The peer is gone before the request. */
	pair(&c, &s);
	close(s);
	call(&c, "x", 1000, &r);
	CHECK(r.rc == -EPIPE || r.rc == -ECONNRESET, "peer gone: %d, no SIGPIPE", r.rc);
	ttc_close(&c);
}

static void test_connect(void)
{
	char dir[] = "/tmp/m_client.XXXXXX", path[64], uri[96];
	struct ttc c;
	int e;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/s", dir);
	e = ttc_connect(&c, path, 100);
	CHECK(e == -ENOENT, "no socket: -ENOENT (%d)", e);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	e = ttc_connect(&c, path, 100);
	CHECK(e == -ECONNREFUSED, "bound, not listening: -ECONNREFUSED (%d)", e);
	if (listen(l, 4) < 0)
		abort();
	snprintf(uri, sizeof(uri), "unix://%s", path);
	e = ttc_connect(&c, uri, 100);
	CHECK(e == 0 && c.fd >= 0 && c.next_stream == 1, "unix:// address connects (%d)", e);
	ttc_close(&c);
	CHECK(c.fd == -1, "ttc_close resets the fd");
	e = ttc_connect(&c, path, 100);
	CHECK(e == 0, "plain path connects (%d)", e);
	ttc_close(&c);
	close(l);
	unlink(path);
	rmdir(dir);

	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	CHECK(ttc_connect(&c, longp, 100) == -ENAMETOOLONG, "path over sun_path: -ENAMETOOLONG");
}

int main(void)
{
	test_calls();
	test_connect();
	CHECK(strcmp(ttc_code_name(12), "UNIMPLEMENTED") == 0 &&
	          strcmp(ttc_code_name(0), "OK") == 0 &&
	          strcmp(ttc_code_name(16), "UNAUTHENTICATED") == 0 &&
	          strcmp(ttc_code_name(17), "UNKNOWN_CODE") == 0 &&
	          strcmp(ttc_code_name(-1), "UNKNOWN_CODE") == 0,
	      "status code names");
	return tap_done();
}
