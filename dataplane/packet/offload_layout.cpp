#include "dataplane/packet/offload_layout.hpp"

#include "dataplane/packet/checksum.hpp"
#include "dataplane/packet/frame.hpp"

namespace sluice::dataplane::packet {

namespace {

constexpr std::uint16_t ipv4_more_fragments = 0x2000;
constexpr std::uint16_t ipv4_dont_fragment = 0x4000;
constexpr std::uint16_t ipv4_fragment_offset_mask = 0x1fff;

PacketLayout parse_ipv4(std::span<const std::uint8_t> ip) noexcept {
    PacketLayout layout;
    if (ip.size() < ipv4_min_header_length) return layout;
    layout.ip_header_length = std::size_t{ip[0] & 0x0fu} * 4;
    if (layout.ip_header_length < ipv4_min_header_length || layout.ip_header_length > ip.size()) {
        layout.error = LayoutError::bad_ipv4_header_length;
        return layout;
    }
    layout.length = load_be16(ip, 2);
    if (layout.length < layout.ip_header_length || layout.length > ip.size()) {
        layout.error = LayoutError::bad_ip_length;
        return layout;
    }
    const std::uint16_t fragment = load_be16(ip, 6);
    layout.dont_fragment = (fragment & ipv4_dont_fragment) != 0;
    layout.protocol = ip[9];
    layout.error = (fragment & (ipv4_more_fragments | ipv4_fragment_offset_mask)) != 0 ? LayoutError::fragment
                                                                                       : LayoutError::none;
    return layout;
}

PacketLayout parse_ipv6(std::span<const std::uint8_t> ip) noexcept {
    PacketLayout layout;
    layout.ipv6 = true;
    if (ip.size() < ipv6_header_length) return layout;
    layout.ip_header_length = ipv6_header_length;
    const std::size_t payload_length = load_be16(ip, 4);
    if (payload_length == 0 || ipv6_header_length + payload_length > ip.size()) {
        layout.error = LayoutError::bad_ip_length;
        return layout;
    }
    layout.length = ipv6_header_length + payload_length;
    layout.protocol = ip[6];
    layout.error = LayoutError::none;
    return layout;
}

}  // namespace

PacketLayout parse_ip(std::span<const std::uint8_t> ip_packet) noexcept {
    if (ip_packet.empty()) return PacketLayout{};
    switch (ip_packet[0] >> 4) {
        case 4:
            return parse_ipv4(ip_packet);
        case 6:
            return parse_ipv6(ip_packet);
        default: {
            PacketLayout layout;
            layout.error = LayoutError::bad_version;
            return layout;
        }
    }
}

PacketLayout parse_transport(std::span<const std::uint8_t> ip_packet) noexcept {
    PacketLayout layout = parse_ip(ip_packet);
    if (layout.error != LayoutError::none) return layout;
    const std::size_t available = layout.length - layout.ip_header_length;
    if (layout.protocol == ip_protocol_tcp) {
        if (available < tcp_min_header_length) {
            layout.error = LayoutError::bad_transport_header;
            return layout;
        }
        const std::size_t data_offset = (std::size_t{ip_packet[layout.ip_header_length + 12]} >> 4) * 4;
        if (data_offset < tcp_min_header_length || data_offset > available) {
            layout.error = LayoutError::bad_transport_header;
            return layout;
        }
        layout.transport_header_length = data_offset;
        return layout;
    }
    if (layout.protocol == ip_protocol_udp) {
        if (available < udp_header_length) {
            layout.error = LayoutError::bad_transport_header;
            return layout;
        }
        layout.transport_header_length = udp_header_length;
        return layout;
    }
    layout.error = LayoutError::unsupported_protocol;
    return layout;
}

std::uint64_t pseudo_header_sum(std::span<const std::uint8_t> ip_packet, bool ipv6, std::uint8_t protocol,
                                std::size_t upper_length) noexcept {
    if (ipv6) {
        return pseudo_header_sum_v6(ip_packet.subspan<8, 16>(), ip_packet.subspan<24, 16>(), protocol,
                                    static_cast<std::uint32_t>(upper_length));
    }
    return pseudo_header_sum_v4(ip_packet.subspan<12, 4>(), ip_packet.subspan<16, 4>(), protocol,
                                static_cast<std::uint16_t>(upper_length));
}

}  // namespace sluice::dataplane::packet
