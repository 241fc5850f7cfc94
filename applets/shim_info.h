/* SPDX-License-Identifier: MIT */
/* The shim applet's -info action (applets/shim_info.c). */
#ifndef SHIMBOX_APPLETS_SHIM_INFO_H
#define SHIMBOX_APPLETS_SHIM_INFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * -info (containerd 2.x; 2.2's mount manager asks it of every runtime not named
 * io.containerd.runc.v2): given the options Any that containerd wrote on stdin, in[0..n), prints
 * a containerd.types.RuntimeInfo on stdout (wire/shimbox.h), features being the OCI runtime's
 * `features` JSON as the reference reports it. argv0 names the runtime. No annotations: in
 * particular no containerd.io/runtime-allow-mounts, so containerd's mount manager handles for
 * shimbox exactly the mounts it handles for the reference (for which it never asks).
 * Returns the applet's exit status: 0, or 1 after a message on stderr.
 */
int shim_info_print(const char *argv0, const uint8_t *in, size_t n);

#endif
