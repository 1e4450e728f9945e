// PACKET forwarding by subnet (spec 3.6, 5.9): frames that arrive over a meta connection
// go to this node's device, or over the meta connection toward the owner of the
// destination, or along the broadcast tree.
#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "shared/log/log.hpp"

namespace sluice::mesh {

namespace {

constexpr std::size_t ethernet_header = 14;
constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

}  // namespace

Actions Mesh::packet_received(ConnectionId source, std::span<const std::uint8_t> frame) {
    if (!neighbours_.contains(source)) return {};
    return route_frame(source, frame);
}

Actions Mesh::route_local_frame(std::span<const std::uint8_t> frame) {
    return route_frame(0, frame);
}

Actions Mesh::request_key(const std::string& name, TimePoint now, bool force) {
    Actions out;
    now_ = now;
    const graph::Node* node = graph_.find_node(name);
    if (node == nullptr || !node->reachable || name == settings_.self_name) return out;
    NodeKeys& keys = keys_[name];
    if (!force && keys.last_req_key != TimePoint{} && now_ - keys.last_req_key < seconds(10)) return out;
    auto next = nexthop_connection(name);
    if (!next) return out;
    keys.last_req_key = now_;
    keys.awaiting_ans_key = true;
    out.emplace_back(
        SendLine{*next, protocol::format_request(protocol::ReqKeyRequest{settings_.self_name, name})});
    return out;
}

Actions Mesh::broadcast_from(const std::string& from, std::span<const std::uint8_t> frame) {
    Actions out;
    std::vector<std::uint8_t> copy(frame.begin(), frame.end());
    for (const auto& [id, n] : neighbours_)
        if (n.name != from && mst_neighbours_.contains(n.name)) out.emplace_back(SendPacket{id, copy});
    return out;
}

// source 0: the frame comes from this node (the data plane could not send it over UDP).
Actions Mesh::route_frame(ConnectionId source, std::span<const std::uint8_t> frame) {
    Actions out;
    if (frame.size() < ethernet_header) {
        ++counters_.packets_dropped_too_short;
        return out;
    }
    const std::uint16_t type = static_cast<std::uint16_t>(frame[12] << 8 | frame[13]);
    std::optional<graph::SubnetMatch> match;
    bool broadcast = false;
    if (type == ethertype_ipv4) {
        if (frame.size() < ethernet_header + 20) {
            ++counters_.packets_dropped_too_short;
            return out;
        }
        net::Ipv4Address dst;
        std::copy_n(frame.begin() + ethernet_header + 16, 4, dst.bytes.begin());
        broadcast =
            (dst.bytes[0] & 0xf0) == 0xe0 || dst.bytes == std::array<std::uint8_t, 4>{255, 255, 255, 255};
        if (!broadcast) match = graph_.subnets().lookup(dst);
    } else if (type == ethertype_ipv6) {
        if (frame.size() < ethernet_header + 40) {
            ++counters_.packets_dropped_too_short;
            return out;
        }
        net::Ipv6Address dst;
        std::copy_n(frame.begin() + ethernet_header + 24, 16, dst.bytes.begin());
        broadcast = dst.bytes[0] == 0xff;
        if (!broadcast) match = graph_.subnets().lookup(dst);
    } else {
        // Includes type 0: PMTU probes are never valid over TCP (spec 5.6).
        ++counters_.packets_dropped_unknown_type;
        log::at(log::Level::traffic, "Dropping PACKET with unknown type {:04x}", type);
        return out;
    }

    std::vector<std::uint8_t> copy(frame.begin(), frame.end());
    if (broadcast) {
        if (source != 0) out.emplace_back(DeliverFrame{copy});
        for (const auto& [id, n] : neighbours_)
            if (id != source && mst_neighbours_.contains(n.name)) out.emplace_back(SendPacket{id, copy});
        ++counters_.packets_forwarded;
        return out;
    }
    if (!match) {
        ++counters_.packets_dropped_no_subnet;
        return out;
    }
    if (match->owner->name == settings_.self_name) {
        if (source == 0) {
            ++counters_.packets_dropped_loop;
            return out;
        }
        ++counters_.packets_delivered;
        out.emplace_back(DeliverFrame{std::move(copy)});
        return out;
    }
    if (!match->owner_reachable) {
        ++counters_.packets_dropped_unreachable;
        return out;
    }
    auto next = nexthop_connection(match->owner->name);
    if (!next) {
        ++counters_.packets_dropped_unreachable;
        return out;
    }
    if (*next == source) {
        ++counters_.packets_dropped_loop;
        return out;
    }
    ++counters_.packets_forwarded;
    out.emplace_back(SendPacket{*next, std::move(copy)});
    return out;
}

}  // namespace sluice::mesh
