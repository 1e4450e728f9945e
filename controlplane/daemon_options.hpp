// sluiced's command line, in tincd's habits. Pure: parses argv into options.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::controlplane {

struct DaemonOptions {
    std::optional<std::string> confdir;  // -c DIR
    std::optional<std::string> netname;  // -n NETNAME
    bool foreground = false;             // -D
    int debug_level = 0;                 // -d, -dN, --debug[=N]; repeated -d adds one each
    std::optional<std::string> logfile;  // --logfile[=FILE]; "" means the default path
    std::optional<std::string> pidfile;  // --pidfile=FILE
    bool help = false;
    bool show_version = false;
};

// Parses argv (argv[0] is the program name). Errors name the offending argument.
[[nodiscard]] Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& argv);

[[nodiscard]] std::string daemon_usage();

}  // namespace sluice::controlplane
