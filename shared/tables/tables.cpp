#include "shared/tables/tables.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <set>

namespace sluice::tables {

namespace {

constexpr std::size_t align8(std::size_t n) noexcept {
    return (n + 7) & ~std::size_t{7};
}

// Twice the node count, rounded up to a power of two: probes stay short and an empty slot
// always exists, so a lookup of an unknown address ends.
std::uint32_t endpoint_slots_for(std::size_t nodes) {
    return std::bit_ceil(static_cast<std::uint32_t>(std::max<std::size_t>(4, 2 * nodes)));
}

Status check_key(const LegacyKeyRecord& key, const std::string& node, const char* which) {
    if (key.key_length > kMaxLegacyKeyBytes)
        return fail("tables: {} key of node {} is {} bytes, more than {}", which, node, key.key_length,
                    kMaxLegacyKeyBytes);
    return {};
}

}  // namespace

Result<std::size_t> encode_tables(const TablesInput& input, std::span<std::uint8_t> out) {
    // Node-name order (strcmp, as std::string compares) gives the indexes.
    std::vector<const NodeInput*> order;
    order.reserve(input.nodes.size());
    for (const auto& n : input.nodes) order.push_back(&n);
    std::sort(order.begin(), order.end(),
              [](const NodeInput* a, const NodeInput* b) { return a->name < b->name; });
    std::map<std::string_view, std::uint32_t> index_of;
    std::set<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        const NodeInput& n = *order[i];
        if (n.name.empty() || n.name.size() > 0xffff)
            return fail("tables: node name of length {}", n.name.size());
        if (!index_of.emplace(n.name, i).second) return fail("tables: node {} listed twice", n.name);
        if (!ids.insert(n.node_id).second)
            return fail("tables: node id {} used twice ({})", n.node_id, n.name);
        if ((n.flags & ~peer_flags::all) != 0)
            return fail("tables: node {} has unknown flags {:#x}", n.name, n.flags);
        if (auto s = check_key(n.in_key, n.name, "inbound"); !s) return fail(s.error());
        if (auto s = check_key(n.out_key, n.name, "outbound"); !s) return fail(s.error());
    }
    auto self = index_of.find(input.self_name);
    if (self == index_of.end()) return fail("tables: this node ({}) is not among the nodes", input.self_name);
    auto resolve = [&](const std::string& name, std::uint32_t own) -> Result<std::uint32_t> {
        if (name.empty()) return own;
        auto it = index_of.find(name);
        if (it == index_of.end()) return fail("tables: {} is not a node", name);
        return it->second;
    };

    std::vector<route::RouteEntry> entries;
    entries.reserve(input.subnets.size());
    for (const auto& s : input.subnets) {
        auto it = index_of.find(s.owner);
        if (it == index_of.end())
            return fail("tables: subnet {} belongs to unknown node {}", s.subnet.to_string(), s.owner);
        if (s.subnet.type() == net::SubnetType::mac) continue;
        const bool reachable = (order[it->second]->flags & peer_flags::reachable) != 0;
        entries.push_back({s.subnet, it->second, reachable});
    }
    auto routes = route::RouteTable::build(entries);
    if (!routes) return fail(routes.error());
    const std::vector<std::uint8_t> route_bytes = routes->serialise();

    // Native sessions: checked here, laid out after the names.
    std::set<std::uint64_t> session_ids;
    std::set<std::uint32_t> local_indexes;
    std::vector<std::uint32_t> native_send(order.size(), kNoIndex);
    std::size_t native_key_count = 0;
    for (std::uint32_t k = 0; k < input.native_sessions.size(); ++k) {
        const NativeSessionInput& ns = input.native_sessions[k];
        auto it = index_of.find(ns.node);
        if (it == index_of.end())
            return fail("tables: native session {} with unknown node {}", ns.session_id, ns.node);
        if (ns.session_id == 0 || !session_ids.insert(ns.session_id).second)
            return fail("tables: native session id {} (node {}) is 0 or used twice", ns.session_id, ns.node);
        if (ns.local_index == 0 || !local_indexes.insert(ns.local_index).second)
            return fail("tables: native index {} (node {}) is 0 or used twice", ns.local_index, ns.node);
        if (ns.send_keys.empty() || ns.send_keys.size() > kMaxNativeLanes || ns.receive_keys.empty() ||
            ns.receive_keys.size() > kMaxNativeLanes)
            return fail("tables: native session with {} has {} send and {} receive lanes (1..{})", ns.node,
                        ns.send_keys.size(), ns.receive_keys.size(), kMaxNativeLanes);
        if ((ns.flags & ~native_flags::all) != 0)
            return fail("tables: native session with {} has unknown flags {:#x}", ns.node, ns.flags);
        if ((ns.flags & native_flags::send) != 0) {
            if (native_send[it->second] != kNoIndex)
                return fail("tables: two native send sessions for node {}", ns.node);
            native_send[it->second] = k;
        }
        native_key_count += ns.send_keys.size() + ns.receive_keys.size();
    }

    const std::uint32_t slots = endpoint_slots_for(order.size());
    std::size_t names_length = 0;
    for (const auto* n : order) names_length += n->name.size();

    TablesHeader h{};
    h.magic = kTablesMagic;
    h.version = kTablesVersion;
    h.node_count = static_cast<std::uint32_t>(order.size());
    h.self_index = self->second;
    std::size_t at = sizeof(TablesHeader);
    h.peers_offset = static_cast<std::uint32_t>(at);
    at = align8(at + order.size() * sizeof(PeerRecord));
    h.endpoint_index_offset = static_cast<std::uint32_t>(at);
    h.endpoint_slots = slots;
    at = align8(at + std::size_t{slots} * sizeof(std::uint32_t));
    h.routes_offset = static_cast<std::uint32_t>(at);
    h.routes_length = static_cast<std::uint32_t>(route_bytes.size());
    at = align8(at + route_bytes.size());
    h.names_offset = static_cast<std::uint32_t>(at);
    h.names_length = static_cast<std::uint32_t>(names_length);
    at = align8(at + names_length);
    h.sessions_offset = static_cast<std::uint32_t>(at);
    h.session_count = static_cast<std::uint32_t>(input.native_sessions.size());
    at += input.native_sessions.size() * sizeof(NativeSessionRecord);
    h.native_keys_offset = static_cast<std::uint32_t>(at);
    h.native_keys_length = static_cast<std::uint32_t>(native_key_count * kNativeKeyBytes);
    at += native_key_count * kNativeKeyBytes;
    if (at > out.size() || at > 0xffffffffU)
        return fail("tables: {} nodes and {} subnets need {} bytes, the snapshot slot holds {}", order.size(),
                    input.subnets.size(), at, out.size());
    h.total_length = static_cast<std::uint32_t>(at);

    std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(at), std::uint8_t{0});
    std::memcpy(out.data(), &h, sizeof h);
    std::vector<std::uint32_t> index(slots, kNoIndex);
    std::size_t name_at = 0;
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        const NodeInput& n = *order[i];
        PeerRecord r{};
        r.node_id = n.node_id;
        r.flags = n.flags | (i == h.self_index ? peer_flags::self : 0U);
        auto via = resolve(n.via, i);
        if (!via) return fail("tables: via of {}: {}", n.name, via.error().message);
        auto nexthop = resolve(n.nexthop, i);
        if (!nexthop) return fail("tables: nexthop of {}: {}", n.name, nexthop.error().message);
        r.via_index = *via;
        r.nexthop_index = *nexthop;
        r.name_offset = static_cast<std::uint32_t>(name_at);
        r.name_length = static_cast<std::uint16_t>(n.name.size());
        r.mtu = n.mtu;
        r.min_mtu = n.min_mtu;
        r.max_mtu = n.max_mtu;
        r.endpoint = n.endpoint;
        r.in_key = n.in_key;
        r.out_key = n.out_key;
        r.native_send = native_send[i];
        std::memcpy(out.data() + h.peers_offset + i * sizeof(PeerRecord), &r, sizeof r);
        std::memcpy(out.data() + h.names_offset + name_at, n.name.data(), n.name.size());
        name_at += n.name.size();
        // Two nodes with one endpoint (a NAT, a stale address): the first in name order wins,
        // as tinc's lookup finds one node per address too.
        if (r.endpoint.valid() && i != h.self_index) {
            std::uint32_t slot = endpoint_hash(r.endpoint) & (slots - 1);
            bool taken = false;
            while (index[slot] != kNoIndex) {
                if (order[index[slot]]->endpoint == r.endpoint) {
                    taken = true;
                    break;
                }
                slot = (slot + 1) & (slots - 1);
            }
            if (!taken) index[slot] = i;
        }
    }
    std::memcpy(out.data() + h.endpoint_index_offset, index.data(), index.size() * sizeof(std::uint32_t));
    std::memcpy(out.data() + h.routes_offset, route_bytes.data(), route_bytes.size());
    std::size_t key_at = 0;
    for (std::uint32_t k = 0; k < input.native_sessions.size(); ++k) {
        const NativeSessionInput& ns = input.native_sessions[k];
        NativeSessionRecord r{};
        r.session_id = ns.session_id;
        r.node_index = index_of.find(ns.node)->second;
        r.local_index = ns.local_index;
        r.remote_index = ns.remote_index;
        r.keys_offset = static_cast<std::uint32_t>(key_at);
        r.local_lanes = static_cast<std::uint16_t>(ns.send_keys.size());
        r.remote_lanes = static_cast<std::uint16_t>(ns.receive_keys.size());
        r.suite = ns.suite;
        r.flags = ns.flags;
        std::memcpy(out.data() + h.sessions_offset + k * sizeof r, &r, sizeof r);
        for (const auto* keys : {&ns.send_keys, &ns.receive_keys}) {
            for (const auto& key : *keys) {
                std::memcpy(out.data() + h.native_keys_offset + key_at, key.data(), key.size());
                key_at += key.size();
            }
        }
    }
    return at;
}

Result<TablesView> TablesView::open(std::span<const std::uint8_t> bytes) {
    TablesHeader h{};
    if (bytes.size() < sizeof h) return fail("tables: {} bytes, shorter than the header", bytes.size());
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.magic != kTablesMagic) return fail("tables: bad magic {:#x}", h.magic);
    if (h.version != kTablesVersion)
        return fail("tables: version {}, this build reads {}", h.version, kTablesVersion);
    if (h.total_length > bytes.size())
        return fail("tables: length {} beyond the {} bytes given", h.total_length, bytes.size());
    auto inside = [&](std::uint64_t offset, std::uint64_t length) {
        return offset % 8 == 0 && offset + length <= h.total_length;
    };
    if (h.node_count == 0 || h.node_count > (1U << 24) ||
        !inside(h.peers_offset, std::uint64_t{h.node_count} * sizeof(PeerRecord)))
        return fail("tables: peer section out of bounds");
    if (!std::has_single_bit(h.endpoint_slots) || h.endpoint_slots <= h.node_count ||
        !inside(h.endpoint_index_offset, std::uint64_t{h.endpoint_slots} * 4))
        return fail("tables: endpoint index out of bounds");
    if (!inside(h.routes_offset, h.routes_length)) return fail("tables: route table out of bounds");
    if (h.names_offset + std::uint64_t{h.names_length} > h.total_length)
        return fail("tables: names out of bounds");
    if (h.self_index >= h.node_count) return fail("tables: self index {} of {}", h.self_index, h.node_count);
    if (!inside(h.sessions_offset, std::uint64_t{h.session_count} * sizeof(NativeSessionRecord)) ||
        h.native_keys_offset + std::uint64_t{h.native_keys_length} > h.total_length)
        return fail("tables: native sessions out of bounds");
    const auto* base = bytes.data();
    TablesView v;
    v.peers_ = reinterpret_cast<const PeerRecord*>(base + h.peers_offset);
    v.endpoint_index_ = reinterpret_cast<const std::uint32_t*>(base + h.endpoint_index_offset);
    v.names_ = reinterpret_cast<const char*>(base + h.names_offset);
    v.sessions_ = reinterpret_cast<const NativeSessionRecord*>(base + h.sessions_offset);
    v.native_keys_ = base + h.native_keys_offset;
    v.session_count_ = h.session_count;
    for (std::uint32_t k = 0; k < h.session_count; ++k) {
        const NativeSessionRecord& s = v.sessions_[k];
        const std::uint64_t keys = (std::uint64_t{s.local_lanes} + s.remote_lanes) * kNativeKeyBytes;
        if (s.node_index >= h.node_count || s.local_lanes == 0 || s.local_lanes > kMaxNativeLanes ||
            s.remote_lanes == 0 || s.remote_lanes > kMaxNativeLanes ||
            s.keys_offset + keys > h.native_keys_length || (s.flags & ~native_flags::all) != 0)
            return fail("tables: native session {} is out of bounds", k);
    }
    v.node_count_ = h.node_count;
    v.self_index_ = h.self_index;
    v.endpoint_mask_ = h.endpoint_slots - 1;
    for (std::uint32_t i = 0; i < h.node_count; ++i) {
        const PeerRecord& r = v.peers_[i];
        if (r.via_index >= h.node_count || r.nexthop_index >= h.node_count)
            return fail("tables: node {} points outside the table", i);
        if (std::uint64_t{r.name_offset} + r.name_length > h.names_length || r.name_length == 0)
            return fail("tables: name of node {} out of bounds", i);
        if (r.in_key.key_length > kMaxLegacyKeyBytes || r.out_key.key_length > kMaxLegacyKeyBytes)
            return fail("tables: key of node {} too long", i);
        if ((r.flags & ~peer_flags::all) != 0) return fail("tables: node {} has unknown flags", i);
        if (r.native_send != kNoIndex && r.native_send >= h.session_count)
            return fail("tables: node {} names native session {} of {}", i, r.native_send, h.session_count);
    }
    std::uint32_t empty = 0;
    for (std::uint32_t s = 0; s < h.endpoint_slots; ++s) {
        if (v.endpoint_index_[s] == kNoIndex) {
            ++empty;
        } else if (v.endpoint_index_[s] >= h.node_count) {
            return fail("tables: endpoint index slot {} points outside the table", s);
        }
    }
    // find_endpoint stops at an empty slot; without one a miss would probe forever.
    if (empty == 0) return fail("tables: endpoint index has no empty slot");
    auto routes = route::RouteTableView::open(bytes.subspan(h.routes_offset, h.routes_length));
    if (!routes) return fail("tables: {}", routes.error().message);
    if (routes->stats().node_limit > h.node_count)
        return fail("tables: route table names node beyond the table");
    v.routes_ = *routes;
    return v;
}

std::string_view TablesView::name(const PeerRecord& peer) const noexcept {
    return {names_ + peer.name_offset, peer.name_length};
}

std::uint32_t TablesView::find_endpoint(const Endpoint& e) const noexcept {
    if (peers_ == nullptr) return kNoIndex;
    std::uint32_t slot = endpoint_hash(e) & endpoint_mask_;
    // The index has more slots than nodes, so an empty slot ends every probe sequence.
    for (;;) {
        const std::uint32_t i = endpoint_index_[slot];
        if (i == kNoIndex) return kNoIndex;
        if (peers_[i].endpoint == e) return i;
        slot = (slot + 1) & endpoint_mask_;
    }
}

std::uint32_t TablesView::find_name(std::string_view wanted) const noexcept {
    std::uint32_t lo = 0;
    std::uint32_t hi = node_count_;
    while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        const std::string_view n = name(peers_[mid]);
        if (n == wanted) return mid;
        if (n < wanted)
            lo = mid + 1;
        else
            hi = mid;
    }
    return kNoIndex;
}

}  // namespace sluice::tables
