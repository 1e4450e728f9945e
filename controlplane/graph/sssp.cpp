#include "controlplane/graph/sssp.hpp"

#include <cstddef>
#include <unordered_set>

#include "controlplane/protocol/constants.hpp"

namespace sluice::graph {

namespace {

// Breadth-first search from myself; fills the per-node fields and returns the visited set.
std::unordered_set<const Node*> search(Graph& graph) {
    for (const auto& entry : graph.nodes()) graph.find_node(entry.first)->indirect = true;

    Node& me = graph.self();
    std::unordered_set<const Node*> visited{&me};
    me.indirect = false;
    me.nexthop = me.name;
    me.via = me.name;
    me.prevedge.reset();

    // Each node is queued at most twice (first visit, and once more when a direct path
    // replaces an indirect one), so the queue stays below twice the node count.
    std::vector<Node*> queue{&me};
    for (std::size_t head = 0; head < queue.size(); ++head) {
        const Node& n = *queue[head];
        for (const auto& [to_name, edge] : graph.edges_of(n.name)) {
            if (graph.reverse_of(edge) == nullptr) continue;
            Node& t = *graph.find_node(to_name);
            const bool indirect = n.indirect || (edge.options & protocol::option_indirect) != 0;
            const bool seen = visited.contains(&t);
            if (seen && (!t.indirect || indirect)) continue;

            if (!seen) t.nexthop = n.nexthop == me.name ? t.name : n.nexthop;
            visited.insert(&t);
            t.indirect = indirect;
            t.prevedge = edge.key();
            t.via = indirect ? n.via : t.name;
            t.options = edge.options;
            if (!t.has_udp_address() && edge.has_numeric_address()) {
                t.udp_address = edge.address;
                t.udp_port = edge.port;
            }
            queue.push_back(&t);
        }
    }
    return visited;
}

}  // namespace

Changes run_sssp(Graph& graph) {
    const std::unordered_set<const Node*> visited = search(graph);

    Changes changes;
    for (const auto& entry : graph.nodes()) {
        Node& node = *graph.find_node(entry.first);
        const bool now_reachable = visited.contains(&node);
        if (now_reachable != node.reachable) {
            node.reachable = now_reachable;
            changes.reachability.push_back(ReachabilityChange{node.name, now_reachable, node.nexthop,
                                                              node.via, node.udp_address, node.udp_port});
            if (!now_reachable) {
                node.udp_address.clear();
                node.udp_port.clear();
                node.indirect = false;
                node.options = 0;
            }
        }
        if (node.reachable && node.name != graph.self_name()) {
            changes.routes.push_back(Route{node.name, node.nexthop, node.via, node.indirect, node.options});
        }
    }
    return changes;
}

}  // namespace sluice::graph
