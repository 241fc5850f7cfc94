/* SPDX-License-Identifier: MIT */
/*
 * The `shim` applet: containerd's runtime v2 entry point. `start` prints the socket address and
 * leaves a server behind, `delete` cleans up after a container, and with no action it is that
 * server (PROTOCOL.md 2.3-2.8). Named `containerd-shim`, or given a v1 flag, it is the legacy v1
 * shim instead: containerd starts it as the server itself (PROTOCOL.md 6). Flags follow Go's
 * flag package. -info is shim_info.c's.
 */
#include "applets.h"
#include "shim_info.h"

#include "core/address.h"
#include "core/conn.h"
#include "core/exit_record.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mount.h"
#include "core/publish.h"
#include "core/reaper.h"
#include "core/runc.h"
#include "core/service.h"
#include "core/svc_v1.h"
#include "core/spawn.h"
#include "core/spec.h"
#include "core/sys.h"
#include "core/upgrade.h"
#include "wire/handover.h"
#include "wire/json.h"
#include "wire/options.h"
#include "wire/task.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct shim_flags {
	const char *ns, *id, *address, *publish_binary, *bundle, *socket;
	int debug, version, info, handover_versions;
	/* The legacy v1 shim's (any of them given selects v1). */
	const char *workdir, *containerd_binary, *runtime_root, *criu;
	int systemd_cgroup;
	int v1; /* a v1 flag was given */
	const char *action;
};

static int usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: containerd-shim-NAME-v2 [flags] [start|delete]\n"
	    "  -namespace NS      containerd namespace (required)\n"
	    "  -id ID             container or group id\n"
	    "  -address PATH      containerd's gRPC socket (the socket name is derived from it)\n"
	    "  -publish-binary P  accepted for compatibility; events go over ttrpc\n"
	    "  -bundle DIR        bundle for delete (default: the working directory)\n"
	    "  -socket PATH       serve on PATH instead of fd 3\n"
	    "  -debug             debug logging\n"
	    "  -v                 print the version\n"
	    "  -info              print a containerd.types.RuntimeInfo (options Any on stdin)\n"
	    "  -handover-versions print the in-place upgrade formats this binary reads\n"
	    "start: start or join a shim server and print its address.\n"
	    "delete: clean up after a container; prints a DeleteResponse.\n"
	    "no action: serve the Task API (as started by 'start').\n"
	    "\n"
	    "usage: containerd-shim -namespace NS -address A [v1 flags]   (the legacy v1 shim)\n"
	    "  Serves containerd.runtime.linux.shim.v1.Shim on fd 3 (or -socket PATH); named\n"
	    "  containerd-shim or given any of these flags:\n"
	    "  -workdir DIR              CRIU's work directory is DIR/criu-work\n"
	    "  -containerd-binary P      publishes exits with 'P --address A publish ...'\n"
	    "                            (default containerd; shim-publish also works)\n"
	    "  -runtime-root DIR         runc's --root (default /run/containerd/runc)\n"
	    "  -criu P, -criu-path P     CRIU binary, recorded in the runc options\n"
	    "  -systemd-cgroup           runc --systemd-cgroup\n");
	return f == stdout ? 0 : EXIT_USAGE;
}

/* Go flag syntax (core/flags.h); then at most one action word. 0, -2 after --help, or -1. */
static int parse_flags(int argc, char **argv, struct shim_flags *fl)
{
	struct shim_flags *f = fl;
	const struct flag defs[] = {
		{ "namespace", FLAG_STR, &f->ns },
		{ "id", FLAG_STR, &f->id },
		{ "address", FLAG_STR, &f->address },
		{ "publish-binary", FLAG_STR, &f->publish_binary },
		{ "bundle", FLAG_STR, &f->bundle },
		{ "socket", FLAG_STR, &f->socket },
		{ "debug", FLAG_BOOL, &f->debug },
		{ "v", FLAG_BOOL, &f->version },
		{ "version", FLAG_BOOL, &f->version },
		{ "info", FLAG_BOOL, &f->info },
		{ "handover-versions", FLAG_BOOL, &f->handover_versions },
		{ "workdir", FLAG_STR, &f->workdir },
		{ "containerd-binary", FLAG_STR, &f->containerd_binary },
		{ "runtime-root", FLAG_STR, &f->runtime_root },
		{ "criu", FLAG_STR, &f->criu },
		{ "criu-path", FLAG_STR, &f->criu },
		{ "systemd-cgroup", FLAG_BOOL, &f->systemd_cgroup },
	};
	struct err err;
	int i = 1, r;

	memset(fl, 0, sizeof(*fl));
	r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, &err);
	if (r == FLAGS_HELP)
		return usage(stdout) == 0 ? -2 : -1;
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		usage(stderr);
		return -1;
	}
	fl->v1 = fl->workdir || fl->containerd_binary || fl->runtime_root || fl->criu ||
	         fl->systemd_cgroup;
	if (i < argc)
		fl->action = argv[i++];
	if (i < argc) {
		fprintf(stderr, "unexpected argument after the action: %s\n", argv[i]);
		return -1;
	}
	return 0;
}

/* --- start ------------------------------------------------------------------------------- */

/* Reads all of stdin (bounded); tolerant of a closed or absent stdin. */
static size_t read_stdin(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = sys_read(0, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

/* What `start` learns from its stdin. */
struct start_input {
	int bootstrap;       /* 2.3+: BootstrapParams for this instance; answer a BootstrapResult */
	int have_opts;       /* opts holds the runc options */
	struct opt_runc opts;
	char socket_dir[64]; /* BootstrapParams' socket_dir, or "" for ADDRESS_SOCKET_DIR */
};

/*
 * stdin holds nothing, the runtime options Any (legacy), or 2.3's BootstrapParams. Tell them
 * apart as the reference does (instance_id and namespace must match our flags). Unusable
 * options are ignored; only a socket_dir too long for a socket path fails (-ENAMETOOLONG).
 */
static int parse_start_input(const uint8_t *in, size_t n, const struct shim_flags *fl,
                             struct start_input *si)
{
	struct opt_bootstrap_params bp;
	struct tk_any any;

	memset(si, 0, sizeof(*si));
	if (n == 0)
		return 0;
	if (opt_bootstrap_params_decode(in, n, &bp) == 0 && fl->id && fl->ns &&
	    pb_str_eq(bp.instance_id, fl->id) && pb_str_eq(bp.ns, fl->ns)) {
		si->bootstrap = 1;
		struct pb_r it = pb_r_of(bp.raw);
		while (opt_bootstrap_extension_next(&it, &any) > 0)
			if (opt_runc_of_any(&any, &si->opts) > 0)
				si->have_opts = 1;
		if (bp.socket_dir.n && pb_str_copy(si->socket_dir, sizeof(si->socket_dir),
		                                bp.socket_dir) < 0)
			return -ENAMETOOLONG;
		return 0;
	}
	if (tk_any_decode(in, n, &any) == 0 && opt_runc_of_any(&any, &si->opts) > 0)
		si->have_opts = 1;
	return 0;
}

/*
 * start's answer: a BootstrapResult {version 3, address, "ttrpc"} to 2.3+ (which sent
 * BootstrapParams), so that containerd calls containerd.task.v3.Task as with its own shim; the
 * plain address to the others, which every release reads as ttrpc at version 2 (PROTOCOL.md
 * 2.4). Returns start's exit status.
 */
static int print_address(const struct start_input *si, const char *addr)
{
	uint8_t out[ADDRESS_MAX + 32];
	struct pb_w w = pb_w_init(out, sizeof(out));
	if (!si->bootstrap) {
		printf("%s", addr);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	struct opt_bootstrap_result r = { .version = 3,
		                          .address = pb_str_of(addr, strlen(addr)),
		                          .protocol = pb_str_of("ttrpc", 5) };
	opt_bootstrap_result_encode(&w, &r);
	return !w.err && sys_write_all(1, out, w.len) == 0 ? 0 : 1;
}

/* The grouping key: the group or sandbox annotation of config.json, else -id. */
static void group_key(const char *id, char *key, size_t cap)
{
	static const char *const annotations[] = { "io.containerd.runc.v2.group",
		                                   "io.kubernetes.cri.sandbox-id" };
	struct pb_str doc, ann, v;
	snprintf(key, cap, "%s", id);
	if (spec_read(".", &doc) < 0)
		return;
	int has = json_get(doc, "annotations", &ann) == 1;
	for (size_t i = 0; has && i < ARRAY_LEN(annotations); i++) {
		char tmp[256];
		if (json_get(ann, annotations[i], &v) == 1 &&
		    json_string(v, tmp, sizeof(tmp)) > 0) {
			snprintf(key, cap, "%s", tmp);
			break;
		}
	}
	free((void *)doc.p);
}

static int connect_within(const char *path, int ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && (errno == EINPROGRESS || errno == EAGAIN)) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);
		r = poll(&p, 1, ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		            !err
		        ? 0
		        : -1;
	}
	sys_close(fd);
	return r;
}

/* Binds the shim socket; on EADDRINUSE with a live server returns 1 (join it). */
static int bind_socket(const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			if (chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
				int e = -errno;
				sys_close(fd);
				return e;
			}
			*out = fd;
			return 0;
		}
		int e = errno;
		sys_close(fd);
		if (e != EADDRINUSE)
			return -e;
		if (connect_within(path, 100) == 0)
			return 1;
		unlink(path); /* stale: nobody listens */
	}
	return -EADDRINUSE;
}

static void set_oom_score(pid_t child)
{
	char path[64], buf[32];
	long adj = 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getppid());
	if (sys_read_file(path, buf, sizeof(buf)) > 0)
		adj = strtol(buf, NULL, 10);
	if (adj < 1000)
		adj++;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)child);
	int fd = sys_open(path, O_WRONLY, 0);
	if (fd >= 0) {
		int n = snprintf(buf, sizeof(buf), "%ld", adj);
		if (sys_write_all(fd, buf, (size_t)n) < 0) { /* best effort, as in the reference */
		}
		sys_close(fd);
	}
}

/* Puts pid into the shim_cgroup: cgroup v2 at /sys/fs/cgroup/<path>, or on v1 every hierarchy
 * under /sys/fs/cgroup that has <path>. Returns how many it joined, or -errno. */
static int join_cgroup(pid_t pid, struct pb_str cg)
{
	char path[1024], buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid), joined = 0;
	const char *const hier[] = { "",
		                     "cpu/",
		                     "cpuacct/",
		                     "cpu,cpuacct/",
		                     "memory/",
		                     "pids/",
		                     "blkio/",
		                     "devices/",
		                     "freezer/",
		                     "cpuset/",
		                     "hugetlb/",
		                     "net_cls,net_prio/",
		                     "perf_event/",
		                     "systemd/",
		                     "unified/" };
	if (cg.n == 0 || cg.n > 512)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(hier); i++) {
		if (sys_fmt(path, sizeof(path), "/sys/fs/cgroup/%s%.*s/cgroup.procs", hier[i],
		            (int)cg.n, (const char *)cg.p) < 0)
			return -ENAMETOOLONG;
		int fd = sys_open(path, O_WRONLY, 0);
		if (fd < 0)
			continue;
		if (sys_write_all(fd, buf, (size_t)n) == 0)
			joined++;
		sys_close(fd);
		if (i == 0)
			break; /* unified: one hierarchy */
	}
	return joined;
}

static int do_start(const struct shim_flags *fl, const char *argv0)
{
	char key[256], hex[65], addr[ADDRESS_MAX];
	static uint8_t in[1 << 16];
	static struct start_input si;
	int lfd = -1, e;

	if (!fl->ns || !*fl->ns || !fl->id || !*fl->id || !fl->address) {
		fprintf(stderr, "shim start: -namespace, -id and -address are required\n");
		return EXIT_USAGE;
	}
	size_t n = read_stdin(in, sizeof(in));
	if ((e = parse_start_input(in, n, fl, &si)) < 0) {
		fprintf(stderr, "shim start: socket_dir of the bootstrap parameters: %s\n",
		        strerror(-e));
		return 1;
	}

	group_key(fl->id, key, sizeof(key));
	if ((e = address_derive(si.socket_dir, fl->address, fl->ns, key, hex, addr)) < 0) {
		fprintf(stderr, "shim start: socket address: %s\n", strerror(-e));
		return 1;
	}
	const char *path = address_path(addr);
	const char *dir = si.socket_dir[0] ? si.socket_dir : ADDRESS_SOCKET_DIR;
	if ((e = sys_mkdir_p(dir, 0700)) < 0) {
		fprintf(stderr, "shim start: mkdir %s: %s\n", dir, strerror(-e));
		return 1;
	}
	e = bind_socket(path, &lfd);
	if (e < 0) {
		fprintf(stderr, "shim start: listen on %s: %s\n", path, strerror(-e));
		return 1;
	}
	if ((e = sys_write_file_atomic("address", addr, strlen(addr), 0600)) < 0) {
		fprintf(stderr, "shim start: write address file: %s\n", strerror(-e));
		if (lfd >= 0) {
			unlink(path);
			sys_close(lfd);
		}
		return 1;
	}
	if (e == 0 && lfd < 0) /* joined a running shim of the same group */
		return print_address(&si, addr);
	const char *args[10];
	size_t k = 0;
	args[k++] = argv0;
	args[k++] = "-namespace";
	args[k++] = fl->ns;
	args[k++] = "-id";
	args[k++] = fl->id;
	args[k++] = "-address";
	args[k++] = fl->address;
	if (fl->debug)
		args[k++] = "-debug";
	args[k] = NULL;
	/* Exec our own path when we know it, so ps shows the shim's name rather than "exe". */
	struct spawn_opts so = { .path = strchr(argv0, '/') ? argv0 : "/proc/self/exe",
		                 .argv = args,
		                 .fds = { -1, -1, -1 },
		                 .fd3 = lfd,
		                 .new_session = 1 };
	pid_t pid = spawn(&so);
	if (pid < 0) {
		fprintf(stderr, "shim start: exec server: %s\n", strerror(-(int)pid));
		unlink(path);
		return 1;
	}
	sys_close(lfd);
	set_oom_score(pid);
	/* Best effort, silently: start's output is read as the address, so it may print nothing
	 * else (the server logs where it runs). */
	if (si.have_opts && si.opts.shim_cgroup.n)
		(void)join_cgroup(pid, si.opts.shim_cgroup);
	return print_address(&si, addr);
}

/* --- delete ------------------------------------------------------------------------------ */

static int do_delete(const struct shim_flags *fl)
{
	char bundle[900], path[1000];
	struct runc_cfg cfg;
	struct runc_job job;
	int e;

	if (!fl->ns || !*fl->ns || !fl->id || !*fl->id) {
		fprintf(stderr, "shim delete: -namespace and -id are required\n");
		return EXIT_USAGE;
	}
	if (fl->bundle)
		snprintf(bundle, sizeof(bundle), "%s", fl->bundle);
	else if (!getcwd(bundle, sizeof(bundle)))
		return 1;
	if (runc_cfg_load(&cfg, bundle, fl->ns) < 0) {
		/* No options.json: the defaults (runc, /run/containerd/runc). */
		memset(&cfg, 0, sizeof(cfg));
		strcpy(cfg.binary, "runc");
		strcpy(cfg.root, RUNC_DEFAULT_ROOT);
		snprintf(cfg.ns, sizeof(cfg.ns), "%s", fl->ns);
		snprintf(cfg.bundle, sizeof(cfg.bundle), "%s", bundle);
	}
	const char *args[] = { "delete", "--force", fl->id, NULL };
	e = runc_run_sync(&job, &cfg, args);
	runc_job_release(&job);
	if (e != 0 && !strstr(job.err, "does not exist") && !strstr(job.err, "not exist"))
		fprintf(stderr, "warning: runc delete %s: %s\n", fl->id,
		        e < 0 ? strerror(-e) : job.err);
	if (sys_fmt(path, sizeof(path), "%s/rootfs", bundle) >= 0 &&
	    (e = mount_unmount_all(path)) < 0)
		fprintf(stderr, "warning: unmount %s: %s\n", path, strerror(-e));

	uint8_t out[64];
	struct pb_w w = pb_w_init(out, sizeof(out));
	struct tk_delete_resp r;
	exit_record_delete_resp(bundle, &r);
	tk_delete_resp_encode(&w, &r);
	if (w.err || sys_write_all(1, out, w.len) < 0)
		return 1;
	return 0;
}

/* --- serve ------------------------------------------------------------------------------- */

static void on_signal(int signo)
{
	if (signo == SIGTERM || signo == SIGINT)
		svc_shutdown();
	else if (signo == SIGUSR1)
		svc_dump_to_log();
}

/* The listener we inherit as fd 3 (from our own `start`, or from containerd for v1) comes
 * without FD_CLOEXEC, and every child (runc, loggers, the v1 publish binary) would hold it. If
 * fd 3 is not open, conn_listen reports it. */
static void cloexec_listener(int lfd)
{
	int fl = fcntl(lfd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC) && fcntl(lfd, F_SETFD, fl | FD_CLOEXEC) < 0)
		log_warn("listening socket (fd %d): cannot set FD_CLOEXEC: %s", lfd, strerror(errno));
}

/* An in-place upgrade's new image: the listener comes from the handover document. 0 for a
 * fresh start, 1 after an upgrade, or -1 (logged) if the document cannot be read. */
static int adopt_begin(char *const *argv, int *lfd, int *logfd)
{
	int adopted = upgrade_adopt_begin(lfd, logfd);
	if (adopted < 0)
		fprintf(stderr, "shim: cannot read the handover document of an upgrade: %s\n",
		        strerror(-adopted));
	upgrade_init(argv, shimbox_revision);
	return adopted;
}

static int adopt_finish(int adopted)
{
	int e = adopted > 0 ? upgrade_adopt_finish() : 0;
	if (e < 0)
		log_error("cannot take over the state of the upgraded shim: %s", strerror(-e));
	return e;
}

static int serve(const struct shim_flags *fl, char *const *argv)
{
	char addr[256], sockpath[256] = "";
	int lfd = 3, e;

	if (!fl->ns || !*fl->ns) {
		fprintf(stderr, "shim: -namespace is required\n");
		return EXIT_USAGE;
	}
	/* Logs go to the bundle's log FIFO, which containerd holds open for reading (after an
	 * upgrade, the fd the old image had: containerd may be away, the FIFO then unopenable). */
	int logfd = -1, adopted = adopt_begin(argv, &lfd, &logfd);
	if (adopted < 0)
		return EXIT_SYSTEM;
	if (logfd < 0)
		logfd = sys_open("log", O_WRONLY | O_NONBLOCK, 0);
	log_set_fd(logfd >= 0 ? logfd : -1, fl->debug);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	if (fl->socket) {
		int created = adopted ? 0 : bind_socket(fl->socket, &lfd);
		if (created != 0) {
			fprintf(stderr, "shim: cannot listen on %s\n", fl->socket);
			return 1;
		}
		snprintf(sockpath, sizeof(sockpath), "%s", fl->socket);
	} else if (sys_read_file("address", addr, sizeof(addr)) > 0 && address_path(addr)) {
		snprintf(sockpath, sizeof(sockpath), "%s", address_path(addr));
	}
	cloexec_listener(lfd);
	struct svc_config sc = { .ns = fl->ns,
		                 .id = fl->id ? fl->id : "",
		                 .socket_path = sockpath,
		                 .version = shimbox_version,
		                 .revision = shimbox_revision };
	if ((e = loop_init()) < 0 || (e = reap_init(on_signal)) < 0 ||
	    (e = pub_init(getenv("TTRPC_ADDRESS"), fl->ns)) < 0 || (e = svc_init(&sc)) < 0 ||
	    (e = conn_listen(lfd, svc_dispatch)) < 0 || (e = adopt_finish(adopted)) < 0) {
		log_error("cannot start the server: %s", strerror(-e));
		return EXIT_SYSTEM;
	}
	log_info("shimbox %s serving namespace %s (pid %d)", shimbox_version, fl->ns,
	         (int)getpid());
	loop_run();
	if (sockpath[0])
		unlink(sockpath);
	log_info("exiting");
	return 0;
}

/*
 * The legacy v1 shim: containerd created the socket (fd 3) and the bundle (our cwd), wires our
 * stdout and stderr to FIFOs in the work dir, publishes every event but exits itself, and
 * SIGKILLs us when the task is deleted. SIGTERM shuts down as in v2.
 */
static int serve_v1(const struct shim_flags *fl, char *const *argv)
{
	char sockpath[256] = "";
	struct stat st;
	int lfd = 3, e;

	if (!fl->ns || !*fl->ns) {
		fprintf(stderr, "containerd-shim: -namespace is required\n");
		return EXIT_USAGE;
	}
	if (fl->action) {
		fprintf(stderr, "containerd-shim: the v1 shim takes no action ('%s')\n",
		        fl->action);
		return EXIT_USAGE;
	}
	/* Logs go to stderr; a pipe of ours that fills up must drop lines, not stall the loop
	 * (a terminal or a file is left alone: its open file may be shared). */
	if (fstat(2, &st) == 0 && S_ISFIFO(st.st_mode)) {
		int flags = fcntl(2, F_GETFL);
		if (flags >= 0)
			(void)fcntl(2, F_SETFL, flags | O_NONBLOCK);
	}
	log_set_fd(2, fl->debug);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	int v1_log = -1, adopted = adopt_begin(argv, &lfd, &v1_log); /* v1: logs on fd 2 */
	if (adopted < 0)
		return EXIT_SYSTEM;
	sys_closep(&v1_log);
	if (fl->socket) {
		if (!adopted && bind_socket(fl->socket, &lfd) != 0) {
			fprintf(stderr, "containerd-shim: cannot listen on %s\n", fl->socket);
			return 1;
		}
		snprintf(sockpath, sizeof(sockpath), "%s", fl->socket);
	}
	cloexec_listener(lfd);
	struct svc_config sc = {
		.ns = fl->ns,
		.id = "",
		.socket_path = sockpath,
		.version = shimbox_version,
		.revision = shimbox_revision,
		.v1 = 1,
	};
	struct v1_config vc = { fl->runtime_root, fl->criu, fl->workdir, fl->systemd_cgroup };
	const char *bin =
	    fl->containerd_binary && *fl->containerd_binary ? fl->containerd_binary : "containerd";
	if ((e = loop_init()) < 0 || (e = reap_init(on_signal)) < 0 ||
	    (e = fl->address && *fl->address ? pub_init_exec(bin, fl->address, fl->ns)
	                                     : pub_init(NULL, fl->ns)) < 0 ||
	    (e = svc_init(&sc)) < 0 || (e = v1_init(&vc)) < 0 ||
	    (e = conn_listen(lfd, v1_dispatch)) < 0 || (e = adopt_finish(adopted)) < 0) {
		log_error("cannot start the server: %s", strerror(-e));
		return EXIT_SYSTEM;
	}
	log_info("shimbox %s serving the v1 shim API for namespace %s (pid %d), events via %s",
	         shimbox_version, fl->ns, (int)getpid(),
	         fl->address && *fl->address ? bin : "nothing");
	loop_run();
	if (sockpath[0])
		unlink(sockpath);
	log_info("exiting");
	return 0;
}

static int is_v1_name(const char *argv0)
{
	const char *b = strrchr(argv0, '/');
	return strcmp(b ? b + 1 : argv0, "containerd-shim") == 0;
}

/* -info: the options Any on stdin (bounded, as start's), the RuntimeInfo on stdout. */
static int do_info(const char *argv0)
{
	static uint8_t in[1 << 16];
	size_t n = read_stdin(in, sizeof(in));
	return shim_info_print(argv0, in, n);
}

int shim_main(int argc, char **argv)
{
	struct shim_flags fl;
	int r = parse_flags(argc, argv, &fl);
	if (r == -2)
		return 0;
	if (r < 0)
		return EXIT_USAGE;
	if (fl.version) {
		printf("%s:\n  Version:  shimbox %s\n  Revision: %s\n", argc ? argv[0] : "shim",
		       shimbox_version, shimbox_revision);
		return 0;
	}
	if (fl.info)
		return do_info(argc ? argv[0] : "shim");
	if (fl.handover_versions) {
		printf("shimbox-handover %d %d\n", HO_VERSION_MIN, HO_VERSION);
		return 0;
	}
	if (fl.v1 || (argc && is_v1_name(argv[0])))
		return serve_v1(&fl, argv);
	if (!fl.action)
		return serve(&fl, argv);
	if (strcmp(fl.action, "start") == 0)
		return do_start(&fl, argv[0]);
	if (strcmp(fl.action, "delete") == 0)
		return do_delete(&fl);
	fprintf(stderr, "shim: unknown action '%s' (start, delete, or none to serve)\n", fl.action);
	return EXIT_USAGE;
}
