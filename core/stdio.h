/* SPDX-License-Identifier: MIT */
/*
 * A process's stdio (PROTOCOL.md 5.3-5.4): pipes to the container, FIFOs to the client, and
 * copiers between them that splice(2) through the loop with no userspace buffer. For each output
 * FIFO the shim holds a read end too, so a detached client never makes the container see EPIPE;
 * for stdin it holds a write end that only CloseIO releases.
 */
#ifndef SHIMBOX_CORE_STDIO_H
#define SHIMBOX_CORE_STDIO_H

#include "loop.h"

#include <stddef.h>
#include <sys/types.h>

struct pio;

struct pio_copier {
	struct loop_watch src; /* embedded first: the watch callback finds the copier */
	struct loop_watch dst;
	int hold_fd;           /* output FIFO read end held by the shim; closed with dst */
	int dst_pollable;
	int active;
	struct pio *io;
};

struct pio {
	struct pio_copier in, out, err;
	int stdin_holder;  /* our write end of the stdin FIFO; -1 after CloseIO */
	int child_fds[3];  /* the container's ends, for the runtime; -1 = /dev/null */
	void (*drained)(struct pio *io); /* called once both output copiers have finished */
	void *ctx;
};

/* Sets every fd to -1. */
void pio_init(struct pio *io);
/*
 * Opens FIFOs (or files) and pipes for the given paths; empty paths mean /dev/null. Nothing
 * blocks: output FIFOs are opened for reading first, which makes the non-blocking write open
 * succeed. uid/gid (>= 0) own the container ends. err gets a message on failure.
 */
int pio_open(struct pio *io, const char *in, const char *out, const char *errp, int uid, int gid,
	     char *err, size_t errcap) __attribute__((warn_unused_result));
/* Closes the shim's copies of the container ends once the runtime has them. */
void pio_close_child_ends(struct pio *io);
/* Starts the copiers. */
int pio_start(struct pio *io) __attribute__((warn_unused_result));
/* 1 while an output copier still runs. */
int pio_outputs_busy(const struct pio *io);
/* CloseIO: releases the stdin holder, so the container sees EOF once the client's writer goes. */
void pio_close_stdin(struct pio *io);
/* Stops everything and closes every fd. */
void pio_destroy(struct pio *io);

#endif
