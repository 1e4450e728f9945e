#include "controlplane/io/service_notify.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/time.h>

#include "controlplane/io/fd.hpp"

namespace sluice::io {

namespace {

// A service manager that does not read its socket must not stall the event loop for long;
// a second is far more than systemd ever takes.
constexpr timeval kSendTimeout{1, 0};

std::uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

std::string status_assignment(std::string_view status) {
    std::string line = "STATUS=";
    for (char c : status) line += (c == '\n' || c == '\r') ? ' ' : c;
    return line;
}

Result<ServiceNotifier> ServiceNotifier::from_environment() {
    const std::string key(notify_socket_variable);
    const char* value = std::getenv(key.c_str());
    const std::string name = value != nullptr ? value : "";
    ::unsetenv(key.c_str());
    if (name.empty()) return ServiceNotifier();
    return for_socket(name);
}

Result<ServiceNotifier> ServiceNotifier::for_socket(std::string_view name) {
    ServiceNotifier n;
    n.address_.sun_family = AF_UNIX;
    const bool abstract = name.starts_with('@');
    if ((!abstract && !name.starts_with('/')) || name.size() < 2)
        return fail("NOTIFY_SOCKET={}: expected an absolute path or @ and an abstract socket name", name);
    // A path needs room for its terminating NUL; an abstract name has none.
    if (name.size() > sizeof n.address_.sun_path - (abstract ? 0 : 1))
        return fail("NOTIFY_SOCKET={}: longer than a Unix socket address can be", name);
    std::memcpy(n.address_.sun_path, name.data(), name.size());
    if (abstract) n.address_.sun_path[0] = '\0';
    n.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
    return n;
}

Status ServiceNotifier::send(std::string_view message) const {
    if (!enabled()) return {};
    Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail("notifying the service manager: socket: {}", std::strerror(errno));
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
    const auto* to = reinterpret_cast<const sockaddr*>(&address_);
    if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL, to, length_) < 0)
        return fail("notifying the service manager: {}", std::strerror(errno));
    return {};
}

Status ServiceNotifier::send_with_status(std::string_view first_lines, std::string_view status) {
    last_status_ = std::string(status);
    return send(std::string(first_lines) + status_assignment(status));
}

Status ServiceNotifier::ready(std::string_view status) {
    return send_with_status("READY=1\n", status);
}

Status ServiceNotifier::reloading(std::string_view status) {
    return send_with_status("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\n", status);
}

Status ServiceNotifier::stopping(std::string_view status) {
    return send_with_status("STOPPING=1\n", status);
}

Status ServiceNotifier::status(std::string_view status) {
    if (status == last_status_) return {};
    return send_with_status("", status);
}

}  // namespace sluice::io
