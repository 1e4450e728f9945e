// File I/O for key files. POSIX calls instead of iostreams: creation modes, O_EXCL,
// fsync and rename are exactly what matters here and iostreams expose none of them.
#include "shared/crypto/key_files.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

namespace sluice::crypto {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKeyFileSize = 1 << 20;

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

// Closes on destruction; close() errors matter only after writing, where close_checked()
// is called explicitly.
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    [[nodiscard]] int close_checked() noexcept { return ::close(std::exchange(fd_, -1)) == 0 ? 0 : errno; }

private:
    int fd_;
};

// Writes everything, fsyncs and closes; any failure is reported with the path.
Status write_fsync_close(Fd& fd, const fs::path& path, std::string_view contents) {
    std::size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot write {}: {}", path.string(), errno_text(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return fail("cannot fsync {}: {}", path.string(), errno_text(errno));
    if (int err = fd.close_checked(); err != 0)
        return fail("cannot close {}: {}", path.string(), errno_text(err));
    return {};
}

// Makes a new directory entry (create or rename) durable. Best effort: some file systems
// refuse fsync on directories, and the data itself is already on disk.
void fsync_directory(const fs::path& file) {
    fs::path dir = file.parent_path();
    Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) (void)::fsync(fd.get());
}

// Writes contents to a fresh temporary file next to target (same file system, so rename
// is atomic) with the given mode, then renames it over target.
Status replace_atomically(const fs::path& target, std::string_view contents, mode_t mode) {
    std::string temp = (target.parent_path() / ("." + target.filename().string() + ".tmpXXXXXX")).string();
    // mkostemp creates the file with mode 0600 and O_EXCL, so nobody else can open it
    // before the final mode is set.
    Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd.valid())
        return fail("cannot create a temporary file next to {}: {}", target.string(), errno_text(errno));
    auto cleanup_fail = [&](Error error) {
        ::unlink(temp.c_str());
        return fail(std::move(error));
    };
    if (::fchmod(fd.get(), mode) != 0) {
        return cleanup_fail(Error{fmt::format("cannot set the mode of {}: {}", temp, errno_text(errno))});
    }
    if (auto ok = write_fsync_close(fd, temp, contents); !ok) return cleanup_fail(ok.error());
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        return cleanup_fail(
            Error{fmt::format("cannot rename {} to {}: {}", temp, target.string(), errno_text(errno))});
    }
    fsync_directory(target);
    return {};
}

}  // namespace

Status write_private_key_file(const fs::path& path, std::string_view contents, bool force) {
    if (force) return replace_atomically(path, contents, 0600);

    // O_EXCL also fails on a symlink, even a dangling one, so the key cannot be
    // redirected to another file.
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        if (errno == EEXIST) {
            return fail("{} exists; refusing to overwrite a private key without --force", path.string());
        }
        return fail("cannot create {}: {}", path.string(), errno_text(errno));
    }
    // The umask can only remove bits from 0600; setting it explicitly documents intent
    // and keeps the owner's read/write even under an unusual umask.
    Status written = ::fchmod(fd.get(), 0600) != 0
                         ? fail("cannot set the mode of {}: {}", path.string(), errno_text(errno))
                         : write_fsync_close(fd, path, contents);
    if (!written) {
        ::unlink(path.c_str());  // never leave a truncated key behind
        return written;
    }
    fsync_directory(path);
    return {};
}

Result<SecretBuffer> read_private_key_file(const fs::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return fail("cannot open {}: {}", path.string(), errno_text(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail("cannot stat {}: {}", path.string(), errno_text(errno));
    if (!S_ISREG(st.st_mode)) return fail("{} is not a regular file", path.string());
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > kMaxKeyFileSize)
        return fail("{} is too large to be a key file ({} bytes)", path.string(), size);
    // One spare byte detects a file that grew after fstat.
    SecretBuffer buffer(size + 1);
    std::size_t done = 0;
    while (done < buffer.size()) {
        ssize_t n = ::read(fd.get(), buffer.data() + done, buffer.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot read {}: {}", path.string(), errno_text(errno));
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done > size) return fail("{} changed while it was being read", path.string());
    buffer.truncate(done);
    return buffer;
}

std::optional<std::string> check_private_key_permissions(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    const unsigned mode = st.st_mode & 07777;
    if ((mode & 077) == 0) return std::nullopt;
    return fmt::format(
        "insecure permissions {:04o} on private key file {}: group or others can access it; "
        "run 'chmod 600 {}'",
        mode, path.string(), path.string());
}

Status append_public_keys_to_host_file(const fs::path& path, std::optional<std::string_view> rsa_public_pem,
                                       std::optional<std::string_view> ed25519_public_line) {
    if (!rsa_public_pem && !ed25519_public_line) return {};
    if (ed25519_public_line && ed25519_public_line->find('\n') != std::string_view::npos) {
        return fail("the Ed25519 public key line must be a single line");
    }

    // Edit the real file behind a symlink (as tinc's append does) instead of replacing
    // the link with a regular file.
    fs::path target = path;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
        target = fs::weakly_canonical(path, ec);
        if (ec) return fail("cannot resolve the symlink {}: {}", path.string(), ec.message());
    }

    std::string existing;
    mode_t mode = 0644;
    Fd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.valid()) {
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            return fail("cannot stat {}: {}", target.string(), errno_text(errno));
        mode = st.st_mode & 07777;
        char chunk[4096];
        for (;;) {
            ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail("cannot read {}: {}", target.string(), errno_text(errno));
            }
            if (n == 0) break;
            existing.append(chunk, static_cast<std::size_t>(n));
            if (existing.size() > kMaxKeyFileSize)
                return fail("{} is too large to be a host file", target.string());
        }
    } else if (errno != ENOENT) {
        return fail("cannot open {}: {}", target.string(), errno_text(errno));
    }

    return replace_atomically(target, host_file_with_new_keys(existing, rsa_public_pem, ed25519_public_line),
                              mode);
}

}  // namespace sluice::crypto
