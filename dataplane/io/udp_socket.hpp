// The workers' UDP sockets: one per worker on the same port (SO_REUSEPORT, so the kernel
// spreads peers over workers by their address), dual-stack unless the configuration limits
// the address family, with large buffers because a worker drains its socket in batches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::dataplane::io {

enum class UdpFamily { any, ipv4, ipv6 };

struct UdpSockets {
    std::vector<int> fds;
    bool ipv6 = true;  // AF_INET6 (dual-stack unless family is ipv6-only); false: AF_INET
    std::uint16_t port = 0;
};

[[nodiscard]] Result<UdpSockets> open_udp_sockets(std::uint16_t port, UdpFamily family, unsigned count);

// Steers each received datagram to one worker's socket: a native packet (docs/protocol.md)
// to worker (sender lane % workers), so that each (session, sender lane) replay window has
// exactly one owner and a peer's lanes spread over the workers; any other datagram (tinc's
// legacy packets) by the kernel's hash over the address pair, so that all of one peer's
// legacy packets reach one worker and its replay window sees the whole sequence.
[[nodiscard]] Status steer_received(const std::vector<int>& fds);

}  // namespace sluice::dataplane::io
