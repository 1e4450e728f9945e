#include "controlplane/daemon/view_text.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "controlplane/protocol/constants.hpp"

namespace sluice::daemon {

std::string endpoint_text(const tables::Endpoint& endpoint) {
    if (!endpoint.valid()) return {};
    const bool v4 = endpoint.family == tables::EndpointFamily::ipv4;
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v4 ? AF_INET : AF_INET6, endpoint.address.data(), text, sizeof text);
    return v4 ? fmt::format("{}:{}", text, endpoint.port) : fmt::format("[{}]:{}", text, endpoint.port);
}

std::string option_names(std::uint32_t options) {
    struct Named {
        std::uint32_t bit;
        const char* name;
    };
    static constexpr Named named[] = {
        {protocol::option_indirect, "indirect"},
        {protocol::option_tcponly, "tcponly"},
        {protocol::option_pmtu_discovery, "pmtu_discovery"},
        {protocol::option_clamp_mss, "clamp_mss"},
    };
    std::string out;
    for (const auto& n : named) {
        if ((options & n.bit) == 0) continue;
        if (!out.empty()) out += ' ';
        out += n.name;
    }
    return out.empty() ? "none" : out;
}

unsigned option_protocol_minor(std::uint32_t options) {
    return (options & protocol::option_version_mask) >> 24;
}

std::string pmtu_text(const tables::PeerRecord& peer) {
    if ((peer.flags & tables::peer_flags::pmtu_discovery) == 0)
        return fmt::format("{} (no discovery)", peer.mtu);
    if (peer.min_mtu > 0 && peer.min_mtu >= peer.max_mtu) return fmt::format("{} (fixed)", peer.mtu);
    if (peer.min_mtu == 0) return fmt::format("probing: no reply yet (at most {})", peer.max_mtu);
    return fmt::format("probing: {}..{}", peer.min_mtu, peer.max_mtu);
}

std::string subnet_text(const net::Subnet& subnet) {
    std::string out = std::visit([](const auto& a) { return a.to_string(); }, subnet.address);
    if (subnet.type() != net::SubnetType::mac) out += fmt::format("/{}", subnet.prefix_length);
    return out;
}

}  // namespace sluice::daemon
