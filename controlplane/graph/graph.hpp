// The mesh as tinc 1.0.36 stores it: nodes, directed edges and subnets (reference:
// tinc-1.0.36-protocol.md section 3; tinc's node.c, edge.c, subnet.c, protocol_edge.c).
//
// * Nodes are kept by name in strcmp order (tinc's node_tree); run_sssp() walks them in that
//   order when it reports reachability changes. "myself" is created by the constructor and is
//   always reachable.
// * An edge from->to is one ADD_EDGE: how `from` sees `to` (address and port as strings,
//   options, weight). It counts for routing only while the reverse edge to->from exists
//   (tinc's e->reverse). Each node's outgoing edges are ordered by the destination's name
//   (tinc's per-node edge_tree, the order the SSSP expands them in); all edges together are
//   ordered by (weight, from name, to name) (tinc's edge_weight_tree, the MST's order).
// * A changed ADD_EDGE for an existing edge updates it in place (1.0.36 add_edge_h: new
//   options, address and weight, then one graph() run); update_edge() does exactly that.
// * ADD_EDGE and ADD_SUBNET create unknown nodes on the fly; so do add_edge() and add_subnet().
//   A node is deleted only by a purge, and only once nothing refers to it (remove_node()).
// * The Node fields below `reachable` are what tinc's graph() computes. For a node that is
//   not reachable, nexthop, via and prevedge keep whatever the last run that reached it set
//   (tinc never clears them); only reachable nodes have meaningful values.
//
// Pure data: no I/O, no clocks, no logging. Not copyable (the subnet table points into the
// node map); moving keeps every pointer valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "controlplane/graph/subnet_table.hpp"
#include "shared/net/subnet.hpp"

namespace sluice::graph {

struct EdgeKey {
    std::string from;
    std::string to;

    auto operator<=>(const EdgeKey&) const = default;
    bool operator==(const EdgeKey&) const = default;
};

struct Edge {
    std::string from;
    std::string to;
    std::string address;  // how `from` reaches `to` by UDP, as sent; may be non-numeric
    std::string port;
    std::uint32_t options = 0;
    int weight = 0;

    [[nodiscard]] EdgeKey key() const { return {from, to}; }
    // tinc copies an edge's address into a node only when it is numeric (not AF_UNKNOWN):
    // an IPv4 or IPv6 literal without zone, and a decimal port of at most 65535.
    [[nodiscard]] bool has_numeric_address() const;

    bool operator==(const Edge&) const = default;
};

struct Node {
    std::string name;
    bool reachable = false;
    // Reached only over a path with an INDIRECT edge (or through such a node): UDP goes to
    // `via` instead of the node itself.
    bool indirect = false;
    std::string nexthop;              // neighbour whose meta connection leads to this node
    std::string via;                  // node UDP packets for this node are sent to
    std::optional<EdgeKey> prevedge;  // last edge of the path the SSSP took; empty for myself
    std::uint32_t options = 0;        // options of that edge; 0 once unreachable
    // The node's UDP endpoint; empty means unknown (tinc's AF_UNSPEC). Set from an edge by
    // the SSSP when unknown, by the caller from ANS_KEY or incoming UDP, cleared when the
    // node becomes unreachable.
    std::string udp_address;
    std::string udp_port;

    [[nodiscard]] bool has_udp_address() const { return !udp_address.empty(); }
};

// One node's outgoing edges, by destination name.
using EdgeMap = std::map<std::string, Edge, std::less<>>;

// tinc's edge_weight_compare: weight, then from name, then to name.
struct EdgeWeightOrder {
    bool operator()(const Edge* a, const Edge* b) const noexcept;
};
using EdgeWeightIndex = std::set<const Edge*, EdgeWeightOrder>;

using OwnedSubnets = std::set<net::Subnet, SubnetOrder>;
using NodeMap = std::map<std::string, Node, std::less<>>;

class Graph {
public:
    explicit Graph(std::string self_name);
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
    Graph(Graph&&) = default;
    Graph& operator=(Graph&&) = default;
    ~Graph() = default;

    [[nodiscard]] const std::string& self_name() const noexcept { return self_name_; }
    [[nodiscard]] const Node& self() const;
    [[nodiscard]] Node& self();

    // Nodes -------------------------------------------------------------------------------
    Node& ensure_node(std::string_view name);
    [[nodiscard]] const Node* find_node(std::string_view name) const;
    [[nodiscard]] Node* find_node(std::string_view name);
    // Deletes a node nothing refers to any more. False (and nothing changes) for myself, an
    // unknown name, or a node that still has subnets or an edge in either direction.
    bool remove_node(std::string_view name);
    [[nodiscard]] const NodeMap& nodes() const noexcept { return nodes_; }

    // Edges -------------------------------------------------------------------------------
    // Adds a new edge, creating unknown endpoints. False (nothing changes) when from == to,
    // a name is empty, or the edge already exists (use update_edge()).
    bool add_edge(const Edge& edge);
    // Replaces address, port, options and weight of the existing edge edge.from->edge.to in
    // place. False when there is no such edge.
    bool update_edge(const Edge& edge);
    bool remove_edge(std::string_view from, std::string_view to);
    [[nodiscard]] const Edge* find_edge(std::string_view from, std::string_view to) const;
    // The edge to->from, which an edge needs to count (tinc's e->reverse).
    [[nodiscard]] const Edge* reverse_of(const Edge& edge) const;
    // Outgoing edges of `from` by destination name; empty for unknown nodes.
    [[nodiscard]] const EdgeMap& edges_of(std::string_view from) const;
    // Every edge once, in tinc's edge_weight_tree order.
    [[nodiscard]] const EdgeWeightIndex& edges_by_weight() const noexcept { return by_weight_; }
    [[nodiscard]] std::size_t edge_count() const noexcept { return by_weight_.size(); }

    // Subnets -----------------------------------------------------------------------------
    // Adds a subnet to `owner`, creating the node if needed. False when the owner already
    // has it (identity as in subnet_table.hpp), or the owner name is empty.
    bool add_subnet(std::string_view owner, const net::Subnet& subnet);
    bool remove_subnet(std::string_view owner, const net::Subnet& subnet);
    [[nodiscard]] bool has_subnet(std::string_view owner, const net::Subnet& subnet) const;
    // One owner's subnets in tinc's order; empty for unknown nodes.
    [[nodiscard]] const OwnedSubnets& subnets_of(std::string_view owner) const;
    // All subnets, with the packet lookup.
    [[nodiscard]] const SubnetTable& subnets() const noexcept { return subnet_table_; }

private:
    std::string self_name_;
    NodeMap nodes_;
    std::map<std::string, EdgeMap, std::less<>> edges_;  // by from name
    EdgeWeightIndex by_weight_;
    std::map<std::string, OwnedSubnets, std::less<>> owned_subnets_;
    SubnetTable subnet_table_;
};

}  // namespace sluice::graph
