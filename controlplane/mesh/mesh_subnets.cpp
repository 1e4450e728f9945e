// ADD_SUBNET and DEL_SUBNET (spec 3.2).
#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "shared/log/log.hpp"

namespace sluice::mesh {

using log::Level;

std::string Mesh::add_subnet_line(const std::string& owner, const net::Subnet& subnet) {
    return protocol::format_request(protocol::AddSubnetRequest{nonce(), owner, subnet});
}

std::string Mesh::del_subnet_line(const std::string& owner, const net::Subnet& subnet) {
    return protocol::format_request(protocol::DelSubnetRequest{nonce(), owner, subnet});
}

void Mesh::on_add_subnet(ConnectionId source, const protocol::AddSubnetRequest& req, const std::string& line,
                         Actions& out) {
    if (seen_.seen_before(line, now_)) {
        ++counters_.duplicate_requests;
        return;
    }
    if (req.owner == settings_.self_name) {
        // A stale copy of our subnets (tinc keeps those of unreachable nodes) is a no-op;
        // a subnet we do not have is retracted toward the sender.
        if (!graph_.has_subnet(req.owner, req.subnet)) {
            log::at(Level::requests, "Got ADD_SUBNET for our own subnet {} that we do not have; retracting",
                    req.subnet.to_display_string());
            out.emplace_back(SendLine{source, del_subnet_line(req.owner, req.subnet)});
        }
        return;
    }
    if (!graph_.add_subnet(req.owner, req.subnet)) return;  // already known
    const graph::Node* owner = graph_.find_node(req.owner);
    if (owner != nullptr && owner->reachable) subnet_script("subnet-up", req.owner, req.subnet, out);
    broadcast_line(line, source, out);
}

void Mesh::on_del_subnet(ConnectionId source, const protocol::DelSubnetRequest& req, const std::string& line,
                         Actions& out) {
    if (seen_.seen_before(line, now_)) {
        ++counters_.duplicate_requests;
        return;
    }
    if (!graph_.has_subnet(req.owner, req.subnet)) {
        log::at(Level::requests, "Got DEL_SUBNET for unknown subnet {} of {}", req.subnet.to_display_string(),
                req.owner);
        return;
    }
    if (req.owner == settings_.self_name) {
        log::at(Level::requests, "Got DEL_SUBNET for our own subnet {}; restoring it",
                req.subnet.to_display_string());
        out.emplace_back(SendLine{source, add_subnet_line(req.owner, req.subnet)});
        return;
    }
    broadcast_line(line, source, out);
    const graph::Node* owner = graph_.find_node(req.owner);
    if (owner != nullptr && owner->reachable) subnet_script("subnet-down", req.owner, req.subnet, out);
    graph_.remove_subnet(req.owner, req.subnet);
}

}  // namespace sluice::mesh
