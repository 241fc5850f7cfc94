/* SPDX-License-Identifier: MIT */
/*
 * The messages shimbox prints or answers outside the Task API: the reply of its own service
 * shimbox.v1.Shim/Dump (core/dump.c answers it, shim-dump reads it) and containerd.types
 * RuntimeInfo, what `shim -info` prints (PROTOCOL.md 2.3). Same conventions as task.h.
 */
#ifndef SHIMBOX_WIRE_SHIMBOX_H
#define SHIMBOX_WIRE_SHIMBOX_H

#include "task.h"

/* shimbox's own ttrpc service; its one method, Dump, takes an empty request. */
#define SB_SERVICE "shimbox.v1.Shim"
#define SB_DUMP_METHOD "Dump"

/* DumpResponse {json=1}: the shim's state as one JSON document (proto3: empty is not sent). */
struct sb_dump_resp {
	struct pb_str json;
};
int sb_dump_resp_decode(const void *p, size_t n, struct sb_dump_resp *m) PB_WARN;
void sb_dump_resp_encode(struct pb_w *w, const struct sb_dump_resp *m);

/*
 * Upgrade (shim-upgrade): UpgradeRequest {binary=1} (empty: the path the shim was started from);
 * UpgradeResponse {from_revision=1, to_revision=2, upgrades=3, pid=4}, answered by the new image
 * once it serves (an error, by the old one, which then goes on serving).
 */
#define SB_UPGRADE_METHOD "Upgrade"
struct sb_upgrade_req {
	struct pb_str binary;
};
struct sb_upgrade_resp {
	struct pb_str from_revision, to_revision;
	uint32_t upgrades, pid;
};
int sb_upgrade_req_decode(const void *p, size_t n, struct sb_upgrade_req *m) PB_WARN;
void sb_upgrade_req_encode(struct pb_w *w, const struct sb_upgrade_req *m);
int sb_upgrade_resp_decode(const void *p, size_t n, struct sb_upgrade_resp *m) PB_WARN;
void sb_upgrade_resp_encode(struct pb_w *w, const struct sb_upgrade_resp *m);

/* containerd.types.RuntimeVersion {version=1, revision=2}. */
struct sb_runtime_version {
	struct pb_str version, revision;
};

/*
 * containerd.types.RuntimeInfo {name=1, version=2, options=3 Any, features=4 Any,
 * annotations=5 map<string,string>}. version is always encoded; options and features only when
 * their has_ flag is set (the decoder sets it when the field is present). annotations are checked
 * by the decoder, neither stored nor encoded: shimbox claims none.
 */
struct sb_runtime_info {
	struct pb_str name;
	struct sb_runtime_version version;
	struct tk_any options, features;
	int has_options, has_features;
};
int sb_runtime_info_decode(const void *p, size_t n, struct sb_runtime_info *m) PB_WARN;
void sb_runtime_info_encode(struct pb_w *w, const struct sb_runtime_info *m);

#endif
