#include "controlplane/mesh/mesh.hpp"

#include <fmt/format.h>

#include "controlplane/graph/mst.hpp"
#include "controlplane/graph/purge.hpp"
#include "controlplane/protocol/codec.hpp"
#include "shared/log/log.hpp"

namespace sluice::mesh {

using log::Level;

Mesh::Mesh(MeshSettings settings, crypto::Random& random)
    : settings_(std::move(settings)),
      random_(random),
      graph_(settings_.self_name),
      native_(settings_.self_name, settings_.native, key_settle_time, random) {}

std::uint32_t Mesh::nonce() {
    // tinc prints rand() (0..2^31-1) with %x; any value works, a fresh one per origination.
    return random_.next_u32() & 0x7fffffffu;
}

Actions Mesh::start() {
    Actions out;
    if (started_) return out;
    started_ = true;
    for (const auto& subnet : settings_.own_subnets) {
        if (graph_.add_subnet(settings_.self_name, subnet))
            subnet_script("subnet-up", settings_.self_name, subnet, out);
    }
    return out;
}

Actions Mesh::stop() {
    Actions out;
    for (const auto& subnet : graph_.subnets_of(settings_.self_name))
        subnet_script("subnet-down", settings_.self_name, subnet, out);
    return out;
}

Actions Mesh::set_own_subnets(const std::vector<net::Subnet>& subnets) {
    Actions out;
    const std::string& self = settings_.self_name;
    const graph::OwnedSubnets current = graph_.subnets_of(self);  // a copy: the loop edits the graph
    for (const auto& old : current) {
        if (std::find(subnets.begin(), subnets.end(), old) != subnets.end()) continue;
        broadcast_line(del_subnet_line(self, old), 0, out);
        subnet_script("subnet-down", self, old, out);
        graph_.remove_subnet(self, old);
    }
    for (const auto& fresh : subnets) {
        if (!graph_.add_subnet(self, fresh)) continue;
        broadcast_line(add_subnet_line(self, fresh), 0, out);
        subnet_script("subnet-up", self, fresh, out);
    }
    settings_.own_subnets = subnets;
    return out;
}

const NodeKeys* Mesh::keys_of(const std::string& node) const {
    auto it = keys_.find(node);
    return it == keys_.end() ? nullptr : &it->second;
}

const Neighbour* Mesh::neighbour_by_name(const std::string& name) const {
    for (const auto& [id, n] : neighbours_)
        if (n.name == name) return &n;
    return nullptr;
}

std::optional<ConnectionId> Mesh::nexthop_connection(const std::string& node) const {
    const graph::Node* n = graph_.find_node(node);
    if (n == nullptr || !n->reachable || n->nexthop.empty()) return std::nullopt;
    const Neighbour* via = neighbour_by_name(n->nexthop);
    if (via == nullptr) return std::nullopt;
    return via->id;
}

void Mesh::broadcast_line(const std::string& line, ConnectionId except, Actions& out) {
    for (const auto& [id, n] : neighbours_)
        if (id != except) out.emplace_back(SendLine{id, line});
}

Actions Mesh::connection_activated(ConnectionId id, const session::Activated& activated,
                                   const std::string& peer_address, bool outgoing, TimePoint now) {
    Actions out;
    now_ = now;  // nodes that become reachable here start their key settle time now
    for (auto it = neighbours_.begin(); it != neighbours_.end(); ++it) {
        if (it->second.name == activated.peer && it->first != id) {
            log::at(Level::connections, "Established a second connection with {}, closing old connection",
                    activated.peer);
            out.emplace_back(CloseConnection{it->first, "replaced by a newer connection"});
            neighbours_.erase(it);
            break;
        }
    }
    Neighbour& n = neighbours_[id];
    n.id = id;
    n.name = activated.peer;
    n.address = peer_address;
    n.port = activated.peer_port;
    n.options = activated.options;
    n.weight = activated.edge_weight;
    n.last_ping = now;
    n.pinged = false;
    n.outgoing = outgoing;
    log::at(Level::connections, "Connection with {} ({} port {}) activated", n.name, n.address, n.port);
    seen_.forget_originated_by(n.name);

    send_snapshot(id, out);

    graph::Edge edge{settings_.self_name, activated.peer,    peer_address,
                     activated.peer_port, activated.options, activated.edge_weight};
    if (!graph_.add_edge(edge)) graph_.update_edge(edge);
    broadcast_line(add_edge_line(edge), 0, out);
    run_graph(out);
    return out;
}

Actions Mesh::connection_closed(ConnectionId id, TimePoint) {
    Actions out;
    auto it = neighbours_.find(id);
    if (it == neighbours_.end()) return out;
    const std::string peer = it->second.name;
    neighbours_.erase(it);
    log::at(Level::connections, "Closing connection with {}", peer);

    if (graph_.find_edge(settings_.self_name, peer) != nullptr) {
        broadcast_line(del_edge_line(settings_.self_name, peer), 0, out);
        graph_.remove_edge(settings_.self_name, peer);
        run_graph(out);
        const graph::Node* node = graph_.find_node(peer);
        if (node != nullptr && !node->reachable && graph_.find_edge(peer, settings_.self_name) != nullptr) {
            // The peer cannot say it lost us any more; say it on its behalf.
            broadcast_line(del_edge_line(peer, settings_.self_name), 0, out);
            graph_.remove_edge(peer, settings_.self_name);
        }
    }
    if (neighbours_.empty()) purge(out);
    return out;
}

void Mesh::send_snapshot(ConnectionId to, Actions& out) {
    for (const auto& [name, node] : graph_.nodes()) {
        for (const auto& subnet : graph_.subnets_of(name))
            out.emplace_back(SendLine{to, add_subnet_line(name, subnet)});
        for (const auto& [dest, edge] : graph_.edges_of(name))
            out.emplace_back(SendLine{to, add_edge_line(edge)});
    }
}

void Mesh::run_graph(Actions& out) {
    graph::Changes changes = graph::run_sssp(graph_);
    for (const auto& change : changes.reachability) {
        if (change.became_reachable)
            node_became_reachable(change, out);
        else
            node_became_unreachable(change, out);
    }
    mst_neighbours_ = graph::compute_mst(graph_).mst_neighbours;
}

void Mesh::node_became_reachable(const graph::ReachabilityChange& change, Actions& out) {
    log::at(Level::status, "Node {} ({} port {}) became reachable", change.name,
            change.udp_address.empty() ? "unknown" : change.udp_address, change.udp_port);
    NodeKeys& keys = keys_[change.name];
    keys.outbound.reset();
    keys.last_req_key = {};
    keys.awaiting_ans_key = false;
    keys.reachable_since = now_;
    native_.node_reachable(change.name, now_);
    std::vector<std::pair<std::string, std::string>> env{
        {"NODE", change.name}, {"REMOTEADDRESS", change.udp_address}, {"REMOTEPORT", change.udp_port}};
    out.emplace_back(RunScript{"host-up", env});
    out.emplace_back(RunScript{fmt::format("hosts/{}-up", change.name), env});
    for (const auto& subnet : graph_.subnets_of(change.name))
        subnet_script("subnet-up", change.name, subnet, out);
    if (neighbour_by_name(change.name) != nullptr) send_ans_key(change.name, out);
}

void Mesh::node_became_unreachable(const graph::ReachabilityChange& change, Actions& out) {
    log::at(Level::status, "Node {} became unreachable", change.name);
    NodeKeys& keys = keys_[change.name];
    keys.outbound.reset();
    keys.inbound.reset();
    keys.last_req_key = {};
    keys.awaiting_ans_key = false;
    native_.node_unreachable(change.name);
    std::vector<std::pair<std::string, std::string>> env{
        {"NODE", change.name}, {"REMOTEADDRESS", change.udp_address}, {"REMOTEPORT", change.udp_port}};
    out.emplace_back(RunScript{"host-down", env});
    out.emplace_back(RunScript{fmt::format("hosts/{}-down", change.name), env});
    for (const auto& subnet : graph_.subnets_of(change.name))
        subnet_script("subnet-down", change.name, subnet, out);
}

void Mesh::subnet_script(const char* script, const std::string& owner, const net::Subnet& subnet,
                         Actions& out) {
    std::string text = subnet.to_string();
    text = text.substr(0, text.find('#'));  // SUBNET carries no weight; WEIGHT does
    std::vector<std::pair<std::string, std::string>> env{
        {"NODE", owner}, {"SUBNET", text}, {"WEIGHT", std::to_string(subnet.weight)}};
    if (owner != settings_.self_name) {
        if (const graph::Node* n = graph_.find_node(owner); n != nullptr && n->has_udp_address()) {
            env.emplace_back("REMOTEADDRESS", n->udp_address);
            env.emplace_back("REMOTEPORT", n->udp_port);
        }
    }
    out.emplace_back(RunScript{script, std::move(env)});
}

void Mesh::purge(Actions& out) {
    graph::PurgePlan plan = graph::purge_plan(graph_);
    if (plan.nodes.empty()) return;
    log::at(Level::status, "Purging unreachable nodes");
    for (const auto& node : plan.nodes) {
        for (const auto& subnet : node.subnets) broadcast_line(del_subnet_line(node.name, subnet), 0, out);
        for (const auto& edge : node.edges) broadcast_line(del_edge_line(edge.from, edge.to), 0, out);
    }
    graph::apply_purge(graph_, plan);
    for (const auto& name : plan.deleted_nodes) keys_.erase(name);
}

Actions Mesh::request_received(ConnectionId id, const session::ReceivedRequest& received, TimePoint now) {
    Actions out;
    if (!neighbours_.contains(id)) return out;
    now_ = now;
    std::visit(
        [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, protocol::PingRequest>) {
                on_ping(id, out);
            } else if constexpr (std::is_same_v<T, protocol::PongRequest>) {
                on_pong(id);
            } else if constexpr (std::is_same_v<T, protocol::AddEdgeRequest>) {
                on_add_edge(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::DelEdgeRequest>) {
                on_del_edge(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::AddSubnetRequest>) {
                on_add_subnet(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::DelSubnetRequest>) {
                on_del_subnet(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::KeyChangedRequest>) {
                on_key_changed(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::ReqKeyRequest>) {
                on_req_key(id, r, received.line, out);
            } else if constexpr (std::is_same_v<T, protocol::AnsKeyRequest>) {
                on_ans_key(id, r, received.line, now, out);
            } else {
                // The connection handles the handshake requests and PACKET itself.
            }
        },
        received.request);
    return out;
}

}  // namespace sluice::mesh
