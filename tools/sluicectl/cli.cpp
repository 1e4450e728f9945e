#include "tools/sluicectl/cli.hpp"

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "shared/config/config_dir.hpp"
#include "shared/version.hpp"
#include "tools/sluicectl/commands.hpp"

namespace sluice::ctl {

namespace {

constexpr std::string_view global_usage = R"(Usage: sluicectl [GLOBAL OPTIONS] COMMAND [ARGS]

Global options:
  -c, --config=DIR   configuration directory (default /etc/sluice)
  -n, --net=NETNAME  use /etc/sluice/NETNAME
      --pidfile=FILE the running daemon's pid file (its control socket is beside it)
  -h, --help         show this help; `sluicectl COMMAND --help` shows a command's help
      --version      show the version

Commands:
)";

constexpr std::string_view exit_codes = R"(
Exit codes: 0 success, 1 the command failed, 2 usage error.
)";

void print_global_help(std::ostream& out) {
    out << global_usage;
    for (const auto& c : commands()) fmt::print(out, "  {:<16} {}\n", c.name, c.summary);
    out << exit_codes;
}

const Command* find_command(std::string_view name) {
    for (const auto& c : commands())
        if (c.name == name) return &c;
    return nullptr;
}

// Accepts "-cDIR", "-c DIR", "--config=DIR" and "--config DIR" like getopt_long.
bool take_value(const std::vector<std::string>& argv, size_t& i, std::string_view short_opt,
                std::string_view long_opt, std::string& value, bool& error) {
    std::string_view a = argv[i];
    auto next = [&]() {
        if (i + 1 >= argv.size()) {
            error = true;
            return false;
        }
        value = argv[++i];
        return true;
    };
    if (a == short_opt || a == long_opt) return next();
    if (a.starts_with(short_opt) && short_opt.size() == 2 && a.size() > 2 && a[1] != '-') {
        value = std::string(a.substr(2));
        return true;
    }
    if (a.starts_with(long_opt) && a.size() > long_opt.size() && a[long_opt.size()] == '=') {
        value = std::string(a.substr(long_opt.size() + 1));
        return true;
    }
    return false;
}

}  // namespace

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
    Globals globals;
    std::optional<std::string> confdir;
    size_t i = 1;
    for (; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        std::string value;
        bool missing = false;
        if (take_value(argv, i, "-c", "--config", value, missing)) {
            confdir = value;
        } else if (take_value(argv, i, "-n", "--net", value, missing)) {
            globals.netname = value;
        } else if (take_value(argv, i, "--pidfile", "--pidfile", value, missing)) {
            globals.pidfile = value;
        } else if (missing) {
            fmt::print(err, "sluicectl: option {} needs a value\n", a);
            return exit_usage;
        } else if (a == "-h" || a == "--help") {
            print_global_help(out);
            return exit_ok;
        } else if (a == "--version") {
            fmt::print(out, "sluicectl {}\n", version);
            return exit_ok;
        } else if (a.starts_with("-")) {
            fmt::print(err, "sluicectl: unknown option {} (see sluicectl --help)\n", a);
            return exit_usage;
        } else {
            break;
        }
    }
    if (i >= argv.size()) {
        fmt::print(err, "sluicectl: no command given (see sluicectl --help)\n");
        return exit_usage;
    }
    const Command* command = find_command(argv[i]);
    if (command == nullptr) {
        fmt::print(err, "sluicectl: unknown command \"{}\" (see sluicectl --help)\n", argv[i]);
        return exit_usage;
    }
    std::vector<std::string> args(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            out << command->usage;
            return exit_ok;
        }
    }

    if (confdir && globals.netname) {
        fmt::print(err, "sluicectl: give either -c DIR or -n NETNAME, not both\n");
        return exit_usage;
    }
    if (confdir) {
        globals.confdir = *confdir;
        globals.confdir_given = true;
    } else if (globals.netname) {
        auto dir = config::netname_dir(*globals.netname);
        if (!dir) {
            fmt::print(err, "sluicectl: {}\n", dir.error().message);
            return exit_usage;
        }
        globals.confdir = *dir;
    } else {
        globals.confdir = std::string(config::config_root);
    }

    Context context{globals, std::move(args), out, err};
    return command->run(context);
}

}  // namespace sluice::ctl
