#include "controlplane/graph/mst.hpp"

#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"

using namespace sluice::graph;
using sluice::graph::testing::edge;
using sluice::graph::testing::link;
using sluice::graph::testing::names;
using sluice::graph::testing::one_way;

namespace {

SpanningTree tree_of(Graph& graph) {
    run_sssp(graph);
    return compute_mst(graph);
}

using Neighbours = std::set<std::string>;

}  // namespace

TEST_CASE("no edges, no tree") {
    Graph graph("alpha");
    const SpanningTree tree = tree_of(graph);
    CHECK(tree.edges.empty());
    CHECK(tree.mst_neighbours.empty());
}

TEST_CASE("weighted square with equal weights: ties go by from name, then to name") {
    // alpha --1-- beta
    //   |           |
    //   1           1
    //   |           |
    // delta --1-- gamma
    // Order: alpha->beta, alpha->delta, beta->alpha, beta->gamma, ... The tree takes both of
    // alpha's edges, then beta->gamma; delta-gamma is left out.
    Graph graph("alpha");
    link(graph, "alpha", "beta", 1);
    link(graph, "beta", "gamma", 1);
    link(graph, "gamma", "delta", 1);
    link(graph, "delta", "alpha", 1);
    const SpanningTree tree = tree_of(graph);
    const std::vector<EdgeKey> expected{{"alpha", "beta"}, {"alpha", "delta"}, {"beta", "gamma"}};
    CHECK(tree.edges == expected);
    CHECK(tree.mst_neighbours == Neighbours{"beta", "delta"});

    // Seen from gamma the tree is the same; only beta's connection carries broadcasts.
    Graph from_gamma("gamma");
    link(from_gamma, "alpha", "beta", 1);
    link(from_gamma, "beta", "gamma", 1);
    link(from_gamma, "gamma", "delta", 1);
    link(from_gamma, "delta", "alpha", 1);
    const SpanningTree gamma_tree = tree_of(from_gamma);
    CHECK(gamma_tree.edges == expected);
    CHECK(gamma_tree.mst_neighbours == Neighbours{"beta"});
}

TEST_CASE("weighted square: lighter edges win") {
    // alpha --4-- beta
    //   |           |
    //   1           2
    //   |           |
    // delta --3-- gamma
    Graph graph("beta");
    link(graph, "alpha", "beta", 4);
    link(graph, "beta", "gamma", 2);
    link(graph, "gamma", "delta", 3);
    link(graph, "delta", "alpha", 1);
    const SpanningTree tree = tree_of(graph);
    // Starts at alpha (from of alpha->delta, the first edge), grows to delta, then gamma
    // (3), then beta (2, found after a restart).
    const std::vector<EdgeKey> expected{{"alpha", "delta"}, {"delta", "gamma"}, {"beta", "gamma"}};
    CHECK(tree.edges == expected);
    CHECK(tree.mst_neighbours == Neighbours{"gamma"});
}

TEST_CASE("the restart rule: after a skip, an added edge sends the walk back to the head") {
    // alpha --2-- beta
    //   |           |
    //   4           3
    //   |           |
    // delta --1-- gamma
    // The walk starts at delta and adds delta->gamma, skips alpha-beta (neither end visited),
    // adds beta->gamma and restarts, so alpha-beta (2) is found before alpha-delta (4). A
    // single pass would have joined alpha through delta instead.
    Graph graph("alpha");
    link(graph, "alpha", "beta", 2);
    link(graph, "beta", "gamma", 3);
    link(graph, "gamma", "delta", 1);
    link(graph, "delta", "alpha", 4);
    const SpanningTree tree = tree_of(graph);
    const std::vector<EdgeKey> expected{{"delta", "gamma"}, {"beta", "gamma"}, {"alpha", "beta"}};
    CHECK(tree.edges == expected);
    CHECK(tree.mst_neighbours == Neighbours{"beta"});
}

TEST_CASE("asymmetric weights: the lighter direction is the tree edge, both flag the connection") {
    Graph graph("alpha");
    one_way(graph, "alpha", "beta", 9);
    one_way(graph, "beta", "alpha", 1);
    const SpanningTree tree = tree_of(graph);
    CHECK(tree.edges == std::vector<EdgeKey>{{"beta", "alpha"}});
    CHECK(tree.mst_neighbours == Neighbours{"beta"});
}

TEST_CASE("edges without a reverse are never in the tree") {
    // alpha --5-- beta --2-- gamma, plus alpha->gamma (1) that gamma never confirmed.
    Graph graph("alpha");
    link(graph, "alpha", "beta", 5);
    link(graph, "beta", "gamma", 2);
    one_way(graph, "alpha", "gamma", 1);
    const SpanningTree tree = tree_of(graph);
    const std::vector<EdgeKey> expected{{"alpha", "beta"}, {"beta", "gamma"}};
    CHECK(tree.edges == expected);
    CHECK(tree.mst_neighbours == Neighbours{"beta"});
}

TEST_CASE("the walk starts at the first edge whose from is reachable") {
    // alpha --5-- beta          delta --1-- gamma   (not connected to us)
    // tinc releases of 2003 started at the lightest edge whatever its reachability; 1.0.36
    // skips unreachable starts, so the lone pair never enters the tree.
    Graph graph("alpha");
    link(graph, "alpha", "beta", 5);
    link(graph, "gamma", "delta", 1);
    const SpanningTree tree = tree_of(graph);
    CHECK(tree.edges == std::vector<EdgeKey>{{"alpha", "beta"}});
    CHECK(tree.mst_neighbours == Neighbours{"beta"});
}

TEST_CASE("every node computes the same tree for a connected mesh") {
    //   alpha --3-- beta --1-- gamma
    //     \          |         /
    //      2         2        5
    //       \        |       /
    //        ---- delta -----
    std::vector<std::vector<EdgeKey>> trees;
    for (const char* me : {"alpha", "beta", "gamma", "delta"}) {
        Graph graph(me);
        link(graph, "alpha", "beta", 3);
        link(graph, "beta", "gamma", 1);
        link(graph, "alpha", "delta", 2);
        link(graph, "beta", "delta", 2);
        link(graph, "gamma", "delta", 5);
        trees.push_back(tree_of(graph).edges);
    }
    for (const auto& tree : trees) CHECK(tree == trees.front());
    CHECK(trees.front().size() == 3);
}

// --- Seeded random graphs against Prim's algorithm with tinc's tie-breaking. ---------------

namespace {

std::vector<EdgeKey> prim_oracle(const Graph& graph) {
    std::vector<const Edge*> order(graph.edges_by_weight().begin(), graph.edges_by_weight().end());
    std::set<std::string> in_tree;
    for (const Edge* e : order) {
        if (graph.find_node(e->from)->reachable) {
            in_tree.insert(e->from);
            break;
        }
    }
    std::vector<EdgeKey> tree;
    for (;;) {
        const Edge* pick = nullptr;
        for (const Edge* e : order) {
            if (graph.reverse_of(*e) == nullptr) continue;
            if (in_tree.contains(e->from) != in_tree.contains(e->to)) {
                pick = e;
                break;
            }
        }
        if (pick == nullptr) return tree;
        in_tree.insert(pick->from);
        in_tree.insert(pick->to);
        tree.push_back(pick->key());
    }
}

}  // namespace

TEST_CASE("random graphs: the walk equals first-crossing-edge Prim and spans the reachable nodes") {
    std::mt19937 rng(777);
    for (int round = 0; round < 500; ++round) {
        INFO("round " << round);
        const int node_count = std::uniform_int_distribution<int>(1, 12)(rng);
        std::uniform_int_distribution<int> pick(0, node_count - 1);
        const std::string me(names[static_cast<std::size_t>(pick(rng))]);
        Graph graph(me);
        const int edge_count = std::uniform_int_distribution<int>(0, node_count * 3)(rng);
        for (int i = 0; i < edge_count; ++i) {
            const auto a = names[static_cast<std::size_t>(pick(rng))];
            const auto b = names[static_cast<std::size_t>(pick(rng))];
            if (a == b) continue;
            // Few distinct weights, so ties are common.
            graph.add_edge(edge(a, b, std::uniform_int_distribution<int>(1, 3)(rng)));
            if (rng() % 5 != 0) graph.add_edge(edge(b, a, std::uniform_int_distribution<int>(1, 3)(rng)));
        }
        const SpanningTree tree = tree_of(graph);
        REQUIRE(tree.edges == prim_oracle(graph));

        std::size_t reachable = 0;
        for (const auto& [name, node] : graph.nodes()) reachable += node.reachable ? 1 : 0;
        CHECK(tree.edges.size() == reachable - 1);
        Neighbours expected_neighbours;
        for (const EdgeKey& e : tree.edges) {
            CHECK(graph.find_node(e.from)->reachable);
            CHECK(graph.find_node(e.to)->reachable);
            if (e.from == me) expected_neighbours.insert(e.to);
            if (e.to == me) expected_neighbours.insert(e.from);
        }
        CHECK(tree.mst_neighbours == expected_neighbours);
    }
}
