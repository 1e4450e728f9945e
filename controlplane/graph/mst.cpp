#include "controlplane/graph/mst.hpp"

#include <unordered_set>

namespace sluice::graph {

SpanningTree compute_mst(const Graph& graph) {
    SpanningTree tree;
    const EdgeWeightIndex& order = graph.edges_by_weight();
    if (order.empty()) return tree;

    std::unordered_set<const Node*> visited;
    for (const Edge* e : order) {
        const Node* from = graph.find_node(e->from);
        if (from->reachable) {
            visited.insert(from);
            break;
        }
    }

    const std::string& me = graph.self_name();
    bool skipped = false;
    for (auto it = order.begin(); it != order.end();) {
        const Edge& e = **it;
        const Node* from = graph.find_node(e.from);
        const Node* to = graph.find_node(e.to);
        if (graph.reverse_of(e) == nullptr || visited.contains(from) == visited.contains(to)) {
            skipped = true;
            ++it;
            continue;
        }

        visited.insert(from);
        visited.insert(to);
        tree.edges.push_back(e.key());
        if (e.from == me) tree.mst_neighbours.insert(e.to);
        if (e.to == me) tree.mst_neighbours.insert(e.from);

        if (skipped) {
            // Something earlier may cross the cut now that the tree has grown.
            skipped = false;
            it = order.begin();
        } else {
            ++it;
        }
    }
    return tree;
}

}  // namespace sluice::graph
