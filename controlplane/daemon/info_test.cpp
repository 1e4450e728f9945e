#include "controlplane/daemon/info.hpp"

#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "controlplane/daemon/view_test_support.hpp"
#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice;
using namespace sluice::daemon;
using graph::testing::link;
using graph::testing::one_way;
using graph::testing::subnet;
namespace pf = tables::peer_flags;

namespace {

// alpha (this node) - beta - gamma; delta went away (one edge left, no reverse).
//   alpha 198.19.0.1/32, 2001:db8:1::1/128
//   beta  198.19.0.2/32, 198.19.0.0/24 (weight 20), 2:0:0:0:0:b
//   gamma 198.19.0.3/32, 198.19.0.0/24 (weight 5), 2001:db8:1::/64
//   delta 198.19.0.0/16, 198.19.0.0/24 (weight 1)
graph::Graph mesh() {
    graph::Graph g("alpha");
    link(g, "alpha", "beta", 10, protocol::option_pmtu_discovery | protocol::option_clamp_mss,
         protocol::option_pmtu_discovery | protocol::option_clamp_mss);
    link(g, "beta", "gamma", 20, protocol::option_pmtu_discovery | (7U << 24),
         protocol::option_pmtu_discovery);
    one_way(g, "delta", "gamma");
    for (const auto& [owner, text] : std::vector<std::pair<const char*, const char*>>{
             {"alpha", "198.19.0.1/32"},
             {"alpha", "2001:db8:1::1/128"},
             {"beta", "198.19.0.2/32"},
             {"beta", "198.19.0.0/24#20"},
             {"beta", "2:0:0:0:0:b"},
             {"gamma", "198.19.0.3/32"},
             {"gamma", "198.19.0.0/24#5"},
             {"gamma", "2001:db8:1::/64"},
             {"delta", "198.19.0.0/16"},
             {"delta", "198.19.0.0/24#1"},
         })
        g.add_subnet(owner, subnet(text));
    (void)graph::run_sssp(g);
    return g;
}

std::vector<std::string> lines(const io::ControlResponse& r) {
    INFO(r.error);
    REQUIRE(r.ok);
    return r.lines;
}

bool has(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

}  // namespace

TEST_CASE("info NODE from the graph") {
    const graph::Graph g = mesh();
    const InfoSources sources{g, protocol::option_pmtu_discovery | protocol::option_clamp_mss, nullptr,
                              [](std::string_view name) { return name == "beta"; }};

    const auto gamma = lines(info("gamma", sources));
    INFO(joined(gamma));
    CHECK(gamma == std::vector<std::string>{
                       "node: gamma",
                       "reachable: yes",
                       "address: 198.18.0.3 port 655",
                       "options: pmtu_discovery (0x7000004)",
                       "protocol_minor: 7",
                       "via: gamma",
                       "nexthop: beta",
                       "indirect: no",
                       "path: direct UDP",
                       "distance: 2",
                       "hops: alpha -> beta -> gamma",
                       "edge: beta address 198.18.0.2 port 655 weight 20 options 0x4",
                       "subnet: 198.19.0.3/32 weight 10",
                       "subnet: 198.19.0.0/24 weight 5",
                       "subnet: 2001:db8:1::/64 weight 10",
                       "key_valid: no",
                   });

    const auto alpha = lines(info("alpha", sources));
    INFO(joined(alpha));
    CHECK(has(alpha, "reachable: yes (this node)"));
    CHECK(has(alpha, "options: pmtu_discovery clamp_mss (0xc)"));
    CHECK(has(alpha, "path: this node"));
    CHECK(has(alpha, "distance: 0"));
    CHECK_THAT(joined(alpha), !Catch::Contains("address:") && !Catch::Contains("key_valid"));

    const auto beta = lines(info("beta", sources));
    CHECK(has(beta, "key_valid: yes"));
    CHECK(has(beta, "distance: 1"));
    CHECK(has(beta, "subnet: 2:0:0:0:0:b weight 10"));

    const auto delta = lines(info("delta", sources));
    INFO(joined(delta));
    CHECK(has(delta, "reachable: no"));
    CHECK(has(delta, "address: unknown"));
    CHECK(has(delta, "path: unreachable"));
    CHECK(has(delta, "edge: gamma address 198.18.0.3 port 655 weight 10 options 0x0 (one way)"));
    CHECK_THAT(joined(delta), !Catch::Contains("via:") && !Catch::Contains("distance:"));
}

TEST_CASE("info NODE adds the published tables: path, PMTU and key ids") {
    const graph::Graph g = mesh();
    const testing::Published published(
        testing::tables_input("alpha", {
                                           {.name = "alpha", .flags = pf::reachable},
                                           {.name = "beta",
                                            .flags = pf::reachable | pf::pmtu_discovery,
                                            .mtu = 1451,
                                            .min_mtu = 1451,
                                            .max_mtu = 1451,
                                            .host = 2,
                                            .in_key = 11,
                                            .out_key = 12},
                                           {.name = "gamma",
                                            .flags = pf::reachable | pf::pmtu_discovery,
                                            .nexthop = "beta",
                                            .max_mtu = 1518,
                                            .host = 3,
                                            .in_key = 13},
                                           {.name = "delta"},
                                       }));
    const InfoSources sources{g, 0, &published.view(), {}};

    const auto beta = lines(info("beta", sources));
    INFO(joined(beta));
    CHECK(has(beta, "path: direct UDP"));
    CHECK(has(beta, "endpoint: 198.18.0.2:655"));
    CHECK(has(beta, "pmtu: 1451 (fixed)"));
    CHECK(has(beta, "in_key: 11"));
    CHECK(has(beta, "out_key: 12"));

    const auto gamma = lines(info("gamma", sources));
    INFO(joined(gamma));
    CHECK(has(gamma, "path: UDP through relay beta (no path MTU probe reply from gamma)"));
    CHECK(has(gamma, "pmtu: probing: no reply yet (at most 1518)"));
    CHECK(has(gamma, "in_key: 13"));
    CHECK(has(gamma, "out_key: none"));
    CHECK_THAT(joined(gamma), !Catch::Contains("key_valid"));

    const auto alpha = lines(info("alpha", sources));
    CHECK_THAT(joined(alpha), !Catch::Contains("pmtu") && !Catch::Contains("endpoint"));
}

TEST_CASE("info SUBNET and ADDRESS: the covering subnets in routing order and the winner") {
    const graph::Graph g = mesh();
    const InfoSources sources{g, 0, nullptr, {}};

    SECTION(
        "an address: the longest prefix wins, then the lowest weight; unreachable owners are passed over") {
        const auto r = lines(info("198.19.0.3", sources));
        INFO(joined(r));
        CHECK(r == std::vector<std::string>{
                       "address: 198.19.0.3",
                       "match: 198.19.0.3/32 weight 10 owner gamma (reachable)",
                       "match: 198.19.0.0/24 weight 1 owner delta (unreachable)",
                       "match: 198.19.0.0/24 weight 5 owner gamma (reachable)",
                       "match: 198.19.0.0/24 weight 20 owner beta (reachable)",
                       "match: 198.19.0.0/16 weight 10 owner delta (unreachable)",
                       "route: 198.19.0.3/32 weight 10 owner gamma",
                       "owner: gamma",
                       "path: direct UDP",
                   });
        const auto other = lines(info("198.19.0.77", sources));
        INFO(joined(other));
        CHECK(has(other, "route: 198.19.0.0/24 weight 5 owner gamma"));
    }
    SECTION("a subnet: only prefixes that cover all of it") {
        const auto r = lines(info("198.19.0.0/24", sources));
        INFO(joined(r));
        CHECK(r.front() == "subnet: 198.19.0.0/24");
        CHECK_THAT(joined(r), !Catch::Contains("/32"));
        CHECK(has(r, "match: 198.19.0.0/16 weight 10 owner delta (unreachable)"));
        CHECK(has(r, "route: 198.19.0.0/24 weight 5 owner gamma"));
        const auto wide = lines(info("198.19.0.0/20#3", sources));
        INFO(joined(wide));
        CHECK(wide.front() == "subnet: 198.19.0.0/20");
        CHECK(has(wide,
                  "route: none (no owner is reachable, the last match is 198.19.0.0/16 weight 10 owner "
                  "delta: packets get ICMP net unreachable)"));
    }
    SECTION("IPv6, this node's own address, MAC") {
        const auto own = lines(info("2001:db8:1::1", sources));
        INFO(joined(own));
        CHECK(has(own, "address: 2001:db8:1::1"));
        CHECK(has(own, "route: 2001:db8:1::1/128 weight 10 owner alpha"));
        CHECK(has(own, "path: this node"));
        const auto other = lines(info("2001:db8:1::9", sources));
        CHECK(has(other, "route: 2001:db8:1::/64 weight 10 owner gamma"));
        const auto mac = lines(info("2:0:0:0:0:b", sources));
        INFO(joined(mac));
        CHECK(mac.front() == "mac: 2:0:0:0:0:b");
        CHECK(has(mac, "owner: beta"));
        CHECK(has(lines(info("2:0:0:0:0:c", sources)), "match: none"));
    }
    SECTION("nothing covers it") {
        const auto r = lines(info("203.0.113.1", sources));
        CHECK(r ==
              std::vector<std::string>{"address: 203.0.113.1", "match: none",
                                       "route: none (no subnet covers it: packets get ICMP net unknown)"});
    }
}

TEST_CASE("info ADDRESS agrees with the route lookup (random addresses and weights)") {
    std::mt19937 rng(20240613);
    graph::Graph g("alpha");
    const char* names[] = {"beta", "gamma", "delta", "epsilon"};
    for (const char* n : names) link(g, "alpha", n);
    for (int i = 0; i < 60; ++i) {
        const int prefix = std::uniform_int_distribution<int>(20, 32)(rng);
        const auto host = std::uniform_int_distribution<std::uint32_t>(0, 4095)(rng);
        const std::uint32_t addr = (198U << 24) | (19U << 16) | (host & ~((1U << (32 - prefix)) - 1) & 0xfff);
        const std::string text =
            fmt::format("{}.{}.{}.{}/{}#{}", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255,
                        prefix, std::uniform_int_distribution<int>(0, 3)(rng));
        g.add_subnet(names[std::uniform_int_distribution<int>(0, 3)(rng)], subnet(text));
    }
    (void)graph::run_sssp(g);
    g.find_node("delta")->reachable = false;  // as if it went away since
    const InfoSources sources{g, 0, nullptr, {}};
    for (int i = 0; i < 500; ++i) {
        const auto host = std::uniform_int_distribution<std::uint32_t>(0, 4095)(rng);
        const std::string text = fmt::format("198.19.{}.{}", host >> 8, host & 255);
        INFO(text);
        const auto match = g.subnets().lookup(net::Ipv4Address::parse(text).value());
        const auto r = lines(info(text, sources));
        if (!match) {
            CHECK(has(r, "match: none"));
        } else if (!match->owner_reachable) {
            CHECK_THAT(joined(r), Catch::Contains("route: none (no owner is reachable"));
        } else {
            CHECK(
                has(r, fmt::format("route: {}/{} weight {} owner {}",
                                   std::get<net::Ipv4Address>(match->subnet->address).to_string(),
                                   match->subnet->prefix_length, match->subnet->weight, match->owner->name)));
        }
    }
}

TEST_CASE("info: unknown nodes and strings that are neither are named errors") {
    const graph::Graph g = mesh();
    const InfoSources sources{g, 0, nullptr, {}};
    CHECK(info("zeta", sources) == io::ControlResponse::failure("unknown node \"zeta\""));
    const auto bad = info("198.19.0.300", sources);
    CHECK_FALSE(bad.ok);
    CHECK_THAT(bad.error,
               Catch::StartsWith("\"198.19.0.300\" is neither a node name, a subnet nor an address ("));
    CHECK_FALSE(info("2001:db8::/129", sources).ok);
    CHECK_FALSE(info("no-dash", sources).ok);
    CHECK_FALSE(info("", sources).ok);
}
