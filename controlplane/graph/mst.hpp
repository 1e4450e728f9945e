// The broadcast tree: tinc 1.0.36's mst_kruskal() (reference: tinc-1.0.36-protocol.md 3.4;
// tinc's graph.c, edge.c). Every node must build the same tree or broadcasts loop, so the
// walk is reproduced step by step:
//  1. Nothing is visited. Walk all edges in (weight, from name, to name) order and mark
//     visited the `from` of the first edge whose `from` is reachable.
//  2. Walk the edges in that order. An edge is skipped, and "something was skipped" is
//     remembered, when it has no reverse edge or both ends have the same visited state.
//  3. Otherwise both ends become visited and the edge joins the tree; if something was skipped
//     since the walk last (re)started, the walk restarts from the first edge.
// The result equals Prim's algorithm from that start node, always taking the first crossing
// edge in that order; the tests check the walk against such an oracle.
//
// In tinc an edge owns a meta connection only when it starts at myself, and a tree edge flags
// the connection of itself and of its reverse. So the connection to neighbour X carries
// broadcasts exactly when myself->X or X->myself is in the tree.
//
// Reads `reachable`, so run it after run_sssp(), as tinc's graph() does.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "controlplane/graph/graph.hpp"

namespace sluice::graph {

struct SpanningTree {
    std::vector<EdgeKey> edges;            // the tree's edges, in the order they were added
    std::set<std::string> mst_neighbours;  // neighbours whose meta connection is flagged mst
};

[[nodiscard]] SpanningTree compute_mst(const Graph& graph);

}  // namespace sluice::graph
