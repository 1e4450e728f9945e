// Where the headers of a bare IP packet are, as the offload modules (offload_split,
// offload_coalesce) need them: the IP header, a TCP or UDP header directly behind it, and
// the payload. Every length is checked against the bytes; the IP length field decides where
// the packet ends (bytes after it are link padding and ignored).
//
// Deliberately narrow: IPv6 extension headers are not walked (the transport must be the
// fixed header's next header), since neither the kernel's TSO/USO output we split nor the
// segments we coalesce carry them in practice, and every header walked is attack surface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::dataplane::packet {

inline constexpr std::uint8_t ip_protocol_tcp = 6;
inline constexpr std::uint8_t ip_protocol_udp = 17;

inline constexpr std::size_t tcp_min_header_length = 20;
inline constexpr std::size_t udp_header_length = 8;
inline constexpr std::size_t tcp_checksum_offset = 16;
inline constexpr std::size_t udp_checksum_offset = 6;

inline constexpr std::uint8_t tcp_flag_fin = 0x01;
inline constexpr std::uint8_t tcp_flag_syn = 0x02;
inline constexpr std::uint8_t tcp_flag_rst = 0x04;
inline constexpr std::uint8_t tcp_flag_psh = 0x08;
inline constexpr std::uint8_t tcp_flag_ack = 0x10;
inline constexpr std::uint8_t tcp_flag_urg = 0x20;
inline constexpr std::uint8_t tcp_flag_cwr = 0x80;

// A caller-provided span of an output buffer: one packet (or header + packet) at offset.
struct PacketSpan {
    std::size_t offset = 0;
    std::size_t length = 0;

    friend constexpr bool operator==(const PacketSpan&, const PacketSpan&) = default;
};

enum class LayoutError : std::uint8_t {
    none,
    too_short,               // shorter than the fixed IP header (or empty)
    bad_version,             // version nibble neither 4 nor 6
    bad_ipv4_header_length,  // IHL below 5 or beyond the bytes
    bad_ip_length,           // IPv4 total length below the header or beyond the bytes; IPv6
                             // payload length 0 (jumbogram) or beyond the bytes
    fragment,                // IPv4 MF set or a non-zero fragment offset
    unsupported_protocol,    // neither TCP nor UDP right behind the IP header
    bad_transport_header,    // TCP data offset below 5 or beyond the packet; UDP header cut
};

struct PacketLayout {
    LayoutError error = LayoutError::too_short;
    bool ipv6 = false;
    bool dont_fragment = false;  // IPv4 DF; false for IPv6
    std::uint8_t protocol = 0;   // IPv4 protocol or IPv6 next header
    std::size_t ip_header_length = 0;
    std::size_t transport_header_length = 0;  // set by parse_transport only
    std::size_t length = 0;                   // the packet by its IP length field

    [[nodiscard]] constexpr std::size_t header_length() const noexcept {
        return ip_header_length + transport_header_length;
    }
    [[nodiscard]] constexpr std::size_t payload_length() const noexcept { return length - header_length(); }
};

// The IP header only: version, header length, length field, fragment bits, protocol.
// error is none, too_short, bad_version, bad_ipv4_header_length, bad_ip_length or fragment
// (the other fields are set for a fragment, so a caller may still look at it).
[[nodiscard]] PacketLayout parse_ip(std::span<const std::uint8_t> ip_packet) noexcept;

// parse_ip, then the TCP or UDP header behind it.
[[nodiscard]] PacketLayout parse_transport(std::span<const std::uint8_t> ip_packet) noexcept;

// The checksum sum of the TCP/UDP pseudo-header for this packet with an upper-layer length
// of upper_length (RFC 793, RFC 768, RFC 8200 section 8.1), unfolded.
[[nodiscard]] std::uint64_t pseudo_header_sum(std::span<const std::uint8_t> ip_packet, bool ipv6,
                                              std::uint8_t protocol, std::size_t upper_length) noexcept;

}  // namespace sluice::dataplane::packet
