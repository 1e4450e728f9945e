#include "dataplane/packet/icmp.hpp"

#include <algorithm>

#include "dataplane/packet/checksum.hpp"
#include "dataplane/packet/frame.hpp"

namespace sluice::dataplane::packet {

namespace {

constexpr std::uint8_t protocol_icmp = 1;
constexpr std::uint8_t next_header_icmpv6 = 58;
constexpr std::size_t icmp_header_length = 8;
constexpr std::uint8_t reply_ttl = 255;

constexpr std::uint8_t icmp_dest_unreachable = 3;
constexpr std::uint8_t icmp_code_net_unreachable = 0;
constexpr std::uint8_t icmp_code_frag_needed = 4;
constexpr std::uint8_t icmp_code_net_unknown = 6;
constexpr std::uint8_t icmp_code_net_prohibited = 9;

constexpr std::uint8_t icmp6_dest_unreachable = 1;
constexpr std::uint8_t icmp6_packet_too_big = 2;
constexpr std::uint8_t icmp6_code_no_route = 0;
constexpr std::uint8_t icmp6_code_prohibited = 1;
constexpr std::uint8_t icmp6_code_address_unreachable = 3;

// ICMPv4 messages that are queries or replies rather than errors. Anything else, including
// types this table does not know, counts as an error: staying silent is the safe mistake.
constexpr bool is_icmpv4_informational(std::uint8_t type) noexcept {
    switch (type) {
        case 0:   // echo reply
        case 8:   // echo request
        case 9:   // router advertisement
        case 10:  // router solicitation
        case 13:  // timestamp
        case 14:  // timestamp reply
        case 15:  // information request
        case 16:  // information reply
        case 17:  // address mask request
        case 18:  // address mask reply
            return true;
        default:
            return false;
    }
}

// A source that names no single host: 0/8, 127/8, 224/4 (multicast) and 240/4 (reserved,
// which includes the limited broadcast 255.255.255.255).
constexpr bool is_bad_ipv4_source(std::uint8_t first_octet) noexcept {
    return first_octet == 0 || first_octet == 127 || first_octet >= 224;
}

// What we could not use as the reply's source: 0/8, multicast, reserved and broadcast.
constexpr bool is_non_unicast_ipv4(std::uint8_t first_octet) noexcept {
    return first_octet == 0 || first_octet >= 224;
}

bool is_ipv6_unspecified(std::span<const std::uint8_t> address) noexcept {
    return std::all_of(address.begin(), address.end(), [](std::uint8_t b) { return b == 0; });
}

bool is_ipv6_loopback(std::span<const std::uint8_t> address) noexcept {
    return std::all_of(address.begin(), address.end() - 1, [](std::uint8_t b) { return b == 0; }) &&
           address[15] == 1;
}

IcmpVerdict ipv4_allowed(std::span<const std::uint8_t> ip) noexcept {
    const std::size_t header_length = std::size_t{ip[0] & 0x0fu} * 4;
    if (header_length < ipv4_min_header_length || header_length > ip.size()) return IcmpVerdict::malformed;
    if (is_bad_ipv4_source(ip[12])) return IcmpVerdict::bad_source;
    if (is_non_unicast_ipv4(ip[16])) return IcmpVerdict::non_unicast_destination;
    if ((load_be16(ip, 6) & 0x1fff) != 0) return IcmpVerdict::not_first_fragment;
    if (ip[9] == protocol_icmp) {
        if (header_length >= ip.size()) return IcmpVerdict::icmp_error;  // cannot see the type
        if (!is_icmpv4_informational(ip[header_length])) return IcmpVerdict::icmp_error;
    }
    return IcmpVerdict::reply;
}

// Follows the IPv6 extension headers far enough to see whether the packet is an ICMPv6
// error or a non-first fragment. A chain longer than this is not something a host sends.
constexpr int max_extension_headers = 8;

IcmpVerdict ipv6_allowed(std::span<const std::uint8_t> ip) noexcept {
    const auto source = ip.subspan(8, 16);
    const auto destination = ip.subspan(24, 16);
    if (is_ipv6_unspecified(source) || is_ipv6_loopback(source) || source[0] == 0xff)
        return IcmpVerdict::bad_source;
    if (is_ipv6_unspecified(destination) || destination[0] == 0xff)
        return IcmpVerdict::non_unicast_destination;

    std::uint8_t next = ip[6];
    std::size_t offset = ipv6_header_length;
    for (int hops = 0; hops < max_extension_headers; ++hops) {
        switch (next) {
            case 0:     // hop-by-hop options
            case 43:    // routing
            case 60:    // destination options
            case 51: {  // authentication header, whose length counts 4-byte units
                if (offset + 2 > ip.size()) return IcmpVerdict::malformed;
                const std::size_t length = next == 51 ? (std::size_t{ip[offset + 1]} + 2) * 4
                                                      : (std::size_t{ip[offset + 1]} + 1) * 8;
                next = ip[offset];
                offset += length;
                break;
            }
            case 44: {  // fragment
                if (offset + 8 > ip.size()) return IcmpVerdict::malformed;
                if ((load_be16(ip, offset + 2) & 0xfff8) != 0) return IcmpVerdict::not_first_fragment;
                next = ip[offset];
                offset += 8;
                break;
            }
            case next_header_icmpv6:
                // Types 0..127 are errors (RFC 4443 2.1); a truncated header cannot be told apart.
                if (offset >= ip.size() || ip[offset] < 128) return IcmpVerdict::icmp_error;
                return IcmpVerdict::reply;
            default:  // an upper layer, ESP or "no next header": not an ICMPv6 error
                return IcmpVerdict::reply;
        }
    }
    return IcmpVerdict::malformed;
}

IcmpReply build_ipv4(std::span<const std::uint8_t> ip, std::uint8_t code, std::uint16_t mtu,
                     std::span<std::uint8_t> out) noexcept {
    constexpr std::size_t headers = ipv4_min_header_length + icmp_header_length;
    const std::size_t quoted = std::min(ip.size(), icmpv4_reply_max_length - headers);
    const std::size_t total = headers + quoted;
    if (out.size() < total) return {IcmpVerdict::buffer_too_small, 0};

    std::fill_n(out.begin(), headers, std::uint8_t{0});
    out[0] = 0x45;  // version 4, 20-byte header, no options
    store_be16(out, 2, static_cast<std::uint16_t>(total));
    out[8] = reply_ttl;
    out[9] = protocol_icmp;
    std::copy_n(ip.begin() + 16, 4, out.begin() + 12);  // from the address they tried to reach
    std::copy_n(ip.begin() + 12, 4, out.begin() + 16);  // back to the sender
    store_be16(out, 10, internet_checksum(out.first(ipv4_min_header_length)));

    const auto icmp = out.subspan(ipv4_min_header_length, icmp_header_length + quoted);
    icmp[0] = icmp_dest_unreachable;
    icmp[1] = code;
    store_be16(icmp, 6, mtu);  // next-hop MTU (RFC 1191); zero for the other codes
    std::copy_n(ip.begin(), quoted, icmp.begin() + icmp_header_length);
    store_be16(icmp, 2, internet_checksum(icmp));
    return {IcmpVerdict::reply, total};
}

IcmpReply build_ipv6(std::span<const std::uint8_t> ip, std::uint8_t type, std::uint8_t code,
                     std::uint32_t mtu, std::span<std::uint8_t> out) noexcept {
    constexpr std::size_t headers = ipv6_header_length + icmp_header_length;
    const std::size_t quoted = std::min(ip.size(), icmpv6_reply_max_length - headers);
    const std::size_t total = headers + quoted;
    if (out.size() < total) return {IcmpVerdict::buffer_too_small, 0};

    std::fill_n(out.begin(), headers, std::uint8_t{0});
    out[0] = 0x60;  // version 6, traffic class and flow label 0
    const auto message_length = static_cast<std::uint16_t>(icmp_header_length + quoted);
    store_be16(out, 4, message_length);
    out[6] = next_header_icmpv6;
    out[7] = reply_ttl;
    std::copy_n(ip.begin() + 24, 16, out.begin() + 8);  // from the address they tried to reach
    std::copy_n(ip.begin() + 8, 16, out.begin() + 24);  // back to the sender

    const auto icmp = out.subspan(ipv6_header_length, message_length);
    icmp[0] = type;
    icmp[1] = code;
    store_be32(icmp, 4, mtu);  // packet too big: the MTU; unreachable: unused, zero
    std::copy_n(ip.begin(), quoted, icmp.begin() + icmp_header_length);
    const std::uint64_t pseudo = pseudo_header_sum_v6(std::span<const std::uint8_t, 16>(out.subspan(8, 16)),
                                                      std::span<const std::uint8_t, 16>(out.subspan(24, 16)),
                                                      next_header_icmpv6, message_length);
    store_be16(icmp, 2, checksum_finish(checksum_add(pseudo, icmp)));
    return {IcmpVerdict::reply, total};
}

bool is_ipv6_packet(std::span<const std::uint8_t> ip) noexcept {
    return (ip[0] >> 4) == 6;
}

}  // namespace

std::string_view name(IcmpVerdict verdict) noexcept {
    switch (verdict) {
        case IcmpVerdict::reply:
            return "reply";
        case IcmpVerdict::malformed:
            return "malformed";
        case IcmpVerdict::icmp_error:
            return "icmp_error";
        case IcmpVerdict::not_first_fragment:
            return "not_first_fragment";
        case IcmpVerdict::bad_source:
            return "bad_source";
        case IcmpVerdict::non_unicast_destination:
            return "non_unicast_destination";
        case IcmpVerdict::fragmentable:
            return "fragmentable";
        case IcmpVerdict::buffer_too_small:
            return "buffer_too_small";
    }
    return "unknown";
}

IcmpVerdict icmp_error_allowed(std::span<const std::uint8_t> ip_packet) noexcept {
    const FrameClass frame = classify_ip(ip_packet);
    if (frame.kind == FrameKind::ipv4) return ipv4_allowed(ip_packet);
    if (frame.kind == FrameKind::ipv6) return ipv6_allowed(ip_packet);
    return IcmpVerdict::malformed;
}

IcmpReply build_unreachable(std::span<const std::uint8_t> ip_packet, Unreachable reason,
                            std::span<std::uint8_t> out) noexcept {
    const IcmpVerdict allowed = icmp_error_allowed(ip_packet);
    if (allowed != IcmpVerdict::reply) return {allowed, 0};
    if (is_ipv6_packet(ip_packet)) {
        std::uint8_t code = icmp6_code_no_route;
        if (reason == Unreachable::net_unknown) code = icmp6_code_address_unreachable;
        if (reason == Unreachable::prohibited) code = icmp6_code_prohibited;
        return build_ipv6(ip_packet, icmp6_dest_unreachable, code, 0, out);
    }
    std::uint8_t code = icmp_code_net_unreachable;
    if (reason == Unreachable::net_unknown) code = icmp_code_net_unknown;
    if (reason == Unreachable::prohibited) code = icmp_code_net_prohibited;
    return build_ipv4(ip_packet, code, 0, out);
}

IcmpReply build_packet_too_big(std::span<const std::uint8_t> ip_packet, std::uint32_t frame_mtu,
                               std::span<std::uint8_t> out) noexcept {
    const IcmpVerdict allowed = icmp_error_allowed(ip_packet);
    if (allowed != IcmpVerdict::reply) return {allowed, 0};
    if (is_ipv6_packet(ip_packet)) {
        return build_ipv6(ip_packet, icmp6_packet_too_big, 0, reported_mtu(true, frame_mtu), out);
    }
    if ((ip_packet[6] & 0x40) == 0) return {IcmpVerdict::fragmentable, 0};
    const std::uint32_t mtu = std::min<std::uint32_t>(reported_mtu(false, frame_mtu), 0xffff);
    return build_ipv4(ip_packet, icmp_code_frag_needed, static_cast<std::uint16_t>(mtu), out);
}

PathFit check_path_mtu(std::span<const std::uint8_t> ip_packet, std::uint32_t frame_mtu) noexcept {
    const FrameClass frame = classify_ip(ip_packet);
    if (!frame.is_ip()) return PathFit::fits;
    const std::size_t frame_length = ethernet_header_length + ip_packet.size();
    if (frame_length <= frame_mtu) return PathFit::fits;
    if (frame.kind == FrameKind::ipv6) {
        return frame_length <= ipv6_min_frame_mtu ? PathFit::under_floor : PathFit::too_big;
    }
    if (frame_length <= ipv4_min_frame_mtu) return PathFit::under_floor;
    return (ip_packet[6] & 0x40) != 0 ? PathFit::too_big : PathFit::fragment;
}

}  // namespace sluice::dataplane::packet
