#include "controlplane/dataplane/tables_builder.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <limits>

#include "controlplane/protocol/constants.hpp"
#include "shared/log/log.hpp"

namespace sluice::dataplane_link {

namespace {

bool same_key(const tables::LegacyKeyRecord& a, const tables::LegacyKeyRecord& b) {
    return a.cipher_nid == b.cipher_nid && a.digest_nid == b.digest_nid && a.mac_length == b.mac_length &&
           a.compression == b.compression && a.key_length == b.key_length && a.key == b.key;
}

}  // namespace

tables::Endpoint parse_endpoint(const std::string& address, const std::string& port) {
    tables::Endpoint e{};
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return e;
    if (::inet_pton(AF_INET, address.c_str(), e.address.data()) == 1) {
        e.family = tables::EndpointFamily::ipv4;
    } else if (::inet_pton(AF_INET6, address.c_str(), e.address.data()) == 1) {
        e.family = tables::EndpointFamily::ipv6;
    } else {
        e.address = {};
        return e;
    }
    e.port = static_cast<std::uint16_t>(value);
    return e;
}

std::uint32_t TablesBuilder::node_id(const std::string& name) {
    auto it = node_ids_.find(name);
    if (it != node_ids_.end()) return it->second;
    const std::uint32_t id = next_node_id_++;
    node_ids_.emplace(name, id);
    names_.emplace(id, name);
    return id;
}

std::string TablesBuilder::name_of(std::uint32_t id) const {
    auto it = names_.find(id);
    return it == names_.end() ? std::string() : it->second;
}

tables::LegacyKeyRecord TablesBuilder::key_record(const std::optional<meta::LegacyKey>& key,
                                                  KeyState& state) {
    if (!key) {
        state = {};
        return {};
    }
    tables::LegacyKeyRecord r{};
    r.cipher_nid = key->cipher_nid();
    r.digest_nid = key->digest_nid();
    r.mac_length = static_cast<std::uint16_t>(key->mac_length());
    r.compression = static_cast<std::uint8_t>(key->compression());
    const auto material = key->material();
    r.key_length = static_cast<std::uint8_t>(std::min(material.size(), tables::kMaxLegacyKeyBytes));
    std::memcpy(r.key.data(), material.data(), r.key_length);
    if (state.id == 0 || !same_key(state.record, r)) {
        state.id = next_key_id_++;
        state.record = r;
    }
    r.key_id = state.id;
    return r;
}

tables::TablesInput TablesBuilder::build(const mesh::Mesh& mesh, TimePoint now) {
    tables::TablesInput in;
    std::map<std::string, Remembered, std::less<>> usable;
    std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, std::uint64_t> seen_sessions;
    const graph::Graph& g = mesh.graph();
    in.self_name = g.self_name();
    for (const auto& [name, node] : g.nodes()) {
        tables::NodeInput n;
        n.name = name;
        n.node_id = node_id(name);
        const bool self = name == g.self_name();
        if (node.reachable || self) n.flags |= tables::peer_flags::reachable;
        const std::uint32_t options = self ? settings_.own_options : node.options | settings_.own_options;
        if ((options & protocol::option_tcponly) != 0) n.flags |= tables::peer_flags::tcp_only;
        if ((node.options & protocol::option_pmtu_discovery) != 0)
            n.flags |= tables::peer_flags::pmtu_discovery;
        if ((node.options & protocol::option_clamp_mss) != 0) n.flags |= tables::peer_flags::clamp_mss;
        if (node.indirect) n.flags |= tables::peer_flags::indirect;
        // An unreachable node keeps no path: its via/nexthop may name nodes long gone.
        if (node.reachable && !self) {
            if (g.find_node(node.via) != nullptr) n.via = node.via;
            if (g.find_node(node.nexthop) != nullptr) n.nexthop = node.nexthop;
        }
        n.mtu = settings_.default_mtu;
        if (node.reachable && node.has_udp_address())
            n.endpoint = parse_endpoint(node.udp_address, node.udp_port);
        const mesh::NodeKeys* keys = mesh.keys_of(name);
        static const std::optional<meta::LegacyKey> none;
        n.in_key = key_record(keys != nullptr ? keys->inbound : none, inbound_[name]);
        n.out_key = key_record(keys != nullptr ? keys->outbound : none, outbound_[name]);
        if (!self) update_pmtu(name, n, now);
        if (!self && node.reachable && n.in_key.present() && n.out_key.present() && n.endpoint.valid() &&
            (n.flags & tables::peer_flags::tcp_only) == 0) {
            const auto& owned = g.subnets_of(name);
            usable[name] = Remembered{n, std::vector<net::Subnet>(owned.begin(), owned.end()), {}};
        }
        in.nodes.push_back(std::move(n));
        const std::size_t first_session = in.native_sessions.size();
        if (!self && node.reachable) add_native_sessions(mesh, name, in, seen_sessions);
        if (auto it = usable.find(name); it != usable.end())
            it->second.native.assign(in.native_sessions.begin() + static_cast<std::ptrdiff_t>(first_session),
                                     in.native_sessions.end());
    }
    session_ids_ = std::move(seen_sessions);
    // Nodes that lost their path since the last build start lingering; nodes back in the mesh
    // with a path, and lingerers whose time is up, stop.
    for (auto& [name, r] : usable_) {
        if (usable.contains(name) || lingering_.contains(name)) continue;
        r.until = now + settings_.linger;
        r.node.via.clear();
        r.node.nexthop.clear();
        lingering_.emplace(name, std::move(r));
    }
    usable_ = std::move(usable);
    std::erase_if(lingering_,
                  [&](const auto& kv) { return usable_.contains(kv.first) || now >= kv.second.until; });
    for (const auto& [name, r] : lingering_) {
        auto it =
            std::find_if(in.nodes.begin(), in.nodes.end(), [&](const auto& n) { return n.name == name; });
        if (it == in.nodes.end()) {
            in.nodes.push_back(r.node);
        } else {
            *it = r.node;
        }
        for (const auto& session : r.native) {
            const bool known =
                std::any_of(in.native_sessions.begin(), in.native_sessions.end(), [&](const auto& s) {
                    return s.session_id == session.session_id || s.local_index == session.local_index;
                });
            if (!known) in.native_sessions.push_back(session);
        }
        for (const auto& subnet : r.subnets) {
            const bool known = std::any_of(in.subnets.begin(), in.subnets.end(), [&](const auto& s) {
                return s.owner == name && s.subnet == subnet;
            });
            if (!known) in.subnets.push_back({subnet, name});
        }
    }
    for (const net::SubnetType type : {net::SubnetType::ipv4, net::SubnetType::ipv6}) {
        for (const auto& entry : g.subnets().entries(type)) {
            in.subnets.push_back({entry.subnet, entry.owner->name});
        }
    }
    return in;
}

void TablesBuilder::add_native_sessions(
    const mesh::Mesh& mesh, const std::string& name, tables::TablesInput& in,
    std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, std::uint64_t>& seen) {
    const native::KxPeer* peer = mesh.native_sessions().peer(name);
    if (peer == nullptr) return;
    const native::NativeKeys* send = peer->send_keys();
    std::vector<const native::NativeKeys*> sessions = peer->receive_keys();
    if (send != nullptr && std::find(sessions.begin(), sessions.end(), send) == sessions.end())
        sessions.push_back(send);
    for (const native::NativeKeys* keys : sessions) {
        if (keys->send_keys.empty() || keys->receive_keys.empty()) continue;
        const auto key = std::make_tuple(name, keys->local_index,
                                         static_cast<std::int64_t>(keys->created.time_since_epoch().count()));
        auto known = session_ids_.find(key);
        const std::uint64_t id = known != session_ids_.end() ? known->second : next_session_id_++;
        seen[key] = id;
        tables::NativeSessionInput s;
        s.node = name;
        s.session_id = id;
        s.local_index = keys->local_index;
        s.remote_index = keys->remote_index;
        s.suite = static_cast<std::uint8_t>(keys->suite);
        if (keys == send) s.flags |= tables::native_flags::send;
        if (keys == peer->next()) s.flags |= tables::native_flags::confirm;
        if (keys->role == native::KxRole::initiator) s.flags |= tables::native_flags::initiator;
        auto copy = [](const std::vector<crypto::SecretBuffer>& from,
                       std::vector<std::array<std::uint8_t, tables::kNativeKeyBytes>>& to) {
            for (const auto& k : from) {
                std::array<std::uint8_t, tables::kNativeKeyBytes> bytes{};
                std::copy_n(k.data(), std::min(k.size(), bytes.size()), bytes.begin());
                to.push_back(bytes);
            }
        };
        copy(keys->send_keys, s.send_keys);
        copy(keys->receive_keys, s.receive_keys);
        in.native_sessions.push_back(std::move(s));
    }
}

void TablesBuilder::update_pmtu(const std::string& name, tables::NodeInput& n, TimePoint now) {
    if ((n.flags & tables::peer_flags::pmtu_discovery) == 0 ||
        (n.flags & tables::peer_flags::reachable) == 0 || !n.endpoint.valid() || !n.out_key.present()) {
        pmtu_.erase(name);
        return;
    }
    Pmtu& p = pmtu_[name];
    if (p.max == 0 || !(p.endpoint == n.endpoint)) {
        // A new path: discovery starts over. A new key on the same path keeps what was found
        // (tinc 1.0.36 probes again on ANS_KEY only while it has not started probing).
        p = Pmtu{};
        p.max = settings_.default_mtu;
        p.endpoint = n.endpoint;
        p.last_change = now;
    }
    // tinc fixes the MTU after its bursts stop raising minmtu; here: 2 s (two bursts) without
    // news once a probe has come back at all. Until then frames above min go by the next hop
    // or TCP.
    if (!p.fixed && p.min > 0 && (p.min >= p.max || now - p.last_change >= seconds(2))) {
        p.fixed = true;
        p.max = p.min;
        log::at(log::Level::traffic, "Fixing MTU of {} to {}", name, p.min);
    }
    n.min_mtu = p.min;
    n.max_mtu = p.max;
    n.mtu = p.fixed ? p.min : settings_.default_mtu;
}

void TablesBuilder::pmtu_result(const std::string& name, std::uint16_t came_back, std::uint16_t too_big,
                                TimePoint now) {
    auto it = pmtu_.find(name);
    if (it == pmtu_.end() || it->second.fixed) return;
    Pmtu& p = it->second;
    if (too_big != 0 && too_big < p.max) {
        p.max = std::max(too_big, p.min);
        p.last_change = now;
    }
    if (came_back > p.min) {
        p.min = std::min(came_back, p.max);
        p.last_change = now;
    }
}

void TablesBuilder::continue_numbering(const Numbering& from) {
    if (from.next_node_id <= std::numeric_limits<std::uint32_t>::max())
        next_node_id_ = std::max(next_node_id_, static_cast<std::uint32_t>(from.next_node_id));
    next_key_id_ = std::max(next_key_id_, from.next_key_id);
    next_session_id_ = std::max(next_session_id_, from.next_session_id);
}

void TablesBuilder::adopt(const tables::TablesView& published) {
    for (const auto& session : published.native_sessions())
        next_session_id_ = std::max(next_session_id_, session.session_id + 1);
    for (const auto& peer : published.peers()) {
        const std::string name(published.name(peer));
        node_ids_[name] = peer.node_id;
        names_[peer.node_id] = name;
        next_node_id_ = std::max(next_node_id_, peer.node_id + 1);
        next_key_id_ = std::max({next_key_id_, peer.in_key.key_id + 1, peer.out_key.key_id + 1});
        // What the previous control plane found out about the path stays true: starting
        // discovery over would send large frames as PACKET for seconds after a restart.
        if ((peer.flags & tables::peer_flags::pmtu_discovery) != 0 && peer.min_mtu > 0 &&
            peer.endpoint.valid()) {
            Pmtu& p = pmtu_[name];
            p.min = peer.min_mtu;
            p.max = std::max(peer.max_mtu, peer.min_mtu);
            p.fixed = p.min >= p.max;
            p.endpoint = peer.endpoint;
        }
    }
}

}  // namespace sluice::dataplane_link
