// Logging for both daemons and sluicectl, on spdlog, filtered by tinc's -d debug levels.
//
// tinc decides what to log by a numeric debug level (-d0 .. -d10); operators know those
// numbers, so sluice keeps them: every message carries the tinc level at which it appears.
// Errors and warnings always appear. The spdlog severity follows from the level, so a log
// reader can still filter by severity: level 0 -> info, 1-2 -> debug, 3 and up -> trace.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sluice::log {

enum class Level : int {
    always = 0,         // start/stop and errors
    connections = 1,    // connections made, closed, refused
    status = 2,         // status changes, scripts run
    requests = 3,       // meta requests by name
    request_lines = 4,  // full meta request lines
    traffic = 5,        // per-packet events (never on the data plane's hot path)
    packet_contents = 6,
    scary = 10,  // secrets in clear: never in production
};

// How a line written to stderr looks.
enum class StderrStyle {
    automatic,  // journal when stderr is systemd-journald's stream ($JOURNAL_STREAM), else plain
    plain,      // "2026-11-26 01:02:03.456 sluiced[123] info: message", for a terminal or a file
    journal,    // "<6>info: message": journald stamps time and pid itself and takes <N> as the priority
    relay,      // "info: message", for a parent that logs the line again (sluice-dp under sluiced)
};

struct Options {
    int debug_level = 0;
    std::string logfile;  // empty: stderr, or syslog when `syslog` is set
    bool syslog = false;  // a detached daemon without --logfile logs to syslog, like tincd
    std::string name = "sluice";
    StderrStyle stderr_style = StderrStyle::automatic;
};

// A line a child wrote in StderrStyle::relay, split into its severity and message; a line
// without a known severity is a warning with the whole line as its message (a child's words
// before its log was set up).
struct RelayedLine {
    spdlog::level::level_enum severity;
    std::string_view message;
};
[[nodiscard]] RelayedLine parse_relayed_line(std::string_view line);

// Installs the default logger. Safe to call again (SIGHUP reopens the log file).
void init(const Options& options);

// Reopens the log file given to init() (after logrotate moved it away; tincd does this on
// SIGHUP). A no-op for stderr and syslog.
void reopen();

// The registered sink for tests: replaces the default logger's sinks with `sink`.
void set_sink_for_tests(spdlog::sink_ptr sink);

void set_debug_level(int level);
[[nodiscard]] int debug_level();
[[nodiscard]] inline bool enabled(Level level) {
    return static_cast<int>(level) <= debug_level();
}
[[nodiscard]] spdlog::level::level_enum severity_for(Level level);

template <typename... Args>
void at(Level level, fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(level)) spdlog::log(severity_for(level), format, std::forward<Args>(args)...);
}

template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    spdlog::error(format, std::forward<Args>(args)...);
}

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    spdlog::warn(format, std::forward<Args>(args)...);
}

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    spdlog::info(format, std::forward<Args>(args)...);
}

}  // namespace sluice::log
