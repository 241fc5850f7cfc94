/* SPDX-License-Identifier: MIT */
/* Codecs of shimbox's own Dump reply and of the RuntimeInfo that `shim -info` prints. */
#include "shimbox.h"

#include "pbdesc.h"

static const struct pb_mdesc runtime_version;
#define SUBS(X) X(tk_any_desc) X(pb_str_map_desc) X(runtime_version)
PB_SUBS(SUBS);

#define PB_T struct sb_dump_resp
PB_DESC(dump_resp, PB_STR(1, json));
PB_CODEC(sb_dump_resp, struct sb_dump_resp, dump_resp)
#undef PB_T

#define PB_T struct sb_upgrade_req
PB_DESC(upgrade_req, PB_STR(1, binary));
PB_CODEC(sb_upgrade_req, struct sb_upgrade_req, upgrade_req)
#undef PB_T

#define PB_T struct sb_upgrade_resp
PB_DESC(upgrade_resp, PB_STR(1, from_revision), PB_STR(2, to_revision), PB_U32(3, upgrades),
        PB_U32(4, pid));
PB_CODEC(sb_upgrade_resp, struct sb_upgrade_resp, upgrade_resp)
#undef PB_T

#define PB_T struct sb_runtime_version
PB_DESC(runtime_version, PB_STR(1, version), PB_STR(2, revision));
#undef PB_T

#define PB_T struct sb_runtime_info
PB_DESC(runtime_info, PB_STR(1, name), PB_MSG(2, version, runtime_version),
        PB_OPT(3, options, has_options, tk_any_desc),
        PB_OPT(4, features, has_features, tk_any_desc), PB_CHECK(5, pb_str_map_desc));
PB_CODEC(sb_runtime_info, struct sb_runtime_info, runtime_info)
#undef PB_T
