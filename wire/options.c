/* SPDX-License-Identifier: MIT */
/* Runtime option codecs: runc Options, CheckpointOptions, ProcessDetails and bootstrap messages. */
#include "options.h"

#include "pbdesc.h"

static const struct pb_mdesc extension;
#define SUBS(X) X(tk_any_desc) X(extension) X(pb_none)
PB_SUBS(SUBS);

#define PB_T struct opt_runc
PB_DESC(runc, PB_BOOL(1, no_pivot_root), PB_BOOL(2, no_new_keyring), PB_STR(3, shim_cgroup),
        PB_U32(4, io_uid), PB_U32(5, io_gid), PB_STR(6, binary_name), PB_STR(7, root),
        PB_STR(8, criu_path), PB_BOOL(9, systemd_cgroup), PB_STR(10, criu_image_path),
        PB_STR(11, criu_work_path));
PB_CODEC(opt_runc, struct opt_runc, runc)
#undef PB_T

/* empty_namespaces (6): checked and counted; encoded verbatim from raw. */
#define PB_T struct opt_checkpoint
PB_DESC(checkpoint, PB_RAW(raw), PB_BOOL(1, exit), PB_BOOL(2, open_tcp),
        PB_BOOL(3, external_unix_sockets), PB_BOOL(4, terminal), PB_BOOL(5, file_locks),
        PB_COUNT(6, nempty_namespaces, pb_none), PB_STR(7, cgroups_mode), PB_STR(8, image_path),
        PB_STR(9, work_path));
PB_CODEC(opt_checkpoint, struct opt_checkpoint, checkpoint)
#undef PB_T

#define PB_T struct opt_process_details
PB_DESC(process_details, PB_STR(1, exec_id));
PB_CODEC(opt_process_details, struct opt_process_details, process_details)
#undef PB_T

/* Extension {value=1 Any}, decoded straight into its Any: the last one found (zero if none). */
#define PB_T struct tk_any
PB_DESC(extension, PB_FLAT(1, tk_any_desc));
#undef PB_T

/* extensions (8): every one validated and counted; encoded verbatim from raw. */
#define PB_T struct opt_bootstrap_params
PB_DESC(bootstrap_params, PB_RAW(raw), PB_STR(1, instance_id), PB_STR(2, ns), PB_I32(3, log_level),
        PB_STR(4, containerd_version), PB_STR(5, containerd_ttrpc_address),
        PB_STR(6, containerd_grpc_address), PB_STR(7, containerd_binary),
        PB_COUNT(8, nextensions, extension), PB_STR(9, socket_dir));
PB_CODEC(opt_bootstrap_params, struct opt_bootstrap_params, bootstrap_params)
#undef PB_T

int opt_bootstrap_extension_next(struct pb_r *it, struct tk_any *value)
{
	struct pb_str s;
	int e = pb_repeated_next(it, 8, &s);
	if (e <= 0)
		return e;
	e = pb_decode_msg(&extension, s.p, s.n, value);
	return e < 0 ? e : 1;
}

/* capabilities (4, repeated enum) and metadata (5, a map) are checked, not kept. */
#define PB_T struct opt_bootstrap_result
PB_DESC(bootstrap_result, PB_I32(1, version), PB_STR(2, address), PB_STR(3, protocol), PB_ENUMS(4),
        PB_CHECK(5, pb_none));
PB_CODEC(opt_bootstrap_result, struct opt_bootstrap_result, bootstrap_result)
#undef PB_T
