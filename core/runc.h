/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous OCI runtime invocations (PROTOCOL.md 5.1). runc_run spawns the runtime as a child
 * and returns at once; the reaper's notice of its exit fills in the job and calls job->done.
 */
#ifndef SHIMBOX_CORE_RUNC_H
#define SHIMBOX_CORE_RUNC_H

#include <stddef.h>
#include <sys/types.h>

#define RUNC_DEFAULT_ROOT "/run/containerd/runc"

/* Per-container runtime settings, from the runc Options of Create (saved in the bundle). */
struct runc_cfg {
	char binary[256]; /* "runc" unless binary_name */
	char root[256];   /* without the namespace */
	char ns[80];
	char bundle[900];
	int systemd_cgroup;
};

struct runc_job;
typedef void (*runc_done_fn)(struct runc_job *job);

struct runc_job {
	runc_done_fn done;
	void *ctx;
	pid_t pid;
	int status;     /* runc's exit status, valid in done */
	int out_fd;     /* with RUNC_CAPTURE: a memfd holding runc's stdout, rewound; else -1 */
	char err[1024]; /* when status != 0: the runtime's last error message */
	/* private */
	int err_fd;
	long log_off;
	char log_path[1024];
	char binary[256];
};

enum { RUNC_CAPTURE = 1 };

/*
 * Starts `<binary> --root <root>/<ns> --log <bundle>/log.json --log-format json
 * [--systemd-cgroup] args...`. stdio: fds[0..2] if fds is given, else stdin_data (may be NULL)
 * on stdin, stdout captured if flags has RUNC_CAPTURE, stderr captured for error text.
 * Returns 0 (done will be called exactly once) or -errno (done is never called).
 */
int runc_run(struct runc_job *job, const struct runc_cfg *cfg, const char *const *args,
             const int *fds, const void *stdin_data, size_t stdin_len, int flags)
    __attribute__((warn_unused_result));
/* Runtime children started by runc_run whose exit has not been handled yet. */
size_t runc_jobs_running(void);
/* Releases the job's fds; call from or after done. */
void runc_job_release(struct runc_job *job);
/* Runs synchronously (for applets before or without the loop): returns the exit status or
 * -errno, with job->err filled on failure. */
int runc_run_sync(struct runc_job *job, const struct runc_cfg *cfg, const char *const *args)
    __attribute__((warn_unused_result));

/* Saves and loads cfg as <bundle>/options.json and <bundle>/runtime. */
int runc_cfg_save(const struct runc_cfg *cfg) __attribute__((warn_unused_result));
int runc_cfg_load(struct runc_cfg *cfg, const char *bundle, const char *ns)
    __attribute__((warn_unused_result));

#endif
