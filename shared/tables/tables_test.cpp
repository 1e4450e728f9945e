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

namespace {

NativeSessionInput session(const char* node, std::uint64_t id, std::uint32_t local, std::uint8_t flags,
                           std::size_t send_lanes, std::size_t receive_lanes) {
    NativeSessionInput s;
    s.node = node;
    s.session_id = id;
    s.local_index = local;
    s.remote_index = local + 1000;
    s.suite = 1;
    s.flags = flags;
    for (std::size_t i = 0; i < send_lanes; ++i) {
        std::array<std::uint8_t, kNativeKeyBytes> k{};
        k.fill(static_cast<std::uint8_t>(0x10 + i));
        s.send_keys.push_back(k);
    }
    for (std::size_t i = 0; i < receive_lanes; ++i) {
        std::array<std::uint8_t, kNativeKeyBytes> k{};
        k.fill(static_cast<std::uint8_t>(0x80 + i));
        s.receive_keys.push_back(k);
    }
    return s;
}

}  // namespace

TEST_CASE("native sessions travel with their keys and the node's send session") {
    TablesInput in = three_nodes();
    in.native_sessions = {session("gamma", 5, 77, native_flags::send | native_flags::initiator, 2, 3),
                          session("gamma", 4, 76, native_flags::confirm, 2, 3)};
    std::vector<std::uint8_t> bytes(1 << 16);
    const auto used = encode_tables(in, bytes);
    REQUIRE(used);
    auto view = TablesView::open(std::span(bytes).first(*used));
    REQUIRE(view);
    REQUIRE(view->native_sessions().size() == 2);
    const std::uint32_t g = view->find_name("gamma");
    REQUIRE(view->peer(g).native_send == 0);
    CHECK(view->peer(view->find_name("alpha")).native_send == kNoIndex);
    const NativeSessionRecord& s = view->native_sessions()[0];
    CHECK(s.session_id == 5);
    CHECK(s.node_index == g);
    CHECK(s.local_index == 77);
    CHECK(s.remote_index == 1077);
    CHECK(s.local_lanes == 2);
    CHECK(s.remote_lanes == 3);
    CHECK(s.flags == (native_flags::send | native_flags::initiator));
    CHECK(view->native_send_key(s, 1)[0] == 0x11);
    CHECK(view->native_receive_key(s, 2)[31] == 0x82);
    CHECK(view->native_sessions()[1].flags == native_flags::confirm);
}

TEST_CASE("native sessions that would confuse a worker are refused") {
    std::vector<std::uint8_t> bytes(1 << 16);
    auto refused = [&](std::vector<NativeSessionInput> sessions) {
        TablesInput in = three_nodes();
        in.native_sessions = std::move(sessions);
        return !encode_tables(in, bytes);
    };
    CHECK(refused({session("nobody", 1, 1, 0, 1, 1)}));
    CHECK(refused({session("gamma", 1, 1, 0, 1, 1), session("gamma", 1, 2, 0, 1, 1)}));  // same id
    CHECK(refused({session("gamma", 1, 1, 0, 1, 1), session("alpha", 2, 1, 0, 1, 1)}));  // same index
    CHECK(refused({session("gamma", 0, 1, 0, 1, 1)}));
    CHECK(refused({session("gamma", 1, 1, 0, 0, 1)}));
    CHECK(refused({session("gamma", 1, 1, 0, 65, 1)}));
    CHECK(refused({session("gamma", 1, 1, native_flags::send, 1, 1),
                   session("gamma", 2, 2, native_flags::send, 1, 1)}));
    CHECK(refused({session("gamma", 1, 1, 0x80, 1, 1)}));
    CHECK_FALSE(refused({session("gamma", 1, 1, native_flags::send, 64, 64)}));
}

TEST_CASE("a tampered native session record is refused at open") {
    TablesInput in = three_nodes();
    in.native_sessions = {session("gamma", 5, 77, native_flags::send, 2, 2)};
    std::vector<std::uint8_t> bytes(1 << 16);
    const auto used = encode_tables(in, bytes);
    REQUIRE(used);
    TablesHeader h{};
    std::memcpy(&h, bytes.data(), sizeof h);
    NativeSessionRecord r{};
    std::memcpy(&r, bytes.data() + h.sessions_offset, sizeof r);
    auto with = [&](NativeSessionRecord changed) {
        std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(*used));
        std::memcpy(copy.data() + h.sessions_offset, &changed, sizeof changed);
        return TablesView::open(copy).has_value();
    };
    CHECK(with(r));
    NativeSessionRecord lanes = r;
    lanes.remote_lanes = 40;  // keys beyond the section
    CHECK_FALSE(with(lanes));
    NativeSessionRecord node = r;
    node.node_index = 3;
    CHECK_FALSE(with(node));
    NativeSessionRecord zero = r;
    zero.local_lanes = 0;
    CHECK_FALSE(with(zero));
}
