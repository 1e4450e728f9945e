// sluice-dp: the data-plane process. Thin: parse options, hand over to the library.
#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "dataplane/control/server.hpp"
#include "dataplane/uring_probe.hpp"
#include "shared/log/log.hpp"
#include "shared/version.hpp"

namespace {

void usage(std::FILE* to) {
    fmt::print(to,
               "Usage: sluice-dp --socket PATH [--logfile FILE | --syslog | --log-relay] [-d LEVEL]\n"
               "       sluice-dp --probe | --version\n"
               "  --socket PATH   where sluiced attaches (sluiced starts sluice-dp itself unless\n"
               "                  the configuration says DataPlane = external)\n"
               "  --logfile FILE  append the log to FILE (default: stderr)\n"
               "  --syslog        log to syslog\n"
               "  --log-relay     \"level: message\" lines on stderr, for sluiced to log again\n"
               "                  (it starts sluice-dp so); without it stderr lines are stamped,\n"
               "                  or carry journald's <N> priority under systemd\n"
               "  -d LEVEL        tinc's debug level, 0..5\n"
               "  --probe         show which io_uring features this kernel offers the workers\n");
}

}  // namespace

int main(int argc, char** argv) {
    sluice::dataplane::control::ServerOptions options;
    sluice::log::Options log_options;
    log_options.name = "sluice-dp";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](std::string_view flag) -> std::string {
            if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=')
                return std::string(arg.substr(flag.size() + 1));
            if (i + 1 >= argc) {
                fmt::print(stderr, "sluice-dp: {} needs a value\n", flag);
                std::exit(1);
            }
            return argv[++i];
        };
        if (arg == "--version") {
            fmt::print("sluice-dp {}\n", sluice::version);
            return 0;
        }
        if (arg == "--probe") {
            auto features = sluice::dataplane::probe_uring();
            if (!features) {
                fmt::print(stderr, "sluice-dp: {}\n", features.error().message);
                return 1;
            }
            fmt::print("{}\n", sluice::dataplane::describe(*features));
            return 0;
        }
        if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return 0;
        }
        if (arg.starts_with("--socket")) {
            options.socket_path = value("--socket");
        } else if (arg.starts_with("--logfile")) {
            log_options.logfile = value("--logfile");
        } else if (arg == "--syslog") {
            log_options.syslog = true;
        } else if (arg == "--log-relay") {
            log_options.stderr_style = sluice::log::StderrStyle::relay;
        } else if (arg.starts_with("-d")) {
            const std::string level = arg.size() > 2 ? std::string(arg.substr(2)) : value("-d");
            log_options.debug_level = std::atoi(level.c_str());
        } else {
            fmt::print(stderr, "sluice-dp: unknown option {}\n", arg);
            usage(stderr);
            return 1;
        }
    }
    if (options.socket_path.empty()) {
        usage(stderr);
        return 1;
    }
    sluice::log::init(log_options);
    return sluice::dataplane::control::run_server(options);
}
