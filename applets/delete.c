/* SPDX-License-Identifier: MIT */
/*
 * shim-delete: cleans up one container from a shell, with or without containerd: stops its shim,
 * deletes the runtime's container, unmounts the rootfs, removes the shim socket and the address
 * file. Each step is idempotent and the address file, which leads to the socket, goes last, so
 * running it again always finishes an interrupted job. The address file is not trusted: only a
 * dead socket of ours is removed, never one that something still listens on.
 */
#include "applets.h"

#include "core/address.h"
#include "core/client.h"
#include "core/exit_record.h"
#include "core/flags.h"
#include "core/locate.h"
#include "core/mount.h"
#include "core/runc.h"
#include "core/sys.h"
#include "wire/json.h"
#include "wire/kernfmt.h"
#include "wire/task.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_MS 2000
#define TERM_WAIT_MS 2000

struct job {
	struct loc loc;
	int proto, did, failed;
};

static const char help[] =
    "usage: shim-delete -namespace NS -id ID [-state DIR] [-force] [-proto]\n"
    "       shim-delete -bundle DIR [-namespace NS] [-id ID] [-force] [-proto]\n"
    "Cleans up one container, with or without containerd running: stops its shim\n"
    "(SIGTERM, then SIGKILL after 2 s), deletes the runtime's container ('runc delete\n"
    "--force'), unmounts the rootfs, removes the shim socket and the bundle's address\n"
    "file, and prints a line for each. Run again, it finishes an interrupted run or\n"
    "does nothing. The bundle directory itself is left to containerd. The socket is\n"
    "removed only if it is a shim's (a hex SHA-256 name) and nobody listens on it;\n"
    "anything that listens there is left alone, with the address file.\n"
    "  -namespace NS  containerd namespace\n"
    "  -id ID         container id\n"
    "  -state DIR     containerd's state directory (default /run/containerd); the\n"
    "                 bundle is DIR/" LOC_V2_DIR "/NS/ID, or DIR/NS/ID\n"
    "  -bundle DIR    the bundle itself (NS and ID default to its last two components)\n"
    "  -force         accept a bundle outside a runtime state directory\n"
    "  -proto         print a protobuf DeleteResponse on stdout (as 'shim delete'\n"
    "                 does) instead of the text\n"
    "Exit status: 0 done (or nothing to do), 1 a step failed or no such container,\n"
    "100 usage.\n";

static void __attribute__((format(printf, 2, 3))) did(struct job *j, const char *fmt, ...)
{
	va_list ap;
	j->did = 1;
	if (j->proto)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3))) fail(struct job *j, const char *fmt, ...)
{
	va_list ap;
	j->failed = 1;
	va_start(ap, fmt);
	fputs("shim-delete: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- the shim -------------------------------------------------------------------------- */

/* Asks the shim at addr for its pid (Task.Connect): > 0; 0 when nobody listens; -1 when a
 * listener does not answer; -2 when it answers with an error (in msg). */
static pid_t shim_pid(const struct job *j, const char *addr, char *msg, size_t msgcap)
{
	struct ttc c;
	uint8_t req[128], *resp;
	size_t len;
	int code;
	struct tk_connect_resp r;
	struct tk_id_req m = { .id = pb_str_of(j->loc.id, strlen(j->loc.id)) };
	struct pb_w w = pb_w_init(req, sizeof(req));
	const struct tt_kv meta[] = { { TTC_META_NS, j->loc.ns } };
	char text[256];

	tk_id_req_encode(&w, &m);
	if (w.err || ttc_connect(&c, addr, CONNECT_MS) < 0)
		return 0;
	int e = ttc_call(&c, "containerd.task.v2.Task", "Connect", req, w.len, meta, 1, CONNECT_MS,
	                 &resp, &len, &code, text, sizeof(text));
	ttc_close(&c);
	pid_t pid = e < 0 ? -1 : -2;
	if (e == 0 && code != TT_OK)
		snprintf(msg, msgcap, "%s: %s", ttc_code_name(code), text);
	else if (e == 0 && tk_connect_resp_decode(resp, len, &r) == 0 && r.shim_pid > 1 &&
	         r.shim_pid <= INT_MAX)
		pid = (pid_t)r.shim_pid;
	else if (e == 0)
		snprintf(msg, msgcap, "no shim pid in the answer");
	free(resp);
	return pid;
}

/* 1 if pid runs a shim binary (exe or argv[0] named containerd-shim* or shimbox) whose argv
 * names our namespace; name gets what it runs, for messages. */
static int looks_like_shim(pid_t pid, const char *ns, char *name, size_t cap)
{
	char path[64], exe[PATH_MAX], cmd[4096];
	ssize_t n;

	snprintf(name, cap, "?");
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((n = sys_read_file(path, cmd, sizeof(cmd))) <= 0)
		return 0;
	snprintf(name, cap, "%s", exe[0] ? exe : cmd);
	const char *eb = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	const char *ab = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	int named = strncmp(eb, "containerd-shim", 15) == 0 || strcmp(eb, "shimbox") == 0 ||
	            strncmp(ab, "containerd-shim", 15) == 0 || strcmp(ab, "shimbox") == 0;
	for (ssize_t i = 0; named && i < n;) { /* argv: "-namespace" followed by ns */
		const char *a = cmd + i;
		size_t al = strlen(a);
		int flag = strcmp(a, "-namespace") == 0 || strcmp(a, "--namespace") == 0;
		if (flag && i + (ssize_t)al + 1 < n)
			return strcmp(a + al + 1, ns) == 0;
		i += (ssize_t)al + 1;
	}
	return 0;
}

static int proc_dead(pid_t pid)
{
	char path[64], st[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (sys_read_file(path, st, sizeof(st)) <= 0)
		return 1;
	const char *p = strrchr(st, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static int wait_dead(pid_t pid, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (proc_dead(pid))
			return 1;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return proc_dead(pid);
}

/* Another bundle of the namespace naming the same address: a grouped shim (PROTOCOL.md 2.4). */
static int shared_with(const struct job *j, const char *addr, char *other, size_t cap)
{
	char dir[sizeof(j->loc.bundle)], path[PATH_MAX], a[256];
	snprintf(dir, sizeof(dir), "%s", j->loc.bundle);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, j->loc.id) == 0 ||
		    sys_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
		    loc_address(path, a, sizeof(a)) <= 0 || strcmp(a, addr) != 0)
			continue;
		snprintf(other, cap, "%s", de->d_name);
		found = 1;
	}
	closedir(d);
	return found;
}

/* Stops the shim; 1 if it is gone (or never answered), 0 if it was left running. */
static int stop_shim(struct job *j, const char *addr)
{
	char name[PATH_MAX], other[256], msg[320];
	pid_t pid = shim_pid(j, addr, msg, sizeof(msg));

	if (pid == 0)
		return 1;
	if (pid == -2) {
		fail(j, "the shim at %s answered Connect with %s; not stopping it", addr, msg);
		return 0;
	}
	if (pid < 0) {
		/* Not a shim (or one so stuck that it cannot answer): its socket is not ours to
		 * remove, and the address file is the way back to it. */
		fail(j,
		     "something listens on %s but does not answer as a shim (no answer to Connect "
		     "within %d s); leaving it, its socket and the address file",
		     addr, CONNECT_MS / 1000);
		return 0;
	}
	if (pid == getpid() || pid == getppid()) {
		fail(j, "the shim at %s claims pid %d; not stopping it", addr, (int)pid);
		return 0;
	}
	if (proc_dead(pid))
		return 1; /* it answered, then exited */
	if (!looks_like_shim(pid, j->loc.ns, name, sizeof(name))) {
		fail(j,
		     "not stopping pid %d (the shim at %s says it is this pid, but it runs %s "
		     "without -namespace %s)",
		     (int)pid, addr, name, j->loc.ns);
		return 0;
	}
	if (shared_with(j, addr, other, sizeof(other))) {
		if (!j->proto)
			printf("left shim %d running: it also serves container %s\n", (int)pid,
			       other);
		return 0;
	}
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		fail(j, "kill %d: %s", (int)pid, strerror(errno));
		return 0;
	}
	if (wait_dead(pid, TERM_WAIT_MS)) {
		did(j, "stopped shim %d", (int)pid);
		return 1;
	}
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH) {
		fail(j, "kill -9 %d: %s", (int)pid, strerror(errno));
		return 0;
	}
	if (!wait_dead(pid, TERM_WAIT_MS)) {
		fail(j, "shim %d survives SIGKILL", (int)pid);
		return 0;
	}
	did(j, "killed shim %d (still running %d s after SIGTERM)", (int)pid, TERM_WAIT_MS / 1000);
	return 1;
}

/* --- the container, rootfs, socket ------------------------------------------------------ */

static void delete_container(struct job *j)
{
	struct runc_cfg cfg;
	struct runc_job rj;
	char state[PATH_MAX];
	struct stat st;

	if (runc_cfg_load(&cfg, j->loc.bundle, j->loc.ns) < 0) {
		/* No options.json: the defaults, as `shim delete` does. */
		memset(&cfg, 0, sizeof(cfg));
		strcpy(cfg.binary, "runc");
		strcpy(cfg.root, RUNC_DEFAULT_ROOT);
		snprintf(cfg.ns, sizeof(cfg.ns), "%s", j->loc.ns);
		snprintf(cfg.bundle, sizeof(cfg.bundle), "%s", j->loc.bundle);
	}
	if (sys_fmt(state, sizeof(state), "%s/%s/%s", cfg.root, cfg.ns, j->loc.id) < 0 ||
	    lstat(state, &st) < 0)
		return; /* the runtime has no state for it */
	const char *args[] = { "delete", "--force", j->loc.id, NULL };
	int e = runc_run_sync(&rj, &cfg, args);
	runc_job_release(&rj);
	if (e == 0 || lstat(state, &st) < 0)
		did(j, "deleted %s container %s", cfg.binary, j->loc.id);
	else
		fail(j, "%s --root %s/%s delete --force %s: %s", cfg.binary, cfg.root, cfg.ns,
		     j->loc.id, e < 0 ? strerror(-e) : rj.err);
}

/* 1 if path is a mount point in our mount namespace (kf_mountinfo_has), 0 if not, -1 if
 * mountinfo cannot be read (no /proc). */
static int is_mounted(const char *path)
{
	enum { CAP = 1 << 20 };
	char *info = malloc(CAP);
	int found;
	if (!info || sys_read_file("/proc/self/mountinfo", info, CAP) <= 0) {
		free(info);
		return -1;
	}
	found = kf_mountinfo_has(info, path);
	free(info);
	return found;
}

static void unmount_rootfs(struct job *j)
{
	char rootfs[PATH_MAX];
	if (sys_fmt(rootfs, sizeof(rootfs), "%s/rootfs", j->loc.bundle) < 0)
		return;
	int m = is_mounted(rootfs);
	if (m == 0 || (m < 0 && umount2(rootfs, 0) < 0)) /* without /proc: try */
		return;
	int e = mount_unmount_all(rootfs);
	if (e < 0)
		fail(j, "unmount %s: %s", rootfs, strerror(-e));
	else
		did(j, "unmounted %s", rootfs);
}

enum { SOCK_NONE, SOCK_DEAD, SOCK_LIVE, SOCK_ERROR };

/*
 * What is bound at the socket path: nobody (connect refused: SOCK_DEAD), a listener of any kind
 * (the connection accepted or queued, or a socket of another type: SOCK_LIVE), nothing at all
 * (SOCK_NONE), or SOCK_ERROR with *err set.
 */
static int probe_socket(const char *path, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = ENAMETOOLONG;
		return SOCK_ERROR;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return SOCK_ERROR;
	}
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	e = r < 0 ? errno : 0;
	sys_close(fd);
	if (r == 0 || e == EAGAIN || e == EINPROGRESS || e == EPROTOTYPE)
		return SOCK_LIVE;
	if (e == ECONNREFUSED)
		return SOCK_DEAD;
	if (e == ENOENT)
		return SOCK_NONE;
	*err = e;
	return SOCK_ERROR;
}

/*
 * A shim socket is named by the hex SHA-256 that address_derive makes, in a socket directory
 * (ADDRESS_SOCKET_DIR, or 2.3's socket_dir), and belongs to our user. Returns NULL if path is
 * such a socket, else why it is not.
 */
static const char *not_ours(const char *path, const struct stat *st)
{
	char dir[PATH_MAX];
	struct stat dst;
	const char *name = strrchr(path, '/');

	if (path[0] != '/' || !name)
		return "not an absolute path";
	name++;
	if (strlen(name) != 64 || strspn(name, "0123456789abcdef") != 64)
		return "its name is not a shim socket's hex SHA-256";
	if (st->st_uid != geteuid())
		return "it belongs to another user";
	if (sys_fmt(dir, sizeof(dir), "%.*s", (int)(name - 1 - path), path) < 0 ||
	    lstat(name - 1 == path ? "/" : dir, &dst) < 0 || !S_ISDIR(dst.st_mode))
		return "its directory is not a plain directory";
	return NULL;
}

/*
 * Removes the shim socket at path (from the address file) if it is ours and dead: a socket
 * named as ours, on which connect() is refused. A live listener, whatever it is, or a socket
 * that is not ours, is left with a message. 1 if no socket is left, 0 if one was left.
 */
static int remove_socket(struct job *j, const char *path)
{
	struct stat st;
	const char *why;
	int e = 0;

	if (path[0] == '@')
		return 1; /* abstract: nothing on disk, gone with its owner */
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 1;
		fail(j, "stat %s (from the address file): %s; leaving it", path, strerror(errno));
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fail(j, "%s (from the address file) is not a socket; leaving it", path);
		return 0;
	}
	switch (probe_socket(path, &e)) {
	case SOCK_NONE:
		return 1;
	case SOCK_LIVE:
		fail(j, "something listens on %s (from the address file); leaving it and the "
		        "address file",
		     path);
		return 0;
	case SOCK_ERROR:
		fail(j, "connect %s (from the address file): %s; leaving it", path, strerror(e));
		return 0;
	}
	if ((why = not_ours(path, &st)) != NULL) {
		fail(j, "%s (from the address file) is not a shim socket: %s; leaving it", path,
		     why);
		return 0;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		fail(j, "remove %s: %s", path, strerror(errno));
		return 0;
	}
	did(j, "removed socket %s", path);
	return 1;
}

/* What the delete action answers: init's pid, and its exit as the shim kept it (or 137). */
static int print_delete_response(const struct job *j)
{
	uint8_t out[64];
	struct pb_w w = pb_w_init(out, sizeof(out));
	struct tk_delete_resp r;

	exit_record_delete_resp(j->loc.bundle, &r);
	tk_delete_resp_encode(&w, &r);
	return w.err || sys_write_all(1, out, w.len) < 0 ? 1 : 0;
}

int shim_delete_main(int argc, char **argv)
{
	const char *ns = NULL, *id = NULL, *state = NULL, *bundle = NULL;
	int force = 0, i = 1, r;
	char addr[256];
	struct err err;
	struct job j = { 0 };
	const struct flag defs[] = {
		{ "namespace", FLAG_STR, &ns }, { "id", FLAG_STR, &id },
		{ "state", FLAG_STR, &state },  { "bundle", FLAG_STR, &bundle },
		{ "force", FLAG_BOOL, &force }, { "proto", FLAG_BOOL, &j.proto },
	};

	r = flags_parse(defs, ARRAY_LEN(defs), argc, argv, &i, &err);
	if (r == FLAGS_HELP)
		return fputs(help, stdout) < 0;
	if (r == 0 && i < argc) {
		err_msg(&err, "unexpected argument '%s'", argv[i]);
		r = FLAGS_ERROR;
	}
	if (r < 0) {
		fprintf(stderr, "shim-delete: %s\nrun 'shim-delete --help' for usage\n", err.msg);
		return EXIT_USAGE;
	}
	if ((r = loc_resolve(&j.loc, bundle, state, ns, id, &err)) < 0) {
		fprintf(stderr, "shim-delete: %s\n", err.msg);
		return r == -EINVAL ? EXIT_USAGE : 1;
	}
	if (!force && !loc_in_state_dir(j.loc.bundle)) {
		fprintf(stderr,
		        "shim-delete: refusing %s: not inside a runtime state directory "
		        "(.../" LOC_V2_DIR "/NS/ID); use -force if it really is a bundle\n",
		        j.loc.bundle);
		return 1;
	}
	int have_addr = loc_address(j.loc.bundle, addr, sizeof(addr)) > 0;
	const char *sock = have_addr ? address_socket_path(addr) : NULL;

	/*
	 * The critical section: INT, TERM and HUP wait until it is over (the job is then done and
	 * they are discarded at exit). SIGKILL cannot wait; a second run finishes the job.
	 */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);

	int shim_gone = have_addr ? stop_shim(&j, addr) : 1;
	delete_container(&j);
	unmount_rootfs(&j);
	if (have_addr && shim_gone && (!*sock || remove_socket(&j, sock))) {
		char path[PATH_MAX];
		int e = sys_fmt(path, sizeof(path), "%s/address", j.loc.bundle);
		if (e >= 0)
			e = unlink(path) == 0 ? 0 : -errno;
		if (e == 0)
			did(&j, "removed %s", path);
		else if (e != -ENOENT)
			fail(&j, "remove %s/address: %s", j.loc.bundle, strerror(-e));
	}

	if (j.proto)
		return j.failed ? 1 : print_delete_response(&j);
	if (!j.did && !j.failed)
		printf("nothing to do for %s/%s\n", j.loc.ns, j.loc.id);
	struct stat st;
	if (stat(j.loc.bundle, &st) == 0)
		printf("left bundle %s for containerd to remove\n", j.loc.bundle);
	else
		printf("bundle %s is gone (containerd removed it meanwhile)\n", j.loc.bundle);
	if (j.failed)
		fputs("shim-delete: not everything was cleaned up; run it again\n", stderr);
	return j.failed ? 1 : 0;
}
