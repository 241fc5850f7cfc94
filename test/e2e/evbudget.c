/* SPDX-License-Identifier: MIT */
/*
 * evbudget: the two ends test/e2e/15-event-budget.sh needs around a shim whose events go
 * nowhere. Uses only the header API of wire/ (plus libc); built by the test file itself.
 *
 * usage: evbudget blackhole PATH DIR
 *          listens on PATH, accepts every connection and never answers; reads what is sent and
 *          prints one line "frame LEN" per ttrpc frame header (LEN: payload bytes) as it
 *          arrives, and writes the payloads of the first 8 frames to DIR/frame-K. Runs until
 *          killed.
 *        evbudget create SOCKET ID BUNDLE ROOTFS PAD
 *          sends one CreateTaskRequest {id, bundle, rootfs: one Mount {type "bind", source
 *          ROOTFS, options "rbind", and PAD bytes of unknown field 15}} to the shim at SOCKET
 *          and prints "code=0 pid=N" or "code=N msg=TEXT".
 * TTCLIENT_NS (the namespace metadata) and TTCLIENT_SERVICE (default containerd.task.v2.Task)
 * as for ttclient. Exit status: 0 when a result line was printed, 1 on errors, 2 usage.
 */
#define _GNU_SOURCE /* accept4 */
#include "wire/pb.h"
#include "wire/ttrpc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 64

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Per connection: how many bytes of the current frame are still to come, and its header. */
struct peer {
	int fd;
	uint8_t hdr[TT_HDR_LEN];
	size_t hdr_got;
	size_t body_left;
	FILE *dump; /* where the current frame's payload goes, if anywhere */
};

static unsigned nframes;

static int blackhole(const char *path, const char *dir)
{
	struct sockaddr_un sa;
	struct pollfd pfd[MAX_CONNS + 1];
	struct peer peers[MAX_CONNS];
	static uint8_t buf[1 << 16];
	size_t np = 0;

	if (unix_addr(path, &sa) < 0)
		return 2;
	unlink(sa.sun_path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "evbudget: listen on %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (size_t i = 0; i < np; i++)
			pfd[i + 1] = (struct pollfd){ .fd = peers[i].fd, .events = POLLIN };
		if (poll(pfd, np + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && np < MAX_CONNS) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				peers[np] = (struct peer){ .fd = fd };
				np++;
				printf("accept\n");
			}
		}
		for (size_t i = 0; i < np; i++) {
			struct peer *p = &peers[i];
			if (!(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(p->fd, buf, sizeof(buf));
			if (r <= 0) { /* the peer closed (or failed): forget it */
				close(p->fd);
				if (p->dump)
					fclose(p->dump);
				peers[i] = peers[--np];
				pfd[i + 1] = pfd[np + 1];
				i--;
				continue;
			}
			for (size_t off = 0; off < (size_t)r;) {
				if (p->hdr_got < TT_HDR_LEN) {
					p->hdr[p->hdr_got++] = buf[off++];
					if (p->hdr_got == TT_HDR_LEN) {
						struct tt_hdr h;
						tt_hdr_decode(p->hdr, &h);
						p->body_left = h.len;
						printf("frame %u\n", (unsigned)h.len);
						if (nframes < 8) {
							char fn[4096];
							snprintf(fn, sizeof(fn), "%s/frame-%u", dir,
							         nframes);
							p->dump = fopen(fn, "w");
						}
						nframes++;
					}
				} else {
					size_t k = (size_t)r - off;
					if (k > p->body_left)
						k = p->body_left;
					if (p->dump)
						fwrite(buf + off, 1, k, p->dump);
					off += k;
					p->body_left -= k;
				}
				if (p->hdr_got == TT_HDR_LEN && p->body_left == 0) {
					p->hdr_got = 0;
					if (p->dump)
						fclose(p->dump);
					p->dump = NULL;
				}
			}
		}
	}
}

static int create(const char *sock, const char *id, const char *bundle, const char *rootfs,
                  size_t pad)
{
	const char *svc = getenv("TTCLIENT_SERVICE");
	const char *ns = getenv("TTCLIENT_NS");
	size_t cap = pad + 4096;
	uint8_t *mnt = malloc(cap), *req = malloc(cap), *frame = malloc(cap + TT_HDR_LEN);
	uint8_t *padb = malloc(pad ? pad : 1);
	static uint8_t rbuf[TT_MAX_MSG];
	struct sockaddr_un sa;

	if (!mnt || !req || !frame || !padb || unix_addr(sock, &sa) < 0)
		return 1;
	if (!svc || !*svc)
		svc = "containerd.task.v2.Task";
	memset(padb, 'u', pad);
	struct pb_w m = pb_w_init(mnt, cap);
	pb_put_cstr(&m, 1, "bind");
	pb_put_cstr(&m, 2, rootfs);
	pb_put_cstr(&m, 4, "rbind");
	pb_put_bytes(&m, 15, padb, pad); /* not a Mount field: unknown to every reader */
	struct pb_w q = pb_w_init(req, cap);
	pb_put_cstr(&q, 1, id);
	pb_put_cstr(&q, 2, bundle);
	pb_put_bytes(&q, 3, mnt, m.len);
	struct tt_kv meta = { "containerd-namespace-ttrpc", ns ? ns : "default" };
	struct pb_w f = pb_w_init(frame + TT_HDR_LEN, cap);
	tt_req_encode(&f, svc, "Create", req, q.len, 0, &meta, 1);
	if (m.err || q.err || f.err) {
		fprintf(stderr, "evbudget: cannot encode the request\n");
		return 1;
	}
	struct tt_hdr h = { (uint32_t)f.len, 1, TT_REQUEST, 0 };
	tt_hdr_encode(frame, &h);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("error connect: %s\n", strerror(errno));
		return 1;
	}
	for (size_t off = 0; off < TT_HDR_LEN + f.len;) {
		ssize_t r = write(fd, frame + off, TT_HDR_LEN + f.len - off);
		if (r <= 0) {
			printf("error write: %s\n", strerror(errno));
			return 1;
		}
		off += (size_t)r;
	}
	uint8_t hb[TT_HDR_LEN];
	size_t got = 0;
	while (got < TT_HDR_LEN) {
		ssize_t r = read(fd, hb + got, TT_HDR_LEN - got);
		if (r <= 0) {
			printf("closed\n");
			return 0;
		}
		got += (size_t)r;
	}
	tt_hdr_decode(hb, &h);
	if (h.len > sizeof(rbuf))
		return 1;
	for (got = 0; got < h.len;) {
		ssize_t r = read(fd, rbuf + got, h.len - got);
		if (r <= 0) {
			printf("closed\n");
			return 0;
		}
		got += (size_t)r;
	}
	struct tt_resp resp;
	if (tt_resp_decode(rbuf, h.len, &resp) < 0) {
		printf("error bad response\n");
		return 1;
	}
	if (resp.code != 0) {
		printf("code=%d msg=%.*s\n", (int)resp.code, (int)resp.message.n,
		       (const char *)resp.message.p);
		return 0;
	}
	/* CreateTaskResponse {pid=1} */
	uint64_t pid = 0;
	struct pb_r r = pb_r_init(resp.payload.p, resp.payload.n);
	struct pb_field fl;
	while (pb_next(&r, &fl) > 0)
		if (fl.num == 1 && pb_as_u64(&fl, &pid) < 0)
			pid = 0;
	printf("code=0 pid=%llu\n", (unsigned long long)pid);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "blackhole") == 0)
		return blackhole(argv[2], argv[3]);
	if (argc == 7 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argv[3], argv[4], argv[5], strtoul(argv[6], NULL, 10));
	fprintf(stderr, "usage: evbudget blackhole PATH DIR | create SOCK ID BUNDLE ROOTFS PAD\n");
	return 2;
}
