// tincd's defence against connection floods (spec 2.7): an accept throttle that decides
// whether a fresh connection is served, and a tarpit that holds the ones that are not.
//
// A tarpitted socket is neither read nor closed: the peer sees an open connection that
// never answers, which costs an attacker a socket and a timeout instead of a fast retry.
// The tarpit holds at most 10 sockets; the oldest is closed when an 11th arrives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "controlplane/io/fd.hpp"
#include "controlplane/io/socket.hpp"
#include "shared/util/clock.hpp"

namespace sluice::io {

// Two leaky buckets counted in whole seconds, as tincd's handle_new_meta_connection does:
//   * the same host (port ignored) connecting again right after itself: its bucket may
//     hold `max_burst` connections;
//   * all hosts together: once the bucket reaches `max_burst`, connections are refused
//     until it drains by one per second.
// tinc 1.0.36 uses a burst of 10 (spec 2.7); later tinc makes it MaxConnectionBurst.
class AcceptThrottle {
public:
    static constexpr int default_max_burst = 10;

    explicit AcceptThrottle(int max_burst = default_max_burst) : max_burst_(max_burst) {}

    // True: serve the connection. False: put it in the tarpit.
    [[nodiscard]] bool admit(const SocketAddress& peer, TimePoint now);

private:
    struct Bucket {
        std::int64_t level = 0;
        std::int64_t time = 0;  // whole seconds of the last update
        void leak(std::int64_t now);
    };

    int max_burst_;
    std::optional<SocketAddress> previous_peer_;
    Bucket same_host_;
    Bucket all_hosts_;
};

// True if both addresses are the same host, ports ignored.
[[nodiscard]] bool same_host(const SocketAddress& a, const SocketAddress& b);

class Tarpit {
public:
    static constexpr std::size_t capacity = 10;

    // Keeps `fd` open; closes the oldest held socket when full.
    void hold(Fd fd);
    [[nodiscard]] std::size_t size() const;
    void clear();

private:
    std::array<Fd, capacity> pits_;
    std::size_t next_ = 0;
};

}  // namespace sluice::io
