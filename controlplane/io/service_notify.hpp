// Telling a service manager how sluiced is doing, in systemd's notification protocol and
// without libsystemd: one datagram of "VARIABLE=value" lines per message, sent to the
// AF_UNIX socket named in $NOTIFY_SOCKET (a path, or an abstract name written with a leading
// '@'). Without $NOTIFY_SOCKET every call does nothing, so the daemon calls these
// unconditionally.
//
//   ready       READY=1 and a STATUS line: start-up is over, or a reload has finished
//   reloading   RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload checks that
//               the reload began after its signal; 252 ignores the field) and a STATUS line
//   stopping    STOPPING=1 and a STATUS line
//   status      a STATUS line, sent only when it differs from the last one
//
// The service manager takes these only from the process it started, so the variable is
// removed from the environment when it is read: children (tinc-up and the other scripts,
// sluice-dp) must not report readiness in sluiced's name.
#pragma once

#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>

#include "shared/util/result.hpp"

namespace sluice::io {

inline constexpr std::string_view notify_socket_variable = "NOTIFY_SOCKET";

class ServiceNotifier {
public:
    // A notifier that tells nobody anything.
    ServiceNotifier() = default;

    // Reads $NOTIFY_SOCKET and removes it from the environment (call it before any thread or
    // child exists). Unset or empty: a notifier that tells nobody. A value that is neither an
    // absolute path nor '@' and an abstract name (systemd 253's "vsock:" form, for one) is an
    // error; the variable is removed all the same.
    [[nodiscard]] static Result<ServiceNotifier> from_environment();
    // A notifier for the socket NAME, written as $NOTIFY_SOCKET would be.
    [[nodiscard]] static Result<ServiceNotifier> for_socket(std::string_view name);

    [[nodiscard]] bool enabled() const noexcept { return length_ != 0; }

    [[nodiscard]] Status ready(std::string_view status);
    [[nodiscard]] Status reloading(std::string_view status);
    [[nodiscard]] Status stopping(std::string_view status);
    [[nodiscard]] Status status(std::string_view status);

    // One datagram as it is; each line "VARIABLE=value".
    [[nodiscard]] Status send(std::string_view message) const;

private:
    Status send_with_status(std::string_view first_lines, std::string_view status);

    sockaddr_un address_{};
    socklen_t length_ = 0;
    std::string last_status_;
};

// "STATUS=text" with line breaks turned into spaces: a status is one line by definition.
[[nodiscard]] std::string status_assignment(std::string_view status);

}  // namespace sluice::io
