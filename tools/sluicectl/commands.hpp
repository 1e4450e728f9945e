// The handlers behind sluicectl's command table (one file per command family).
#pragma once

#include "tools/sluicectl/cli.hpp"

namespace sluice::ctl {

int cmd_init(Context& context);
int cmd_generate_keys(Context& context);
int cmd_generate_rsa_keys(Context& context);
int cmd_generate_ed25519_keys(Context& context);
int cmd_fsck(Context& context);
int cmd_dump(Context& context);
int cmd_info(Context& context);
int cmd_stats(Context& context);
int cmd_pid(Context& context);
int cmd_reload(Context& context);
int cmd_stop(Context& context);

}  // namespace sluice::ctl
