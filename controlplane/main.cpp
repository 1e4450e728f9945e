// sluiced: the control-plane daemon. Thin: parse options, set up logging, hand over.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/daemon_settings.hpp"
#include "controlplane/daemon_options.hpp"
#include "controlplane/io/service_notify.hpp"
#include "shared/log/log.hpp"
#include "shared/version.hpp"

int main(int argc, char** argv) {
    using namespace sluice;
    std::vector<std::string> args(argv, argv + argc);
    auto options = controlplane::parse_daemon_options(args);
    if (!options) {
        fmt::print(stderr, "sluiced: {}\n", options.error().message);
        return 2;
    }
    if (options->help) {
        fmt::print("{}", controlplane::daemon_usage());
        return 0;
    }
    if (options->show_version) {
        fmt::print("sluiced {} (tinc meta protocol 17, compatible with tinc 1.0.36)\n", version);
        return 0;
    }
    // The daemon may change directory when it detaches: make paths absolute first.
    if (options->confdir) options->confdir = std::filesystem::absolute(*options->confdir).string();
    if (options->pidfile) options->pidfile = std::filesystem::absolute(*options->pidfile).string();
    if (options->logfile && !options->logfile->empty())
        options->logfile = std::filesystem::absolute(*options->logfile).string();

    log::Options log_options;
    log_options.debug_level = options->debug_level;
    log_options.name = "sluiced";
    if (options->logfile)
        log_options.logfile =
            options->logfile->empty() ? daemon::default_logfile(options->netname) : *options->logfile;
    log_options.syslog = !options->foreground && log_options.logfile.empty();
    log::init(log_options);

    // Taken (and removed from the environment) before any child exists.
    auto notifier = io::ServiceNotifier::from_environment();
    if (!notifier) {
        log::warn("{}; not notifying the service manager", notifier.error().message);
        notifier = io::ServiceNotifier();
    }
    if (!options->foreground) {
        if (::daemon(0, 0) != 0) {
            log::error("cannot detach: {}", std::strerror(errno));
            return 1;
        }
        // The process the manager started has just exited: name the one that goes on (a
        // manager that allows it, NotifyAccess=all, follows it). Type=notify units run -D.
        (void)notifier->send(fmt::format("MAINPID={}", ::getpid()));
    }
    try {
        auto d = daemon::Daemon::create(*options, std::move(*notifier));
        if (!d) {
            log::error("{}", d.error().message);
            return 1;
        }
        return (*d)->run();
    } catch (const std::exception& e) {
        // Exceptions are programmer bugs or fatal start-up failures (style.md).
        log::error("fatal: {}", e.what());
        return 1;
    }
}
