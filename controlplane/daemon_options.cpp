#include "controlplane/daemon_options.hpp"

#include <charconv>
#include <string_view>

namespace sluice::controlplane {

namespace {

Result<int> parse_level(std::string_view text) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < 0 || value > 10)
        return fail("invalid debug level \"{}\": expected 0..10", text);
    return value;
}

}  // namespace

Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& argv) {
    DaemonOptions o;
    for (size_t i = 1; i < argv.size(); ++i) {
        std::string_view a = argv[i];
        auto value_of = [&](std::string_view opt) -> Result<std::string> {
            if (a.size() > opt.size() && a[opt.size()] == '=') return std::string(a.substr(opt.size() + 1));
            if (opt.size() == 2 && a.size() > 2) return std::string(a.substr(2));
            if (i + 1 >= argv.size()) return fail("option {} needs a value", opt);
            return argv[++i];
        };
        if (a == "-D" || a == "--no-detach") {
            o.foreground = true;
        } else if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--version") {
            o.show_version = true;
        } else if (a == "-c" || a.starts_with("--config") || (a.starts_with("-c") && !a.starts_with("--"))) {
            auto v = value_of(a.starts_with("--") ? "--config" : "-c");
            if (!v) return fail(v.error());
            o.confdir = *v;
        } else if (a == "-n" || a.starts_with("--net") || (a.starts_with("-n") && !a.starts_with("--"))) {
            auto v = value_of(a.starts_with("--") ? "--net" : "-n");
            if (!v) return fail(v.error());
            o.netname = *v;
        } else if (a == "-d" || a == "--debug") {
            ++o.debug_level;
        } else if (a.starts_with("--debug=")) {
            auto level = parse_level(a.substr(8));
            if (!level) return fail(level.error());
            o.debug_level = *level;
        } else if (a.starts_with("-d") && !a.starts_with("--")) {
            // tincd takes "-d5" as level 5 (an optional argument, so never "-d 5").
            auto level = parse_level(a.substr(2));
            if (!level) return fail(level.error());
            o.debug_level = *level;
        } else if (a == "--logfile") {
            o.logfile = "";
        } else if (a.starts_with("--logfile=")) {
            o.logfile = std::string(a.substr(10));
            if (o.logfile->empty()) return fail("--logfile= needs a file name");
        } else if (a == "--pidfile" || a.starts_with("--pidfile=")) {
            auto v = value_of("--pidfile");
            if (!v) return fail(v.error());
            if (v->empty()) return fail("--pidfile needs a file name");
            o.pidfile = *v;
        } else {
            return fail("unknown argument \"{}\" (see sluiced --help)", a);
        }
    }
    if (o.debug_level > 10) o.debug_level = 10;
    if (o.confdir && o.netname) return fail("give either -c DIR or -n NETNAME, not both");
    return o;
}

std::string daemon_usage() {
    return R"(Usage: sluiced [OPTIONS]

  -c, --config=DIR       read configuration from DIR
  -n, --net=NETNAME      use /etc/sluice/NETNAME
  -D, --no-detach        stay in the foreground
  -d, --debug[=LEVEL]    raise the debug level (tincd's levels 0..10; -d5 sets 5)
      --logfile[=FILE]   log to FILE (default /var/log/sluice.NETNAME.log)
      --pidfile=FILE     write the PID to FILE (default /run/sluice/NETNAME.pid)
  -h, --help             show this help
      --version          show the version
)";
}

}  // namespace sluice::controlplane
