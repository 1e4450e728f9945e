// Test-only: builds IPv4/IPv6/TCP fixture packets and checks checksums with a deliberately
// naive oracle that shares no code with checksum.hpp, so the module's checksums are tested
// against something independent. Included by the *_test.cpp files of this folder only;
// never part of the data-plane library. Addresses come from 198.18.0.0/15 and
// 2001:db8::/32 (documentation and benchmarking ranges) only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::dataplane::packet::testing {

using Bytes = std::vector<std::uint8_t>;

// RFC 1071 the slow way: a 32-bit accumulator, bytes added at their word position, folded
// once at the end.
inline std::uint16_t oracle_checksum(const Bytes& data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < data.size(); ++i)
        sum += (i % 2 == 0) ? std::uint32_t{data[i]} * 256u : std::uint32_t{data[i]};
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

inline std::uint16_t be16(const Bytes& b, std::size_t at) {
    return static_cast<std::uint16_t>(b.at(at) * 256 + b.at(at + 1));
}

inline void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b.at(at) = static_cast<std::uint8_t>(v / 256);
    b.at(at + 1) = static_cast<std::uint8_t>(v % 256);
}

inline Bytes slice(const Bytes& b, std::size_t from, std::size_t count) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
                 b.begin() + static_cast<std::ptrdiff_t>(from + count));
}

using V4 = std::array<std::uint8_t, 4>;
using V6 = std::array<std::uint8_t, 16>;

inline constexpr V4 v4_sender{198, 18, 0, 10};
inline constexpr V4 v4_target{198, 19, 7, 20};
inline constexpr V6 v6_sender{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
inline constexpr V6 v6_target{0x20, 0x01, 0x0d, 0xb8, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};

struct Ipv4Spec {
    V4 source = v4_sender;
    V4 destination = v4_target;
    std::uint8_t protocol = 6;
    std::uint16_t flags_fragment = 0x4000;  // DF, offset 0
    Bytes options;                          // appended to the header; multiple of 4
    Bytes payload;
};

inline Bytes ipv4_packet(const Ipv4Spec& spec) {
    const std::size_t header_length = 20 + spec.options.size();
    Bytes p(header_length + spec.payload.size(), 0);
    p[0] = static_cast<std::uint8_t>(0x40 | (header_length / 4));
    put16(p, 2, static_cast<std::uint16_t>(header_length + spec.payload.size()));
    put16(p, 4, 0x1234);
    put16(p, 6, spec.flags_fragment);
    p[8] = 64;
    p[9] = spec.protocol;
    for (std::size_t i = 0; i < 4; ++i) {
        p[12 + i] = spec.source[i];
        p[16 + i] = spec.destination[i];
    }
    for (std::size_t i = 0; i < spec.options.size(); ++i) p[20 + i] = spec.options[i];
    put16(p, 10, oracle_checksum(slice(p, 0, header_length)));
    for (std::size_t i = 0; i < spec.payload.size(); ++i) p[header_length + i] = spec.payload[i];
    return p;
}

struct Ipv6Spec {
    V6 source = v6_sender;
    V6 destination = v6_target;
    std::uint8_t next_header = 6;
    Bytes payload;  // extension headers, if any, are the caller's part of the payload
};

inline Bytes ipv6_packet(const Ipv6Spec& spec) {
    Bytes p(40 + spec.payload.size(), 0);
    p[0] = 0x60;
    put16(p, 4, static_cast<std::uint16_t>(spec.payload.size()));
    p[6] = spec.next_header;
    p[7] = 64;
    for (std::size_t i = 0; i < 16; ++i) {
        p[8 + i] = spec.source[i];
        p[24 + i] = spec.destination[i];
    }
    for (std::size_t i = 0; i < spec.payload.size(); ++i) p[40 + i] = spec.payload[i];
    return p;
}

struct TcpSpec {
    std::uint8_t flags = 0x02;  // SYN
    Bytes options;              // raw; padded with zero bytes (EOL) to a multiple of 4
    Bytes data;
};

inline Bytes mss_option(std::uint16_t mss) {
    return {2, 4, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss & 0xff)};
}

inline Bytes tcp_segment(const TcpSpec& spec) {
    Bytes options = spec.options;
    while (options.size() % 4 != 0) options.push_back(0);
    // Sized up front and filled by index: GCC 12 misreports vector::insert into a small
    // vector as out of bounds (-Warray-bounds) once inlined.
    Bytes s(20 + options.size() + spec.data.size(), 0);
    put16(s, 0, 40000);
    put16(s, 2, 443);
    s[4] = 0x11;  // sequence number, arbitrary
    s[12] = static_cast<std::uint8_t>(((20 + options.size()) / 4) << 4);
    s[13] = spec.flags;
    put16(s, 14, 64240);
    for (std::size_t i = 0; i < options.size(); ++i) s[20 + i] = options[i];
    for (std::size_t i = 0; i < spec.data.size(); ++i) s[20 + options.size() + i] = spec.data[i];
    return s;
}

// The IP header length and transport protocol of a bare IPv4 or IPv6 packet (no extension
// headers for IPv6).
inline std::size_t ip_header_length(const Bytes& p) {
    return (p[0] >> 4) == 4 ? (p[0] & 0x0fu) * 4u : 40u;
}

// Pseudo-header (RFC 793 / RFC 8200) + the upper-layer bytes, for the oracle.
inline Bytes with_pseudo_header(const Bytes& p, std::uint8_t protocol) {
    const std::size_t hl = ip_header_length(p);
    const std::size_t upper = p.size() - hl;
    Bytes b;
    if ((p[0] >> 4) == 4) {
        b = slice(p, 12, 8);
        b.push_back(0);
        b.push_back(protocol);
        b.push_back(static_cast<std::uint8_t>(upper >> 8));
        b.push_back(static_cast<std::uint8_t>(upper & 0xff));
    } else {
        b = slice(p, 8, 32);
        b.insert(b.end(),
                 {0, 0, static_cast<std::uint8_t>(upper >> 8), static_cast<std::uint8_t>(upper & 0xff)});
        b.insert(b.end(), {0, 0, 0, protocol});
    }
    b.insert(b.end(), p.begin() + static_cast<std::ptrdiff_t>(hl), p.end());
    return b;
}

// Sets the TCP checksum of a bare IP packet carrying TCP (computed by the oracle).
inline void fix_tcp_checksum(Bytes& p) {
    const std::size_t at = ip_header_length(p) + 16;
    put16(p, at, 0);
    put16(p, at, oracle_checksum(with_pseudo_header(p, 6)));
}

inline bool tcp_checksum_ok(const Bytes& p) {
    return oracle_checksum(with_pseudo_header(p, 6)) == 0;
}
inline bool ipv4_header_checksum_ok(const Bytes& p) {
    return oracle_checksum(slice(p, 0, ip_header_length(p))) == 0;
}

inline Bytes tcp_ipv4(const TcpSpec& tcp, Ipv4Spec ip = {}) {
    ip.protocol = 6;
    ip.payload = tcp_segment(tcp);
    Bytes p = ipv4_packet(ip);
    fix_tcp_checksum(p);
    return p;
}

inline Bytes tcp_ipv6(const TcpSpec& tcp, Ipv6Spec ip = {}) {
    ip.next_header = 6;
    ip.payload = tcp_segment(tcp);
    Bytes p = ipv6_packet(ip);
    fix_tcp_checksum(p);
    return p;
}

inline Bytes filler(std::size_t n, std::uint8_t seed = 7) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 131 + seed);
    return b;
}

}  // namespace sluice::dataplane::packet::testing
