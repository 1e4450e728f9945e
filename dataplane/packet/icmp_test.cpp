// ICMP errors as tinc 1.0.36 sends them into its own device: every reply is checked field by
// field and its checksums recomputed from scratch by the oracle; tables cover the codes per
// reason, quoting limits, the reported MTU, the size check before forwarding, every case in
// which no reply may be sent, and the rate limiter with an injected clock.
//
// Unicast fixtures use only 198.18.0.0/15 and 2001:db8::/32; the refusal cases need the
// special addresses they are about (unspecified, loopback, multicast, broadcast).
#include "dataplane/packet/icmp.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;

namespace {

Bytes ipv4(std::size_t total_length, std::uint8_t protocol = 17, std::uint16_t flags_fragment = 0x4000) {
    Ipv4Spec spec;
    spec.protocol = protocol;
    spec.flags_fragment = flags_fragment;
    spec.payload = filler(total_length - 20);
    return ipv4_packet(spec);
}

Bytes ipv6(std::size_t total_length, std::uint8_t next_header = 17) {
    Ipv6Spec spec;
    spec.next_header = next_header;
    spec.payload = filler(total_length - 40);
    return ipv6_packet(spec);
}

Bytes icmp4(std::uint8_t type, std::uint8_t code = 0) {
    Ipv4Spec spec;
    spec.protocol = 1;
    spec.payload = filler(36);
    spec.payload[0] = type;
    spec.payload[1] = code;
    return ipv4_packet(spec);
}

Bytes icmp6(std::uint8_t type) {
    Ipv6Spec spec;
    spec.next_header = 58;
    spec.payload = filler(48);
    spec.payload[0] = type;
    spec.payload[1] = 0;
    return ipv6_packet(spec);
}

Bytes with_v4_addresses(Bytes p, V4 source, V4 destination) {
    for (std::size_t i = 0; i < 4; ++i) {
        p[12 + i] = source[i];
        p[16 + i] = destination[i];
    }
    return p;
}

Bytes with_v6_addresses(Bytes p, V6 source, V6 destination) {
    for (std::size_t i = 0; i < 16; ++i) {
        p[8 + i] = source[i];
        p[24 + i] = destination[i];
    }
    return p;
}

V6 v6_special(std::uint8_t first, std::uint8_t second, std::uint8_t last) {
    V6 a{};
    a[0] = first;
    a[1] = second;
    a[15] = last;
    return a;
}

// IPv6 packet whose payload is a chain of extension headers (each given as raw bytes whose
// first byte is its next header) before the upper layer.
Bytes ipv6_chain(std::uint8_t first_next_header, const std::vector<Bytes>& headers, const Bytes& upper) {
    Ipv6Spec spec;
    spec.next_header = first_next_header;
    for (const auto& h : headers) spec.payload.insert(spec.payload.end(), h.begin(), h.end());
    spec.payload.insert(spec.payload.end(), upper.begin(), upper.end());
    return ipv6_packet(spec);
}

Bytes options_header(std::uint8_t next) {
    return {next, 0, 1, 4, 0, 0, 0, 0};
}  // 8 bytes, PadN
Bytes fragment_header(std::uint8_t next, std::uint16_t offset_units, bool more) {
    const auto field = static_cast<std::uint16_t>((offset_units << 3) | (more ? 1 : 0));
    return {next, 0, static_cast<std::uint8_t>(field >> 8), static_cast<std::uint8_t>(field & 0xff), 0, 0,
            0,    42};
}
Bytes ah_header(std::uint8_t next) {
    return {next, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
}
Bytes icmp6_message(std::uint8_t type) {
    Bytes m = filler(16);
    m[0] = type;
    return m;
}

struct Expected4 {
    std::uint8_t code;
    std::uint16_t mtu;
};

// Checks an IPv4 reply completely.
void check_ipv4_reply(const Bytes& original, const Bytes& out, const IcmpReply& reply, std::uint8_t type,
                      Expected4 expected) {
    REQUIRE(reply.verdict == IcmpVerdict::reply);
    const std::size_t quoted = std::min<std::size_t>(original.size(), 576 - 28);
    REQUIRE(reply.length == 28 + quoted);
    const Bytes r = slice(out, 0, reply.length);
    CHECK(r[0] == 0x45);
    CHECK(r[1] == 0);
    CHECK(be16(r, 2) == reply.length);
    CHECK(be16(r, 4) == 0);
    CHECK(be16(r, 6) == 0);  // no DF, no fragment
    CHECK(r[8] == 255);
    CHECK(r[9] == 1);
    CHECK(slice(r, 12, 4) == slice(original, 16, 4));  // from the destination they tried
    CHECK(slice(r, 16, 4) == slice(original, 12, 4));  // back to the sender
    CHECK(ipv4_header_checksum_ok(r));
    const Bytes icmp = slice(r, 20, r.size() - 20);
    CHECK(oracle_checksum(icmp) == 0);
    CHECK(icmp[0] == type);
    CHECK(icmp[1] == expected.code);
    CHECK(be16(icmp, 4) == 0);
    CHECK(be16(icmp, 6) == expected.mtu);
    CHECK(slice(icmp, 8, quoted) == slice(original, 0, quoted));
    // Nothing written past the reply.
    CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(reply.length), out.end(),
                      [](std::uint8_t b) { return b == 0xee; }));
}

void check_ipv6_reply(const Bytes& original, const Bytes& out, const IcmpReply& reply, std::uint8_t type,
                      std::uint8_t code, std::uint32_t mtu) {
    REQUIRE(reply.verdict == IcmpVerdict::reply);
    const std::size_t quoted = std::min<std::size_t>(original.size(), 1280 - 48);
    REQUIRE(reply.length == 48 + quoted);
    const Bytes r = slice(out, 0, reply.length);
    CHECK(slice(r, 0, 4) == Bytes{0x60, 0, 0, 0});
    CHECK(be16(r, 4) == reply.length - 40);
    CHECK(r[6] == 58);
    CHECK(r[7] == 255);
    CHECK(slice(r, 8, 16) == slice(original, 24, 16));
    CHECK(slice(r, 24, 16) == slice(original, 8, 16));
    CHECK(oracle_checksum(with_pseudo_header(r, 58)) == 0);
    const Bytes icmp = slice(r, 40, r.size() - 40);
    CHECK(icmp[0] == type);
    CHECK(icmp[1] == code);
    CHECK(((std::uint32_t{be16(icmp, 4)} << 16) | be16(icmp, 6)) == mtu);
    CHECK(slice(icmp, 8, quoted) == slice(original, 0, quoted));
    CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(reply.length), out.end(),
                      [](std::uint8_t b) { return b == 0xee; }));
}

Bytes out_buffer(std::size_t n = icmp_reply_buffer_length) {
    return Bytes(n, 0xee);
}

}  // namespace

TEST_CASE("destination unreachable: tinc's code for each reason") {
    struct Case {
        Unreachable reason;
        std::uint8_t v4_code;
        std::uint8_t v6_code;
    };
    const std::vector<Case> cases{
        {Unreachable::net_unknown, 6, 3},      // "Destination Net Unknown" / address unreachable
        {Unreachable::net_unreachable, 0, 0},  // net unreachable / no route
        {Unreachable::prohibited, 9, 1},       // net prohibited / administratively prohibited
    };
    for (const auto& c : cases) {
        INFO("reason " << static_cast<int>(c.reason));
        const Bytes p4 = ipv4(100);
        Bytes out = out_buffer();
        check_ipv4_reply(p4, out, build_unreachable(p4, c.reason, out), 3, {c.v4_code, 0});

        const Bytes p6 = ipv6(100);
        out = out_buffer();
        check_ipv6_reply(p6, out, build_unreachable(p6, c.reason, out), 1, c.v6_code, 0);
    }
}

TEST_CASE("quoting: as much of the packet as fits in 576 (IPv4) or 1280 (IPv6) bytes") {
    for (std::size_t length : {20u, 28u, 100u, 547u, 548u, 549u, 1500u, 9000u}) {
        INFO("IPv4 length " << length);
        const Bytes p = ipv4(length);
        Bytes out = out_buffer();
        const IcmpReply reply = build_unreachable(p, Unreachable::net_unreachable, out);
        check_ipv4_reply(p, out, reply, 3, {0, 0});
        CHECK(reply.length <= 576);
    }
    for (std::size_t length : {40u, 48u, 1231u, 1232u, 1233u, 1500u, 9000u}) {
        INFO("IPv6 length " << length);
        const Bytes p = ipv6(length);
        Bytes out = out_buffer();
        const IcmpReply reply = build_unreachable(p, Unreachable::net_unknown, out);
        check_ipv6_reply(p, out, reply, 1, 3, 0);
        CHECK(reply.length <= 1280);
    }
}

TEST_CASE("the output buffer must hold the whole reply") {
    const Bytes big = ipv4(1500);
    Bytes out = out_buffer(575);
    CHECK(build_unreachable(big, Unreachable::net_unknown, out).verdict == IcmpVerdict::buffer_too_small);
    CHECK(out == out_buffer(575));
    out = out_buffer(576);
    CHECK(build_unreachable(big, Unreachable::net_unknown, out).length == 576);

    const Bytes small = ipv4(40);
    out = out_buffer(68);
    CHECK(build_unreachable(small, Unreachable::net_unknown, out).length == 68);
    out = out_buffer(67);
    CHECK(build_unreachable(small, Unreachable::net_unknown, out).verdict == IcmpVerdict::buffer_too_small);

    const Bytes big6 = ipv6(1500);
    out = out_buffer(1279);
    CHECK(build_packet_too_big(big6, 1451, out).verdict == IcmpVerdict::buffer_too_small);
    CHECK(build_unreachable(big6, Unreachable::net_unknown, std::span<std::uint8_t>{}).verdict ==
          IcmpVerdict::buffer_too_small);
}

TEST_CASE("too big: reported MTU is the frame MTU minus 14, never below 576/1280") {
    struct Case {
        std::uint32_t frame_mtu;
        std::uint16_t v4_mtu;
        std::uint32_t v6_mtu;
    };
    const std::vector<Case> cases{
        {1451, 1437, 1437},  // spec 5.7's measured PMTU
        {1518, 1504, 1504},  // tinc's MTU constant
        {1294, 1280, 1280}, {1000, 986, 1280},           {590, 576, 1280}, {500, 576, 1280}, {0, 576, 1280},
        {9018, 9004, 9004}, {70000, 0xffff, 70000 - 14},  // IPv4's field has 16 bits
    };
    for (const auto& c : cases) {
        INFO("frame MTU " << c.frame_mtu);
        CHECK(std::min<std::uint32_t>(reported_mtu(false, c.frame_mtu), 0xffff) == c.v4_mtu);
        CHECK(reported_mtu(true, c.frame_mtu) == c.v6_mtu);

        const Bytes p4 = ipv4(1500);  // DF set
        Bytes out = out_buffer();
        check_ipv4_reply(p4, out, build_packet_too_big(p4, c.frame_mtu, out), 3, {4, c.v4_mtu});

        const Bytes p6 = ipv6(1500);
        out = out_buffer();
        check_ipv6_reply(p6, out, build_packet_too_big(p6, c.frame_mtu, out), 2, 0, c.v6_mtu);
    }
}

TEST_CASE("too big without DF: fragment instead, no ICMP") {
    const Bytes p = ipv4(1500, 17, 0x0000);
    Bytes out = out_buffer();
    CHECK(build_packet_too_big(p, 1451, out).verdict == IcmpVerdict::fragmentable);
    CHECK(out == out_buffer());
    CHECK(check_path_mtu(p, 1451) == PathFit::fragment);
    // MF alone is not DF.
    CHECK(build_packet_too_big(ipv4(1500, 17, 0x2000), 1451, out).verdict == IcmpVerdict::fragmentable);
}

TEST_CASE("check_path_mtu follows tinc's size check") {
    struct Case {
        const char* name;
        Bytes packet;
        std::uint32_t frame_mtu;
        PathFit fit;
    };
    const std::vector<Case> cases{
        {"IPv4 frame exactly at the MTU", ipv4(1437), 1451, PathFit::fits},
        {"IPv4 one byte over, DF", ipv4(1438), 1451, PathFit::too_big},
        {"IPv4 one byte over, no DF", ipv4(1438, 17, 0), 1451, PathFit::fragment},
        {"IPv4 over a tiny MTU but at the 590 floor", ipv4(576), 500, PathFit::under_floor},
        {"IPv4 over a tiny MTU and the floor", ipv4(577), 500, PathFit::too_big},
        {"IPv4 under the floor, no DF", ipv4(300, 17, 0), 200, PathFit::under_floor},
        {"IPv4 small", ipv4(60), 1518, PathFit::fits},
        {"IPv6 exactly at the MTU", ipv6(1437), 1451, PathFit::fits},
        {"IPv6 one byte over", ipv6(1438), 1451, PathFit::too_big},
        {"IPv6 over a small MTU but at the 1294 floor", ipv6(1280), 1000, PathFit::under_floor},
        {"IPv6 over the floor", ipv6(1281), 1000, PathFit::too_big},
        {"not IP", Bytes(2000, 0x00), 1451, PathFit::fits},
        {"empty", Bytes{}, 0, PathFit::fits},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK(check_path_mtu(c.packet, c.frame_mtu) == c.fit);
    }
}

TEST_CASE("no ICMP error about ICMP errors, fragments, or to/from non-unicast addresses") {
    Bytes icmp_no_type = ipv4(20, 1);
    Bytes ipv4_options_icmp = [] {
        Ipv4Spec spec;
        spec.protocol = 1;
        spec.options = {1, 1, 1, 0};  // NOP NOP NOP EOL: the ICMP type sits after them
        spec.payload = filler(8);
        spec.payload[0] = 3;
        return ipv4_packet(spec);
    }();
    Bytes bad_ihl = ipv4(40);
    bad_ihl[0] = 0x43;

    struct Case {
        const char* name;
        Bytes packet;
        IcmpVerdict verdict;
    };
    const std::vector<Case> cases{
        // ICMPv4: only queries and replies may be answered.
        {"echo request", icmp4(8), IcmpVerdict::reply},
        {"echo reply", icmp4(0), IcmpVerdict::reply},
        {"timestamp", icmp4(13), IcmpVerdict::reply},
        {"destination unreachable", icmp4(3, 4), IcmpVerdict::icmp_error},
        {"source quench", icmp4(4), IcmpVerdict::icmp_error},
        {"redirect", icmp4(5), IcmpVerdict::icmp_error},
        {"time exceeded", icmp4(11), IcmpVerdict::icmp_error},
        {"parameter problem", icmp4(12), IcmpVerdict::icmp_error},
        {"unknown ICMP type", icmp4(42), IcmpVerdict::icmp_error},
        {"ICMP without a type byte", icmp_no_type, IcmpVerdict::icmp_error},
        {"ICMP error behind IP options", ipv4_options_icmp, IcmpVerdict::icmp_error},
        // Fragments.
        {"first fragment (MF, offset 0)", ipv4(100, 17, 0x2000), IcmpVerdict::reply},
        {"non-first fragment", ipv4(100, 17, 0x00b9), IcmpVerdict::not_first_fragment},
        {"last fragment", ipv4(100, 6, 0x0001), IcmpVerdict::not_first_fragment},
        // IPv4 addresses.
        {"source 0.0.0.0", with_v4_addresses(ipv4(60), {0, 0, 0, 0}, v4_target), IcmpVerdict::bad_source},
        {"source 127.0.0.1", with_v4_addresses(ipv4(60), {127, 0, 0, 1}, v4_target), IcmpVerdict::bad_source},
        {"source multicast", with_v4_addresses(ipv4(60), {224, 0, 0, 5}, v4_target), IcmpVerdict::bad_source},
        {"source broadcast", with_v4_addresses(ipv4(60), {255, 255, 255, 255}, v4_target),
         IcmpVerdict::bad_source},
        {"destination multicast", with_v4_addresses(ipv4(60), v4_sender, {239, 1, 2, 3}),
         IcmpVerdict::non_unicast_destination},
        {"destination broadcast", with_v4_addresses(ipv4(60), v4_sender, {255, 255, 255, 255}),
         IcmpVerdict::non_unicast_destination},
        {"destination 0.0.0.0", with_v4_addresses(ipv4(60), v4_sender, {0, 0, 0, 0}),
         IcmpVerdict::non_unicast_destination},
        // Malformed.
        {"empty", Bytes{}, IcmpVerdict::malformed},
        {"IPv4 truncated header", slice(ipv4(60), 0, 19), IcmpVerdict::malformed},
        {"IPv4 header length 12", bad_ihl, IcmpVerdict::malformed},
        {"IPv6 truncated header", slice(ipv6(60), 0, 39), IcmpVerdict::malformed},
        {"version 7", Bytes(60, 0x70), IcmpVerdict::malformed},
        // ICMPv6: types below 128 are errors.
        {"ICMPv6 echo request", icmp6(128), IcmpVerdict::reply},
        {"ICMPv6 neighbour solicitation", icmp6(135), IcmpVerdict::reply},
        {"ICMPv6 destination unreachable", icmp6(1), IcmpVerdict::icmp_error},
        {"ICMPv6 packet too big", icmp6(2), IcmpVerdict::icmp_error},
        {"ICMPv6 time exceeded", icmp6(3), IcmpVerdict::icmp_error},
        {"ICMPv6 parameter problem", icmp6(4), IcmpVerdict::icmp_error},
        {"ICMPv6 without a type byte", ipv6(40, 58), IcmpVerdict::icmp_error},
        // IPv6 addresses.
        {"source ::", with_v6_addresses(ipv6(60), V6{}, v6_target), IcmpVerdict::bad_source},
        {"source ::1", with_v6_addresses(ipv6(60), v6_special(0, 0, 1), v6_target), IcmpVerdict::bad_source},
        {"source ff02::1", with_v6_addresses(ipv6(60), v6_special(0xff, 0x02, 1), v6_target),
         IcmpVerdict::bad_source},
        {"destination ff02::1", with_v6_addresses(ipv6(60), v6_sender, v6_special(0xff, 0x02, 1)),
         IcmpVerdict::non_unicast_destination},
        {"destination ::", with_v6_addresses(ipv6(60), v6_sender, V6{}),
         IcmpVerdict::non_unicast_destination},
        // IPv6 extension headers in front of the upper layer.
        {"hop-by-hop then ICMPv6 error", ipv6_chain(0, {options_header(58)}, icmp6_message(1)),
         IcmpVerdict::icmp_error},
        {"hop-by-hop, dest opts, routing, then ICMPv6 echo",
         ipv6_chain(0, {options_header(60), options_header(43), options_header(58)}, icmp6_message(128)),
         IcmpVerdict::reply},
        {"destination options then UDP", ipv6_chain(60, {options_header(17)}, filler(16)),
         IcmpVerdict::reply},
        {"first fragment of UDP", ipv6_chain(44, {fragment_header(17, 0, true)}, filler(16)),
         IcmpVerdict::reply},
        {"first fragment of an ICMPv6 error",
         ipv6_chain(44, {fragment_header(58, 0, true)}, icmp6_message(3)), IcmpVerdict::icmp_error},
        {"non-first fragment", ipv6_chain(44, {fragment_header(17, 100, true)}, filler(16)),
         IcmpVerdict::not_first_fragment},
        {"authentication header then ICMPv6 error", ipv6_chain(51, {ah_header(58)}, icmp6_message(1)),
         IcmpVerdict::icmp_error},
        {"ESP: opaque, not an ICMPv6 error", ipv6_chain(50, {}, filler(32)), IcmpVerdict::reply},
        {"no next header", ipv6_chain(59, {}, {}), IcmpVerdict::reply},
        {"extension header cut off", slice(ipv6_chain(0, {options_header(58)}, icmp6_message(1)), 0, 41),
         IcmpVerdict::malformed},
        {"fragment header cut off", slice(ipv6_chain(44, {fragment_header(17, 0, true)}, {}), 0, 47),
         IcmpVerdict::malformed},
        {"nine extension headers", ipv6_chain(0, std::vector<Bytes>(9, options_header(0)), filler(8)),
         IcmpVerdict::malformed},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK(icmp_error_allowed(c.packet) == c.verdict);
        Bytes out = out_buffer();
        const IcmpReply unreachable = build_unreachable(c.packet, Unreachable::net_unknown, out);
        CHECK(unreachable.verdict == c.verdict);
        if (c.verdict != IcmpVerdict::reply) {
            CHECK(unreachable.length == 0);
            CHECK(out == out_buffer());
            CHECK(build_packet_too_big(c.packet, 1451, out).verdict == c.verdict);
            CHECK(out == out_buffer());
        } else if ((c.packet[0] >> 4) == 4) {
            check_ipv4_reply(c.packet, out, unreachable, 3, {6, 0});
        } else {
            check_ipv6_reply(c.packet, out, unreachable, 1, 3, 0);
        }
    }
}

TEST_CASE("a reply is itself an ICMP error that would not be answered") {
    const Bytes p = ipv4(200);
    Bytes out = out_buffer();
    const IcmpReply reply = build_unreachable(p, Unreachable::net_unreachable, out);
    REQUIRE(reply.verdict == IcmpVerdict::reply);
    CHECK(icmp_error_allowed(slice(out, 0, reply.length)) == IcmpVerdict::icmp_error);

    const Bytes p6 = ipv6(200);
    Bytes out6 = out_buffer();
    const IcmpReply reply6 = build_packet_too_big(p6, 1300, out6);
    REQUIRE(reply6.verdict == IcmpVerdict::reply);
    CHECK(icmp_error_allowed(slice(out6, 0, reply6.length)) == IcmpVerdict::icmp_error);
}

TEST_CASE("random packets never make a builder read or write out of bounds") {
    std::mt19937 rng(792);
    for (int round = 0; round < 20000; ++round) {
        Bytes p(rng() % 120);
        for (auto& b : p) b = static_cast<std::uint8_t>(rng());
        if (!p.empty()) p[0] = static_cast<std::uint8_t>((round % 2 ? 0x40 : 0x60) | (p[0] & 0x0f));
        Bytes out(rng() % 300, 0xee);
        const IcmpReply a = build_unreachable(p, Unreachable::net_unreachable, out);
        REQUIRE(a.length <= out.size());
        if (a.verdict == IcmpVerdict::reply) REQUIRE(icmp_error_allowed(p) == IcmpVerdict::reply);
        const IcmpReply b = build_packet_too_big(p, static_cast<std::uint32_t>(rng() % 2000), out);
        REQUIRE(b.length <= out.size());
        static_cast<void>(check_path_mtu(p, static_cast<std::uint32_t>(rng() % 2000)));
    }
}

TEST_CASE("rate limiter: tinc's 3 replies per wall-clock second") {
    IcmpRateLimiter limiter;
    CHECK(limiter.allow(0));
    CHECK(limiter.allow(0));
    CHECK(limiter.allow(0));
    CHECK_FALSE(limiter.allow(0));
    CHECK_FALSE(limiter.allow(0));
    CHECK(limiter.allow(1));  // a new second, a new budget
    CHECK(limiter.allow(1));
    CHECK(limiter.allow(1));
    CHECK_FALSE(limiter.allow(1));
    CHECK(limiter.allow(7));  // gaps do not matter
    CHECK(limiter.allow(6));  // nor does the clock stepping back: another second is another budget

    IcmpRateLimiter silent(0);
    CHECK_FALSE(silent.allow(100));
    CHECK_FALSE(silent.allow(101));

    IcmpRateLimiter generous(1000);
    int allowed = 0;
    for (int i = 0; i < 5000; ++i) allowed += generous.allow(42) ? 1 : 0;
    CHECK(allowed == 1000);
}

TEST_CASE("every IcmpVerdict has its own name") {
    std::set<std::string> names;
    for (IcmpVerdict v :
         {IcmpVerdict::reply, IcmpVerdict::malformed, IcmpVerdict::icmp_error,
          IcmpVerdict::not_first_fragment, IcmpVerdict::bad_source, IcmpVerdict::non_unicast_destination,
          IcmpVerdict::fragmentable, IcmpVerdict::buffer_too_small})
        names.insert(std::string(name(v)));
    CHECK(names.size() == 8);
    CHECK(names.count("unknown") == 0);
}
