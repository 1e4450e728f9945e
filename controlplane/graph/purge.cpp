#include "controlplane/graph/purge.hpp"

#include <algorithm>
#include <utility>

namespace sluice::graph {

PurgePlan purge_plan(const Graph& graph, PurgeOptions options) {
    PurgePlan plan;
    plan.strict_subnets = options.strict_subnets;

    for (const auto& [name, node] : graph.nodes()) {
        if (node.reachable) continue;
        PurgedNode purged{name, {}, {}};
        const OwnedSubnets& subnets = graph.subnets_of(name);
        purged.subnets.assign(subnets.begin(), subnets.end());
        for (const auto& [to, edge] : graph.edges_of(name)) purged.edges.push_back(edge.key());
        plan.nodes.push_back(std::move(purged));
    }

    // After the edges above are gone, only edges from reachable nodes remain.
    for (const PurgedNode& purged : plan.nodes) {
        const bool pointed_at = std::any_of(
            graph.edges_by_weight().begin(), graph.edges_by_weight().end(),
            [&](const Edge* e) { return e->to == purged.name && graph.find_node(e->from)->reachable; });
        if (pointed_at) continue;
        if (options.strict_subnets && !purged.subnets.empty()) continue;
        plan.deleted_nodes.push_back(purged.name);
    }
    return plan;
}

void apply_purge(Graph& graph, const PurgePlan& plan) {
    for (const PurgedNode& purged : plan.nodes) {
        if (!plan.strict_subnets) {
            for (const net::Subnet& subnet : purged.subnets) graph.remove_subnet(purged.name, subnet);
        }
        for (const EdgeKey& edge : purged.edges) graph.remove_edge(edge.from, edge.to);
    }
    for (const std::string& name : plan.deleted_nodes) graph.remove_node(name);
}

}  // namespace sluice::graph
