// Reachability, next hop and via: tinc 1.0.36's sssp_bfs() and check_reachability()
// (reference: tinc-1.0.36-protocol.md 3.3; tinc's graph.c).
//
// An unweighted breadth-first search from myself, FIFO, duplicates allowed in the queue:
//  * a dequeued node n expands its outgoing edges in destination-name order; an edge n->t
//    counts only if t->n exists too;
//  * indirect(t) = indirect(n) or the edge has OPTION_INDIRECT;
//  * t is skipped when already visited, unless it was reached only indirectly and this path
//    is direct: a node first reached indirectly is re-visited once by a direct path;
//  * on the first visit only, nexthop(t) = t when n is myself, else nexthop(n);
//  * on every visit: prevedge(t) = n->t, via(t) = via(n) if indirect else t, t's options =
//    the edge's options, t's UDP address is taken from the edge if t has none yet and the
//    edge's address is numeric, and t is queued again.
// Weights play no part here (they only order the MST).
//
// Then every node (in name order) whose visited state differs from `reachable` flips. A node
// going down loses its UDP address, its indirect flag and its options (tinc zeroes its status
// and options); nexthop, via and prevedge stay as they were, as in tinc. What tinc does next
// is the caller's job, driven by the returned changes: reset the node's key and PMTU state,
// run host-up/host-down and hosts/NAME-up/-down, subnet-up/-down for each of its subnets
// (Graph::subnets_of), and on up send an unsolicited ANS_KEY if there is a direct meta
// connection. graph() then runs the MST (mst.hpp), which needs the new reachability.
//
// Deterministic: the result depends only on the graph's contents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/graph/graph.hpp"

namespace sluice::graph {

struct ReachabilityChange {
    std::string name;
    bool became_reachable = false;
    // After the run; for a node going down, the values it had while it was up.
    std::string nexthop;
    std::string via;
    // The address host-up/host-down see as REMOTEADDRESS/REMOTEPORT: for up the one just
    // set, for down the one the node had before it was cleared. Empty when unknown.
    std::string udp_address;
    std::string udp_port;

    bool operator==(const ReachabilityChange&) const = default;
};

// Where packets for a reachable node go (tinc's send_packet: UDP to `via`, or to `nexthop`
// when via is myself; requests and TCP fallback to `nexthop`).
struct Route {
    std::string name;
    std::string nexthop;
    std::string via;
    bool indirect = false;
    std::uint32_t options = 0;

    bool operator==(const Route&) const = default;
};

struct Changes {
    std::vector<ReachabilityChange> reachability;  // in node-name order
    std::vector<Route> routes;                     // every reachable node but myself, by name
};

Changes run_sssp(Graph& graph);

}  // namespace sluice::graph
