// How this node's packets reach another node, for the operator's views (dump peers, dump
// graph, info). Pure: reads the graph or the tables last published to the data plane.
//
// Two sources, because they can differ:
//  * the graph (tinc 1.0.36's send_packet rule): UDP goes to `via`, or to `nexthop` when via
//    is this node; TCP through the meta connection towards `nexthop` instead when this node
//    or that UDP target has TCPOnly, or the target's UDP address is unknown;
//  * the published tables, which add what path MTU discovery found out: while no probe to
//    the UDP target has come back, frames go to the next hop (which relays them), or as
//    PACKET when the next hop is the target itself. A node whose probes never come back
//    (no direct UDP path, as in tests/netns/relay.sh) stays relayed for good.
// from_tables() is what sluice-dp does; from_graph() is the fallback without a data plane.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/graph/graph.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::daemon {

enum class PathKind { self, unreachable, udp, tcp };

enum class TcpReason { none, tcp_only, no_udp_address, probing };

struct NodePath {
    PathKind kind = PathKind::unreachable;
    std::string relay;    // udp: where the datagrams go; the node itself when direct
    std::string nexthop;  // the neighbour whose meta connection leads towards the node
    TcpReason tcp_reason = TcpReason::none;
    // udp through a relay because path MTU discovery to this node has no reply yet.
    std::string probing;

    [[nodiscard]] bool relayed(std::string_view name) const { return kind == PathKind::udp && relay != name; }
    bool operator==(const NodePath&) const = default;
};

// `own_options`: this node's ACK options (its TCPOnly applies to every path).
[[nodiscard]] NodePath path_from_graph(const graph::Graph& graph, std::string_view name,
                                       std::uint32_t own_options);
[[nodiscard]] NodePath path_from_tables(const tables::TablesView& view, std::uint32_t index);

// The tables' path when they have a record of the node, else the graph's.
[[nodiscard]] NodePath node_path(const graph::Graph& graph, std::string_view name, std::uint32_t own_options,
                                 const tables::TablesView* published);

// dump peers' column: "self", "unreachable", "udp", "udp via B", "tcp via B",
// "tcp via B (probing)", "udp via B (probing C)".
[[nodiscard]] std::string short_path(const NodePath& path, std::string_view name);

// In words for `info`: "direct UDP", "UDP through relay b", "TCP through the meta connection
// to b (TCPOnly)", ...
[[nodiscard]] std::string describe_path(const NodePath& path, std::string_view name);

}  // namespace sluice::daemon
