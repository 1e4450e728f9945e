// The handlers behind sluicectl's command table (one file per command family).
#pragma once

#include <string>

#include "tools/sluicectl/cli.hpp"

namespace sluice::ctl {

int cmd_init(Context& context);
int cmd_generate_keys(Context& context);
int cmd_generate_rsa_keys(Context& context);
int cmd_generate_ed25519_keys(Context& context);
int cmd_fsck(Context& context);
int cmd_dump(Context& context);
int cmd_info(Context& context);
int cmd_metrics(Context& context);
int cmd_stats(Context& context);
int cmd_pid(Context& context);
int cmd_reload(Context& context);
int cmd_stop(Context& context);
int cmd_top(Context& context);

// The running daemon's control socket: beside --pidfile, or the default pid file for -n/-c.
[[nodiscard]] std::string control_socket_path(const Context& context);

}  // namespace sluice::ctl
