// Hand-written tables for tinc's subnet lookup order. Addresses come from 198.18.0.0/15 and
// 2001:db8::/32 only; prefixes shorter than those ranges are written with the address of a
// test host and rely on tinc's rule that host bits do not affect containment.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "shared/route/route_table.hpp"

using namespace sluice;
using namespace sluice::route;

namespace {

struct Row {
    std::string_view subnet;
    std::uint32_t node;
    bool reachable = true;
};

struct Probe {
    std::string_view address;
    VerdictKind kind;
    std::uint32_t node = no_node;
};

struct Case {
    std::string_view name;
    std::vector<Row> rows;
    std::vector<Probe> probes;
};

constexpr auto R = VerdictKind::route;
constexpr auto U = VerdictKind::unreachable;
constexpr auto N = VerdictKind::unknown;

std::string describe(Verdict v) {
    switch (v.kind) {
        case VerdictKind::route:
            return fmt::format("route to {}", v.node_index);
        case VerdictKind::unreachable:
            return fmt::format("unreachable via {}", v.node_index);
        case VerdictKind::unknown:
            break;
    }
    return v.node_index == no_node ? "unknown" : fmt::format("unknown (node {}?)", v.node_index);
}

Verdict lookup(const RouteTable& table, std::string_view address) {
    if (address.find(':') != std::string_view::npos) {
        auto a = net::Ipv6Address::parse(address);
        REQUIRE(a.has_value());
        return table.lookup(*a);
    }
    auto a = net::Ipv4Address::parse(address);
    REQUIRE(a.has_value());
    return table.lookup(*a);
}

RouteTable build(const std::vector<Row>& rows) {
    std::vector<RouteEntry> entries;
    for (const Row& row : rows) {
        auto subnet = net::Subnet::parse(row.subnet);
        INFO(row.subnet);
        REQUIRE(subnet.has_value());
        entries.push_back({*subnet, row.node, row.reachable});
    }
    auto table = RouteTable::build(entries);
    REQUIRE(table.has_value());
    return std::move(*table);
}

const std::vector<Case> cases = {
    {"empty table", {}, {{"198.19.0.1", N}, {"2001:db8::1", N}}},
    {"default routes",
     {{"0.0.0.0/0", 1}, {"::/0", 2}},
     {{"198.18.0.1", R, 1}, {"198.19.255.255", R, 1}, {"2001:db8::1", R, 2}}},
    {"host routes",
     {{"198.19.0.1", 3}, {"2001:db8::1", 4}},
     {{"198.19.0.1", R, 3},
      {"198.19.0.0", N},
      {"198.19.0.2", N},
      {"2001:db8::1", R, 4},
      {"2001:db8::", N},
      {"2001:db8::2", N}}},
    {"overlapping prefixes: longest wins",
     {{"198.18.0.0/15", 1},
      {"198.19.0.0/16", 2},
      {"198.19.1.0/24", 3},
      {"198.19.1.7", 4},
      {"2001:db8::/32", 5},
      {"2001:db8:1::/48", 6},
      {"2001:db8:1::/64", 7},
      {"2001:db8:1::7", 8}},
     {{"198.18.5.5", R, 1},
      {"198.19.5.5", R, 2},
      {"198.19.1.1", R, 3},
      {"198.19.1.7", R, 4},
      {"198.19.1.8", R, 3},
      {"2001:db8:2::1", R, 5},
      {"2001:db8:1:1::1", R, 6},
      {"2001:db8:1::1", R, 7},
      {"2001:db8:1::7", R, 8}}},
    {"no covering prefix is unknown",
     {{"198.19.0.0/16", 1}, {"2001:db8:1::/48", 2}},
     {{"198.18.0.1", N}, {"198.19.7.7", R, 1}, {"2001:db8:2::1", N}, {"2001:db8:1::9", R, 2}}},
    {"weight: lowest first, then node index",
     {{"198.19.0.0/24#10", 1},
      {"198.19.0.0/24#5", 2},
      {"198.19.1.0/24", 5},
      {"198.19.1.0/24", 3},
      {"2001:db8::/64#-1", 9},
      {"2001:db8::/64#0", 4}},
     {{"198.19.0.9", R, 2}, {"198.19.1.9", R, 3}, {"2001:db8::9", R, 9}}},
    {"unreachable owners are skipped",
     {{"198.19.0.0/24#5", 2, false},
      {"198.19.0.0/24#10", 1},
      {"198.19.0.7", 7, false},
      {"198.19.1.0/24", 3, false},
      {"198.19.0.0/16", 4},
      {"2001:db8::7", 7, false},
      {"2001:db8::/64", 5}},
     {{"198.19.0.9", R, 1}, {"198.19.0.7", R, 1}, {"198.19.1.1", R, 4}, {"2001:db8::7", R, 5}}},
    {"no reachable owner: the last match, unreachable",
     {{"198.19.0.7", 7, false},
      {"198.19.0.0/24#5", 2, false},
      {"198.19.0.0/24#10", 1, false},
      {"198.19.0.0/16#20", 8, false},
      {"198.19.0.0/16", 9, false},
      {"2001:db8::7", 7, false},
      {"2001:db8::/64", 6, false},
      {"2001:db8::/64", 5, false}},
     {{"198.19.0.7", U, 8},
      {"198.19.0.9", U, 8},
      {"198.19.3.3", U, 8},
      {"198.18.0.1", N},
      {"2001:db8::7", U, 6},
      {"2001:db8::8", U, 6}}},
    {"an unreachable default route is the last match",
     {{"198.19.0.0/24", 1, false}, {"0.0.0.0/0", 2, false}, {"::/0#3", 3, false}, {"::/0#4", 4, false}},
     {{"198.19.0.1", U, 2}, {"198.18.0.1", U, 2}, {"2001:db8::1", U, 4}}},
    {"a reachable shorter prefix beats an unreachable longer one",
     {{"198.19.0.0/24", 1, false}, {"0.0.0.0/0", 2}},
     {{"198.19.0.1", R, 2}, {"198.18.0.1", R, 2}}},
    {"host bits order equal prefixes by address, not containment",
     {{"198.19.0.1/24", 1}, {"198.19.0.0/24", 2}, {"2001:db8::1/64", 3}, {"2001:db8::/64", 4, false}},
     {{"198.19.0.77", R, 2}, {"198.19.0.1", R, 2}, {"2001:db8::77", R, 3}}},
    {"host bits: the earlier address is unreachable",
     {{"198.19.0.1/24", 1}, {"198.19.0.0/24", 2, false}},
     {{"198.19.0.77", R, 1}}},
    {"IPv4 and IPv6 are separate",
     {{"0.0.0.0/0", 1}},
     {{"198.19.0.1", R, 1}, {"2001:db8::1", N}, {"2001:db8::c613:1", N}}},  // 198.19.0.1 in the low bits
    {"IPv6 does not answer IPv4", {{"::/0", 1}}, {{"198.19.0.1", N}, {"2001:db8::1", R, 1}}},
    {"/1 edges",
     {{"198.18.0.0/1", 1}, {"2001:db8::/1", 2}},
     {{"198.18.0.1", R, 1}, {"198.19.255.255", R, 1}, {"2001:db8::1", R, 2}, {"2001:db8:ffff::1", R, 2}}},
    {"/31 and /32 edges",
     {{"198.19.0.2/31", 1}, {"198.19.0.3", 2}, {"198.19.0.255", 3}, {"198.19.0.0", 4}},
     {{"198.19.0.2", R, 1},
      {"198.19.0.3", R, 2},
      {"198.19.0.1", N},
      {"198.19.0.4", N},
      {"198.19.0.255", R, 3},
      {"198.19.0.254", N},
      {"198.19.0.0", R, 4}}},
    {"/127 and /128 edges",
     {{"2001:db8::2/127", 1}, {"2001:db8::3", 2}, {"2001:db8::", 3}, {"2001:db8:0:0:ffff:ffff:ffff:ffff", 4}},
     {{"2001:db8::2", R, 1},
      {"2001:db8::3", R, 2},
      {"2001:db8::1", N},
      {"2001:db8::4", N},
      {"2001:db8::", R, 3},
      {"2001:db8:0:0:ffff:ffff:ffff:ffff", R, 4},
      {"2001:db8:0:0:ffff:ffff:ffff:fffe", N}}},
    {"a chain of every length, reachable at some",
     {{"198.19.0.1/15", 15},
      {"198.19.0.1/16", 16, false},
      {"198.19.0.1/20", 20},
      {"198.19.0.1/24", 24, false},
      {"198.19.0.1/28", 28, false},
      {"198.19.0.1/31", 31},
      {"198.19.0.1/32", 32, false}},
     {{"198.19.0.1", R, 31},
      {"198.19.0.0", R, 31},
      {"198.19.0.2", R, 20},
      {"198.19.15.0", R, 20},
      {"198.19.16.0", R, 15},
      {"198.18.0.1", R, 15}}},
    {"MAC entries are ignored", {{"2:0:0:0:0:a", 1}, {"198.19.0.0/16", 2}}, {{"198.19.0.1", R, 2}}},
    {"duplicate entries are harmless",
     {{"198.19.0.0/16", 2}, {"198.19.0.0/16", 2}, {"198.19.0.0/16", 1, false}},
     {{"198.19.0.1", R, 2}}},
};

}  // namespace

TEST_CASE("route table follows tinc's subnet lookup order", "[route]") {
    for (const Case& c : cases) {
        SECTION(std::string(c.name)) {
            const RouteTable table = build(c.rows);
            for (const Probe& probe : c.probes) {
                INFO(probe.address);
                CHECK(describe(lookup(table, probe.address)) == describe(Verdict{probe.kind, probe.node}));
            }
        }
    }
}

TEST_CASE("route table build refuses bad entries", "[route]") {
    const auto subnet = *net::Subnet::parse("198.19.0.0/16");
    SECTION("reserved node index") {
        const RouteEntry entries[] = {{subnet, no_node, true}};
        auto table = RouteTable::build(entries);
        REQUIRE_FALSE(table.has_value());
        CHECK(table.error().message == "node index 0xffffffff is reserved");
    }
    SECTION("prefix length out of range") {
        RouteEntry entry{subnet, 1, true};
        entry.subnet.prefix_length = 33;
        auto table = RouteTable::build(std::span(&entry, 1));
        REQUIRE_FALSE(table.has_value());
        CHECK(table.error().message == "IPv4 prefix length 33 out of range");
    }
}

TEST_CASE("route table stats count prefixes and nodes", "[route]") {
    const RouteTable table = build({{"198.19.0.0/16", 1},
                                    {"198.19.0.0/16#5", 2},
                                    {"198.19.1.0/24", 3},
                                    {"198.19.2.0/24", 4},
                                    {"2001:db8::1", 9}});
    const RouteTableStats stats = table.stats();
    CHECK(stats.ipv4_prefixes == 3);
    CHECK(stats.ipv4_nodes == 4);  // the two /24s need a branching node at /22
    CHECK(stats.ipv6_prefixes == 1);
    CHECK(stats.ipv6_nodes == 1);
    CHECK(stats.node_limit == 10);
    CHECK(stats.bytes == 40 + 4 * 24 + 36);
}

TEST_CASE("a moved route table keeps answering; the source becomes empty", "[route]") {
    RouteTable table = build({{"198.19.0.0/16", 1}});
    RouteTable moved = std::move(table);
    CHECK(describe(lookup(moved, "198.19.0.1")) == "route to 1");
    CHECK(describe(lookup(table, "198.19.0.1")) == "unknown");  // NOLINT(bugprone-use-after-move)
    table = std::move(moved);
    CHECK(describe(lookup(table, "198.19.0.1")) == "route to 1");
    CHECK(RouteTable::load(RouteTable{}.serialise()).has_value());
}
