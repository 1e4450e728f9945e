#include "controlplane/graph/purge.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"

using namespace sluice::graph;
using sluice::graph::testing::link;
using sluice::graph::testing::one_way;
using sluice::graph::testing::subnet;

namespace {

// alpha -- beta --> epsilon --> delta -- gamma <-- eta       zeta (no edges)
//
// Reachable: alpha, beta. beta->epsilon and epsilon->delta have no reverse; gamma-delta is a
// link cut off from us; eta only points at gamma.
Graph cut_off_mesh() {
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    one_way(graph, "beta", "epsilon");
    one_way(graph, "epsilon", "delta");
    link(graph, "gamma", "delta");
    one_way(graph, "eta", "gamma");
    for (const auto& [owner, text] :
         std::vector<std::pair<const char*, const char*>>{{"alpha", "198.19.0.1"},
                                                          {"beta", "198.19.0.2"},
                                                          {"gamma", "198.19.3.0/24"},
                                                          {"gamma", "198.19.0.3"},
                                                          {"delta", "198.19.0.4"},
                                                          {"epsilon", "198.19.0.5"},
                                                          {"zeta", "2001:db8::6"}}) {
        graph.add_subnet(owner, subnet(text));
    }
    run_sssp(graph);
    return graph;
}

std::vector<std::string> names_of(const PurgePlan& plan) {
    std::vector<std::string> out;
    for (const PurgedNode& n : plan.nodes) out.push_back(n.name);
    return out;
}

}  // namespace

TEST_CASE("purge plan: unreachable nodes' subnets and edges, then the nodes nothing points at") {
    const Graph graph = cut_off_mesh();
    const PurgePlan plan = purge_plan(graph);
    REQUIRE(names_of(plan) == std::vector<std::string>{"delta", "epsilon", "eta", "gamma", "zeta"});

    const PurgedNode& gamma = plan.nodes[3];
    CHECK(gamma.subnets == std::vector{subnet("198.19.0.3"), subnet("198.19.3.0/24")});  // tinc order
    CHECK(gamma.edges == std::vector<EdgeKey>{{"gamma", "delta"}});
    CHECK(plan.nodes[0].edges == std::vector<EdgeKey>{{"delta", "gamma"}});
    CHECK(plan.nodes[1].edges == std::vector<EdgeKey>{{"epsilon", "delta"}});
    CHECK(plan.nodes[2].subnets.empty());
    CHECK(plan.nodes[4].edges.empty());

    // epsilon stays: beta (reachable) still has an edge to it.
    CHECK(plan.deleted_nodes == std::vector<std::string>{"delta", "eta", "gamma", "zeta"});
    CHECK_FALSE(plan.strict_subnets);
}

TEST_CASE("applying a purge deletes exactly what the plan names") {
    Graph graph = cut_off_mesh();
    apply_purge(graph, purge_plan(graph));

    std::vector<std::string> nodes;
    for (const auto& [name, node] : graph.nodes()) nodes.push_back(name);
    CHECK(nodes == std::vector<std::string>{"alpha", "beta", "epsilon"});
    CHECK(graph.edge_count() == 3);  // alpha<->beta and beta->epsilon
    CHECK(graph.find_edge("beta", "epsilon") != nullptr);
    CHECK(graph.subnets_of("epsilon").empty());
    CHECK(graph.subnets().size() == 2);

    // Reachability is untouched, and a second purge has nothing left to delete.
    const Changes after = run_sssp(graph);
    CHECK(after.reachability.empty());
    const PurgePlan again = purge_plan(graph);
    REQUIRE(names_of(again) == std::vector<std::string>{"epsilon"});
    CHECK(again.nodes[0].subnets.empty());
    CHECK(again.nodes[0].edges.empty());
    CHECK(again.deleted_nodes.empty());
}

TEST_CASE("with StrictSubnets, subnets are announced but kept, and so are their owners") {
    Graph graph = cut_off_mesh();
    const PurgePlan plan = purge_plan(graph, PurgeOptions{.strict_subnets = true});
    CHECK(names_of(plan) == std::vector<std::string>{"delta", "epsilon", "eta", "gamma", "zeta"});
    CHECK(plan.nodes[3].subnets.size() == 2);  // still announced with DEL_SUBNET
    CHECK(plan.deleted_nodes == std::vector<std::string>{"eta"});

    apply_purge(graph, plan);
    CHECK(graph.subnets().size() == 7);
    CHECK(graph.find_node("eta") == nullptr);
    CHECK(graph.find_node("gamma") != nullptr);
    CHECK(graph.edges_of("gamma").empty());
    CHECK(graph.edge_count() == 3);
}

TEST_CASE("a fully reachable mesh has nothing to purge") {
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    graph.add_subnet("beta", subnet("198.19.0.2"));
    run_sssp(graph);
    const PurgePlan plan = purge_plan(graph);
    CHECK(plan.nodes.empty());
    CHECK(plan.deleted_nodes.empty());
}
