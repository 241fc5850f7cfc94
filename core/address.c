/* SPDX-License-Identifier: MIT */
/* Socket address derivation with BearSSL's SHA-256. */
#include "address.h"

#include "sys.h"

#include <bearssl_hash.h>
#include <errno.h>
#include <string.h>

int address_clean_path(const char *in, char *out, size_t cap)
{
	size_t r = 0, w = 0, dotdot = 0, len = strlen(in);
	int rooted = in[0] == '/';

	/* Go's path.Clean: the output is never longer than the input, or "." for empty input. */
	if (len + 2 > cap)
		return -ENAMETOOLONG;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < len) {
		if (in[r] == '/') {
			r++;
		} else if (in[r] == '.' && (r + 1 == len || in[r + 1] == '/')) {
			r++;
		} else if (in[r] == '.' && in[r + 1] == '.' && (r + 2 == len || in[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < len && in[r] != '/')
				out[w++] = in[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = 0;
	return (int)w;
}

int address_derive(const char *socket_dir, const char *grpc_address, const char *ns,
                   const char *key, char hex[65], char addr[ADDRESS_MAX])
{
	char joined[4096], clean[4096];
	uint8_t sum[32];
	br_sha256_context ctx;
	int e, n;

	if ((e = sys_fmt(joined, sizeof(joined), "%s/%s/%s", grpc_address, ns, key)) < 0)
		return e;
	if ((n = address_clean_path(joined, clean, sizeof(clean))) < 0)
		return n;
	br_sha256_init(&ctx);
	br_sha256_update(&ctx, clean, (size_t)n);
	br_sha256_out(&ctx, sum);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = "0123456789abcdef"[sum[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[sum[i] & 15];
	}
	hex[64] = 0;
	if (!socket_dir || !*socket_dir)
		socket_dir = ADDRESS_SOCKET_DIR;
	return sys_fmt(addr, ADDRESS_MAX, "unix://%s/%s", socket_dir, hex) < 0
	           ? -ENAMETOOLONG
	           : 0;
}

const char *address_path(const char *addr)
{
	return strncmp(addr, "unix://", 7) == 0 ? addr + 7 : NULL;
}

const char *address_socket_path(const char *addr)
{
	const char *path = address_path(addr);
	return path ? path : addr;
}
