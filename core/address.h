/* SPDX-License-Identifier: MIT */
/* The shim socket address (PROTOCOL.md 2.4): unix:///run/containerd/s/<sha256 of the key path>. */
#ifndef SHIMBOX_CORE_ADDRESS_H
#define SHIMBOX_CORE_ADDRESS_H

#include <stddef.h>

#define ADDRESS_SOCKET_DIR "/run/containerd/s"
#define ADDRESS_MAX 128

/* Lexically cleans a path like Go's path.Clean into out. Returns its length or -ENAMETOOLONG. */
int address_clean_path(const char *in, char *out, size_t cap) __attribute__((warn_unused_result));
/*
 * hex(sha256(clean(grpc_address + "/" + ns + "/" + key))) into hex (65 bytes), and the address
 * "unix://" + socket_dir + "/" + hex into addr; socket_dir NULL or "" means ADDRESS_SOCKET_DIR
 * (2.3's BootstrapParams may name another). Returns 0 or -errno (-ENAMETOOLONG past
 * ADDRESS_MAX).
 */
int address_derive(const char *socket_dir, const char *grpc_address, const char *ns,
                   const char *key, char hex[65], char addr[ADDRESS_MAX])
    __attribute__((warn_unused_result));
/* The filesystem path of a "unix://" address, or NULL if it is not one. */
const char *address_path(const char *addr);
/* The socket path of addr: after "unix://" if it has it, else addr itself (a plain path, as
 * containerd's flags and TTRPC_ADDRESS may give one). */
const char *address_socket_path(const char *addr);

#endif
