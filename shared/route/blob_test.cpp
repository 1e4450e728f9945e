// The serialised table: a round trip answers identically wherever the bytes sit, and a corrupt
// blob is refused with a reason instead of being read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "shared/route/route_format.hpp"
#include "shared/route/route_table.hpp"

using namespace sluice;
using namespace sluice::route;
namespace format = sluice::route::format;

namespace {

RouteTable sample_table() {
    std::vector<RouteEntry> entries;
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) {
        net::Subnet s;
        if (i % 2 == 0) {
            net::Ipv4Address a = *net::Ipv4Address::parse("198.19.0.0");
            a.bytes[2] = static_cast<std::uint8_t>(rng() % 8);
            a.bytes[3] = static_cast<std::uint8_t>(rng());
            s.address = a;
            s.prefix_length = 16 + static_cast<int>(rng() % 17);
        } else {
            net::Ipv6Address a = *net::Ipv6Address::parse("2001:db8::");
            a.bytes[5] = static_cast<std::uint8_t>(rng() % 8);
            a.bytes[15] = static_cast<std::uint8_t>(rng());
            s.address = a;
            s.prefix_length = 40 + static_cast<int>(rng() % 89);
        }
        s.weight = static_cast<int>(rng() % 3);
        entries.push_back({s, static_cast<std::uint32_t>(rng() % 12), rng() % 4 != 0});
    }
    auto table = RouteTable::build(entries);
    REQUIRE(table.has_value());
    return std::move(*table);
}

std::vector<net::Ipv4Address> v4_probes(int step = 1) {
    std::vector<net::Ipv4Address> out;
    for (int i = 0; i < 4096; i += step) {
        net::Ipv4Address a = *net::Ipv4Address::parse("198.19.0.0");
        a.bytes[2] = static_cast<std::uint8_t>(i >> 8);
        a.bytes[3] = static_cast<std::uint8_t>(i * 37);
        out.push_back(a);
    }
    return out;
}

std::vector<net::Ipv6Address> v6_probes(int step = 1) {
    std::vector<net::Ipv6Address> out;
    for (int i = 0; i < 4096; i += step) {
        net::Ipv6Address a = *net::Ipv6Address::parse("2001:db8::");
        a.bytes[5] = static_cast<std::uint8_t>(i >> 9);
        a.bytes[15] = static_cast<std::uint8_t>(i * 37);
        out.push_back(a);
    }
    return out;
}

void check_same_answers(const RouteTable& table, const RouteTableView& view) {
    int routed = 0;
    for (const auto& a : v4_probes()) {
        CHECK(view.lookup(a) == table.lookup(a));
        routed += table.lookup(a).kind == VerdictKind::route ? 1 : 0;
    }
    for (const auto& a : v6_probes()) {
        CHECK(view.lookup(a) == table.lookup(a));
        routed += table.lookup(a).kind == VerdictKind::route ? 1 : 0;
    }
    CHECK(routed > 1000);  // the probes exercise the table, not just its misses
}

std::uint32_t read_word(const std::vector<std::uint8_t>& blob, std::size_t offset) {
    std::uint32_t w;
    std::memcpy(&w, blob.data() + offset, 4);
    return w;
}

void write_word(std::vector<std::uint8_t>& blob, std::size_t offset, std::uint32_t w) {
    std::memcpy(blob.data() + offset, &w, 4);
}

// Offsets of fields inside the blob, from the layout in route_format.hpp.
constexpr std::size_t header_size = sizeof(format::Header);
constexpr std::size_t v4_node(std::size_t i) {
    return header_size + i * sizeof(format::Node<1>);
}
constexpr std::size_t v4_length = offsetof(format::Node<1>, length);
constexpr std::size_t v4_child = offsetof(format::Node<1>, child);
constexpr std::size_t v4_route = offsetof(format::Node<1>, route);
constexpr std::size_t v4_key = offsetof(format::Node<1>, key);

std::string refusal(const std::vector<std::uint8_t>& blob) {
    auto view = RouteTableView::open(blob);
    REQUIRE_FALSE(view.has_value());
    return view.error().message;
}

}  // namespace

TEST_CASE("serialise and view answer like the built table", "[route][blob]") {
    const RouteTable table = sample_table();
    const std::vector<std::uint8_t> blob = table.serialise();
    CHECK(blob.size() == table.stats().bytes);

    SECTION("in place") {
        auto view = RouteTableView::open(blob);
        REQUIRE(view.has_value());
        CHECK(view->stats().ipv4_nodes == table.stats().ipv4_nodes);
        check_same_answers(table, *view);
    }
    SECTION("at an odd address: position-independent, no alignment needed") {
        std::vector<std::uint8_t> shifted(blob.size() + 3);
        std::memcpy(shifted.data() + 3, blob.data(), blob.size());
        auto view = RouteTableView::open(std::span(shifted).subspan(3));
        REQUIRE(view.has_value());
        check_same_answers(table, *view);
    }
    SECTION("loaded into an owning copy") {
        auto copy = RouteTable::load(blob);
        REQUIRE(copy.has_value());
        CHECK(copy->serialise() == blob);
        check_same_answers(table, copy->view());
    }
    SECTION("building the same entries twice gives the same bytes") {
        CHECK(sample_table().serialise() == blob);
    }
}

TEST_CASE("corrupt route table blobs are refused with a reason", "[route][blob]") {
    const std::vector<std::uint8_t> good = sample_table().serialise();
    REQUIRE(RouteTableView::open(good).has_value());
    const std::uint32_t v4_nodes = read_word(good, offsetof(format::Header, ipv4_nodes));
    REQUIRE(v4_nodes > 3);
    std::vector<std::uint8_t> bad = good;

    SECTION("empty and truncated") {
        CHECK(refusal({}) == "route table of 0 bytes is shorter than its 40-byte header");
        for (std::size_t cut : {std::size_t{39}, std::size_t{40}, good.size() / 2, good.size() - 1}) {
            bad.assign(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
            INFO(cut);
            CHECK_FALSE(RouteTableView::open(bad).has_value());
        }
        bad = good;
        bad.resize(good.size() - 1);
        CHECK(refusal(bad).find("header describes") != std::string::npos);
    }
    SECTION("trailing bytes") {
        bad.push_back(0);
        CHECK(refusal(bad).find("header describes") != std::string::npos);
    }
    SECTION("node count beyond the blob, even near 2^32") {
        write_word(bad, offsetof(format::Header, ipv6_nodes), 0xffffffff);
        CHECK(refusal(bad).find("header describes") != std::string::npos);
    }
    SECTION("magic, byte order, version, reserved") {
        write_word(bad, 0, 0x12345678);
        CHECK(refusal(bad) == "not a route table (magic 0x12345678)");
        write_word(bad, 0, 0x534c5254);
        CHECK(refusal(bad) == "route table has the wrong byte order");
        bad = good;
        write_word(bad, offsetof(format::Header, version), 2);
        CHECK(refusal(bad) == "route table version 2 is not the supported version 1");
        bad = good;
        write_word(bad, offsetof(format::Header, reserved), 1);
        CHECK(refusal(bad) == "route table reserved header words are not zero");
    }
    SECTION("child index out of range") {
        write_word(bad, v4_node(0) + v4_child, v4_nodes);
        CHECK(refusal(bad) ==
              fmt::format("IPv4 node 0: child index {} out of range ({} nodes)", v4_nodes, v4_nodes));
    }
    SECTION("a child pointing back up would loop") {
        // Find a node with a child and point that child slot at the root.
        std::size_t node = 0;
        while (read_word(bad, v4_node(node) + v4_child) == format::no_index) ++node;
        write_word(bad, v4_node(node) + v4_child, 0);
        CHECK(refusal(bad) == fmt::format("IPv4 node {}: child 0 does not extend its prefix", node));
    }
    SECTION("prefix length too long, host bits set") {
        write_word(bad, v4_node(1) + v4_length, 33);
        CHECK(refusal(bad) == "IPv4 node 1: prefix length 33 longer than 32");
        bad = good;
        write_word(bad, v4_node(0) + v4_key, read_word(bad, v4_node(0) + v4_key) | 1);
        CHECK(refusal(bad) == "IPv4 node 0: key has bits set past its prefix length");
    }
    SECTION("node index beyond the node limit") {
        const std::uint32_t limit = read_word(good, offsetof(format::Header, node_limit));
        std::size_t node = 0;
        while (read_word(bad, v4_node(node) + v4_route) == format::no_index) ++node;
        write_word(bad, v4_node(node) + v4_route, limit);
        CHECK(refusal(bad) ==
              fmt::format("IPv4 node {}: node index not below the table's node limit {}", node, limit));
    }
    SECTION("every single-byte change is either refused or still bounded") {
        // Corruption that keeps the structure valid (a different key, a different node index)
        // cannot be detected; what matters is that open() never accepts a blob a lookup would
        // read out of bounds, which the sanitizer build checks here.
        const auto probes4 = v4_probes(16);
        const auto probes6 = v6_probes(16);
        for (std::size_t i = 0; i < good.size(); ++i) {
            bad = good;
            bad[i] ^= 0x5a;
            if (auto view = RouteTableView::open(bad)) {
                for (const auto& a : probes4) (void)view->lookup(a);
                for (const auto& a : probes6) (void)view->lookup(a);
            }
        }
    }
}
