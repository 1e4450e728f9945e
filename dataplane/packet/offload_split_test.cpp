// split_super_frame against the naive segmenter of offload_test_packets.hpp, byte for byte:
// TCP over IPv4 and IPv6, UDP (USO), gso_type NONE, the boundaries (64 KB, one segment, a
// short last one, sequence and identification wrap-around), the caller's storage, every
// refusal reason, and seeded random garbage that must never crash.
#include "dataplane/packet/offload_split.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/offload_test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;

// The values of linux/virtio_net.h (which C++ cannot include: a struct there has a member
// named `class`) and of the virtio specification, 5.1.6.
static_assert(virtio_net_header_length == 10);
static_assert(virtio_net_flag_needs_csum == 1);
static_assert(virtio_gso_none == 0);
static_assert(virtio_gso_tcpv4 == 1);
static_assert(virtio_gso_tcpv6 == 4);
static_assert(virtio_gso_udp_l4 == 5);
static_assert(virtio_gso_ecn == 0x80);

namespace {

// Segments are what split says they are: within size, checksums right (by the oracle).
void check_segments(const VirtioNetHeader& header, const Split& g) {
    for (const Bytes& p : g.packets) {
        if (header.gso_type == virtio_gso_none) continue;
        const PacketLayout l = parse_transport(p);
        REQUIRE(l.error == LayoutError::none);
        REQUIRE(l.length == p.size());
        CHECK(p.size() <= l.header_length() + header.gso_size);
        if (!l.ipv6) CHECK(ipv4_header_checksum_ok(p));
        CHECK(oracle_checksum(with_pseudo_header(p, l.protocol)) == 0);
    }
}

}  // namespace

TEST_CASE("virtio_net_hdr: native byte order, 10 bytes") {
    const VirtioNetHeader h{1, 0x81, 0x1234, 1448, 20, 16};
    Bytes b(10);
    REQUIRE(write_virtio_net_header(b, h));
    const Bytes little{1, 0x81, 0x34, 0x12, 0xa8, 0x05, 20, 0, 16, 0};
    if constexpr (std::endian::native == std::endian::little) CHECK(b == little);
    CHECK(read_virtio_net_header(b) == h);
    CHECK_FALSE(read_virtio_net_header(slice(b, 0, 9)).has_value());
    CHECK_FALSE(write_virtio_net_header(std::span<std::uint8_t>(b).first(9), h));
}

TEST_CASE("hand-built packets: known checksums") {
    // 198.18.0.10:40000 -> 198.19.7.20:443, seq 1000, ack 77, ACK, window 512, "sluice";
    // the checksums were worked out by hand (a separate script), not by this code.
    Spec s;
    s.payload = {'s', 'l', 'u', 'i', 'c', 'e'};
    const Super super = super_frame(s, 1000);
    CHECK(be16(super.bytes, 10) == 0xa722);  // IPv4 header checksum (id 100, DF, TTL 64)
    CHECK(be16(super.bytes, 36) == 0x9364);  // the pseudo-header sum, TCP length 26
    VirtioNetHeader none = super.header;
    none.gso_type = virtio_gso_none;
    Bytes in_place = super.bytes;
    REQUIRE(complete_checksum(none, in_place) == SplitStatus::ok);
    CHECK(be16(in_place, 36) == 0x2c1f);
    CHECK(in_place == packet(s));
    const Split g = split(super.header, super.bytes);
    REQUIRE(g.result.status == SplitStatus::ok);
    REQUIRE(g.packets.size() == 1);
    CHECK(g.packets[0] == packet(s));
}

TEST_CASE("split: TCP super-frames equal the naive segmenter, byte for byte") {
    struct Case {
        const char* what;
        Spec spec;
        std::size_t payload;
        std::uint16_t gso_size;
        std::uint8_t ecn = 0;
    };
    Spec v4;
    Spec v4_flags = v4;
    v4_flags.flags = ack | psh | fin | cwr | ece;
    v4_flags.tcp_options = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};  // NOP NOP timestamps
    v4_flags.ip_options = {0x94, 4, 0, 0};                         // router alert
    Spec v6;
    v6.ipv6 = true;
    v6.flags = ack | psh | cwr;
    v6.tos = 0xb8;
    Spec wrap = v4;
    wrap.seq = 0xffffffff - 1000;
    wrap.id = 0xfffe;
    const std::vector<Case> cases{
        {"IPv4, last segment short", v4, 3 * 1380 + 17, 1380},
        {"IPv4, FIN PSH CWR ECE, TCP and IP options", v4_flags, 5 * 1368, 1368, virtio_gso_ecn},
        {"IPv6, CWR and ECN bit", v6, 4000, 1000, virtio_gso_ecn},
        {"sequence number and identification wrap around", wrap, 5000, 1380},
        {"a single segment", v4, 900, 1380},
        {"payload exactly gso_size", v6, 1380, 1380},
        {"IPv4 of exactly 65535 bytes", v4, 65535 - 40, 1380},
        {"IPv6 payload of 65535 bytes", v6, 65535 - 20, 1440},
        {"gso_size 1", v4, 70, 1},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Spec s = c.spec;
        s.payload = filler(c.payload);
        Super super = super_frame(s, c.gso_size);
        super.header.gso_type |= c.ecn;
        const Split g = split(super.header, super.bytes);
        REQUIRE(g.result.status == SplitStatus::ok);
        const std::vector<Bytes> expected = naive_split(super, false);
        REQUIRE(g.packets == expected);
        for (const Bytes& p : g.packets) {
            CHECK(p.size() <= headers_of(p, false) + c.gso_size);
            CHECK(tcp_checksum_ok(p));
            if (!s.ipv6) CHECK(ipv4_header_checksum_ok(p));
        }
    }
}

TEST_CASE("split: UDP segmentation (USO), IPv4 and IPv6") {
    for (const bool ipv6 : {false, true}) {
        Spec s;
        s.udp = true;
        s.ipv6 = ipv6;
        s.payload = filler(10 * 1200 + 1);
        const Super super = super_frame(s, 1200);
        const Split g = split(super.header, super.bytes);
        REQUIRE(g.result.status == SplitStatus::ok);
        CHECK(g.packets.size() == 11);
        CHECK(g.packets == naive_split(super, true));
        CHECK(be16(g.packets.back(), ip_header_length(g.packets.back()) + 4) == 9);
    }
}

TEST_CASE("split: UDP checksum 0 is sent as 0xffff") {
    // Search a two-byte payload whose datagram checksums to 0 (one in 65536 do).
    Spec s;
    s.udp = true;
    Super found;
    for (std::uint32_t v = 0; v < 0x10000; ++v) {
        s.payload = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
        Bytes p = packet(s);
        put16(p, 26, 0);
        if (oracle_checksum(with_pseudo_header(p, 17)) == 0) {
            found = super_frame(s, 100);
            break;
        }
    }
    REQUIRE(!found.bytes.empty());
    const Split g = split(found.header, found.bytes);
    REQUIRE(g.result.status == SplitStatus::ok);
    CHECK(be16(g.packets[0], 26) == 0xffff);
}

TEST_CASE("split: gso_type NONE is copied, its partial checksum completed") {
    Spec s;
    s.payload = filler(300);
    const Bytes complete = packet(s);
    const Split plain = split(VirtioNetHeader{}, complete);
    REQUIRE(plain.result.status == SplitStatus::ok);
    CHECK(plain.packets == std::vector<Bytes>{complete});
    const Bytes junk{0xde, 0xad};
    CHECK(split(VirtioNetHeader{}, junk).packets == std::vector<Bytes>{junk});

    Super partial = super_frame(s, 0);
    partial.header.gso_type = virtio_gso_none;
    partial.header.hdr_len = 0;
    CHECK(split(partial.header, partial.bytes).packets == std::vector<Bytes>{complete});
    partial.header.flags |= 0x02;  // DATA_VALID, which the kernel may add: ignored
    CHECK(split(partial.header, partial.bytes).packets == std::vector<Bytes>{complete});
    CHECK(complete_checksum(partial.header, partial.bytes) == SplitStatus::ok);
    CHECK(partial.bytes == complete);
}

TEST_CASE("split: caller storage, room around segments, sizes reported before writing") {
    Spec s;
    s.payload = filler(3000);
    const Super super = super_frame(s, 1000);
    const std::vector<Bytes> expected = naive_split(super, false);
    const SplitLayout room{64, 32};
    const std::size_t needed = 3 * (64 + 40 + 32) + 3000;

    Bytes out(needed, 0xaa);
    std::vector<PacketSpan> spans(3);
    SplitResult r = split_super_frame(super.header, super.bytes, out, std::span(spans).first(2), room);
    CHECK(r.status == SplitStatus::too_many_segments);
    CHECK(r.segments == 3);
    CHECK(r.bytes == needed);
    r = split_super_frame(super.header, super.bytes, std::span(out).first(needed - 1), spans, room);
    CHECK(r.status == SplitStatus::output_too_small);
    CHECK(r.bytes == needed);
    CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xaa; }));

    r = split_super_frame(super.header, super.bytes, out, spans, room);
    REQUIRE(r.status == SplitStatus::ok);
    CHECK(r.bytes == needed);
    std::size_t cursor = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(spans[i].offset == cursor + 64);
        CHECK(slice(out, spans[i].offset, spans[i].length) == expected[i]);
        cursor += 64 + expected[i].size() + 32;
        CHECK(out[cursor - 1] == 0xaa);  // tailroom untouched
    }
}

TEST_CASE("split: every refusal has its reason, and nothing is written") {
    Spec s;
    s.payload = filler(3000);
    const Super good = super_frame(s, 1000);
    Spec u = s;
    u.udp = true;
    const Super udp = super_frame(u, 1000);
    Spec six = s;
    six.ipv6 = true;
    const Super v6 = super_frame(six, 1000);

    struct Case {
        const char* what;
        Super input;
        SplitStatus expected;
    };
    std::vector<Case> cases;
    auto add = [&](const char* what, const Super& base, SplitStatus expected, auto change) {
        Super c = base;
        change(c.header, c.bytes);
        cases.push_back({what, c, expected});
    };
    using H = VirtioNetHeader;
    add("empty", good, SplitStatus::too_short, [](H&, Bytes& p) { p.clear(); });
    add("19 bytes", good, SplitStatus::too_short, [](H&, Bytes& p) { p.resize(19); });
    add("version 5", good, SplitStatus::bad_version, [](H&, Bytes& p) { p[0] = 0x55; });
    add("IHL 4", good, SplitStatus::bad_ipv4_header_length, [](H&, Bytes& p) { p[0] = 0x44; });
    add("total length past the end", good, SplitStatus::bad_ip_length, [](H&, Bytes& p) { p.pop_back(); });
    add("total length below IHL", good, SplitStatus::bad_ip_length, [](H&, Bytes& p) { put16(p, 2, 19); });
    add("IPv6 jumbogram", v6, SplitStatus::bad_ip_length, [](H&, Bytes& p) { put16(p, 4, 0); });
    add("MF", good, SplitStatus::fragment, [](H&, Bytes& p) { put16(p, 6, 0x2000); });
    add("fragment offset", good, SplitStatus::fragment, [](H&, Bytes& p) { put16(p, 6, 0x0001); });
    add("IPv6 hop-by-hop", v6, SplitStatus::unsupported_protocol, [](H&, Bytes& p) { p[6] = 0; });
    add("TCP data offset 4", good, SplitStatus::bad_transport_header, [](H&, Bytes& p) { p[32] = 0x40; });
    add("TCP data offset past end", good, SplitStatus::bad_transport_header, [](H&, Bytes& p) {
        p.resize(40);
        put16(p, 2, 40);
        p[32] = 0x60;
    });
    add("UDP header cut", udp, SplitStatus::bad_transport_header, [](H&, Bytes& p) {
        p.resize(27);
        put16(p, 2, 27);
    });
    add("gso_type 2", good, SplitStatus::bad_gso_type, [](H& h, Bytes&) { h.gso_type = 2; });
    add("legacy UFO", udp, SplitStatus::bad_gso_type, [](H& h, Bytes&) { h.gso_type = 3; });
    add("ECN on UDP", udp, SplitStatus::bad_gso_type, [](H& h, Bytes&) { h.gso_type |= virtio_gso_ecn; });
    add("TCPV6 on IPv4", good, SplitStatus::family_mismatch,
        [](H& h, Bytes&) { h.gso_type = virtio_gso_tcpv6; });
    add("TCPV4 on IPv6", v6, SplitStatus::family_mismatch,
        [](H& h, Bytes&) { h.gso_type = virtio_gso_tcpv4; });
    add("TCP type on UDP", udp, SplitStatus::protocol_mismatch, [](H& h, Bytes&) { h.gso_type = 1; });
    add("UDP_L4 on TCP", good, SplitStatus::protocol_mismatch, [](H& h, Bytes&) { h.gso_type = 5; });
    add("ICMP", good, SplitStatus::unsupported_protocol, [](H&, Bytes& p) {
        p[9] = 1;
        fix_ipv4_header_checksum(p);
    });
    add("hdr_len past end", good, SplitStatus::bad_hdr_len,
        [](H& h, Bytes& p) { h.hdr_len = static_cast<std::uint16_t>(p.size() + 1); });
    add("csum_start not at TCP", good, SplitStatus::bad_csum_location,
        [](H& h, Bytes&) { h.csum_start = 22; });
    add("csum_offset not 16", good, SplitStatus::bad_csum_location, [](H& h, Bytes&) { h.csum_offset = 6; });
    add("gso_size 0", good, SplitStatus::zero_gso_size, [](H& h, Bytes&) { h.gso_size = 0; });
    add("no payload", good, SplitStatus::empty_payload, [](H&, Bytes& p) {
        p.resize(40);
        put16(p, 2, 40);
    });
    add("SYN", good, SplitStatus::bad_tcp_flags, [](H&, Bytes& p) { p[33] |= 0x02; });
    add("RST", good, SplitStatus::bad_tcp_flags, [](H&, Bytes& p) { p[33] |= 0x04; });
    add("URG", good, SplitStatus::bad_tcp_flags, [](H&, Bytes& p) { p[33] |= 0x20; });
    add("NONE: csum_start in the IP header", good, SplitStatus::bad_csum_location, [](H& h, Bytes&) {
        h.gso_type = 0;
        h.csum_start = 10;
        h.csum_offset = 0;
    });
    add("NONE: checksum field past the end", good, SplitStatus::bad_csum_location, [](H& h, Bytes& p) {
        h.gso_type = 0;
        h.csum_offset = static_cast<std::uint16_t>(p.size() - 20 - 1);
    });
    add("NONE: csum_offset 0xffff", good, SplitStatus::bad_csum_location, [](H& h, Bytes&) {
        h.gso_type = 0;
        h.csum_start = 0xffff;
        h.csum_offset = 0xffff;
    });
    add("NONE: fragment with NEEDS_CSUM", good, SplitStatus::fragment, [](H& h, Bytes& p) {
        h.gso_type = 0;
        put16(p, 6, 0x2000);
    });

    for (const Case& c : cases) {
        INFO(c.what);
        Bytes out(100000, 0xaa);
        std::vector<PacketSpan> spans(100);
        const SplitResult r = split_super_frame(c.input.header, c.input.bytes, out, spans);
        CHECK(name(r.status) == name(c.expected));
        CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xaa; }));
        if (c.input.header.gso_type == virtio_gso_none) {
            Bytes in_place = c.input.bytes;
            CHECK(name(complete_checksum(c.input.header, in_place)) == name(c.expected));
            CHECK(in_place == c.input.bytes);
        }
    }
    Bytes copy = good.bytes;
    CHECK(complete_checksum(good.header, copy) == SplitStatus::bad_gso_type);
}

TEST_CASE("split: random garbage and mutated super-frames never crash; what passes is valid") {
    std::mt19937 rng(20240601);
    std::map<std::string_view, int> seen;
    const std::uint8_t types[] = {0, 1, 3, 4, 5, 0x81, 0x84, 0x85, 0x7f};
    for (int round = 0; round < 3000; ++round) {
        Super s;
        if (rng() % 4 == 0) {
            s.bytes = Bytes(rng() % 200);
            for (auto& b : s.bytes) b = static_cast<std::uint8_t>(rng());
            if (!s.bytes.empty())
                s.bytes[0] = static_cast<std::uint8_t>((rng() % 2 ? 0x40 : 0x60) | (rng() % 16));
            s.header = VirtioNetHeader{
                static_cast<std::uint8_t>(rng() % 4),    types[rng() % std::size(types)],
                static_cast<std::uint16_t>(rng() % 300), static_cast<std::uint16_t>(rng() % 200),
                static_cast<std::uint16_t>(rng() % 80),  static_cast<std::uint16_t>(rng() % 20)};
        } else {
            Spec spec;
            spec.ipv6 = rng() % 2;
            spec.udp = rng() % 3 == 0;
            spec.flags = static_cast<std::uint8_t>(rng() % 8 == 0 ? rng() : ack);
            spec.seq = static_cast<std::uint32_t>(rng());
            spec.id = static_cast<std::uint16_t>(rng());
            if (rng() % 4 == 0) spec.tcp_options = filler(4 * (rng() % 11));
            if (!spec.ipv6 && rng() % 4 == 0) spec.ip_options = filler(4 * (rng() % 11));
            spec.payload = filler(rng() % 8 == 0 ? rng() % 65000 : rng() % 3000);
            s = super_frame(spec, static_cast<std::uint16_t>(1 + rng() % 1500));
            if (rng() % 2) mutate(rng, s.bytes);
            if (rng() % 4 == 0) s.header.gso_type = types[rng() % std::size(types)];
            if (rng() % 8 == 0) s.header.csum_offset = static_cast<std::uint16_t>(rng());
            if (rng() % 8 == 0) s.header.hdr_len = static_cast<std::uint16_t>(rng());
        }
        const Split g = split(s.header, s.bytes);
        ++seen[name(g.result.status)];
        if (g.result.status == SplitStatus::ok) check_segments(s.header, g);
        Bytes in_place = s.bytes;
        static_cast<void>(complete_checksum(s.header, in_place));
    }
    CHECK(seen["ok"] > 500);
    CHECK(seen.size() > 10);
}
