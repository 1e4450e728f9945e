// The daemon's pid file (--pidfile, Debian's /run/tinc.NETNAME.pid style): "PID\n", written
// atomically (temporary file + rename, so a reader never sees it half-written), refused
// while the pid it names is alive, removed when the owner goes away.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "shared/util/result.hpp"

namespace sluice::io {

class PidFile {
public:
    // Fails with "sluiced is already running with pid 1234 (PATH)" if PATH names a live
    // process other than this one; a stale or unparsable file is replaced.
    [[nodiscard]] static Result<PidFile> create(std::string path);
    // Removes the file if it still names this process.
    ~PidFile();
    PidFile(PidFile&& other) noexcept;
    PidFile& operator=(PidFile&& other) noexcept;
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    PidFile(std::string path, pid_t pid) : path_(std::move(path)), pid_(pid) {}
    void remove();

    std::string path_;
    pid_t pid_ = -1;
};

// The pid in PATH: nullopt if the file does not exist; an error if it cannot be read or
// does not hold a pid. For "sluicectl stop" style tools and the check above.
[[nodiscard]] Result<std::optional<pid_t>> read_pid_file(const std::string& path);

// kill(pid, 0): true if the process exists (EPERM counts: it exists, owned by someone else).
[[nodiscard]] bool process_alive(pid_t pid);

}  // namespace sluice::io
