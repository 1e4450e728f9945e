#include "controlplane/io/pidfile.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <string_view>
#include <unistd.h>
#include <utility>

#include "controlplane/io/fd.hpp"

namespace sluice::io {

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

Result<std::optional<pid_t>> read_pid_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::optional<pid_t>{};
        return fail("cannot read pid file {}: {}", path, std::strerror(errno));
    }
    char buffer[64];
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
    if (n < 0) return fail("cannot read pid file {}: {}", path, std::strerror(errno));
    std::string_view text(buffer, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) {
        return fail("pid file {} does not hold a pid", path);
    }
    return std::optional<pid_t>{pid};
}

Result<PidFile> PidFile::create(std::string path) {
    const pid_t self = ::getpid();
    // An unreadable or garbled file is treated as stale: it names no process.
    if (auto existing = read_pid_file(path); existing && *existing) {
        const pid_t other = **existing;
        if (other != self && process_alive(other)) {
            return fail("sluiced is already running with pid {} ({})", other, path);
        }
    }

    const std::string temporary = fmt::format("{}.{}.tmp", path, self);
    Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return fail("cannot write pid file {}: {}", temporary, std::strerror(errno));
    const std::string text = fmt::format("{}\n", self);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd.get()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return fail("cannot write pid file {}: {}", temporary, std::strerror(error));
    }
    fd.reset();
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return fail("cannot rename {} to {}: {}", temporary, path, std::strerror(error));
    }
    return PidFile(std::move(path), self);
}

PidFile::PidFile(PidFile&& other) noexcept
    : path_(std::move(other.path_)), pid_(std::exchange(other.pid_, -1)) {}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::move(other.path_);
        pid_ = std::exchange(other.pid_, -1);
    }
    return *this;
}

PidFile::~PidFile() {
    remove();
}

void PidFile::remove() {
    if (pid_ <= 0) return;
    // Another daemon may have taken over the path (after deciding ours was stale): only
    // remove a file that still names us.
    if (auto current = read_pid_file(path_); current && *current && **current == pid_)
        ::unlink(path_.c_str());
    pid_ = -1;
}

}  // namespace sluice::io
