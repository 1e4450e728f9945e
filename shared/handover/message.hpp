// The handover between sluiced and sluice-dp: a few messages on a SOCK_SEQPACKET Unix
// socket that sluice-dp listens on, with file descriptors attached (SCM_RIGHTS).
//
//   sluiced connects
//   dp -> cp  HELLO     abi, pid, whether it already holds a region, its interface
//                       fds: [region memfd] when it holds one (a restarted sluiced takes it)
//   cp -> dp  ATTACH    the settings sluice-dp runs with (interface, UDP port, family, CPUs)
//                       fds: [region memfd, doorbell eventfd], or [doorbell] on reattach
//   dp -> cp  READY     interface, worker count, UDP port in use
//                       fds: one wake eventfd per worker (sluiced writes one after it pushes
//                       onto that worker's injection ring)
//          or ERROR     a message for sluiced's log; sluice-dp then exits (first attach) or
//                       drops the connection (reattach)
//   cp -> dp  STOP      sluiced is shutting down a data plane it manages: remove the device
//                       and exit. A control plane that merely dies sends nothing, and
//                       sluice-dp keeps forwarding with the tables it has.
//
// The connection stays open for the control plane's whole life: its end is how each side
// learns that the other is gone. Messages are one text line of space-separated key=value
// words after the message name ("READY interface=sl0 workers=2 port=655"), so that strace
// and a log show them as they are. Values never contain spaces or '='. Pure: no I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "shared/util/result.hpp"

namespace sluice::handover {

// Bumped when a message or its meaning changes; a HELLO with another value is refused.
inline constexpr std::uint32_t kHandoverVersion = 1;
// Largest message: far above anything sent, small enough for one SEQPACKET datagram.
inline constexpr std::size_t kMaxMessage = 4096;
// Most descriptors one message carries: region + doorbell, or one per worker.
inline constexpr std::size_t kMaxFds = 260;

struct Message {
    std::string name;  // HELLO, ATTACH, READY, ERROR, STOP
    std::map<std::string, std::string, std::less<>> fields;

    [[nodiscard]] std::string get(std::string_view key, std::string_view fallback = "") const;
    [[nodiscard]] Result<std::uint64_t> get_number(std::string_view key) const;
};

// "NAME k=v k=v". Fails on an empty name, or a key or value with a space, '=' or newline.
[[nodiscard]] Result<std::string> format_message(const Message& message);
// The inverse; ERROR's text is kept whole in field "message".
[[nodiscard]] Result<Message> parse_message(std::string_view text);

}  // namespace sluice::handover
