#include "shared/config/config_io.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace sluice::config {

namespace {

// Configuration files are a few kilobytes; refusing huge ones keeps a mistaken path (a
// device, a log file) from being slurped into memory.
constexpr size_t max_file_size = 1 << 20;

class SystemIo final : public ConfigIo {
public:
    Result<std::optional<std::string>> read_file(const std::string& path) const override {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return std::optional<std::string>();
            return fail("cannot read {}: {}", path, std::strerror(errno));
        }
        std::string text;
        char buffer[8192];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                int saved = errno;
                ::close(fd);
                return fail("cannot read {}: {}", path, std::strerror(saved));
            }
            if (n == 0) break;
            text.append(buffer, static_cast<size_t>(n));
            if (text.size() > max_file_size) {
                ::close(fd);
                return fail("cannot read {}: larger than {} bytes", path, max_file_size);
            }
        }
        ::close(fd);
        return std::optional<std::string>(std::move(text));
    }

    Result<std::optional<std::vector<std::string>>> list_directory(const std::string& path) const override {
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
        if (!dir) {
            if (errno == ENOENT) return std::optional<std::vector<std::string>>();
            return fail("cannot list {}: {}", path, std::strerror(errno));
        }
        std::vector<std::string> names;
        while (const dirent* entry = ::readdir(dir.get())) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") names.push_back(std::move(name));
        }
        return std::optional<std::vector<std::string>>(std::move(names));
    }

    FileStatus status(const std::string& path) const override {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return {};
        const bool regular = S_ISREG(st.st_mode);
        return FileStatus{true, regular, regular && ::access(path.c_str(), X_OK) == 0};
    }

    std::optional<std::string> environment(const std::string& name) const override {
        const char* value = std::getenv(name.c_str());
        return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
    }

    Result<std::string> hostname() const override {
        char name[256] = {};
        if (::gethostname(name, sizeof name - 1) != 0) return fail("{}", std::strerror(errno));
        return std::string(name);
    }
};

}  // namespace

const ConfigIo& system_io() {
    static const SystemIo io;
    return io;
}

}  // namespace sluice::config
