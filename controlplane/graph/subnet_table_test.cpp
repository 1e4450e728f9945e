#include "controlplane/graph/subnet_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/graph/graph.hpp"
#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"

using namespace sluice::graph;
using sluice::graph::testing::link;
using sluice::graph::testing::names;
using sluice::graph::testing::subnet;
using sluice::net::Ipv4Address;
using sluice::net::Ipv6Address;
using sluice::net::MacAddress;
using sluice::net::Subnet;

namespace {

Ipv4Address v4(std::string_view text) {
    return *Ipv4Address::parse(text);
}
Ipv6Address v6(std::string_view text) {
    return *Ipv6Address::parse(text);
}
MacAddress mac(std::string_view text) {
    return *MacAddress::parse(text);
}

// "owner subnet" of the match, "-" for none, with a trailing "!" when the owner is unreachable.
template <typename Address>
std::string lookup(const Graph& graph, const Address& address) {
    const auto match = graph.subnets().lookup(address);
    if (!match) return "-";
    return match->owner->name + " " + match->subnet->to_display_string() +
           (match->owner_reachable ? "" : "!");
}

struct Owned {
    const char* owner;
    const char* subnet;
    bool reachable;
};

Graph table(const std::vector<Owned>& rows) {
    Graph graph("alpha");
    for (const Owned& row : rows) {
        graph.add_subnet(row.owner, subnet(row.subnet));
        if (row.owner != graph.self_name()) graph.ensure_node(row.owner).reachable = row.reachable;
    }
    return graph;
}

}  // namespace

TEST_CASE("compare_subnets is tinc's order: type, longest prefix, address, weight") {
    const char* ordered[] = {"0:0:0:0:0:1#0", "0:0:0:0:0:1#10", "2:0:0:0:0:0#1",    "198.18.0.1/32#99",
                             "198.19.0.0/32", "198.18.0.0/24",  "198.18.0.0/24#11", "198.18.1.0/24#-5",
                             "198.18.0.0/15", "2001:db8::1",    "2001:db8::/32"};
    for (std::size_t i = 0; i < std::size(ordered); ++i) {
        for (std::size_t j = 0; j < std::size(ordered); ++j) {
            INFO(ordered[i] << " vs " << ordered[j]);
            const int c = compare_subnets(subnet(ordered[i]), subnet(ordered[j]));
            CHECK((c < 0) == (i < j));
            CHECK((c == 0) == (i == j));
        }
    }
}

TEST_CASE("IPv4 lookup order") {
    struct Case {
        const char* name;
        std::vector<Owned> subnets;
        const char* address;
        const char* expected;
    };
    const Case cases[] = {
        {"longest prefix wins",
         {{"beta", "198.19.0.0/16", true}, {"gamma", "198.19.1.0/24", true}},
         "198.19.1.5",
         "gamma 198.19.1.0/24"},
        {"longest prefix wins over a lower weight",
         {{"beta", "198.19.0.0/16#1", true}, {"gamma", "198.19.1.0/24#50", true}},
         "198.19.1.5",
         "gamma 198.19.1.0/24#50"},
        {"shorter prefix when the longer does not contain the address",
         {{"beta", "198.19.0.0/16", true}, {"gamma", "198.19.1.0/24", true}},
         "198.19.2.5",
         "beta 198.19.0.0/16"},
        {"equal prefixes: lower weight wins",
         {{"beta", "198.19.0.0/24#20", true}, {"gamma", "198.19.0.0/24#5", true}},
         "198.19.0.9",
         "gamma 198.19.0.0/24#5"},
        {"equal prefix and weight: owner name decides",
         {{"gamma", "198.19.0.0/24", true}, {"beta", "198.19.0.0/24", true}},
         "198.19.0.9",
         "beta 198.19.0.0/24"},
        {"host bits: the lower address sorts first",
         {{"beta", "198.19.0.1/24", true}, {"gamma", "198.19.0.0/24", true}},
         "198.19.0.77",
         "gamma 198.19.0.0/24"},
        {"an unreachable owner is skipped",
         {{"beta", "198.19.0.0/16", true}, {"gamma", "198.19.1.0/24", false}},
         "198.19.1.5",
         "beta 198.19.0.0/16"},
        {"an unreachable lower weight is skipped",
         {{"beta", "198.19.0.0/24#20", true}, {"gamma", "198.19.0.0/24#5", false}},
         "198.19.0.9",
         "beta 198.19.0.0/24#20"},
        {"no reachable owner: the last match",
         {{"beta", "198.19.0.0/16", false}, {"gamma", "198.19.1.0/24", false}},
         "198.19.1.5",
         "beta 198.19.0.0/16!"},
        {"myself is always reachable",
         {{"alpha", "198.19.0.0/16", true}, {"gamma", "198.19.1.0/24", false}},
         "198.19.1.5",
         "alpha 198.19.0.0/16"},
        {"no containing subnet at all", {{"beta", "198.19.0.0/16", true}}, "198.18.0.1", "-"},
        {"host route",
         {{"beta", "198.18.0.0/15", true}, {"gamma", "198.19.0.3", true}},
         "198.19.0.3",
         "gamma 198.19.0.3"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const Graph graph = table(c.subnets);
        CHECK(lookup(graph, v4(c.address)) == c.expected);
    }
}

TEST_CASE("IPv6 lookup order") {
    const Graph graph = table({{"beta", "2001:db8::/32", true},
                               {"gamma", "2001:db8:1::/48", false},
                               {"delta", "2001:db8:1::/48#20", true},
                               {"epsilon", "2001:db8:1::5", true}});
    CHECK(lookup(graph, v6("2001:db8:1::5")) == "epsilon 2001:db8:1::5");
    CHECK(lookup(graph, v6("2001:db8:1::6")) == "delta 2001:db8:1::/48#20");
    CHECK(lookup(graph, v6("2001:db8:2::6")) == "beta 2001:db8::/32");
    CHECK(lookup(graph, v6("2001:db9::1")) == "-");
    // IPv4 subnets never match IPv6 addresses and vice versa.
    CHECK(lookup(graph, v4("198.19.0.1")) == "-");
}

TEST_CASE("MAC lookup: exact address, weight and owner order, optional owner filter") {
    const Graph graph = table(
        {{"beta", "2:0:0:0:0:a", true}, {"gamma", "2:0:0:0:0:a#5", true}, {"delta", "2:0:0:0:0:b", false}});
    CHECK(lookup(graph, mac("2:0:0:0:0:a")) == "gamma 2:0:0:0:0:a#5");
    CHECK(lookup(graph, mac("2:0:0:0:0:b")) == "delta 2:0:0:0:0:b!");
    CHECK(lookup(graph, mac("2:0:0:0:0:c")) == "-");
    const auto only_beta = graph.subnets().lookup(mac("2:0:0:0:0:a"), graph.find_node("beta"));
    REQUIRE(only_beta.has_value());
    CHECK(only_beta->owner->name == "beta");
    CHECK_FALSE(graph.subnets().lookup(mac("2:0:0:0:0:b"), graph.find_node("beta")).has_value());
}

TEST_CASE("lookups follow reachability changes without a rebuild") {
    // alpha -- beta, gamma unconnected; both claim 198.19.0.0/24, gamma with a lower weight.
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    graph.add_subnet("beta", subnet("198.19.0.0/24#10"));
    graph.add_subnet("gamma", subnet("198.19.0.0/24#5"));
    // Nobody is reachable before the first run: the last match, beta's #10, is returned.
    CHECK(lookup(graph, v4("198.19.0.1")) == "beta 198.19.0.0/24!");
    run_sssp(graph);
    CHECK(lookup(graph, v4("198.19.0.1")) == "beta 198.19.0.0/24");
    link(graph, "beta", "gamma");
    run_sssp(graph);
    CHECK(lookup(graph, v4("198.19.0.1")) == "gamma 198.19.0.0/24#5");
    graph.remove_subnet("gamma", subnet("198.19.0.0/24#5"));
    CHECK(lookup(graph, v4("198.19.0.1")) == "beta 198.19.0.0/24");
}

// --- Seeded random tables against a naive scan. ----------------------------------------------

namespace {

struct Row {
    Subnet subnet;
    std::string owner;
    bool reachable;
};

template <std::size_t N>
bool prefix_matches(const std::array<std::uint8_t, N>& net, const std::array<std::uint8_t, N>& addr,
                    int bits) {
    for (int i = 0; i < bits; ++i) {
        const auto byte = static_cast<std::size_t>(i / 8);
        const int mask = 0x80 >> (i % 8);
        if ((net[byte] & mask) != (addr[byte] & mask)) return false;
    }
    return true;
}

// The ordering written out as a tuple, independently of compare_subnets.
template <typename Bytes>
auto sort_key(const Row& row, const Bytes& bytes) {
    return std::make_tuple(-row.subnet.prefix_length, bytes, row.subnet.weight, row.owner);
}

template <typename Address>
std::optional<Row> naive_lookup(std::vector<Row> rows, const Address& address) {
    std::erase_if(rows, [](const Row& r) { return !std::holds_alternative<Address>(r.subnet.address); });
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return sort_key(a, std::get<Address>(a.subnet.address).bytes) <
               sort_key(b, std::get<Address>(b.subnet.address).bytes);
    });
    std::optional<Row> last;
    for (const Row& row : rows) {
        if (!prefix_matches(std::get<Address>(row.subnet.address).bytes, address.bytes,
                            row.subnet.prefix_length)) {
            continue;
        }
        if (row.reachable) return row;
        last = row;
    }
    return last;
}

// How often each outcome was seen, so the test shows it exercised all three.
struct Outcomes {
    int reachable = 0;
    int unreachable = 0;
    int none = 0;
};

template <typename Address>
void compare_with_oracle(const Graph& graph, const std::vector<Row>& rows, const Address& address,
                         Outcomes& outcomes) {
    const auto got = graph.subnets().lookup(address);
    const auto want = naive_lookup(rows, address);
    INFO("address " << address.to_string());
    REQUIRE(got.has_value() == want.has_value());
    if (!got) {
        ++outcomes.none;
        return;
    }
    ++(got->owner_reachable ? outcomes.reachable : outcomes.unreachable);
    CHECK(got->subnet->to_string() == want->subnet.to_string());
    CHECK(got->owner->name == want->owner);
    CHECK(got->owner_reachable == want->reachable);
}

template <std::size_t N>
std::array<std::uint8_t, N> randomize_after(std::array<std::uint8_t, N> bytes, int keep_bits,
                                            std::mt19937& rng) {
    for (int i = keep_bits; i < static_cast<int>(N) * 8; ++i) {
        const auto byte = static_cast<std::size_t>(i / 8);
        const auto mask = static_cast<std::uint8_t>(0x80 >> (i % 8));
        if (rng() % 2 != 0) {
            bytes[byte] = static_cast<std::uint8_t>(bytes[byte] | mask);
        } else {
            bytes[byte] = static_cast<std::uint8_t>(bytes[byte] & ~mask);
        }
    }
    return bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> clear_after(std::array<std::uint8_t, N> bytes, int keep_bits) {
    for (int i = keep_bits; i < static_cast<int>(N) * 8; ++i) {
        const auto byte = static_cast<std::size_t>(i / 8);
        bytes[byte] = static_cast<std::uint8_t>(bytes[byte] & ~(0x80 >> (i % 8)));
    }
    return bytes;
}

const Ipv4Address v4_base{{198, 18, 0, 0}};                                               // 198.18.0.0/15
const Ipv6Address v6_base{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};  // 2001:db8::/32
constexpr std::array weights{1, 5, 10, 10, 10, 20};

}  // namespace

TEST_CASE("random tables: lookups equal a naive sorted scan") {
    std::mt19937 rng(4242);
    int lookups = 0;
    Outcomes v4_outcomes;
    Outcomes v6_outcomes;
    Outcomes mac_outcomes;
    for (int round = 0; round < 20; ++round) {
        INFO("round " << round);
        Graph graph("alpha");
        const int node_count = std::uniform_int_distribution<int>(1, 12)(rng);
        for (int i = 1; i < node_count; ++i) {
            graph.ensure_node(names[static_cast<std::size_t>(i)]).reachable = rng() % 3 != 0;
        }
        std::vector<Row> rows;
        const auto add = [&](Subnet s) {
            const std::string owner(names[rng() % static_cast<unsigned>(node_count)]);
            s.weight = weights[rng() % weights.size()];
            if (graph.add_subnet(owner, s)) rows.push_back({s, owner, graph.find_node(owner)->reachable});
        };
        for (int i = 0; i < 40; ++i) {
            // Mostly clean prefixes, some with host bits set, as a peer may send them.
            const int p4 = std::uniform_int_distribution<int>(18, 32)(rng);
            Ipv4Address a4{randomize_after(v4_base.bytes, 15, rng)};
            if (rng() % 4 != 0) a4.bytes = clear_after(a4.bytes, p4);
            add(Subnet{a4, p4});
            const int p6 = std::uniform_int_distribution<int>(36, 128)(rng);
            Ipv6Address a6{randomize_after(v6_base.bytes, 32, rng)};
            if (rng() % 4 != 0) a6.bytes = clear_after(a6.bytes, p6);
            add(Subnet{a6, p6});
            MacAddress m{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(rng() % 8)}};
            add(Subnet{m, 48});
        }

        for (int i = 0; i < 500; ++i, ++lookups) {
            // Half near an existing subnet, half anywhere in the test ranges.
            Ipv4Address a4{randomize_after(v4_base.bytes, 15, rng)};
            Ipv6Address a6{randomize_after(v6_base.bytes, 32, rng)};
            if (i % 2 == 0 && !rows.empty()) {
                const Row& near = rows[rng() % rows.size()];
                if (const auto* n4 = std::get_if<Ipv4Address>(&near.subnet.address)) {
                    a4.bytes = randomize_after(n4->bytes, near.subnet.prefix_length, rng);
                } else if (const auto* n6 = std::get_if<Ipv6Address>(&near.subnet.address)) {
                    a6.bytes = randomize_after(n6->bytes, std::min(near.subnet.prefix_length + 4, 128), rng);
                }
            }
            compare_with_oracle(graph, rows, a4, v4_outcomes);
            compare_with_oracle(graph, rows, a6, v6_outcomes);
            if (i % 5 == 0)
                compare_with_oracle(graph, rows,
                                    MacAddress{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(rng() % 10)}},
                                    mac_outcomes);
        }
    }
    CHECK(lookups == 10000);
    for (const Outcomes& o : {v4_outcomes, v6_outcomes, mac_outcomes}) {
        CAPTURE(o.reachable, o.unreachable, o.none);
        CHECK(o.reachable > 0);
        CHECK(o.unreachable > 0);
        CHECK(o.none > 0);
    }
}
