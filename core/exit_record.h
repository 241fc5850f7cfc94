/* SPDX-License-Identifier: MIT */
/*
 * An init's exit kept in its bundle, written before the exit is published: a shim killed after
 * its container exited leaves the real exit behind, and the `delete` action and shim-delete,
 * which run without the server, report it instead of 137 (SIGKILL). The file and its format are
 * those of containerd 2.4's reference shim (exit.json, go-runc's Exit as Go marshals it:
 * {"Timestamp":"<RFC 3339>","Pid":N,"Status":N}), so that either shim's delete action reads
 * what the other kept: shimbox in place of containerd-shim-runc-v2 included. Replaced atomically.
 */
#ifndef SHIMBOX_CORE_EXIT_RECORD_H
#define SHIMBOX_CORE_EXIT_RECORD_H

#include "wire/task.h"

#include <sys/types.h>

#define EXIT_RECORD_FILE "exit.json"

struct exit_record {
	pid_t pid;
	int status; /* the exit code, or 128 + signal */
	struct tk_timestamp at;
};

/* Keeps e in bundle: 0, or -errno. */
int exit_record_save(const char *bundle, const struct exit_record *e)
    __attribute__((warn_unused_result));
/*
 * Reads it back: 0; -ENOENT when none was kept; -EINVAL when the file is not one (as the
 * reference, a pid <= 0, a zero time or a negative status is not one).
 */
int exit_record_load(const char *bundle, struct exit_record *e) __attribute__((warn_unused_result));
/*
 * The DeleteResponse of a container whose shim is gone: its exit as kept; else init's pid from
 * bundle/init.pid (0 if none) and 137 at the present time, as the reference answers.
 */
void exit_record_delete_resp(const char *bundle, struct tk_delete_resp *r);

#endif
