#include "controlplane/graph/sssp.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice::graph;
using sluice::graph::testing::address_of;
using sluice::graph::testing::edge;
using sluice::graph::testing::link;
using sluice::graph::testing::one_way;
using sluice::protocol::option_indirect;

namespace {

struct Expect {
    const char* name;
    const char* nexthop;
    const char* via;
    bool indirect;
    EdgeKey prevedge;
};

void check_routes(const Graph& graph, const std::vector<Expect>& expected) {
    for (const Expect& e : expected) {
        INFO("node " << e.name);
        const Node* node = graph.find_node(e.name);
        REQUIRE(node != nullptr);
        CHECK(node->reachable);
        CHECK(node->nexthop == e.nexthop);
        CHECK(node->via == e.via);
        CHECK(node->indirect == e.indirect);
        REQUIRE(node->prevedge.has_value());
        CHECK(*node->prevedge == e.prevedge);
    }
}

std::vector<std::string> names_of(const std::vector<Route>& routes) {
    std::vector<std::string> out;
    for (const Route& r : routes) out.push_back(r.name);
    return out;
}

}  // namespace

TEST_CASE("line alpha - beta - gamma") {
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    link(graph, "beta", "gamma");

    const Changes changes = run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "beta", false, {"alpha", "beta"}},
                         {"gamma", "beta", "gamma", false, {"beta", "gamma"}}});
    // UDP addresses come from the edge that reached each node.
    CHECK(graph.find_node("beta")->udp_address == "198.18.0.2");
    CHECK(graph.find_node("gamma")->udp_address == "198.18.0.3");
    CHECK(graph.find_node("gamma")->udp_port == "655");

    const std::vector<ReachabilityChange> expected{{"beta", true, "beta", "beta", "198.18.0.2", "655"},
                                                   {"gamma", true, "beta", "gamma", "198.18.0.3", "655"}};
    CHECK(changes.reachability == expected);
    const std::vector<Route> routes{{"beta", "beta", "beta", false, 0}, {"gamma", "beta", "gamma", false, 0}};
    CHECK(changes.routes == routes);

    // Nothing changed: a second run reports no flips but the same routes.
    const Changes again = run_sssp(graph);
    CHECK(again.reachability.empty());
    CHECK(again.routes == routes);
}

TEST_CASE("star: myself at the centre, and myself as a leaf") {
    //      beta
    //       |
    // delta-alpha-gamma      (myself = alpha, then myself = beta)
    SECTION("centre") {
        Graph graph("alpha");
        for (const char* leaf : {"beta", "gamma", "delta"}) link(graph, "alpha", leaf);
        const Changes changes = run_sssp(graph);
        CHECK(names_of(changes.routes) == std::vector<std::string>{"beta", "delta", "gamma"});
        check_routes(graph, {{"beta", "beta", "beta", false, {"alpha", "beta"}},
                             {"delta", "delta", "delta", false, {"alpha", "delta"}},
                             {"gamma", "gamma", "gamma", false, {"alpha", "gamma"}}});
    }
    SECTION("leaf") {
        Graph graph("beta");
        for (const char* leaf : {"beta", "gamma", "delta"}) link(graph, "alpha", leaf);
        run_sssp(graph);
        check_routes(graph, {{"alpha", "alpha", "alpha", false, {"beta", "alpha"}},
                             {"delta", "alpha", "delta", false, {"alpha", "delta"}},
                             {"gamma", "alpha", "gamma", false, {"alpha", "gamma"}}});
    }
}

TEST_CASE("ring of five: hop count and name order decide, weights do not") {
    //   alpha --1-- beta --1-- gamma
    //     |                      |
    //    100                     1
    //     |                      |
    //   epsilon -------1------ delta
    // Dijkstra would send delta's traffic through beta; tinc's BFS reaches delta first from
    // epsilon, and gamma from beta (beta sorts before epsilon).
    Graph graph("alpha");
    link(graph, "alpha", "beta", 1);
    link(graph, "beta", "gamma", 1);
    link(graph, "gamma", "delta", 1);
    link(graph, "delta", "epsilon", 1);
    link(graph, "epsilon", "alpha", 100);
    run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "beta", false, {"alpha", "beta"}},
                         {"epsilon", "epsilon", "epsilon", false, {"alpha", "epsilon"}},
                         {"gamma", "beta", "gamma", false, {"beta", "gamma"}},
                         {"delta", "epsilon", "delta", false, {"epsilon", "delta"}}});
}

TEST_CASE("a node behind an INDIRECT edge is sent to via the last direct node") {
    // alpha -- beta ==i==> gamma -- delta      (beta->gamma carries OPTION_INDIRECT)
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    link(graph, "beta", "gamma", 10, option_indirect, 0);
    link(graph, "gamma", "delta");
    const Changes changes = run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "beta", false, {"alpha", "beta"}},
                         {"gamma", "beta", "beta", true, {"beta", "gamma"}},
                         {"delta", "beta", "beta", true, {"gamma", "delta"}}});
    CHECK(graph.find_node("gamma")->options == option_indirect);
    CHECK(graph.find_node("delta")->options == 0);  // options come from the last edge only
    CHECK(changes.routes[1] == Route{"delta", "beta", "beta", true, 0});
}

TEST_CASE("a neighbour with IndirectData is sent to through myself, that is by its next hop") {
    // alpha ==i==> beta -- gamma
    Graph graph("alpha");
    link(graph, "alpha", "beta", 10, option_indirect, 0);
    link(graph, "beta", "gamma");
    run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "alpha", true, {"alpha", "beta"}},
                         {"gamma", "beta", "alpha", true, {"beta", "gamma"}}});
}

TEST_CASE("an edge without its reverse does not count") {
    // alpha -- beta --> gamma  (gamma never announced gamma->beta)
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    one_way(graph, "beta", "gamma");
    one_way(graph, "alpha", "delta");  // half of a connection still being set up
    const Changes changes = run_sssp(graph);
    CHECK_FALSE(graph.find_node("gamma")->reachable);
    CHECK_FALSE(graph.find_node("delta")->reachable);
    CHECK(graph.find_node("gamma")->udp_address.empty());
    CHECK(names_of(changes.routes) == std::vector<std::string>{"beta"});
}

TEST_CASE("a node first reached indirectly is re-visited by a direct path, keeping its next hop") {
    //            ==i==> beta --
    //   alpha <                 > delta
    //            ----- gamma --
    // delta is first reached from beta (indirect: alpha->beta has INDIRECT), then again from
    // gamma on a direct path. The re-visit replaces via, prevedge, options and indirect, but
    // the next hop is only set on the first visit. delta, now direct, then re-visits beta the
    // same way: alpha->gamma->delta->beta is a direct path, so beta is no longer indirect.
    Graph graph("alpha");
    link(graph, "alpha", "beta", 10, option_indirect, 0);
    link(graph, "alpha", "gamma");
    link(graph, "beta", "delta", 10, 0x4, 0);
    link(graph, "gamma", "delta", 10, 0x8, 0);
    run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "beta", false, {"delta", "beta"}},
                         {"gamma", "gamma", "gamma", false, {"alpha", "gamma"}},
                         {"delta", "beta", "delta", false, {"gamma", "delta"}}});
    CHECK(graph.find_node("delta")->options == 0x8);
    CHECK(graph.find_node("beta")->options == 0);

    // With INDIRECT on delta->beta too, beta stays indirect and keeps alpha as via.
    Edge db = edge("delta", "beta", 10, option_indirect);
    REQUIRE(graph.update_edge(db));
    run_sssp(graph);
    check_routes(graph, {{"beta", "beta", "alpha", true, {"alpha", "beta"}},
                         {"delta", "beta", "delta", false, {"gamma", "delta"}}});
}

TEST_CASE("a UDP address is only filled in when unknown, and only from a numeric edge address") {
    //   alpha -- beta -- delta
    //     \             /
    //      --- gamma ---
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    link(graph, "alpha", "gamma");
    Edge bd = edge("beta", "delta");
    bd.address = "delta.example";  // beta could not resolve it: tinc's AF_UNKNOWN
    graph.add_edge(bd);
    one_way(graph, "delta", "beta");
    link(graph, "gamma", "delta", 10, option_indirect, 0);
    // Set by the caller (ANS_KEY reflexive address): the SSSP leaves it alone.
    graph.ensure_node("gamma").udp_address = "198.18.5.5";
    graph.ensure_node("gamma").udp_port = "7000";

    run_sssp(graph);
    CHECK(graph.find_node("beta")->udp_address == "198.18.0.2");
    CHECK(graph.find_node("gamma")->udp_address == "198.18.5.5");
    CHECK(graph.find_node("gamma")->udp_port == "7000");
    // delta's first visit (from beta) had no usable address; gamma's edge is not a
    // re-visit (it is indirect and delta was reached directly), so delta stays unknown.
    CHECK(graph.find_node("delta")->reachable);
    CHECK_FALSE(graph.find_node("delta")->has_udp_address());

    // Make the gamma path direct: still no re-visit, delta was reached directly first.
    REQUIRE(graph.update_edge(edge("gamma", "delta")));
    run_sssp(graph);
    CHECK_FALSE(graph.find_node("delta")->has_udp_address());

    // Make the beta path indirect: delta is first reached indirectly from beta, then re-visited
    // directly from gamma, whose edge supplies the address.
    bd.options = option_indirect;
    REQUIRE(graph.update_edge(bd));
    run_sssp(graph);
    CHECK(graph.find_node("delta")->udp_address == "198.18.0.4");
    CHECK(graph.find_node("delta")->via == "delta");
    CHECK(graph.find_node("delta")->nexthop == "beta");
}

TEST_CASE("disconnect and reconnect report the flips and reset the node") {
    // alpha -- beta -- gamma, then the alpha-beta link drops and comes back.
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    link(graph, "beta", "gamma", 10, 0x4, 0x4);
    run_sssp(graph);
    REQUIRE(graph.find_node("gamma")->options == 0x4);

    graph.remove_edge("alpha", "beta");
    const Changes down = run_sssp(graph);
    const std::vector<ReachabilityChange> expected_down{
        {"beta", false, "beta", "beta", "198.18.0.2", "655"},
        {"gamma", false, "beta", "gamma", "198.18.0.3", "655"}};
    CHECK(down.reachability == expected_down);
    CHECK(down.routes.empty());
    for (const char* name : {"beta", "gamma"}) {
        INFO(name);
        const Node& node = *graph.find_node(name);
        CHECK_FALSE(node.reachable);
        CHECK_FALSE(node.has_udp_address());
        CHECK(node.udp_port.empty());
        CHECK(node.options == 0);
        CHECK_FALSE(node.indirect);
    }

    // beta comes back on another address.
    Edge ab = edge("alpha", "beta");
    ab.address = "198.18.1.2";
    graph.add_edge(ab);
    const Changes up = run_sssp(graph);
    const std::vector<ReachabilityChange> expected_up{{"beta", true, "beta", "beta", "198.18.1.2", "655"},
                                                      {"gamma", true, "beta", "gamma", "198.18.0.3", "655"}};
    CHECK(up.reachability == expected_up);
    CHECK(graph.find_node("gamma")->options == 0x4);
}

TEST_CASE("myself never flips and is not in the routes") {
    Graph graph("alpha");
    const Changes alone = run_sssp(graph);
    CHECK(alone.reachability.empty());
    CHECK(alone.routes.empty());
    CHECK(graph.self().reachable);
    link(graph, "alpha", "beta", 10, option_indirect, option_indirect);
    run_sssp(graph);
    CHECK(graph.self().nexthop == "alpha");
    CHECK(graph.self().via == "alpha");
    CHECK_FALSE(graph.self().indirect);
    CHECK_FALSE(graph.self().prevedge.has_value());
}

// --- Seeded random graphs: invariants, and oracles for reachability, indirect and next hop. --

namespace {

struct Oracle {
    std::set<std::string> reachable;
    std::set<std::string> direct;                  // reachable over edges without INDIRECT only
    std::map<std::string, std::string> first_hop;  // plain FIFO BFS, edges in name order
};

bool bidirectional(const Graph& graph, const Edge& e) {
    return graph.reverse_of(e) != nullptr;
}

Oracle oracle_of(const Graph& graph) {
    Oracle oracle;
    const std::string& me = graph.self_name();
    std::deque<std::string> queue{me};
    oracle.reachable.insert(me);
    oracle.first_hop[me] = me;
    while (!queue.empty()) {
        const std::string n = queue.front();
        queue.pop_front();
        for (const auto& [to, e] : graph.edges_of(n)) {
            if (!bidirectional(graph, e) || oracle.reachable.contains(to)) continue;
            oracle.reachable.insert(to);
            oracle.first_hop[to] = n == me ? to : oracle.first_hop[n];
            queue.push_back(to);
        }
    }
    std::vector<std::string> stack{me};
    oracle.direct.insert(me);
    while (!stack.empty()) {
        const std::string n = stack.back();
        stack.pop_back();
        for (const auto& [to, e] : graph.edges_of(n)) {
            if (!bidirectional(graph, e) || (e.options & option_indirect) != 0) continue;
            if (oracle.direct.insert(to).second) stack.push_back(to);
        }
    }
    return oracle;
}

void random_edge(std::mt19937& rng, Graph& graph, int node_count) {
    std::uniform_int_distribution<int> pick(0, node_count - 1);
    const auto a = sluice::graph::testing::names[static_cast<std::size_t>(pick(rng))];
    const auto b = sluice::graph::testing::names[static_cast<std::size_t>(pick(rng))];
    if (a == b) return;
    const int weight = std::uniform_int_distribution<int>(1, 5)(rng);
    const std::uint32_t options = rng() % 5 == 0 ? option_indirect : 0;
    graph.add_edge(edge(a, b, weight, options));
    if (rng() % 6 != 0) graph.add_edge(edge(b, a, weight, rng() % 5 == 0 ? option_indirect : 0));
}

void check_invariants(const Graph& graph) {
    const Oracle oracle = oracle_of(graph);
    const std::string& me = graph.self_name();
    for (const auto& [name, node] : graph.nodes()) {
        INFO("node " << name);
        REQUIRE(node.reachable == oracle.reachable.contains(name));
        if (!node.reachable) {
            CHECK_FALSE(node.has_udp_address());
            CHECK(node.options == 0);
            continue;
        }
        if (name == me) continue;
        CHECK(node.indirect == !oracle.direct.contains(name));
        CHECK(node.nexthop == oracle.first_hop.at(name));
        // The next hop is a neighbour over a bidirectional edge.
        const Edge* out = graph.find_edge(me, node.nexthop);
        REQUIRE(out != nullptr);
        CHECK(graph.reverse_of(*out) != nullptr);
        // via is reachable and reached directly (or is myself); a direct node is its own via.
        const Node* via = graph.find_node(node.via);
        REQUIRE(via != nullptr);
        CHECK(via->reachable);
        CHECK_FALSE(via->indirect);
        if (!node.indirect) CHECK(node.via == name);
        // prevedges lead back to myself over bidirectional edges.
        std::string at = name;
        for (std::size_t steps = 0; at != me; ++steps) {
            REQUIRE(steps < graph.nodes().size());
            const Node& hop = *graph.find_node(at);
            REQUIRE(hop.prevedge.has_value());
            CHECK(hop.prevedge->to == at);
            const Edge* e = graph.find_edge(hop.prevedge->from, hop.prevedge->to);
            REQUIRE(e != nullptr);
            CHECK(bidirectional(graph, *e));
            at = hop.prevedge->from;
        }
        CHECK(node.options == graph.find_edge(node.prevedge->from, name)->options);
        CHECK(node.has_udp_address());  // every test edge address is numeric
    }
}

}  // namespace

TEST_CASE("random graphs: reachability, indirect, next hop, via and prevedge invariants") {
    std::mt19937 rng(20240611);
    int indirect_nodes = 0;
    int unreachable_nodes = 0;
    for (int round = 0; round < 500; ++round) {
        INFO("round " << round);
        const int node_count = std::uniform_int_distribution<int>(1, 12)(rng);
        Graph graph(std::string(sluice::graph::testing::names[0]));
        for (int i = 1; i < node_count; ++i)
            graph.ensure_node(sluice::graph::testing::names[static_cast<std::size_t>(i)]);
        const int edge_count = std::uniform_int_distribution<int>(0, node_count * 2)(rng);
        for (int i = 0; i < edge_count; ++i) random_edge(rng, graph, node_count);

        std::set<std::string> was_reachable{graph.self_name()};
        for (int step = 0; step < 4; ++step) {
            const Changes changes = run_sssp(graph);
            check_invariants(graph);

            // The reported flips are exactly the difference, in name order.
            std::vector<ReachabilityChange> expected;
            std::set<std::string> now_reachable;
            for (const auto& [name, node] : graph.nodes()) {
                if (node.reachable) now_reachable.insert(name);
                indirect_nodes += node.reachable && node.indirect ? 1 : 0;
                unreachable_nodes += node.reachable ? 0 : 1;
                if (node.reachable != was_reachable.contains(name)) {
                    expected.push_back({name, node.reachable, node.nexthop, node.via, "", ""});
                }
            }
            REQUIRE(changes.reachability.size() == expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) {
                CHECK(changes.reachability[i].name == expected[i].name);
                CHECK(changes.reachability[i].became_reachable == expected[i].became_reachable);
                if (expected[i].became_reachable) {
                    CHECK(changes.reachability[i].udp_address == address_of(expected[i].name));
                }
            }
            CHECK(changes.routes.size() == now_reachable.size() - 1);
            was_reachable = now_reachable;

            // Mutate: drop a random edge, add a couple.
            if (graph.edge_count() > 0) {
                auto it = graph.edges_by_weight().begin();
                std::advance(it, static_cast<std::ptrdiff_t>(rng() % graph.edge_count()));
                const EdgeKey key = (*it)->key();
                graph.remove_edge(key.from, key.to);
            }
            random_edge(rng, graph, node_count);
            random_edge(rng, graph, node_count);
        }
    }
    // The seed produces both kinds of interesting node.
    CHECK(indirect_nodes > 100);
    CHECK(unreachable_nodes > 100);
}
