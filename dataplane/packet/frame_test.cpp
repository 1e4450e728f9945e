// tinc router-mode frames: classification of bare IP packets and of frames (tables of
// valid and invalid inputs), writing the header into the headroom of a TUN read, and a
// random-input run checking that the two classifications agree and never read out of
// bounds (the sanitizer build catches that).
//
// Unicast fixtures use only 198.18.0.0/15 and 2001:db8::/32; the multicast and broadcast
// cases necessarily use addresses from 224.0.0.0/4, 255.255.255.255 and ff00::/8.
#include "dataplane/packet/frame.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;
using sluice::net::Ipv4Address;
using sluice::net::Ipv6Address;

namespace {

Ipv4Address v4(const char* text) {
    return Ipv4Address::parse(text).value();
}
Ipv6Address v6(const char* text) {
    return Ipv6Address::parse(text).value();
}

Bytes udp4_to(V4 destination, std::size_t payload = 8) {
    Ipv4Spec spec;
    spec.destination = destination;
    spec.protocol = 17;
    spec.payload = filler(payload);
    return ipv4_packet(spec);
}

Bytes udp6_to(V6 destination, std::size_t payload = 8) {
    Ipv6Spec spec;
    spec.destination = destination;
    spec.next_header = 17;
    spec.payload = filler(payload);
    return ipv6_packet(spec);
}

Bytes as_frame(std::uint16_t ethertype, const Bytes& ip) {
    Bytes frame(14, 0);
    put16(frame, 12, ethertype);
    frame.insert(frame.end(), ip.begin(), ip.end());
    return frame;
}

}  // namespace

TEST_CASE("classify_ip: valid packets, destinations and the broadcast path") {
    struct Case {
        const char* name;
        Bytes packet;
        FrameKind kind;
        bool broadcast;
    };
    const std::vector<Case> cases{
        {"IPv4 unicast", udp4_to({198, 19, 7, 20}), FrameKind::ipv4, false},
        {"IPv4 header only", slice(udp4_to({198, 19, 7, 20}), 0, 20), FrameKind::ipv4, false},
        {"IPv4 .255 is unicast without the subnet", udp4_to({198, 19, 255, 255}), FrameKind::ipv4, false},
        {"IPv4 224.0.0.1", udp4_to({224, 0, 0, 1}), FrameKind::ipv4, true},
        {"IPv4 239.255.255.250", udp4_to({239, 255, 255, 250}), FrameKind::ipv4, true},
        {"IPv4 255.255.255.255", udp4_to({255, 255, 255, 255}), FrameKind::ipv4, true},
        {"IPv6 unicast", udp6_to(v6_target), FrameKind::ipv6, false},
        {"IPv6 header only", slice(udp6_to(v6_target), 0, 40), FrameKind::ipv6, false},
        {"IPv6 ff02::1", udp6_to(v6("ff02::1").bytes), FrameKind::ipv6, true},
        {"IPv6 ff0e::1", udp6_to(v6("ff0e::1").bytes), FrameKind::ipv6, true},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const FrameClass fc = classify_ip(c.packet);
        CHECK(fc.kind == c.kind);
        CHECK(fc.is_ip());
        CHECK(fc.broadcast_or_multicast == c.broadcast);
        if (c.kind == FrameKind::ipv4) {
            CHECK(std::equal(fc.ipv4_destination.bytes.begin(), fc.ipv4_destination.bytes.end(),
                             c.packet.begin() + 16));
            CHECK(fc.ipv6_destination == Ipv6Address{});
        } else {
            CHECK(std::equal(fc.ipv6_destination.bytes.begin(), fc.ipv6_destination.bytes.end(),
                             c.packet.begin() + 24));
            CHECK(fc.ipv4_destination == Ipv4Address{});
        }
    }
    CHECK(classify_ip(udp4_to(v4_target)).ipv4_destination == v4("198.19.7.20"));
    CHECK(classify_ip(udp6_to(v6_target)).ipv6_destination == v6("2001:db8:7::20"));
}

TEST_CASE("classify_ip: invalid packets") {
    Bytes ihl4 = udp4_to(v4_target);
    ihl4[0] = 0x44;
    Bytes ihl_beyond = slice(udp4_to(v4_target), 0, 20);
    ihl_beyond[0] = 0x46;  // claims 24 bytes of header in a 20-byte packet
    Bytes version5 = udp4_to(v4_target);
    version5[0] = 0x55;
    Bytes version0 = udp4_to(v4_target);
    version0[0] = 0x05;

    struct Case {
        const char* name;
        Bytes packet;
        FrameKind kind;
    };
    const std::vector<Case> cases{
        {"empty", {}, FrameKind::too_short},
        {"IPv4 19 bytes", slice(udp4_to(v4_target), 0, 19), FrameKind::too_short},
        {"IPv4 1 byte", Bytes{0x45}, FrameKind::too_short},
        {"IPv6 39 bytes", slice(udp6_to(v6_target), 0, 39), FrameKind::too_short},
        {"IPv4 header length 16", ihl4, FrameKind::bad_ip_header},
        {"IPv4 header length past the end", ihl_beyond, FrameKind::bad_ip_header},
        {"version 5", version5, FrameKind::bad_ip_header},
        {"version 0", version0, FrameKind::bad_ip_header},
        {"version 0 one byte", Bytes{0x00}, FrameKind::bad_ip_header},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const FrameClass fc = classify_ip(c.packet);
        CHECK(fc.kind == c.kind);
        CHECK_FALSE(fc.is_ip());
        CHECK_FALSE(fc.broadcast_or_multicast);
    }
}

TEST_CASE("classify_frame: Ethertypes, probes and version mismatches") {
    const Bytes ip4 = udp4_to(v4_target);
    const Bytes ip6 = udp6_to(v6("ff02::1").bytes);
    struct Case {
        const char* name;
        Bytes frame;
        FrameKind kind;
    };
    const std::vector<Case> cases{
        {"empty", {}, FrameKind::too_short},
        {"13 bytes", Bytes(13, 0), FrameKind::too_short},
        {"bare header, Ethertype 0", Bytes(14, 0), FrameKind::pmtu_probe},
        {"probe with random body", as_frame(0x0000, filler(100)), FrameKind::pmtu_probe},
        {"IPv4", as_frame(ethertype_ipv4, ip4), FrameKind::ipv4},
        {"IPv6", as_frame(ethertype_ipv6, ip6), FrameKind::ipv6},
        {"IPv4 Ethertype, no IP header", as_frame(ethertype_ipv4, {}), FrameKind::too_short},
        {"IPv4 Ethertype, 10 bytes of IP", as_frame(ethertype_ipv4, slice(ip4, 0, 10)), FrameKind::too_short},
        {"IPv4 Ethertype, IPv6 packet", as_frame(ethertype_ipv4, ip6), FrameKind::bad_ip_header},
        {"IPv6 Ethertype, IPv4 packet", as_frame(ethertype_ipv6, ip4), FrameKind::bad_ip_header},
        {"ARP", as_frame(0x0806, filler(28)), FrameKind::unsupported},
        {"VLAN tag", as_frame(0x8100, ip4), FrameKind::unsupported},
        {"byte-swapped IPv4 Ethertype", as_frame(0x0008, ip4), FrameKind::unsupported},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const FrameClass fc = classify_frame(c.frame);
        CHECK(fc.kind == c.kind);
    }
    const FrameClass fc = classify_frame(as_frame(ethertype_ipv6, ip6));
    CHECK(fc.broadcast_or_multicast);
    CHECK(fc.ipv6_destination == v6("ff02::1"));
    // The MAC bytes are ignored, as a tinc in router mode ignores them.
    Bytes with_macs = as_frame(ethertype_ipv4, ip4);
    std::fill_n(with_macs.begin(), 12, std::uint8_t{0x5a});
    CHECK(classify_frame(with_macs).kind == FrameKind::ipv4);
}

TEST_CASE("write_ethernet_header writes 12 zero bytes and the Ethertype, or nothing") {
    Bytes frame(20, 0xaa);
    CHECK(write_ethernet_header(frame, ethertype_ipv6));
    CHECK(slice(frame, 0, 14) == Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd});
    CHECK(slice(frame, 14, 6) == Bytes(6, 0xaa));

    Bytes exact(14, 0xaa);
    CHECK(write_ethernet_header(exact, ethertype_ipv4));
    CHECK(exact[12] == 0x08);
    CHECK(exact[13] == 0x00);

    Bytes short_buffer(13, 0xaa);
    CHECK_FALSE(write_ethernet_header(short_buffer, ethertype_ipv4));
    CHECK(short_buffer == Bytes(13, 0xaa));
}

TEST_CASE("frame_ip_packet fills the headroom of a TUN read") {
    struct Case {
        const char* name;
        Bytes ip;
        FrameKind kind;
        std::uint16_t ethertype;
    };
    const std::vector<Case> cases{
        {"IPv4", udp4_to(v4_target, 1000), FrameKind::ipv4, ethertype_ipv4},
        {"IPv6", udp6_to(v6_target, 1000), FrameKind::ipv6, ethertype_ipv6},
        {"IPv4 multicast", udp4_to({224, 0, 0, 251}), FrameKind::ipv4, ethertype_ipv4},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        Bytes buffer(14, 0xaa);  // stale bytes from the previous packet in this buffer
        buffer.insert(buffer.end(), c.ip.begin(), c.ip.end());
        const FrameClass fc = frame_ip_packet(buffer);
        CHECK(fc.kind == c.kind);
        CHECK(slice(buffer, 0, 12) == Bytes(12, 0));
        CHECK(be16(buffer, 12) == c.ethertype);
        CHECK(slice(buffer, 14, c.ip.size()) == c.ip);
        // The frame reads back as the same packet, and the packet comes back out of it.
        const FrameClass again = classify_frame(buffer);
        CHECK(again.kind == fc.kind);
        CHECK(again.ipv4_destination == fc.ipv4_destination);
        CHECK(again.ipv6_destination == fc.ipv6_destination);
        CHECK(again.broadcast_or_multicast == fc.broadcast_or_multicast);
        const auto inner = ip_packet_of(std::span<const std::uint8_t>(buffer));
        CHECK(Bytes(inner.begin(), inner.end()) == c.ip);
    }

    const std::vector<Bytes> invalid{Bytes(14, 0xaa), Bytes(13, 0xaa), [] {
                                         Bytes b(14, 0xaa);
                                         const Bytes bad = Bytes{0x75, 1, 2, 3};
                                         b.insert(b.end(), bad.begin(), bad.end());
                                         return b;
                                     }()};
    for (Bytes buffer : invalid) {
        const Bytes before = buffer;
        CHECK_FALSE(frame_ip_packet(buffer).is_ip());
        CHECK(buffer == before);  // headroom untouched: the caller drops it
    }
}

TEST_CASE("ip_packet_of a frame without payload is empty") {
    Bytes frame(14, 0);
    CHECK(ip_packet_of(std::span<std::uint8_t>(frame)).empty());
    Bytes tiny(3, 0);
    CHECK(ip_packet_of(std::span<const std::uint8_t>(tiny)).empty());
}

TEST_CASE("every FrameKind has its own name") {
    std::set<std::string> names;
    for (FrameKind k : {FrameKind::ipv4, FrameKind::ipv6, FrameKind::pmtu_probe, FrameKind::unsupported,
                        FrameKind::too_short, FrameKind::bad_ip_header})
        names.insert(std::string(name(k)));
    CHECK(names.size() == 6);
    CHECK(names.count("unknown") == 0);
}

TEST_CASE("random buffers: frame_ip_packet and classify_frame agree with classify_ip") {
    std::mt19937 rng(3600);
    for (int round = 0; round < 20000; ++round) {
        Bytes buffer(rng() % 80);
        for (auto& b : buffer) b = static_cast<std::uint8_t>(rng());
        if (buffer.size() > 14 && round % 2 == 0)
            buffer[14] = static_cast<std::uint8_t>((round % 4 == 0 ? 0x40 : 0x60) | (rng() & 0x0f));
        const Bytes original = buffer;
        // Exact-size copies so that any read past the end is a heap overflow under ASan.
        const FrameClass as_frame_class = classify_frame(original);
        const FrameClass tun = frame_ip_packet(buffer);
        if (original.size() < 14) {
            REQUIRE(tun.kind == FrameKind::too_short);
            continue;
        }
        const Bytes ip = slice(original, 14, original.size() - 14);
        const FrameClass bare = classify_ip(ip);
        REQUIRE(tun.kind == bare.kind);
        if (tun.is_ip()) {
            const FrameClass framed = classify_frame(buffer);
            REQUIRE(framed.kind == bare.kind);
            REQUIRE(framed.ipv4_destination == bare.ipv4_destination);
            REQUIRE(framed.ipv6_destination == bare.ipv6_destination);
            REQUIRE(framed.broadcast_or_multicast == bare.broadcast_or_multicast);
        } else {
            REQUIRE(buffer == original);
        }
        if (as_frame_class.is_ip()) REQUIRE(as_frame_class.kind == bare.kind);
    }
}
