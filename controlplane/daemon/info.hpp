// `sluicectl info NODE|SUBNET|ADDRESS`: one node, or the subnets that decide where packets
// for a subnet or an address go. Pure: the daemon passes what it has. Plain text, one
// "key: value" per line; keys that hold lists (edge, subnet, match) repeat.
//
// The argument is a node name when it is one by tinc's rule ([A-Za-z0-9_]+), else a subnet
// (with "/prefix" or "#weight"), else an address. A name nobody knows and a string that is
// neither are errors that say so.
//
// Node: reachability, UDP address, options, via and nexthop, the path in words
// (node_path.hpp), the hops of the SSSP's path and their count, the node's edges and
// subnets, whether this node holds its key, and from the published tables the path MTU and
// the data plane's key ids.
//
// Subnet or address: every subnet of the same type that covers it (an address lies inside;
// a subnet lies entirely inside: same or shorter prefix), in the order packets are routed
// by (subnet_table.hpp: longest prefix, then address, then weight, lowest first, then
// owner), the one that wins (the first whose owner is reachable, as the route tables
// choose), and how its owner is reached. A MAC matches only itself. A weight in the query
// is ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/graph/graph.hpp"
#include "controlplane/io/unix_socket.hpp"
#include "shared/net/subnet.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::daemon {

struct InfoSources {
    const graph::Graph& graph;
    std::uint32_t own_options = 0;  // this node's ACK options
    // The tables last published to the data plane; null without a data plane.
    const tables::TablesView* published = nullptr;
    // Whether this node holds the key for sending to a node (from its ANS_KEY); unset: unknown.
    std::function<bool(std::string_view)> key_valid{};
};

[[nodiscard]] io::ControlResponse info(std::string_view what, const InfoSources& sources);

// The two halves, for a node that exists and for a parsed subnet. `address`: the query was
// an address (no prefix), which changes only the first line's key.
[[nodiscard]] std::vector<std::string> node_info(const graph::Node& node, const InfoSources& sources);
[[nodiscard]] std::vector<std::string> subnet_info(const net::Subnet& query, bool address,
                                                   const InfoSources& sources);

}  // namespace sluice::daemon
