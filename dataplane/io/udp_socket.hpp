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

}  // namespace sluice::dataplane::io
