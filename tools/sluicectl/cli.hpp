// sluicectl's command line: global options, the command table, usage and exit codes.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ctl {

// Exit codes, as documented in `sluicectl --help`.
enum ExitCode : int { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

struct Globals {
    std::filesystem::path confdir;  // from -c DIR, -n NETNAME, or the default
    std::optional<std::string> netname;
    bool confdir_given = false;          // -c DIR was used
    std::optional<std::string> pidfile;  // --pidfile=FILE: find the daemon's socket next to it
};

// What a command gets: its own arguments (after the command name) and streams to write to,
// so that tests can run commands in-process and read what they printed.
struct Context {
    Globals globals;
    std::vector<std::string> args;
    std::ostream& out;
    std::ostream& err;
};

struct Command {
    std::string_view name;
    std::string_view summary;  // one line for `sluicectl --help`
    std::string_view usage;    // full text for `sluicectl COMMAND --help`
    int (*run)(Context&);
};

// The table of every command, in the order `--help` lists them.
[[nodiscard]] std::span<const Command> commands();

// Parses argv and runs the command; returns the process exit code.
int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace sluice::ctl
