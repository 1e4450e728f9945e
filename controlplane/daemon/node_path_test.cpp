#include "controlplane/daemon/node_path.hpp"

#include <catch2/catch.hpp>

#include "controlplane/daemon/view_test_support.hpp"
#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice;
using namespace sluice::daemon;
using graph::testing::link;
using graph::testing::one_way;
using protocol::option_indirect;
using protocol::option_pmtu_discovery;
using protocol::option_tcponly;
namespace pf = tables::peer_flags;

namespace {

struct Row {
    const char* name;
    const char* short_text;
    const char* words;
};

void check(const graph::Graph& g, std::uint32_t own_options, const tables::TablesView* published,
           const std::vector<Row>& rows) {
    for (const Row& r : rows) {
        INFO("node " << r.name);
        const NodePath path = node_path(g, r.name, own_options, published);
        CHECK(short_path(path, r.name) == r.short_text);
        CHECK(describe_path(path, r.name) == r.words);
    }
}

}  // namespace

TEST_CASE("node_path from the graph: tinc's via, nexthop and TCPOnly rule") {
    graph::Graph g("alpha");
    link(g, "alpha", "beta");
    SECTION("a line: every node is reached directly once its address is known") {
        link(g, "beta", "gamma");
        (void)graph::run_sssp(g);
        check(
            g, 0, nullptr,
            {{"alpha", "self", "this node"}, {"beta", "udp", "direct UDP"}, {"gamma", "udp", "direct UDP"}});
        CHECK_FALSE(node_path(g, "gamma", 0, nullptr).relayed("gamma"));
    }
    SECTION("an INDIRECT edge on the way: UDP goes to the node before it") {
        link(g, "beta", "gamma", 10, option_indirect, 0);
        (void)graph::run_sssp(g);
        const NodePath path = path_from_graph(g, "gamma", 0);
        CHECK(path.kind == PathKind::udp);
        CHECK(path.relay == "beta");
        CHECK(path.nexthop == "beta");
        CHECK(path.relayed("gamma"));
        check(g, 0, nullptr, {{"gamma", "udp via beta", "UDP through relay beta"}});
    }
    SECTION("the first edge INDIRECT: via is this node, so UDP goes to the next hop") {
        graph::Graph h("alpha");
        link(h, "alpha", "beta", 10, option_indirect, 0);
        link(h, "beta", "gamma");
        (void)graph::run_sssp(h);
        REQUIRE(h.find_node("gamma")->via == "alpha");
        check(h, 0, nullptr,
              {{"beta", "udp", "direct UDP"}, {"gamma", "udp via beta", "UDP through relay beta"}});
    }
    SECTION("TCPOnly here, or on the UDP target: TCP through the next hop's meta connection") {
        link(g, "beta", "gamma", 10, option_tcponly | option_indirect, 0);
        (void)graph::run_sssp(g);
        check(g, option_tcponly, nullptr,
              {{"beta", "tcp via beta", "TCP through the meta connection to beta (TCPOnly)"}});
        // gamma's edge is INDIRECT, so its UDP would go to beta, which is not TCPOnly.
        check(g, 0, nullptr, {{"gamma", "udp via beta", "UDP through relay beta"}});
        graph::Graph h("alpha");
        link(h, "alpha", "beta", 10, option_tcponly, 0);
        (void)graph::run_sssp(h);
        check(h, 0, nullptr, {{"beta", "tcp via beta", "TCP through the meta connection to beta (TCPOnly)"}});
    }
    SECTION("no numeric UDP address: TCP") {
        g.add_edge(graph::Edge{"beta", "gamma", "gamma.example", "655", 0, 10});
        one_way(g, "gamma", "beta");
        (void)graph::run_sssp(g);
        const NodePath path = path_from_graph(g, "gamma", 0);
        CHECK(path.tcp_reason == TcpReason::no_udp_address);
        check(g, 0, nullptr,
              {{"gamma", "tcp via beta", "TCP through the meta connection to beta (no UDP address known)"}});
    }
    SECTION("unreachable and unknown nodes") {
        one_way(g, "beta", "delta");  // no reverse: does not count
        (void)graph::run_sssp(g);
        check(g, 0, nullptr,
              {{"delta", "unreachable", "unreachable"}, {"nobody", "unreachable", "unreachable"}});
    }
}

TEST_CASE("node_path from the published tables: what path MTU discovery found out") {
    graph::Graph g("alpha");
    link(g, "alpha", "beta");
    link(g, "beta", "gamma");
    (void)graph::run_sssp(g);

    const std::uint32_t pmtu = pf::reachable | pf::pmtu_discovery;
    const testing::Published published(testing::tables_input(
        "alpha", {
                     {.name = "alpha", .flags = pf::reachable},
                     // Probes answered: direct.
                     {.name = "beta", .flags = pmtu, .min_mtu = 1400, .max_mtu = 1518, .host = 2},
                     // No probe reply from gamma yet: its frames go to the next hop, beta.
                     {.name = "gamma", .flags = pmtu, .nexthop = "beta", .max_mtu = 1518, .host = 3},
                     // A neighbour without a probe reply: PACKET over its own meta connection.
                     {.name = "delta", .flags = pmtu, .max_mtu = 1518, .host = 4},
                     {.name = "epsilon", .flags = pf::reachable | pf::tcp_only, .nexthop = "beta", .host = 5},
                     {.name = "zeta", .flags = pf::reachable, .nexthop = "beta"},
                     {.name = "eta", .flags = pf::reachable, .via = "beta", .nexthop = "beta", .host = 7},
                     {.name = "theta"},
                 }));
    check(g, 0, &published.view(),
          {{"alpha", "self", "this node"},
           {"beta", "udp", "direct UDP"},
           {"gamma", "udp via beta (probing gamma)",
            "UDP through relay beta (no path MTU probe reply from gamma)"},
           {"delta", "tcp via delta (probing)",
            "TCP through the meta connection to delta (no path MTU probe reply)"},
           {"epsilon", "tcp via beta", "TCP through the meta connection to beta (TCPOnly)"},
           {"zeta", "tcp via beta", "TCP through the meta connection to beta (no UDP address known)"},
           {"eta", "udp via beta", "UDP through relay beta"},
           {"theta", "unreachable", "unreachable"}});
    // The graph alone calls gamma direct; the tables know better.
    CHECK(short_path(path_from_graph(g, "gamma", 0), "gamma") == "udp");
    CHECK(node_path(g, "gamma", 0, &published.view()).relayed("gamma"));
    // A node the tables do not have falls back to the graph.
    link(g, "gamma", "iota");
    (void)graph::run_sssp(g);
    CHECK(short_path(node_path(g, "iota", 0, &published.view()), "iota") == "udp");
}
