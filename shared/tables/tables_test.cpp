#include "shared/tables/tables.hpp"

#include <cstring>
#include <random>

#include <catch2/catch.hpp>

using namespace sluice;
using namespace sluice::tables;

namespace {

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
    Endpoint e{};
    e.family = EndpointFamily::ipv4;
    e.port = port;
    e.address[0] = a;
    e.address[1] = b;
    e.address[2] = c;
    e.address[3] = d;
    return e;
}

net::Subnet subnet(const char* text) {
    return net::Subnet::parse(text).value();
}

TablesInput three_nodes() {
    TablesInput in;
    in.self_name = "beta";
    NodeInput gamma{.name = "gamma",
                    .node_id = 7,
                    .flags = peer_flags::reachable,
                    .via = "",
                    .nexthop = "beta",
                    .mtu = 1451,
                    .endpoint = v4(198, 18, 0, 3, 655)};
    gamma.out_key.key_id = 42;
    gamma.out_key.cipher_nid = 427;
    gamma.out_key.key_length = 48;
    gamma.out_key.key[0] = 0xAB;
    NodeInput alpha{.name = "alpha",
                    .node_id = 9,
                    .flags = peer_flags::reachable | peer_flags::tcp_only,
                    .via = "",
                    .nexthop = "",
                    .mtu = 1518,
                    .endpoint = v4(198, 18, 0, 1, 655)};
    NodeInput beta;
    beta.name = "beta";
    beta.node_id = 1;
    beta.flags = peer_flags::reachable;
    in.nodes = {gamma, alpha, beta};
    in.subnets = {{subnet("198.19.1.0/24"), "alpha"},
                  {subnet("198.19.3.0/24"), "gamma"},
                  {subnet("2001:db8:3::/48"), "gamma"},
                  {subnet("198.19.2.0/24"), "beta"}};
    return in;
}

}  // namespace

TEST_CASE("tables: encode then open gives the nodes in name order with their routes") {
    std::vector<std::uint8_t> buf(1 << 16);
    auto used = encode_tables(three_nodes(), buf);
    REQUIRE(used);
    auto view = TablesView::open(std::span(buf).first(*used));
    REQUIRE(view);
    REQUIRE(view->node_count() == 3);
    CHECK(view->name(view->peer(0)) == "alpha");
    CHECK(view->name(view->peer(1)) == "beta");
    CHECK(view->name(view->peer(2)) == "gamma");
    CHECK(view->self_index() == 1);
    CHECK((view->peer(1).flags & peer_flags::self) != 0);
    CHECK(view->peer(2).node_id == 7);
    CHECK(view->peer(2).via_index == 2);
    CHECK(view->peer(2).nexthop_index == 1);
    CHECK(view->peer(2).mtu == 1451);
    CHECK(view->peer(2).out_key.key_id == 42);
    CHECK(view->peer(2).out_key.key[0] == 0xAB);
    CHECK_FALSE(view->peer(2).in_key.present());

    CHECK(view->find_endpoint(v4(198, 18, 0, 3, 655)) == 2);
    CHECK(view->find_endpoint(v4(198, 18, 0, 1, 655)) == 0);
    CHECK(view->find_endpoint(v4(198, 18, 0, 3, 656)) == kNoIndex);
    CHECK(view->find_name("gamma") == 2);
    CHECK(view->find_name("delta") == kNoIndex);

    net::Ipv4Address a{{198, 19, 3, 9}};
    auto verdict = view->routes().lookup(a);
    CHECK(verdict.kind == route::VerdictKind::route);
    CHECK(verdict.node_index == 2);
    net::Ipv6Address b{};
    b.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(view->routes().lookup(b).node_index == 2);
}

TEST_CASE("tables: encoding refuses inconsistent input with a reason") {
    std::vector<std::uint8_t> buf(1 << 16);
    auto in = three_nodes();
    SECTION("no self") {
        in.self_name = "delta";
        auto r = encode_tables(in, buf);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("delta"));
    }
    SECTION("unknown via") {
        in.nodes[0].via = "epsilon";
        auto r = encode_tables(in, buf);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("epsilon"));
    }
    SECTION("duplicate id") {
        in.nodes[1].node_id = 7;
        REQUIRE_FALSE(encode_tables(in, buf));
    }
    SECTION("subnet of an unknown owner") {
        in.subnets.push_back({subnet("198.19.9.0/24"), "zeta"});
        auto r = encode_tables(in, buf);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("zeta"));
    }
    SECTION("buffer too small") {
        auto r = encode_tables(in, std::span(buf).first(100));
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("snapshot slot"));
    }
}

TEST_CASE("tables: open refuses every truncation and random corruption it cannot read safely") {
    std::vector<std::uint8_t> buf(1 << 16);
    auto used = encode_tables(three_nodes(), buf);
    REQUIRE(used);
    for (std::size_t n = 0; n < *used; n += 7) CHECK_FALSE(TablesView::open(std::span(buf).first(n)));
    std::mt19937 rng(5);
    for (int round = 0; round < 5000; ++round) {
        std::vector<std::uint8_t> copy(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*used));
        const auto at = rng() % 64;  // the header: offsets and counts
        copy[at] = static_cast<std::uint8_t>(rng());
        auto view = TablesView::open(copy);
        if (!view) continue;
        // Whatever was accepted must be readable within bounds (ASan watches this).
        for (const auto& p : view->peers()) CHECK(view->name(p).size() == p.name_length);
        (void)view->find_endpoint(v4(198, 18, 0, 3, 655));
    }
}

TEST_CASE("tables: the endpoint index finds every node among many") {
    TablesInput in;
    in.self_name = "n0000";
    for (int i = 0; i < 1000; ++i) {
        NodeInput n;
        n.name = fmt::format("n{:04}", i);
        n.node_id = static_cast<std::uint32_t>(i + 1);
        n.endpoint = v4(198, 18, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250), 655);
        in.nodes.push_back(n);
    }
    std::vector<std::uint8_t> buf(1 << 20);
    auto used = encode_tables(in, buf);
    REQUIRE(used);
    auto view = TablesView::open(std::span(buf).first(*used));
    REQUIRE(view);
    for (int i = 1; i < 1000; ++i)
        CHECK(view->find_endpoint(
                  v4(198, 18, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250), 655)) ==
              static_cast<std::uint32_t>(i));
    CHECK(view->find_endpoint(v4(198, 18, 0, 0, 655)) == kNoIndex);  // self is not indexed
}
