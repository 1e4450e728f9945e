#include "dataplane/packet/frame.hpp"

#include <algorithm>

#include "dataplane/packet/checksum.hpp"

namespace sluice::dataplane::packet {

namespace {

FrameClass classify_ipv4(std::span<const std::uint8_t> ip) noexcept {
    FrameClass result;
    if (ip.size() < ipv4_min_header_length) {
        result.kind = FrameKind::too_short;
        return result;
    }
    const std::size_t header_length = std::size_t{ip[0] & 0x0fu} * 4;
    if (header_length < ipv4_min_header_length || header_length > ip.size()) {
        result.kind = FrameKind::bad_ip_header;
        return result;
    }
    result.kind = FrameKind::ipv4;
    std::copy_n(ip.begin() + 16, 4, result.ipv4_destination.bytes.begin());
    const auto& d = result.ipv4_destination.bytes;
    result.broadcast_or_multicast =
        (d[0] & 0xf0) == 0xe0 || (d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255);
    return result;
}

FrameClass classify_ipv6(std::span<const std::uint8_t> ip) noexcept {
    FrameClass result;
    if (ip.size() < ipv6_header_length) {
        result.kind = FrameKind::too_short;
        return result;
    }
    result.kind = FrameKind::ipv6;
    std::copy_n(ip.begin() + 24, 16, result.ipv6_destination.bytes.begin());
    result.broadcast_or_multicast = result.ipv6_destination.bytes[0] == 0xff;
    return result;
}

FrameClass classify_version(std::span<const std::uint8_t> ip, unsigned expected_version) noexcept {
    FrameClass result;
    if (ip.empty()) {
        result.kind = FrameKind::too_short;
        return result;
    }
    const unsigned version = ip[0] >> 4;
    if (version != expected_version) {
        result.kind = FrameKind::bad_ip_header;
        return result;
    }
    return version == 4 ? classify_ipv4(ip) : classify_ipv6(ip);
}

}  // namespace

std::string_view name(FrameKind kind) noexcept {
    switch (kind) {
        case FrameKind::ipv4:
            return "ipv4";
        case FrameKind::ipv6:
            return "ipv6";
        case FrameKind::pmtu_probe:
            return "pmtu_probe";
        case FrameKind::unsupported:
            return "unsupported";
        case FrameKind::too_short:
            return "too_short";
        case FrameKind::bad_ip_header:
            return "bad_ip_header";
    }
    return "unknown";
}

FrameClass classify_ip(std::span<const std::uint8_t> ip_packet) noexcept {
    if (ip_packet.empty()) return FrameClass{};
    const unsigned version = ip_packet[0] >> 4;
    if (version != 4 && version != 6) {
        FrameClass result;
        result.kind = FrameKind::bad_ip_header;
        return result;
    }
    return classify_version(ip_packet, version);
}

FrameClass classify_frame(std::span<const std::uint8_t> frame) noexcept {
    FrameClass result;
    if (frame.size() < ethernet_header_length) return result;  // too_short
    switch (load_be16(frame, ethertype_offset)) {
        case ethertype_ipv4:
            return classify_version(frame.subspan(ethernet_header_length), 4);
        case ethertype_ipv6:
            return classify_version(frame.subspan(ethernet_header_length), 6);
        case ethertype_pmtu_probe:
            result.kind = FrameKind::pmtu_probe;
            return result;
        default:
            result.kind = FrameKind::unsupported;
            return result;
    }
}

bool write_ethernet_header(std::span<std::uint8_t> frame, std::uint16_t ethertype) noexcept {
    if (frame.size() < ethernet_header_length) return false;
    std::fill_n(frame.begin(), ethertype_offset, std::uint8_t{0});
    store_be16(frame, ethertype_offset, ethertype);
    return true;
}

FrameClass frame_ip_packet(std::span<std::uint8_t> frame) noexcept {
    if (frame.size() < ethernet_header_length) return FrameClass{};  // too_short
    const FrameClass result = classify_ip(frame.subspan(ethernet_header_length));
    if (result.kind == FrameKind::ipv4 || result.kind == FrameKind::ipv6) {
        const bool written =
            write_ethernet_header(frame, result.kind == FrameKind::ipv4 ? ethertype_ipv4 : ethertype_ipv6);
        static_cast<void>(written);  // cannot fail: the length was checked above
    }
    return result;
}

}  // namespace sluice::dataplane::packet
