/* SPDX-License-Identifier: MIT */
/*
 * Runtime option messages: containerd.runc.v1.Options, CheckpointOptions, ProcessDetails,
 * and 2.3's bootstrap messages (PROTOCOL.md 2.7, 5.1). Same conventions as task.h.
 */
#ifndef SHIMBOX_WIRE_OPTIONS_H
#define SHIMBOX_WIRE_OPTIONS_H

#include "task.h"

#define OPT_RUNC_OPTIONS_URL "containerd.runc.v1.Options"
#define OPT_CHECKPOINT_OPTIONS_URL "containerd.runc.v1.CheckpointOptions"
#define OPT_PROCESS_DETAILS_URL "containerd.runc.v1.ProcessDetails"

struct opt_runc {
	int no_pivot_root, no_new_keyring;
	struct pb_str shim_cgroup;
	uint32_t io_uid, io_gid;
	struct pb_str binary_name, root, criu_path;
	int systemd_cgroup;
	struct pb_str criu_image_path, criu_work_path;
};
int opt_runc_decode(const void *p, size_t n, struct opt_runc *m) PB_WARN;
void opt_runc_encode(struct pb_w *w, const struct opt_runc *m);

/*
 * CheckpointOptions; empty_namespaces (field 6, validated and counted by the decoder) is iterated
 * with pb_repeated_next over raw.
 */
struct opt_checkpoint {
	int exit, open_tcp, external_unix_sockets, terminal, file_locks;
	size_t nempty_namespaces;
	struct pb_str cgroups_mode, image_path, work_path;
	struct pb_str raw;
};
int opt_checkpoint_decode(const void *p, size_t n, struct opt_checkpoint *m) PB_WARN;
void opt_checkpoint_encode(struct pb_w *w, const struct opt_checkpoint *m);

/*
 * runtimeoptions.v1.Options {type_url=1, config_path=2, config_body=3}: what containerd's CRI
 * sends a runtime type other than runc's (io.containerd.shimbox.v2): its handler's `options`
 * table as TOML text in config_body, unless the table names a config_path.
 */
#define OPT_RUNTIME_OPTIONS_URL "runtimeoptions.v1.Options"
struct opt_runtime {
	struct pb_str type_url, config_path, config_body;
};
int opt_runtime_decode(const void *p, size_t n, struct opt_runtime *m) PB_WARN;
void opt_runtime_encode(struct pb_w *w, const struct opt_runtime *m);

/*
 * The containerd.runc.v1.Options fields of such a TOML table, as containerd writes it (go-toml
 * v2: one `Key = value` a line, the table's own keys before any [sub.table]): the keys are
 * Options' field names (BinaryName, SystemdCgroup...), matched without regard to case as
 * toml.Unmarshal matches them; values 'literal' or "basic" strings without escapes, true or
 * false, decimal integers. Other keys, arrays and sub-tables are skipped. Fills o (strings point
 * into body) and returns how many fields were set, or -PB_ERANGE for a line it does not read (a
 * string with escapes, a value of the wrong kind for its key, a line that is not TOML): o is
 * then not to be used.
 */
int opt_runc_from_toml(struct pb_str body, struct opt_runc *o) PB_WARN;

/*
 * The runc Options an Any carries, in either form: containerd.runc.v1.Options itself, or the
 * TOML table of a runtimeoptions.v1.Options (type URLs compared by suffix, as typeurl allows a
 * prefix). 1 read into o; 0 if the Any is neither (another type, or a table that names a
 * config_path); -PB_E* if it is one of them but undecodable.
 */
int opt_runc_of_any(const struct tk_any *a, struct opt_runc *o) PB_WARN;

/* ProcessDetails {exec_id=1}. */
struct opt_process_details {
	struct pb_str exec_id;
};
int opt_process_details_decode(const void *p, size_t n, struct opt_process_details *m) PB_WARN;
void opt_process_details_encode(struct pb_w *w, const struct opt_process_details *m);

/* containerd.runtime.bootstrap.v1.BootstrapParams; extensions (field 8, each {value=1 Any}) are
 * iterated with opt_bootstrap_extension_next over raw; the decoder has validated them all. */
struct opt_bootstrap_params {
	struct pb_str instance_id, ns;
	int32_t log_level;
	struct pb_str containerd_version, containerd_ttrpc_address, containerd_grpc_address;
	struct pb_str containerd_binary;
	size_t nextensions;
	struct pb_str socket_dir; /* 2.3+, optional: "" when absent */
	struct pb_str raw;
};
int opt_bootstrap_params_decode(const void *p, size_t n, struct opt_bootstrap_params *m) PB_WARN;
void opt_bootstrap_params_encode(struct pb_w *w, const struct opt_bootstrap_params *m);
/* Iterates the extensions' Anys: 1, 0 or -PB_E*. */
int opt_bootstrap_extension_next(struct pb_r *it, struct tk_any *value) PB_WARN;

/* BootstrapResult {version=1, address=2, protocol=3}; capabilities and metadata unused. */
struct opt_bootstrap_result {
	int32_t version;
	struct pb_str address, protocol;
};
int opt_bootstrap_result_decode(const void *p, size_t n, struct opt_bootstrap_result *m) PB_WARN;
void opt_bootstrap_result_encode(struct pb_w *w, const struct opt_bootstrap_result *m);

#endif
