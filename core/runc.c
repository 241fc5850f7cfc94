/* SPDX-License-Identifier: MIT */
/* OCI runtime children and the extraction of their error messages. */
#include "runc.h"

#include "log.h"
#include "reaper.h"
#include "spawn.h"
#include "sys.h"
#include "wire/json.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNC_MAX_ARGS 48

static int memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The last "level":"error" msg appended to log.json since off, else runc's stderr. */
static void job_error(struct runc_job *job)
{
	size_t cap = 16384;
	char *buf = malloc(cap);
	job->err[0] = 0;
	if (buf) {
		int fd = sys_open(job->log_path, O_RDONLY, 0);
		if (fd >= 0) {
			struct stat st;
			off_t start = job->log_off;
			if (fstat(fd, &st) == 0 && st.st_size - start > (off_t)cap - 1)
				start = st.st_size - (off_t)cap + 1;
			ssize_t n = pread(fd, buf, cap - 1, start);
			sys_close(fd);
			for (ssize_t i = 0; n > 0 && i < n;) {
				ssize_t j = i;
				while (j < n && buf[j] != '\n')
					j++;
				struct pb_str line = { (const uint8_t *)buf + i, (size_t)(j - i) },
				              lv, msg;
				char level[16];
				if (json_get(line, "level", &lv) == 1 &&
				    json_string(lv, level, sizeof(level)) > 0 &&
				    strcmp(level, "error") == 0 && json_get(line, "msg", &msg) == 1)
					json_string(msg, job->err, sizeof(job->err));
				i = j + 1;
			}
		}
	}
	free(buf);
	if (job->err[0] || job->err_fd < 0)
		return;
	ssize_t n = pread(job->err_fd, job->err, sizeof(job->err) - 1, 0);
	job->err[n > 0 ? n : 0] = 0;
	/* One line: the last non-empty one is the message. */
	size_t len = strlen(job->err);
	while (len && (job->err[len - 1] == '\n' || job->err[len - 1] == ' '))
		job->err[--len] = 0;
	char *nl = strrchr(job->err, '\n');
	if (nl)
		memmove(job->err, nl + 1, strlen(nl + 1) + 1);
	if (!job->err[0])
		snprintf(job->err, sizeof(job->err), "%s exited with status %d", job->binary,
		         job->status);
}

static size_t jobs_running;

size_t runc_jobs_running(void)
{
	return jobs_running;
}

static void on_exit_cb(void *ctx, const struct reap_exit *e)
{
	struct runc_job *job = ctx;
	jobs_running--;
	job->status = e->status;
	job->pid = 0;
	if (job->out_fd >= 0)
		lseek(job->out_fd, 0, SEEK_SET);
	if (job->status != 0)
		job_error(job);
	job->done(job);
}

static int build_argv(const char **argv, const struct runc_cfg *cfg, const char *const *args,
                      char *root, size_t rootcap, char *logp, size_t logcap)
{
	size_t n = 0;
	if (sys_fmt(root, rootcap, "%s/%s", cfg->root, cfg->ns) < 0 ||
	    sys_fmt(logp, logcap, "%s/log.json", cfg->bundle) < 0)
		return -ENAMETOOLONG;
	argv[n++] = cfg->binary;
	argv[n++] = "--root";
	argv[n++] = root;
	argv[n++] = "--log";
	argv[n++] = logp;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	if (cfg->systemd_cgroup)
		argv[n++] = "--systemd-cgroup";
	for (; *args; args++) {
		if (n + 1 >= RUNC_MAX_ARGS)
			return -E2BIG;
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return 0;
}

int runc_run(struct runc_job *job, const struct runc_cfg *cfg, const char *const *args,
             const int *fds, const void *stdin_data, size_t stdin_len, int flags)
{
	const char *argv[RUNC_MAX_ARGS];
	char root[512], logp[sizeof(job->log_path)];
	int in_fd = -1, e;
	struct stat st;

	job->out_fd = job->err_fd = -1;
	job->pid = 0;
	job->status = -1;
	job->err[0] = 0;
	if ((e = build_argv(argv, cfg, args, root, sizeof(root), logp, sizeof(logp))) < 0)
		return e;
	if ((e = sys_fmt(job->log_path, sizeof(job->log_path), "%s", logp)) < 0)
		return e;
	snprintf(job->binary, sizeof(job->binary), "%s", cfg->binary);
	job->log_off = stat(logp, &st) == 0 ? (long)st.st_size : 0;

	struct spawn_opts o = { .argv = argv,
		                .fds = { -1, -1, -1 },
		                .fd3 = -1,
		                .pdeathsig = SIGKILL,
		                .unset_env = "NOTIFY_SOCKET" };
	if (fds) {
		memcpy(o.fds, fds, sizeof(o.fds));
	} else {
		if (stdin_data) {
			if ((in_fd = memfd("runc-stdin")) < 0)
				return in_fd;
			if ((e = sys_write_all(in_fd, stdin_data, stdin_len)) < 0 ||
			    lseek(in_fd, 0, SEEK_SET) < 0) {
				sys_close(in_fd);
				return e < 0 ? e : -errno;
			}
			o.fds[0] = in_fd;
		}
		if ((flags & RUNC_CAPTURE) && (job->out_fd = memfd("runc-stdout")) < 0)
			goto fail;
		o.fds[1] = job->out_fd;
		if ((job->err_fd = memfd("runc-stderr")) < 0)
			goto fail;
		o.fds[2] = job->err_fd;
	}
	pid_t pid = spawn(&o);
	sys_close(in_fd);
	if (pid < 0) {
		e = (int)pid;
		runc_job_release(job);
		log_error("exec %s: %s", cfg->binary, strerror(-e));
		return e;
	}
	job->pid = pid;
	if ((e = reap_watch(pid, on_exit_cb, job)) < 0) {
		kill(pid, SIGKILL);
		runc_job_release(job);
		return e;
	}
	jobs_running++;
	log_debug("runc %s: pid %d", args[0], (int)pid);
	return 0;
fail:
	e = job->out_fd < 0 && (flags & RUNC_CAPTURE) ? job->out_fd : job->err_fd;
	sys_close(in_fd);
	runc_job_release(job);
	return e < 0 ? e : -EIO;
}

void runc_job_release(struct runc_job *job)
{
	sys_closep(&job->out_fd);
	sys_closep(&job->err_fd);
}

static void sync_done(struct runc_job *job)
{
	(void)job;
}

int runc_run_sync(struct runc_job *job, const struct runc_cfg *cfg, const char *const *args)
{
	job->done = sync_done;
	int e = runc_run(job, cfg, args, NULL, NULL, 0, 0);
	if (e < 0)
		return e;
	int st;
	pid_t pid = job->pid;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	reap_unwatch(pid);
	job->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	if (job->status != 0)
		job_error(job);
	return job->status;
}

/* options.json is ours alone (only our `delete` reads it): one flat JSON object. */
int runc_cfg_save(const struct runc_cfg *cfg)
{
	char path[1024], json[1024];
	int e, n;
	n = snprintf(json, sizeof(json),
	             "{\"binary_name\":\"%s\",\"root\":\"%s\",\"systemd_cgroup\":%s}", cfg->binary,
	             cfg->root, cfg->systemd_cgroup ? "true" : "false");
	if (n < 0 || (size_t)n >= sizeof(json) || strchr(cfg->binary, '"') ||
	    strchr(cfg->root, '"'))
		return -EINVAL;
	if ((e = sys_fmt(path, sizeof(path), "%s/options.json", cfg->bundle)) < 0 ||
	    (e = sys_write_file_atomic(path, json, (size_t)n, 0600)) < 0)
		return e;
	if ((e = sys_fmt(path, sizeof(path), "%s/runtime", cfg->bundle)) < 0)
		return e;
	return sys_write_file_atomic(path, cfg->binary, strlen(cfg->binary), 0600);
}

int runc_cfg_load(struct runc_cfg *cfg, const char *bundle, const char *ns)
{
	char path[1024], json[1024];
	struct pb_str doc, v;
	ssize_t n;
	int e;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->binary, "runc");
	strcpy(cfg->root, RUNC_DEFAULT_ROOT);
	if ((e = sys_fmt(cfg->bundle, sizeof(cfg->bundle), "%s", bundle)) < 0 ||
	    (e = sys_fmt(cfg->ns, sizeof(cfg->ns), "%s", ns)) < 0 ||
	    (e = sys_fmt(path, sizeof(path), "%s/options.json", bundle)) < 0)
		return e;
	if ((n = sys_read_file(path, json, sizeof(json))) < 0)
		return (int)n;
	doc = pb_str_of(json, (size_t)n);
	if (json_get(doc, "binary_name", &v) == 1 &&
	    json_string(v, cfg->binary, sizeof(cfg->binary)) <= 0)
		strcpy(cfg->binary, "runc");
	if (json_get(doc, "root", &v) == 1 && json_string(v, cfg->root, sizeof(cfg->root)) <= 0)
		strcpy(cfg->root, RUNC_DEFAULT_ROOT);
	cfg->systemd_cgroup =
	    json_get(doc, "systemd_cgroup", &v) == 1 && v.n == 4 && memcmp(v.p, "true", 4) == 0;
	return 0;
}
