#include "controlplane/daemon/graph_dot.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "controlplane/daemon/node_path.hpp"
#include "controlplane/protocol/constants.hpp"

namespace sluice::daemon {

namespace {

// What the operator needs from an edge's options on the drawing: the bits that change paths.
std::string edge_label(const graph::Edge& e) {
    std::string label = std::to_string(e.weight);
    if ((e.options & protocol::option_indirect) != 0) label += " indirect";
    if ((e.options & protocol::option_tcponly) != 0) label += " tcponly";
    return label;
}

std::string escaped(std::string_view text) {
    std::string out;
    for (char ch : text) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out;
}

// Two lines: the name, and how packets reach the node.
std::string node_line(std::string_view name, const NodePath& path) {
    const std::string id = dot_id(name);
    const std::string label =
        fmt::format("label=\"{}\\n{}\"", escaped(name),
                    path.kind == PathKind::self ? "this node" : escaped(short_path(path, name)));
    switch (path.kind) {
        case PathKind::self:
            return fmt::format("  {} [{}, peripheries=2, fillcolor=\"lightblue\"];", id, label);
        case PathKind::unreachable:
            return fmt::format("  {} [{}, style=\"rounded,dashed\", color=\"gray50\", fontcolor=\"gray50\"];",
                               id, label);
        case PathKind::udp:
            return fmt::format("  {} [{}, fillcolor=\"{}\"];", id, label,
                               path.relay == name ? "palegreen" : "khaki");
        case PathKind::tcp:
            return fmt::format("  {} [{}, fillcolor=\"lightsalmon\"];", id, label);
    }
    return {};
}

}  // namespace

std::string dot_id(std::string_view name) {
    return '"' + escaped(name) + '"';
}

std::string graph_dot(const graph::Graph& g, std::uint32_t own_options, const tables::TablesView* published) {
    std::string out;
    auto line = [&out](std::string_view text) {
        out += text;
        out += '\n';
    };
    line("digraph \"sluice\" {");
    line(fmt::format("  // The mesh as {} sees it: `sluicectl dump graph | dot -Tsvg > mesh.svg`.",
                     g.self_name()));
    line(fmt::format("  graph [label={}, labelloc=t, fontname=\"Helvetica\"];",
                     dot_id("mesh seen by " + g.self_name())));
    line("  node [shape=box, style=\"rounded,filled\", fillcolor=\"white\", fontname=\"Helvetica\"];");
    line("  edge [fontname=\"Helvetica\", fontsize=10];");

    line("  // Nodes: green direct UDP, yellow UDP through a relay, orange TCP, grey unreachable.");
    std::vector<std::pair<std::string, NodePath>> paths;
    for (const auto& [name, node] : g.nodes()) {
        NodePath path = node_path(g, name, own_options, published);
        line(node_line(name, path));
        paths.emplace_back(name, std::move(path));
    }

    line("  // Edges, labelled with their weight.");
    for (const auto& [from, node] : g.nodes()) {
        for (const auto& [to, e] : g.edges_of(from)) {
            const graph::Edge* reverse = g.reverse_of(e);
            if (reverse == nullptr) {
                line(fmt::format(
                    "  {} -> {} [label=\"{} (one way)\", color=\"gray50\", fontcolor=\"gray50\"];",
                    dot_id(from), dot_id(to), edge_label(e)));
                continue;
            }
            const bool merge = edge_label(*reverse) == edge_label(e);
            if (merge && to < from) continue;  // drawn with the other direction
            line(fmt::format("  {} -> {} [{}label=\"{}\"];", dot_id(from), dot_id(to),
                             merge ? "dir=both, " : "", edge_label(e)));
        }
    }

    line("  // How packets travel: dashed = UDP through a relay, dotted = TCP through a meta connection.");
    for (const auto& [name, path] : paths) {
        if (path.relayed(name)) {
            line(fmt::format(
                "  {} -> {} [style=dashed, color=\"blue\", fontcolor=\"blue\", label=\"udp via\", "
                "constraint=false];",
                dot_id(name), dot_id(path.relay)));
        } else if (path.kind == PathKind::tcp && path.nexthop != name) {
            line(
                fmt::format("  {} -> {} [style=dotted, color=\"darkorange\", fontcolor=\"darkorange\", "
                            "label=\"tcp via\", constraint=false];",
                            dot_id(name), dot_id(path.nexthop)));
        }
    }
    line("}");
    return out;
}

}  // namespace sluice::daemon
