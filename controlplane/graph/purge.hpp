// Purge: forgetting unreachable nodes, as tinc 1.0.36's purge() does when the last meta
// connection closes or on SIGWINCH (reference: tinc-1.0.36-protocol.md 3.5; tinc's net.c).
//
// For every unreachable node, in name order: each of its subnets, in tinc's subnet order, is
// announced with DEL_SUBNET and deleted (with StrictSubnets it is announced but kept); then
// each of its outgoing edges, by destination name, is announced with DEL_EDGE (not with
// TunnelServer) and deleted. Afterwards an unreachable node is deleted when no remaining edge
// points at it, except that with StrictSubnets a node that still has subnets is kept.
// Reachability does not change: only edges of unreachable nodes go, and the edges left
// pointing at them (from reachable nodes) have lost their reverse.
//
// purge_plan() only reads the graph, so the caller can send the announcements first;
// apply_purge() then performs the deletions.
#pragma once

#include <string>
#include <vector>

#include "controlplane/graph/graph.hpp"
#include "shared/net/subnet.hpp"

namespace sluice::graph {

struct PurgeOptions {
    bool strict_subnets = false;
};

struct PurgedNode {
    std::string name;
    std::vector<net::Subnet> subnets;  // DEL_SUBNET for each; deleted unless strict_subnets
    std::vector<EdgeKey> edges;        // DEL_EDGE for each (unless TunnelServer); deleted
};

struct PurgePlan {
    std::vector<PurgedNode> nodes;           // every unreachable node, by name
    std::vector<std::string> deleted_nodes;  // then deleted, by name
    bool strict_subnets = false;
};

[[nodiscard]] PurgePlan purge_plan(const Graph& graph, PurgeOptions options = {});

// Applies a plan made from this graph's current state.
void apply_purge(Graph& graph, const PurgePlan& plan);

}  // namespace sluice::graph
