#include "dataplane/packet/mss_clamp.hpp"

#include "dataplane/packet/checksum.hpp"
#include "dataplane/packet/frame.hpp"

namespace sluice::dataplane::packet {

namespace {

constexpr std::uint8_t protocol_tcp = 6;
constexpr std::size_t tcp_min_header_length = 20;
constexpr std::size_t tcp_checksum_offset = 16;
constexpr std::uint8_t tcp_flag_syn = 0x02;

constexpr std::uint8_t option_end = 0;
constexpr std::uint8_t option_nop = 1;
constexpr std::uint8_t option_mss = 2;
constexpr std::size_t option_mss_length = 4;

// The TCP segment inside ip_packet, bounded by the IP length field, and the IP header
// length; nothing if the packet is not a TCP segment we may touch.
struct TcpSegment {
    std::span<std::uint8_t> bytes;
    std::size_t ip_header_length = 0;
};

std::optional<TcpSegment> find_tcp(std::span<std::uint8_t> ip) noexcept {
    if (ip.empty()) return std::nullopt;
    const unsigned version = ip[0] >> 4;
    if (version == 4) {
        if (ip.size() < ipv4_min_header_length) return std::nullopt;
        const std::size_t header_length = std::size_t{ip[0] & 0x0fu} * 4;
        const std::size_t total_length = load_be16(ip, 2);
        if (header_length < ipv4_min_header_length || total_length < header_length ||
            total_length > ip.size())
            return std::nullopt;
        if (ip[9] != protocol_tcp) return std::nullopt;
        if ((load_be16(ip, 6) & 0x1fff) != 0) return std::nullopt;  // not the first fragment
        return TcpSegment{ip.subspan(header_length, total_length - header_length), header_length};
    }
    if (version == 6) {
        if (ip.size() < ipv6_header_length) return std::nullopt;
        const std::size_t payload_length = load_be16(ip, 4);
        // Payload length 0 is a jumbogram (RFC 2675), which never carries a bare TCP header.
        if (payload_length == 0 || ipv6_header_length + payload_length > ip.size()) return std::nullopt;
        if (ip[6] != protocol_tcp) return std::nullopt;
        return TcpSegment{ip.subspan(ipv6_header_length, payload_length), ipv6_header_length};
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::uint16_t> mss_limit(std::uint32_t frame_mtu, std::size_t ip_header_length) noexcept {
    const std::uint64_t overhead = ethernet_header_length + ip_header_length + tcp_min_header_length;
    if (frame_mtu <= overhead) return std::nullopt;
    const std::uint64_t limit = frame_mtu - overhead;
    return static_cast<std::uint16_t>(limit > 0xffff ? 0xffff : limit);
}

bool clamp_mss(std::span<std::uint8_t> ip_packet, std::uint32_t frame_mtu) noexcept {
    const auto segment = find_tcp(ip_packet);
    if (!segment) return false;
    const auto limit = mss_limit(frame_mtu, segment->ip_header_length);
    if (!limit) return false;

    const std::span<std::uint8_t> tcp = segment->bytes;
    if (tcp.size() < tcp_min_header_length) return false;
    const std::size_t header_length = std::size_t{tcp[12]} / 16 * 4;
    if (header_length < tcp_min_header_length || header_length > tcp.size()) return false;
    if ((tcp[13] & tcp_flag_syn) == 0) return false;

    std::uint16_t checksum = load_be16(tcp, tcp_checksum_offset);
    bool changed = false;
    std::size_t i = tcp_min_header_length;
    while (i < header_length) {
        const std::uint8_t kind = tcp[i];
        if (kind == option_end) break;
        if (kind == option_nop) {
            ++i;
            continue;
        }
        // Every other option has a length byte counting itself and the kind byte.
        if (i + 1 >= header_length) break;
        const std::size_t length = tcp[i + 1];
        if (length < 2 || length > header_length - i) break;
        if (kind == option_mss) {
            if (length != option_mss_length) break;
            const std::uint16_t mss = load_be16(tcp, i + 2);
            if (mss > *limit) {
                store_be16(tcp, i + 2, *limit);
                checksum = checksum_update16_at(checksum, mss, *limit, i + 2);
                changed = true;
            }
        }
        i += length;
    }
    if (changed) store_be16(tcp, tcp_checksum_offset, checksum);
    return changed;
}

}  // namespace sluice::dataplane::packet
