// The handover socket itself: SOCK_SEQPACKET Unix sockets that carry one Message plus
// descriptors per datagram (message.hpp). Blocking calls with a timeout: the handover happens
// at start-up and on reattach, never on the packet path.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "shared/handover/message.hpp"
#include "shared/util/result.hpp"

namespace sluice::handover {

// An owned descriptor list: closed on destruction unless released.
struct Fds {
    std::vector<int> fds;
    Fds() = default;
    Fds(Fds&& o) noexcept : fds(std::move(o.fds)) { o.fds.clear(); }
    Fds& operator=(Fds&& o) noexcept;
    Fds(const Fds&) = delete;
    Fds& operator=(const Fds&) = delete;
    ~Fds();
    // Takes the descriptor at index out of the list (the caller owns it now), or -1.
    [[nodiscard]] int take(std::size_t index) noexcept;
};

struct Received {
    Message message;
    Fds fds;
};

// Binds and listens at path (a stale socket file of a dead sluice-dp is replaced; a live one
// is an error: "PATH: another sluice-dp is listening").
[[nodiscard]] Result<int> listen_at(const std::string& path);
// Connects to path; fails with the path in the message.
[[nodiscard]] Result<int> connect_to(const std::string& path);

[[nodiscard]] Status send_message(int socket, const Message& message, const std::vector<int>& fds = {});
// Waits up to timeout for one message; an orderly close of the other end is an error
// ("closed by the other side").
[[nodiscard]] Result<Received> receive_message(int socket, std::chrono::milliseconds timeout);

}  // namespace sluice::handover
