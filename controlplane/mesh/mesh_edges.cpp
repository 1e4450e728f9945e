// ADD_EDGE and DEL_EDGE (spec 3.1).
#include <fmt/format.h>

#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "shared/log/log.hpp"

namespace sluice::mesh {

using log::Level;

std::string Mesh::add_edge_line(const graph::Edge& edge) {
    return protocol::format_request(protocol::AddEdgeRequest{nonce(), edge.from, edge.to, edge.address,
                                                             edge.port, edge.options, edge.weight});
}

std::string Mesh::del_edge_line(const std::string& from, const std::string& to) {
    return protocol::format_request(protocol::DelEdgeRequest{nonce(), from, to});
}

void Mesh::on_add_edge(ConnectionId source, const protocol::AddEdgeRequest& req, const std::string& line,
                       Actions& out) {
    if (req.from == req.to) {
        out.emplace_back(CloseConnection{source, fmt::format("ADD_EDGE from {} to itself", req.from)});
        return;
    }
    if (seen_.seen_before(line, now_)) {
        ++counters_.duplicate_requests;
        return;
    }
    const graph::Edge wanted{req.from, req.to, req.address, req.port, req.options, req.weight};
    const std::string& self = settings_.self_name;
    if (const graph::Edge* existing = graph_.find_edge(req.from, req.to)) {
        if (existing->weight == wanted.weight && existing->options == wanted.options &&
            existing->address == wanted.address && existing->port == wanted.port)
            return;
        if (req.from == self) {
            // Someone has an outdated picture of our own edge: correct that neighbour only.
            log::at(Level::requests, "Got ADD_EDGE for our own edge {} -> {} that differs; correcting",
                    req.from, req.to);
            out.emplace_back(SendLine{source, add_edge_line(*existing)});
            return;
        }
        graph_.update_edge(wanted);
    } else {
        if (req.from == self) {
            ++counters_.contradicting_add_edge;
            log::at(Level::requests, "Got ADD_EDGE for our own edge {} -> {} that does not exist; retracting",
                    req.from, req.to);
            out.emplace_back(SendLine{source, del_edge_line(req.from, req.to)});
            return;
        }
        graph_.add_edge(wanted);
    }
    broadcast_line(line, source, out);
    run_graph(out);
}

void Mesh::on_del_edge(ConnectionId source, const protocol::DelEdgeRequest& req, const std::string& line,
                       Actions& out) {
    if (seen_.seen_before(line, now_)) {
        ++counters_.duplicate_requests;
        return;
    }
    const std::string& self = settings_.self_name;
    const graph::Edge* existing = graph_.find_edge(req.from, req.to);
    if (existing == nullptr) {
        log::at(Level::requests, "Got DEL_EDGE for unknown edge {} -> {}", req.from, req.to);
        return;
    }
    if (req.from == self) {
        ++counters_.contradicting_del_edge;
        log::at(Level::requests, "Got DEL_EDGE for our own edge {} -> {}; restoring it", req.from, req.to);
        out.emplace_back(SendLine{source, add_edge_line(*existing)});
        return;
    }
    broadcast_line(line, source, out);
    graph_.remove_edge(req.from, req.to);
    run_graph(out);
    const graph::Node* to = graph_.find_node(req.to);
    if (to != nullptr && !to->reachable && graph_.find_edge(req.to, self) != nullptr) {
        broadcast_line(del_edge_line(req.to, self), 0, out);
        graph_.remove_edge(req.to, self);
    }
}

}  // namespace sluice::mesh
