/* SPDX-License-Identifier: MIT */
/*
 * The shim applet's -info action: the RuntimeInfo that containerd 2.x asks of a runtime, with the
 * runtime name containerd gives this binary and the OCI runtime's own `features` JSON.
 */
#include "shim_info.h"

#include "applets.h"

#include "core/spawn.h"
#include "core/sys.h"
#include "wire/options.h"
#include "wire/shimbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The runtime name containerd resolves to the binary BASE: containerd-shim-NAME-VER is
 * io.containerd.NAME.VER (PROTOCOL.md 2.1, in reverse); any other name is itself. */
static void runtime_name(const char *base, char *out, size_t cap)
{
	const char *prefix = "containerd-shim-", *ver = strrchr(base, '-');
	size_t pl = strlen(prefix);
	if (strncmp(base, prefix, pl) == 0 && ver && ver > base + pl)
		snprintf(out, cap, "io.containerd.%.*s.%s", (int)(ver - base - pl), base + pl, ver + 1);
	else
		snprintf(out, cap, "%s", base);
}

#define FEATURES_URL "types.containerd.io/opencontainers/runtime-spec/1/features/Features"

/*
 * `BINARY features` (the OCI runtime's features JSON) into buf; its length, or -errno, or -EIO
 * if the runtime failed or printed nothing (youki and old runc have no such command).
 */
static ssize_t runtime_features(const char *binary, char *buf, size_t cap)
{
	const char *argv[] = { binary, "features", NULL };
	int out = memfd_create("runtime-features", MFD_CLOEXEC), st = -1;
	if (out < 0)
		return -errno;
	struct spawn_opts so = { .argv = argv, .fds = { -1, out, -1 }, .fd3 = -1 };
	pid_t pid = spawn(&so);
	ssize_t n = pid;
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
		n = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? pread(out, buf, cap, 0) : -EIO;
		if (n == 0 || (size_t)n == cap) /* nothing, or more than we hold */
			n = -EIO;
	}
	sys_close(out);
	return n;
}

int shim_info_print(const char *argv0, const uint8_t *in, size_t n)
{
	static uint8_t out[(1 << 17) + 512];
	static char features[1 << 16];
	char binary[256] = "runc";
	struct tk_any opts = { 0 };
	struct opt_runc ro;
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
	char name[256];
	runtime_name(base, name, sizeof(name));
	int have_opts = n && tk_any_decode(in, n, &opts) == 0 && opts.type_url.n;

	if (have_opts && pb_str_eq(opts.type_url, OPT_RUNC_OPTIONS_URL) &&
	    opt_runc_decode(opts.value.p, opts.value.n, &ro) == 0 && ro.binary_name.n &&
	    pb_str_copy(binary, sizeof(binary), ro.binary_name) < 0) {
		fprintf(stderr, "shim -info: binary_name is too long\n");
		return 1;
	}
	struct sb_runtime_info info = {
		.name = pb_str_of(name, strlen(name)),
		.version = { pb_str_of(shimbox_version, strlen(shimbox_version)),
		             pb_str_of(shimbox_revision, strlen(shimbox_revision)) },
		.options = opts,
		.has_options = have_opts,
	};
	ssize_t fn = runtime_features(binary, features, sizeof(features));
	if (fn > 0) {
		info.features.type_url = pb_str_of(FEATURES_URL, strlen(FEATURES_URL));
		info.features.value = pb_str_of(features, (size_t)fn);
		info.has_features = 1;
	}
	struct pb_w w = pb_w_init(out, sizeof(out));
	sb_runtime_info_encode(&w, &info);
	if (w.err || sys_write_all(1, out, w.len) < 0) {
		fprintf(stderr, "shim -info: cannot write the runtime info\n");
		return 1;
	}
	return 0;
}

