/* SPDX-License-Identifier: MIT */
/*
 * The handover document of an in-place upgrade (shim-upgrade): what a running shim writes into
 * a memfd before it execve's a new binary, and what the new image reads to go on serving. It is
 * protobuf, so that a field a reader does not know is skipped, and versioned as a whole:
 *
 *   Handover { magic=1 string "shimbox-handover", version=2 uint32, header=3 Header,
 *              conns=4 repeated Conn, containers=5 repeated Container, events=6 repeated Event }
 *   Container { fields of ho_container, init=20 Proc, execs=21 repeated Proc }
 *   Proc      { fields of ho_proc, waiters=30 repeated Call }
 *
 * HO_VERSION changes whenever a field changes meaning or a new one must not be ignored; a
 * binary reads the versions HO_VERSION_MIN..HO_VERSION and refuses any other, and an old shim
 * asks a new binary which versions it reads (`shim -handover-versions`) before it execve's it,
 * so that a binary that would refuse is never started. File descriptors are numbers in the
 * new image too: the old shim clears FD_CLOEXEC on exactly the fds it names here.
 *
 * Decoding is bounded and allocation-free: every string borrows the document's bytes, and the
 * repeated messages are walked with the *_next iterators over the raw bytes kept in the struct.
 */
#ifndef SHIMBOX_WIRE_HANDOVER_H
#define SHIMBOX_WIRE_HANDOVER_H

#include "pb.h"
#include "task.h"

#include <stddef.h>
#include <stdint.h>

#define HO_MAGIC "shimbox-handover"
#ifndef HO_VERSION
#define HO_VERSION 1
#endif
#ifndef HO_VERSION_MIN
#define HO_VERSION_MIN 1
#endif

/* Field numbers of the enclosing messages (what the encoder nests with pb_begin/pb_end). */
enum {
	HO_DOC_HEADER = 3,
	HO_DOC_CONN = 4,
	HO_DOC_CONTAINER = 5,
	HO_DOC_EVENT = 6,
	HO_CT_INIT = 20,
	HO_CT_EXEC = 21,
	HO_PROC_WAITER = 30,
};

/* A call to answer after the upgrade: the connection (ho_conn.id), its stream, call.tag. */
struct ho_call {
	uint32_t conn, stream, tag;
};

struct ho_header {
	struct pb_str revision;     /* of the binary that wrote the document */
	struct pb_str start_binary; /* the path the first image was started from */
	uint32_t upgrades;          /* counted before this one */
	int32_t listen_fd;
	uint64_t started_ms; /* wall clock, ms, of the first image's start */
	uint64_t events_sent, events_dropped, events_dropped_full;
	struct ho_call upgrade; /* the Upgrade request itself */
	uint32_t has_upgrade;
	int32_t log_fd; /* where the shim logs (containerd's log FIFO), -1 none */
};

/* A server connection: its fd, the bytes of the frame being received (the header, then its
 * payload so far: fed again to the new reader) and the reply bytes not yet sent. */
struct ho_conn {
	uint32_t id;
	int32_t fd;
	uint32_t rd_eof;
	struct pb_str in, out;
};

/* A stdio copier (core/stdio.h): fds (-1 none), HO_CP_* flags, the epoll events its two fds
 * were watched for, and a terminal copier's bytes read and not yet written. */
enum {
	HO_CP_ACTIVE = 1,
	HO_CP_POLLABLE = 2,
	HO_CP_BUFFERED = 4,
	HO_CP_CONSOLE = 16, /* out: a terminal's target before its master came (dst, hold) */
};
struct ho_copier {
	int32_t src, dst, hold;
	uint32_t flags;
	struct pb_str pending;
	uint32_t src_events, dst_events;
};

enum {
	HO_P_STARTING = 1,
	HO_P_EXIT_DEFERRED = 2,
	HO_P_EXITED = 4,
	HO_P_DELETING = 8,
	HO_P_TERMINAL = 16,
	HO_P_TTY_FINAL = 32,
	HO_P_READY_STRICT = 64,
};
struct ho_proc {
	struct pb_str exec_id; /* empty: the container's init */
	int32_t pid;
	uint32_t state; /* enum proc_state */
	uint32_t flags; /* HO_P_* */
	int32_t exit_status;
	struct tk_timestamp exited_at;
	struct pb_str stdin_path, stdout_path, stderr_path;
	struct pb_str spec; /* an exec's Process JSON */
	struct ho_copier in, out, err;
	int32_t stdin_holder, master, logger_pid;
	int32_t child0, child1, child2;
	int32_t console_fd;
	struct pb_str console_dir, console_path;
	size_t nwaiters;
	struct pb_str raw; /* the whole message, for ho_waiter_next */
};

enum {
	HO_C_LISTED = 1,
	HO_C_DELETING = 2,
	HO_C_INIT_EXIT_HELD = 4,
	HO_C_ROOTFS_MOUNTED = 8,
	HO_C_NO_PIVOT = 16,
	HO_C_NO_KEYRING = 32,
	HO_C_SHARED_PIDNS = 64,
	HO_C_SYSTEMD_CGROUP = 128,
};
struct ho_container {
	struct pb_str id, rootfs;
	uint32_t flags; /* HO_C_* */
	uint64_t created_ms;
	struct pb_str binary, root, ns, bundle; /* struct runc_cfg */
	size_t ninit, nexecs;
	struct pb_str raw; /* for ho_init_get and ho_exec_next */
};

/* A queued event as its transport sends it; done_kind 1: the v1 shim answers the Waits of
 * (done_container, done_exec) once it is delivered. When it was queued (wall clock, ms) and its
 * failed attempts are for shim-dump only: a reader that does not know them loses nothing. */
enum { HO_DONE_NONE = 0, HO_DONE_V1_WAITERS = 1 };
struct ho_event {
	struct pb_str topic, data;
	uint32_t done_kind;
	struct pb_str done_container, done_exec;
	uint64_t queued_ms;
	uint32_t failures;
};

struct ho_doc {
	struct pb_str magic;
	uint32_t version;
	struct ho_header header;
	uint32_t has_header;
	size_t nconns, ncontainers, nevents;
	struct pb_str raw;
};

/* The document's frame: magic and version first, then header (the caller nests the rest). */
void ho_doc_begin(struct pb_w *w, uint32_t version);
void ho_header_put(struct pb_w *w, const struct ho_header *h);
void ho_conn_put(struct pb_w *w, const struct ho_conn *c);
void ho_event_put(struct pb_w *w, const struct ho_event *e);
/* The fields of a container or a process, inside pb_begin(HO_DOC_CONTAINER / HO_CT_INIT /
 * HO_CT_EXEC): the caller then nests the processes, or puts the waiters (ho_call_put). */
void ho_container_fields_put(struct pb_w *w, const struct ho_container *c);
void ho_proc_fields_put(struct pb_w *w, const struct ho_proc *p);
void ho_call_put(struct pb_w *w, uint32_t num, const struct ho_call *c);

/*
 * Reads the document: 0; -PB_ERANGE if the magic is not HO_MAGIC or the version is outside
 * HO_VERSION_MIN..HO_VERSION (or there is no header); another -PB_E* if malformed. Each nested
 * message is checked here, so the iterators below fail only on what this already refused.
 */
int ho_doc_decode(const void *p, size_t n, struct ho_doc *d) PB_WARN;
/* Iterators: `it` starts as pb_r_of(parent.raw); 1 and the next element, 0 at the end, or
 * -PB_E*. */
int ho_conn_next(struct pb_r *it, struct ho_conn *c) PB_WARN;
int ho_container_next(struct pb_r *it, struct ho_container *c) PB_WARN;
int ho_event_next(struct pb_r *it, struct ho_event *e) PB_WARN;
int ho_exec_next(struct pb_r *it, struct ho_proc *p) PB_WARN;
int ho_waiter_next(struct pb_r *it, struct ho_call *c) PB_WARN;
/* A container's init: 0, or -PB_ERANGE if it has none. */
int ho_init_get(const struct ho_container *c, struct ho_proc *p) PB_WARN;

#endif
