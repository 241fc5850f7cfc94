/* SPDX-License-Identifier: MIT */
/*
 * core/publish: the queue's bounds against a containerd that never answers (a listening socket
 * nobody accepts on). Big events fill the byte cap and the rest are dropped, logged by topic and
 * container, counted, and their done() runs; every queued byte is charged to core/budget.h; an
 * event that does not fit the budget is dropped the same way, and fits again once it is given
 * back.
 */
#include "core/budget.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/publish.h"
#include "core/sys.h"
#include "tap.h"
#include "wire/events.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BIG (200u << 10)
#define NBIG 40

static uint8_t pad[BIG], ev[BIG + 256];
static int dones;
static char logbuf[1 << 20];

static void on_done(void *ctx)
{
	(void)ctx;
	dones++;
}

/* A TaskExit-shaped event {container_id=1, id=2 (pad bytes of it)}. */
static size_t event(const char *id, size_t padn)
{
	struct pb_w w = pb_w_init(ev, sizeof(ev));
	pb_put_cstr(&w, 1, id);
	pb_put_bytes(&w, 2, pad, padn);
	return w.err ? 0 : w.len;
}

static const char *log_text_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return logbuf;
}

int main(void)
{
	char dir[] = "/tmp/m_publish.XXXXXX", sock[64], logp[64], id[32];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/hole.sock", dir);
	snprintf(logp, sizeof(logp), "%s/log", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 4) == 0,
	      "a listener that never accepts nor answers");
	int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	log_set_fd(logfd, 0);
	CHECK(loop_init() == 0 && pub_init(sock, "ns") == 0, "publisher set up towards it");
	memset(pad, 'p', sizeof(pad));

	/* NBIG x 200 KiB = 8 MiB offered to a 4 MiB queue. */
	for (int i = 0; i < NBIG; i++) {
		snprintf(id, sizeof(id), "big-%d", i);
		size_t n = event(id, BIG);
		pub_event_then("/tasks/exit", "containerd.events.TaskExit", ev, n, on_done, NULL);
	}
	size_t q = pub_queued(), qb = pub_queued_bytes();
	uint64_t sent, dropped;
	pub_stats(&sent, &dropped);
	CHECK(q > 0 && q < NBIG && qb <= PUB_QUEUE_BYTES &&
	          qb > PUB_QUEUE_BYTES - BUDGET_COST(BIG + 512),
	      "the queue stops at its byte cap: %zu events, %zu of %zu bytes", q, qb,
	      PUB_QUEUE_BYTES);
	CHECK(pub_dropped_full() == NBIG - q && dropped == NBIG - q && sent == 0,
	      "the %zu that did not fit are counted as dropped (%llu)", NBIG - q,
	      (unsigned long long)pub_dropped_full());
	CHECK(dones == (int)(NBIG - q), "done() ran for each dropped event (%d)", dones);
	CHECK(budget_used() == qb, "the budget holds exactly the queued bytes (%zu, %zu)",
	      budget_used(), qb);
	snprintf(id, sizeof(id), "of container big-%d", NBIG - 1);
	const char *lt = log_text_of(logp);
	CHECK(strstr(lt, "dropping event /tasks/exit") && strstr(lt, id) &&
	          strstr(lt, "byte cap"),
	      "the log names the topic, the container and the cap");

	/* The budget: a small event that does not fit it is dropped, and fits once it is back. */
	size_t rest = BUDGET_MAX - budget_used() - 100;
	CHECK(budget_take(rest) == 0, "the rest of the budget but 100 bytes taken by someone else");
	size_t n = event("small-1", 10);
	dones = 0;
	pub_event_then("/tasks/oom", "containerd.events.TaskOOM", ev, n, on_done, NULL);
	CHECK(pub_queued() == q && dones == 1 && pub_dropped_full() == NBIG - q + 1,
	      "an event the budget cannot hold is dropped at once and counted");
	lt = log_text_of(logp);
	CHECK(strstr(lt, "dropping event /tasks/oom of container small-1") &&
	          strstr(lt, "budget"),
	      "the log names it and the budget");
	budget_give(rest);
	n = event("small-2", 10);
	pub_event_then("/tasks/oom", "containerd.events.TaskOOM", ev, n, on_done, NULL);
	CHECK(pub_queued() == q + 1 && dones == 1 && budget_used() == pub_queued_bytes(),
	      "once given back, the next event is queued and charged (%zu bytes)",
	      pub_queued_bytes() - qb);
	CHECK(pub_queued_bytes() - qb < 1024,
	      "a small event costs its own size, not its neighbours' (%zu bytes)",
	      pub_queued_bytes() - qb);

	unlink(sock);
	unlink(logp);
	rmdir(dir);
	return tap_done();
}
