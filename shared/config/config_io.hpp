// Everything the directory loader needs from the operating system, behind one small
// interface so that config_dir.cpp stays testable with an in-memory fake.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::config {

struct FileStatus {
    bool exists = false;
    bool regular = false;     // a regular file (after following symlinks)
    bool executable = false;  // regular and executable by this process
};

class ConfigIo {
public:
    virtual ~ConfigIo() = default;

    // The whole file; nullopt when it does not exist; an error ("cannot read PATH: reason")
    // for anything else, including files too large to be configuration (over 1 MiB).
    [[nodiscard]] virtual Result<std::optional<std::string>> read_file(const std::string& path) const = 0;
    // Entry names (no "." or ".."), unsorted; nullopt when the directory does not exist.
    [[nodiscard]] virtual Result<std::optional<std::vector<std::string>>> list_directory(
        const std::string& path) const = 0;
    [[nodiscard]] virtual FileStatus status(const std::string& path) const = 0;
    [[nodiscard]] virtual std::optional<std::string> environment(const std::string& name) const = 0;
    [[nodiscard]] virtual Result<std::string> hostname() const = 0;

protected:
    // Copyable only as part of a concrete class (test fakes), never sliced through a base.
    ConfigIo() = default;
    ConfigIo(const ConfigIo&) = default;
    ConfigIo& operator=(const ConfigIo&) = default;
};

// The real thing: POSIX files, getenv, gethostname.
[[nodiscard]] const ConfigIo& system_io();

}  // namespace sluice::config
