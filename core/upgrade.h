/* SPDX-License-Identifier: MIT */
/*
 * In-place upgrade (core/upgrade.c): the Upgrade request of the old image, and the adoption of
 * its state by the new one. The shim applet calls upgrade_init first, then upgrade_adopt_begin
 * before it takes a listener, and, if that found a handover, upgrade_adopt_finish once the
 * service and the listener are set up, before the loop runs.
 */
#ifndef SHIMBOX_CORE_UPGRADE_H
#define SHIMBOX_CORE_UPGRADE_H

#include "conn.h"

#include <stdint.h>

/*
 * Reads SHIMBOX_HANDOVER: 0 when there is none (a fresh start); 1 with the listener's fd in
 * *listen_fd and the log's (-1: none) in *log_fd when there is a handover document, which it
 * maps and checks; -errno when there is one that cannot be read (the new image then cannot
 * serve: its caller exits).
 */
int upgrade_adopt_begin(int *listen_fd, int *log_fd) __attribute__((warn_unused_result));
/* argv: the image's own, for the next execve; revision: this binary's. */
void upgrade_init(char *const *argv, const char *revision);
/* Rebuilds connections, containers, processes and the event queue, answers the Upgrade call
 * and unmaps the document. 0 or -errno. */
int upgrade_adopt_finish(void) __attribute__((warn_unused_result));
/* The path the first image was started from (-binary's default), and upgrades so far. */
const char *upgrade_start_binary(void);
uint32_t upgrade_count(void);
const char *upgrade_from_revision(void);
/* shimbox.v1.Shim/Upgrade. */
void h_upgrade(struct call call, struct pb_str payload);

#endif
