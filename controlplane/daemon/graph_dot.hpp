// The mesh as this node sees it, in Graphviz DOT (`sluicectl dump graph | dot -Tsvg`). Pure.
//
// Drawn:
//  * every known node, with how this node's packets reach it under its name (the words of
//    `dump peers`: udp, udp via B, tcp via B, unreachable); this node has a double border,
//    direct UDP is green, UDP through a relay yellow, TCP orange, unreachable nodes grey and
//    dashed;
//  * every edge tinc knows, labelled with its weight (and indirect/tcponly when set). The two
//    directions of a link become one arrow with dir=both when they agree on weight and
//    those options; otherwise each is drawn. An edge without its reverse is grey and marked
//    "one way": it does not count for routing;
//  * how packets travel where they do not follow the node's own edge: a dashed blue arrow
//    from a node to the relay its UDP goes to, a dotted orange arrow to the neighbour whose
//    meta connection carries its TCP. These do not steer the layout (constraint=false).
// Nodes in name order and edges in (from, to) order, so the text is stable for diffs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/graph/graph.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::daemon {

// `published`: the tables last published to the data plane, or null (paths then follow the
// graph alone, see node_path.hpp).
[[nodiscard]] std::string graph_dot(const graph::Graph& graph, std::uint32_t own_options,
                                    const tables::TablesView* published);

// A DOT ID in double quotes, with '"' and '\' escaped.
[[nodiscard]] std::string dot_id(std::string_view name);

}  // namespace sluice::daemon
