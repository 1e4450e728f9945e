#include "controlplane/daemon/node_path.hpp"

#include "controlplane/protocol/constants.hpp"

namespace sluice::daemon {

NodePath path_from_graph(const graph::Graph& graph, std::string_view name, std::uint32_t own_options) {
    NodePath path;
    if (name == graph.self_name()) {
        path.kind = PathKind::self;
        return path;
    }
    const graph::Node* node = graph.find_node(name);
    if (node == nullptr || !node->reachable) return path;
    path.nexthop = node->nexthop;
    // via == myself means the first hop was INDIRECT: UDP goes to the next hop.
    const std::string& target_name = node->via == graph.self_name() ? node->nexthop : node->via;
    const graph::Node* target = graph.find_node(target_name);
    path.kind = PathKind::tcp;
    if (target != nullptr && ((own_options | target->options) & protocol::option_tcponly) != 0) {
        path.tcp_reason = TcpReason::tcp_only;
    } else if (target == nullptr || !target->has_udp_address()) {
        path.tcp_reason = TcpReason::no_udp_address;
    } else {
        path.kind = PathKind::udp;
        path.relay = target_name;
    }
    return path;
}

NodePath path_from_tables(const tables::TablesView& view, std::uint32_t index) {
    namespace pf = tables::peer_flags;
    NodePath path;
    const tables::PeerRecord& p = view.peer(index);
    if ((p.flags & pf::self) != 0) {
        path.kind = PathKind::self;
        return path;
    }
    if ((p.flags & pf::reachable) == 0) return path;
    const std::uint32_t via_index = p.via_index == view.self_index() ? p.nexthop_index : p.via_index;
    const tables::PeerRecord& via = view.peer(via_index);
    path.nexthop = std::string(view.name(view.peer(p.nexthop_index)));
    if ((via.flags & pf::tcp_only) != 0 || !via.endpoint.valid()) {
        path.kind = PathKind::tcp;
        path.tcp_reason = (via.flags & pf::tcp_only) != 0 ? TcpReason::tcp_only : TcpReason::no_udp_address;
    } else if ((via.flags & pf::pmtu_discovery) != 0 && via.min_mtu == 0) {
        // No probe has come back from the UDP target: its frames go to the next hop.
        if (via_index == p.nexthop_index) {
            path.kind = PathKind::tcp;
            path.tcp_reason = TcpReason::probing;
        } else {
            path.kind = PathKind::udp;
            path.relay = path.nexthop;
            path.probing = std::string(view.name(via));
        }
    } else {
        path.kind = PathKind::udp;
        path.relay = std::string(view.name(via));
    }
    return path;
}

NodePath node_path(const graph::Graph& graph, std::string_view name, std::uint32_t own_options,
                   const tables::TablesView* published) {
    if (published != nullptr) {
        const std::uint32_t index = published->find_name(name);
        if (index != tables::kNoIndex) return path_from_tables(*published, index);
    }
    return path_from_graph(graph, name, own_options);
}

std::string short_path(const NodePath& path, std::string_view name) {
    switch (path.kind) {
        case PathKind::self:
            return "self";
        case PathKind::unreachable:
            return "unreachable";
        case PathKind::tcp:
            return "tcp via " + path.nexthop + (path.tcp_reason == TcpReason::probing ? " (probing)" : "");
        case PathKind::udp:
            if (path.relay == name) return "udp";
            return "udp via " + path.relay + (path.probing.empty() ? "" : " (probing " + path.probing + ")");
    }
    return {};
}

std::string describe_path(const NodePath& path, std::string_view name) {
    switch (path.kind) {
        case PathKind::self:
            return "this node";
        case PathKind::unreachable:
            return "unreachable";
        case PathKind::udp:
            if (path.relay == name) return "direct UDP";
            return "UDP through relay " + path.relay +
                   (path.probing.empty() ? "" : " (no path MTU probe reply from " + path.probing + ")");
        case PathKind::tcp: {
            std::string why;
            switch (path.tcp_reason) {
                case TcpReason::tcp_only:
                    why = " (TCPOnly)";
                    break;
                case TcpReason::no_udp_address:
                    why = " (no UDP address known)";
                    break;
                case TcpReason::probing:
                    why = " (no path MTU probe reply)";
                    break;
                case TcpReason::none:
                    break;
            }
            return "TCP through the meta connection to " + path.nexthop + why;
        }
    }
    return {};
}

}  // namespace sluice::daemon
