/* SPDX-License-Identifier: MIT */
/* core/address: the documented SHA-256 vector and Go path.Clean semantics. */
#include "core/address.h"
#include "tap.h"

#include <errno.h>

static void clean(const char *in, const char *want)
{
	char out[256];
	int n = address_clean_path(in, out, sizeof(out));
	CHECK(n >= 0 && strcmp(out, want) == 0, "clean(%s) = %s (want %s)", in,
	      n >= 0 ? out : "error", want);
}

int main(void)
{
	char hex[65], addr[ADDRESS_MAX];
	int e = address_derive(NULL, "/run/containerd/containerd.sock", "default", "redis", hex, addr);
	CHECK(e == 0 &&
	          strcmp(hex, "f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33") ==
	              0,
	      "PROTOCOL.md vector: %s", hex);
	CHECK(strcmp(addr, "unix:///run/containerd/s/"
	                   "f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33") == 0,
	      "address: %s", addr);
	e = address_derive(NULL, "/run/containerd//containerd.sock/", "default", "./redis", hex, addr);
	CHECK(e == 0 &&
	          strcmp(hex, "f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33") ==
	              0,
	      "uncleaned input hashes like the cleaned path");
	e = address_derive("/tmp/sbx.ab12/s", "/run/containerd/containerd.sock", "default", "redis",
	                   hex, addr);
	CHECK(e == 0 && strcmp(addr, "unix:///tmp/sbx.ab12/s/"
	                             "f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33") == 0,
	      "2.3's socket_dir replaces /run/containerd/s, same hash: %s", addr);
	e = address_derive("", "/run/containerd/containerd.sock", "default", "redis", hex, addr);
	CHECK(e == 0 && strncmp(addr, "unix:///run/containerd/s/", 25) == 0, "an empty socket_dir is the default");
	e = address_derive("/a/socket/dir/so/long/that/with/the/sixty-four/hex/digits/it/cannot/fit", "/x",
	                   "default", "redis", hex, addr);
	CHECK(e == -ENAMETOOLONG, "a socket_dir past ADDRESS_MAX is -ENAMETOOLONG (%d)", e);
	clean("/a/b/../c", "/a/c");
	clean("/../a", "/a");
	clean("a/../../b", "../b");
	clean("", ".");
	clean("//a//b/./", "/a/b");
	clean("/", "/");
	clean("../..", "../..");
	clean("a/b/../../..", "..");
	CHECK(strcmp(address_path("unix:///x/y"), "/x/y") == 0, "address_path strips unix://");
	CHECK(address_path("/x/y") == NULL, "address_path refuses a bare path");
	return tap_done();
}
