// ClampMSS (spec 5.7): the limit formula with the spec's example, a table of SYNs that must
// or must not change (every malformed option layout included), and a differential run over
// random packets in which the incrementally patched checksum must equal the one the oracle
// recomputes from scratch.
#include "dataplane/packet/mss_clamp.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
}

const Bytes nop{1};
const Bytes sack_permitted{4, 2};
const Bytes timestamps{8, 10, 1, 2, 3, 4, 0, 0, 0, 0};
const Bytes window_scale{3, 3, 7};

Bytes syn4(const Bytes& options, std::uint8_t flags = 0x02) {
    return tcp_ipv4({flags, options, {}});
}
Bytes syn6(const Bytes& options, std::uint8_t flags = 0x02) {
    return tcp_ipv6({flags, options, {}});
}

// Where the MSS values sit in a packet built by these helpers: (offset in the packet).
std::vector<std::size_t> mss_offsets(const Bytes& p) {
    std::vector<std::size_t> at;
    const std::size_t tcp = ip_header_length(p);
    const std::size_t end = tcp + (p[tcp + 12] >> 4) * 4u;
    for (std::size_t i = tcp + 20; i < end;) {
        if (p[i] == 0) break;
        if (p[i] == 1) {
            ++i;
            continue;
        }
        if (i + 1 >= end || p[i + 1] < 2 || i + p[i + 1] > end) break;
        if (p[i] == 2 && p[i + 1] == 4) at.push_back(i + 2);
        i += p[i + 1];
    }
    return at;
}

}  // namespace

TEST_CASE("the MSS limit: mtu - (14 + IP header) - 20") {
    CHECK(mss_limit(1451, 20) == std::optional<std::uint16_t>(1397));  // spec 5.7's example
    CHECK(mss_limit(1518, 20) == std::optional<std::uint16_t>(1464));
    CHECK(mss_limit(1518, 40) == std::optional<std::uint16_t>(1444));
    CHECK(mss_limit(1451, 60) == std::optional<std::uint16_t>(1357));
    CHECK(mss_limit(55, 20) == std::optional<std::uint16_t>(1));
    CHECK_FALSE(mss_limit(54, 20).has_value());
    CHECK_FALSE(mss_limit(0, 20).has_value());
    CHECK(mss_limit(200000, 20) == std::optional<std::uint16_t>(0xffff));
}

TEST_CASE("clamp_mss: which packets change, and to what") {
    Bytes ip_options = [] {
        Ipv4Spec ip;
        ip.options = {1, 1, 1, 0};  // 24-byte IP header: the limit drops by 4
        return tcp_ipv4({0x02, mss_option(1460), {}}, ip);
    }();
    Bytes non_first_fragment = [] {
        Ipv4Spec ip;
        ip.flags_fragment = 0x00b9;
        return tcp_ipv4({0x02, mss_option(1460), {}}, ip);
    }();
    Bytes first_fragment = [] {
        Ipv4Spec ip;
        ip.flags_fragment = 0x2000;  // MF, offset 0: the TCP header is here
        return tcp_ipv4({0x02, mss_option(1460), {}}, ip);
    }();
    Bytes ipv6_hop_by_hop = [] {
        Ipv6Spec ip;
        ip.next_header = 0;
        ip.payload = cat({{6, 0, 1, 4, 0, 0, 0, 0}, tcp_segment({0x02, mss_option(1460), {}})});
        return ipv6_packet(ip);
    }();
    Bytes udp = [] {
        Ipv4Spec ip;
        ip.protocol = 17;
        ip.payload = cat({{0x9c, 0x40, 0x01, 0xbb, 0, 28, 0, 0}, mss_option(1460), filler(16)});
        return ipv4_packet(ip);
    }();
    Bytes doff_4 = syn4(mss_option(1460));
    doff_4[20 + 12] = 0x40;
    Bytes doff_past_end = syn4(mss_option(1460));
    doff_past_end[20 + 12] = 0xf0;
    Bytes ipv4_total_past_end = syn4(mss_option(1460));
    put16(ipv4_total_past_end, 2, static_cast<std::uint16_t>(ipv4_total_past_end.size() + 1));
    Bytes ipv4_trailing_padding = syn4(mss_option(1460));  // total length shorter than the buffer
    ipv4_trailing_padding.insert(ipv4_trailing_padding.end(), {0xde, 0xad});
    Bytes ipv6_payload_past_end = syn6(mss_option(1460));
    put16(ipv6_payload_past_end, 4, static_cast<std::uint16_t>(ipv6_payload_past_end.size() - 40 + 1));
    Bytes ipv6_jumbo = syn6(mss_option(1460));
    put16(ipv6_jumbo, 4, 0);
    Bytes short_segment = slice(syn4(mss_option(1460)), 0, 39);
    put16(short_segment, 2, 39);

    struct Case {
        const char* name;
        Bytes packet;
        std::uint32_t mtu;
        std::optional<std::uint16_t> clamped_to;  // nothing: the packet must not change
    };
    const std::vector<Case> cases{
        {"IPv4 SYN 1460 at PMTU 1451", syn4(mss_option(1460)), 1451, 1397},
        {"IPv4 SYN exactly at the limit", syn4(mss_option(1397)), 1451, std::nullopt},
        {"IPv4 SYN just under the limit", syn4(mss_option(1396)), 1451, std::nullopt},
        {"IPv4 SYN one over the limit", syn4(mss_option(1398)), 1451, 1397},
        {"IPv4 SYN 65535", syn4(mss_option(0xffff)), 1518, 1464},
        {"IPv4 SYN+ACK", syn4(mss_option(1460), 0x12), 1451, 1397},
        {"IPv4 ACK carrying an MSS option", syn4(mss_option(1460), 0x10), 1451, std::nullopt},
        {"IPv4 with IP options", ip_options, 1451, 1393},
        {"IPv4 first fragment", first_fragment, 1451, 1397},
        {"IPv4 non-first fragment", non_first_fragment, 1451, std::nullopt},
        {"IPv6 SYN", syn6(mss_option(1460)), 1451, 1377},
        {"IPv6 SYN exactly at the limit", syn6(mss_option(1377)), 1451, std::nullopt},
        {"IPv6 behind a hop-by-hop header", ipv6_hop_by_hop, 1451, std::nullopt},
        {"UDP", udp, 1451, std::nullopt},
        {"SYN without options", syn4({}), 1451, std::nullopt},
        {"Linux SYN: MSS, SACK, TS, NOP, WS",
         syn4(cat({mss_option(1460), sack_permitted, timestamps, nop, window_scale})), 1451, 1397},
        {"MSS after NOP: odd offset", syn4(cat({nop, mss_option(1460)})), 1451, 1397},
        {"MSS after three NOPs: odd offset", syn4(cat({nop, nop, nop, mss_option(8960)})), 1500, 1446},
        {"MSS last, after timestamps", syn4(cat({nop, nop, timestamps, mss_option(1460)})), 1451, 1397},
        {"MSS after window scale: odd offset", syn6(cat({window_scale, mss_option(1440)})), 1300, 1226},
        {"two MSS options, both clamped", syn4(cat({mss_option(1460), mss_option(9000)})), 1451, 1397},
        {"EOL before the MSS", syn4(cat({{0}, mss_option(1460)})), 1451, std::nullopt},
        {"option length 0 before the MSS", syn4(cat({{3, 0, 0, 0}, mss_option(1460)})), 1451, std::nullopt},
        {"option length 1 before the MSS", syn4(cat({{3, 1, 0, 0}, mss_option(1460)})), 1451, std::nullopt},
        {"option running past the header", syn4(cat({nop, nop, {8, 10, 0, 0}})), 1451, std::nullopt},
        {"MSS running past the header", syn4({1, 1, 2, 4}), 1451, std::nullopt},
        {"MSS kind in the last byte", syn4({1, 1, 1, 2}), 1451, std::nullopt},
        {"MSS option of length 3", syn4({2, 3, 0x05, 1}), 1451, std::nullopt},
        {"MSS option of length 5", syn4({2, 5, 0x05, 0xb4, 0, 1, 1, 1}), 1451, std::nullopt},
        {"data offset 4", doff_4, 1451, std::nullopt},
        {"data offset past the segment", doff_past_end, 1451, std::nullopt},
        {"IPv4 total length past the buffer", ipv4_total_past_end, 1451, std::nullopt},
        {"IPv4 trailing bytes after total length", ipv4_trailing_padding, 1451, 1397},
        {"IPv6 payload length past the buffer", ipv6_payload_past_end, 1451, std::nullopt},
        {"IPv6 jumbogram", ipv6_jumbo, 1451, std::nullopt},
        {"TCP header cut short", short_segment, 1451, std::nullopt},
        {"MTU too small for any MSS", syn4(mss_option(1460)), 54, std::nullopt},
        {"MTU leaving an MSS of 1", syn4(mss_option(1460)), 55, 1},
        {"empty", Bytes{}, 1451, std::nullopt},
        {"version 5", Bytes(60, 0x55), 1451, std::nullopt},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        Bytes p = c.packet;
        const bool changed = clamp_mss(p, c.mtu);
        CHECK(changed == c.clamped_to.has_value());
        if (!c.clamped_to) {
            CHECK(p == c.packet);
            continue;
        }
        // Only the MSS values and the TCP checksum differ, and the checksum is right.
        const auto offsets = mss_offsets(p);
        REQUIRE_FALSE(offsets.empty());
        const std::size_t checksum_at = ip_header_length(p) + 16;
        for (std::size_t i = 0; i < p.size(); ++i) {
            const bool expected_to_change = i == checksum_at || i == checksum_at + 1 ||
                                            std::any_of(offsets.begin(), offsets.end(), [i](std::size_t at) {
                                                return i == at || i == at + 1;
                                            });
            if (!expected_to_change) CHECK(p[i] == c.packet[i]);
        }
        for (std::size_t at : offsets) CHECK(be16(p, at) == std::min(*c.clamped_to, be16(c.packet, at)));
        Bytes checked = p;
        if ((p[0] >> 4) == 4) {
            checked.resize(be16(p, 2));  // the oracle covers exactly the datagram
            CHECK(ipv4_header_checksum_ok(checked));
        }
        CHECK(tcp_checksum_ok(checked));
    }
}

TEST_CASE("clamping twice changes nothing the second time") {
    Bytes p = syn4(cat({nop, mss_option(1460), sack_permitted}));
    CHECK(clamp_mss(p, 1451));
    const Bytes once = p;
    CHECK_FALSE(clamp_mss(p, 1451));
    CHECK(p == once);
    CHECK(clamp_mss(p, 1300));  // a smaller path MTU later still lowers it
    CHECK(tcp_checksum_ok(p));
}

TEST_CASE("incremental checksum equals recomputation over random SYNs (differential)") {
    std::mt19937 rng(1624);
    int clamped = 0;
    for (int round = 0; round < 5000; ++round) {
        // Options: some NOPs, then the usual options in random order with the MSS among them.
        std::vector<Bytes> parts{mss_option(static_cast<std::uint16_t>(rng())), sack_permitted, timestamps,
                                 window_scale};
        std::shuffle(parts.begin(), parts.end(), rng);
        Bytes options;
        for (const auto& part : parts) {
            for (unsigned n = rng() % 3; n > 0; --n) options.push_back(1);
            if (rng() % 4 != 0 || part[0] == 2) options.insert(options.end(), part.begin(), part.end());
        }
        const TcpSpec tcp{static_cast<std::uint8_t>(rng() % 2 ? 0x02 : 0x12), options,
                          filler(rng() % 64, static_cast<std::uint8_t>(rng()))};
        Bytes p;
        if (rng() % 2) {
            Ipv4Spec ip;
            ip.options.assign(4 * (rng() % 4), 1);  // IP NOP options change the header length
            ip.source[3] = static_cast<std::uint8_t>(rng());
            ip.destination[2] = static_cast<std::uint8_t>(rng());
            p = tcp_ipv4(tcp, ip);
        } else {
            Ipv6Spec ip;
            ip.source[15] = static_cast<std::uint8_t>(rng());
            ip.destination[7] = static_cast<std::uint8_t>(rng());
            p = tcp_ipv6(tcp, ip);
        }
        const std::uint32_t mtu = 576 + rng() % 8500;
        const auto offsets = mss_offsets(p);
        REQUIRE(offsets.size() == 1);
        const std::uint16_t before = be16(p, offsets[0]);
        const std::uint16_t limit = *mss_limit(mtu, ip_header_length(p));

        const bool changed = clamp_mss(p, mtu);
        INFO("round " << round << " mss " << before << " limit " << limit << " at " << offsets[0]);
        REQUIRE(changed == (before > limit));
        REQUIRE(be16(p, offsets[0]) == std::min(before, limit));
        Bytes recomputed = p;
        fix_tcp_checksum(recomputed);
        REQUIRE(recomputed == p);  // the patched checksum is exactly the recomputed one
        clamped += changed ? 1 : 0;
    }
    // The run must exercise both outcomes to mean anything.
    CHECK(clamped > 1000);
    CHECK(clamped < 4900);
}
