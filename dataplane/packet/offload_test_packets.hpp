// Test-only fixtures for the offload tests: TCP/UDP packets with every header field under
// the test's control, super-frames as the kernel hands them to a TUN reader (the
// pseudo-header sum in the checksum field), and a naive segmenter that spells out what
// split_super_frame must produce. Checksums come from the RFC 1071 oracle of
// test_packets.hpp, never from checksum.hpp. Included by offload_split_test.cpp and
// offload_coalesce_test.cpp only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "dataplane/packet/offload_split.hpp"
#include "dataplane/packet/test_packets.hpp"

namespace sluice::dataplane::packet::testing {

inline constexpr std::uint8_t ack = 0x10, psh = 0x08, fin = 0x01, cwr = 0x80, ece = 0x40;

inline void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    put16(b, at, static_cast<std::uint16_t>(v >> 16));
    put16(b, at + 2, static_cast<std::uint16_t>(v));
}
inline std::uint32_t be32(const Bytes& b, std::size_t at) {
    return std::uint32_t{be16(b, at)} << 16 | be16(b, at + 2);
}

// One TCP or UDP packet, every field the tests vary.
struct Spec {
    bool ipv6 = false;
    bool udp = false;
    std::uint16_t source_port = 40000;
    std::uint32_t seq = 1000;
    std::uint32_t ack_number = 77;
    std::uint8_t flags = ack;
    std::uint16_t window = 512;
    std::uint16_t id = 100;
    std::uint16_t fragment = 0x4000;
    std::uint8_t tos = 0;
    std::uint8_t ttl = 64;
    Bytes ip_options;
    Bytes tcp_options;
    Bytes payload;
};

inline void fix_udp_checksum(Bytes& p) {
    const std::size_t at = ip_header_length(p) + 6;
    put16(p, at, 0);
    const std::uint16_t c = oracle_checksum(with_pseudo_header(p, 17));
    put16(p, at, c == 0 ? 0xffff : c);
}

inline void fix_ipv4_header_checksum(Bytes& p) {
    put16(p, 10, 0);
    put16(p, 10, oracle_checksum(slice(p, 0, ip_header_length(p))));
}

inline Bytes packet(const Spec& s) {
    Bytes upper;
    if (s.udp) {
        upper = Bytes(8 + s.payload.size(), 0);
        put16(upper, 0, 5353);
        put16(upper, 2, 4789);
        put16(upper, 4, static_cast<std::uint16_t>(upper.size()));
        std::copy(s.payload.begin(), s.payload.end(), upper.begin() + 8);
    } else {
        upper = tcp_segment({s.flags, s.tcp_options, s.payload});
        put16(upper, 0, s.source_port);
        put32(upper, 4, s.seq);
        put32(upper, 8, s.ack_number);
        put16(upper, 14, s.window);
    }
    Bytes p;
    if (s.ipv6) {
        p = ipv6_packet({v6_sender, v6_target, static_cast<std::uint8_t>(s.udp ? 17 : 6), upper});
        p[0] = static_cast<std::uint8_t>(0x60 | (s.tos >> 4));
        p[1] = static_cast<std::uint8_t>((s.tos << 4) | 0x0a);  // and a flow label
        p[7] = s.ttl;
    } else {
        p = ipv4_packet({v4_sender, v4_target, static_cast<std::uint8_t>(s.udp ? 17 : 6), s.fragment,
                         s.ip_options, upper});
        p[1] = s.tos;
        put16(p, 4, s.id);
        p[8] = s.ttl;
        fix_ipv4_header_checksum(p);
    }
    if (s.udp)
        fix_udp_checksum(p);
    else
        fix_tcp_checksum(p);
    return p;
}

// The transport checksum field's offset and the header length (IP + TCP/UDP) of a packet.
inline std::size_t checksum_at(const Bytes& p, bool udp) {
    return ip_header_length(p) + (udp ? 6 : 16);
}
inline std::size_t headers_of(const Bytes& p, bool udp) {
    const std::size_t ip = ip_header_length(p);
    return ip + (udp ? 8u : (p[ip + 12] >> 4) * 4u);
}

// What the kernel hands out: the checksum field holds the pseudo-header sum only, and
// the header asks for segmentation.
struct Super {
    VirtioNetHeader header;
    Bytes bytes;
};

inline Super super_frame(const Spec& s, std::uint16_t gso_size) {
    Super out{{}, packet(s)};
    Bytes& p = out.bytes;
    const std::size_t pseudo_length = s.ipv6 ? 40 : 12;
    const std::uint8_t protocol = s.udp ? 17 : 6;
    const auto pseudo = static_cast<std::uint16_t>(
        ~oracle_checksum(slice(with_pseudo_header(p, protocol), 0, pseudo_length)));
    put16(p, checksum_at(p, s.udp), pseudo);
    out.header.flags = virtio_net_flag_needs_csum;
    out.header.gso_type = s.udp ? virtio_gso_udp_l4 : (s.ipv6 ? virtio_gso_tcpv6 : virtio_gso_tcpv4);
    out.header.hdr_len = static_cast<std::uint16_t>(headers_of(p, s.udp));
    out.header.gso_size = gso_size;
    out.header.csum_start = static_cast<std::uint16_t>(ip_header_length(p));
    out.header.csum_offset = s.udp ? 6 : 16;
    return out;
}

// The naive segmenter: what split_super_frame must produce, field by field.
inline std::vector<Bytes> naive_split(const Super& super, bool udp) {
    const Bytes& p = super.bytes;
    const std::size_t headers = headers_of(p, udp);
    const std::size_t payload = p.size() - headers;
    const std::size_t ip = ip_header_length(p);
    std::vector<Bytes> out;
    for (std::size_t i = 0, off = 0; off < payload; ++i, off += super.header.gso_size) {
        const std::size_t chunk = std::min<std::size_t>(super.header.gso_size, payload - off);
        Bytes s = slice(p, 0, headers);
        const Bytes data = slice(p, headers + off, chunk);
        s.insert(s.end(), data.begin(), data.end());
        const bool last = off + chunk == payload;
        if (ip == 40) {
            put16(s, 4, static_cast<std::uint16_t>(s.size() - 40));
        } else {
            put16(s, 2, static_cast<std::uint16_t>(s.size()));
            put16(s, 4, static_cast<std::uint16_t>(be16(p, 4) + i));
            fix_ipv4_header_checksum(s);
        }
        if (udp) {
            put16(s, ip + 4, static_cast<std::uint16_t>(s.size() - ip));
            fix_udp_checksum(s);
        } else {
            put32(s, ip + 4, static_cast<std::uint32_t>(be32(p, ip + 4) + off));
            if (!last) s[ip + 13] &= static_cast<std::uint8_t>(~(fin | psh));
            if (i != 0) s[ip + 13] &= static_cast<std::uint8_t>(~cwr);
            fix_tcp_checksum(s);
        }
        out.push_back(s);
    }
    return out;
}

struct Split {
    SplitResult result;
    std::vector<Bytes> packets;
};

inline Split split(const VirtioNetHeader& header, const Bytes& p) {
    std::vector<std::uint8_t> out(200000);
    std::vector<PacketSpan> spans(70000);
    Split s{split_super_frame(header, p, out, spans), {}};
    if (s.result.status == SplitStatus::ok)
        for (std::size_t i = 0; i < s.result.segments; ++i)
            s.packets.push_back(slice(out, spans[i].offset, spans[i].length));
    return s;
}

// A flow of count full segments of mss bytes (the last `last` bytes long if nonzero).
inline std::vector<Bytes> flow(Spec s, std::size_t count, std::size_t mss, std::size_t last = 0) {
    std::vector<Bytes> out;
    for (std::size_t i = 0; i < count; ++i) {
        s.payload = filler(i + 1 == count && last != 0 ? last : mss, static_cast<std::uint8_t>(i));
        out.push_back(packet(s));
        s.seq += static_cast<std::uint32_t>(s.payload.size());
        ++s.id;
    }
    return out;
}

// Garbles a packet a little: one byte anywhere, a cut, or one header byte.
inline void mutate(std::mt19937& rng, Bytes& p) {
    switch (rng() % 4) {
        case 0:
            if (!p.empty()) p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
            break;
        case 1:
            p.resize(rng() % (p.size() + 1));
            break;
        case 2:
            if (p.size() > 40) p[rng() % 40] = static_cast<std::uint8_t>(rng());
            break;
        default:
            break;  // unchanged
    }
}

}  // namespace sluice::dataplane::packet::testing
