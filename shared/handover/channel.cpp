#include "shared/handover/channel.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace sluice::handover {

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path)
        return fail("{}: not usable as a Unix socket path (length {})", path, path.size());
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    return a;
}

}  // namespace

Fds& Fds::operator=(Fds&& o) noexcept {
    if (this != &o) {
        for (int fd : fds) ::close(fd);
        fds = std::move(o.fds);
        o.fds.clear();
    }
    return *this;
}

Fds::~Fds() {
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
}

int Fds::take(std::size_t index) noexcept {
    if (index >= fds.size()) return -1;
    return std::exchange(fds[index], -1);
}

Result<int> listen_at(const std::string& path) {
    auto address = unix_address(path);
    if (!address) return fail(address.error());
    // A socket file left by a dead sluice-dp refuses connections; a live one accepts.
    if (auto probe = connect_to(path)) {
        ::close(*probe);
        return fail("{}: another sluice-dp is listening there", path);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return fail("{}: exists and is not a socket", path);
        ::unlink(path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket(AF_UNIX): {}", std::strerror(errno));
    const mode_t old = ::umask(0077);  // the socket hands out the shared memory: owner only
    const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
    const int saved = errno;
    ::umask(old);
    if (bound != 0 || ::listen(fd, 4) != 0) {
        const int e = bound != 0 ? saved : errno;
        ::close(fd);
        return fail("{}: {}", path, std::strerror(e));
    }
    return fd;
}

Result<int> connect_to(const std::string& path) {
    auto address = unix_address(path);
    if (!address) return fail(address.error());
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket(AF_UNIX): {}", std::strerror(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        const int e = errno;
        ::close(fd);
        return fail("{}: {}", path, std::strerror(e));
    }
    return fd;
}

Status send_message(int socket, const Message& message, const std::vector<int>& fds) {
    auto text = format_message(message);
    if (!text) return fail(text.error());
    if (fds.size() > kMaxFds) return fail("handover: {} descriptors in one message", fds.size());
    iovec iov{text->data(), text->size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        const ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n >= 0) return {};
        if (errno != EINTR) return fail("sending {}: {}", message.name, std::strerror(errno));
    }
}

Result<Received> receive_message(int socket, std::chrono::milliseconds timeout) {
    pollfd p{socket, POLLIN, 0};
    for (;;) {
        const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (r > 0) break;
        if (r == 0) return fail("no answer within {} ms", timeout.count());
        if (errno != EINTR) return fail("poll: {}", std::strerror(errno));
    }
    std::string buffer(kMaxMessage, '\0');
    std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds), 0);
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail("recvmsg: {}", std::strerror(errno));
    Received out;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const auto* data = reinterpret_cast<const int*>(CMSG_DATA(c));
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, data + i, sizeof fd);
            out.fds.fds.push_back(fd);
        }
    }
    if (n == 0) return fail("closed by the other side");
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        return fail("handover: message or descriptors truncated");
    buffer.resize(static_cast<std::size_t>(n));
    auto parsed = parse_message(buffer);
    if (!parsed) return fail(parsed.error());
    out.message = std::move(*parsed);
    return out;
}

}  // namespace sluice::handover
