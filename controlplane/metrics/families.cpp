#include "controlplane/metrics/families.hpp"

#include <functional>

namespace sluice::metrics {

namespace {

using U = std::uint64_t;

struct PeerRow {
    std::string_view name;
    std::string_view help;
    MetricType type;
    U (*value)(const PeerFacts&);
};

// Per-peer families with one sample per peer and only the `peer` label. Append rows here.
constexpr std::array<PeerRow, 10> peer_rows{{
    {"sluice_peer_reachable", "1 if the peer is reachable in the tables published to the data plane.",
     MetricType::gauge, [](const PeerFacts& p) -> U { return p.reachable ? 1 : 0; }},
    {"sluice_peer_path_mtu_bytes",
     "Largest frame (Ethernet header included) the UDP path to the peer carries, as published.",
     MetricType::gauge, [](const PeerFacts& p) -> U { return p.path_mtu; }},
    {"sluice_peer_native_session", "1 if packets to the peer are sealed in sluice's native format.",
     MetricType::gauge, [](const PeerFacts& p) -> U { return p.native_session ? 1 : 0; }},
    {"sluice_peer_rx_packets_total", "Authenticated UDP datagrams received from the peer.",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.rx_packets; }},
    {"sluice_peer_rx_bytes_total", "Bytes of the authenticated UDP datagrams received from the peer.",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.rx_bytes; }},
    {"sluice_peer_tx_packets_total", "UDP datagrams sent to the peer (relayed ones count for the hop).",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.tx_packets; }},
    {"sluice_peer_tx_bytes_total", "Bytes of the UDP datagrams sent to the peer.", MetricType::counter,
     [](const PeerFacts& p) -> U { return p.tx_bytes; }},
    {"sluice_peer_native_rx_packets_total", "Of the datagrams received, those in sluice's native format.",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.native_rx_packets; }},
    {"sluice_peer_native_tx_packets_total", "Of the datagrams sent, those in sluice's native format.",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.native_tx_packets; }},
    {"sluice_peer_tcp_frames_total", "Frames for the peer handed to sluiced to go over a meta connection.",
     MetricType::counter, [](const PeerFacts& p) -> U { return p.tcp_frames; }},
}};

struct MeshRow {
    std::string_view name;
    std::string_view help;
    U mesh::MeshCounters::*field;
};

constexpr std::array<MeshRow, 7> mesh_rows{{
    {"sluice_mesh_duplicate_requests_total", "Flooded meta requests seen before and ignored.",
     &mesh::MeshCounters::duplicate_requests},
    {"sluice_mesh_contradicting_add_edge_total", "ADD_EDGE requests about this node that contradicted it.",
     &mesh::MeshCounters::contradicting_add_edge},
    {"sluice_mesh_contradicting_del_edge_total", "DEL_EDGE requests about this node that contradicted it.",
     &mesh::MeshCounters::contradicting_del_edge},
    {"sluice_mesh_packets_forwarded_total",
     "PACKET frames forwarded to another node over the meta connections.",
     &mesh::MeshCounters::packets_forwarded},
    {"sluice_mesh_packets_delivered_total", "PACKET frames for this node handed to the device.",
     &mesh::MeshCounters::packets_delivered},
    {"sluice_mesh_key_requests_dropped_unreachable_total", "Key requests for unreachable nodes, dropped.",
     &mesh::MeshCounters::key_requests_dropped_unreachable},
    {"sluice_mesh_invalid_ans_key_total", "ANS_KEY requests whose key could not be used.",
     &mesh::MeshCounters::invalid_ans_key},
}};

// PACKET frames sluiced dropped, one family with the reason as a label.
struct MeshDropRow {
    std::string_view reason;
    U mesh::MeshCounters::*field;
};
constexpr std::array<MeshDropRow, 5> mesh_drop_rows{{
    {"unknown_type", &mesh::MeshCounters::packets_dropped_unknown_type},
    {"no_subnet", &mesh::MeshCounters::packets_dropped_no_subnet},
    {"unreachable", &mesh::MeshCounters::packets_dropped_unreachable},
    {"too_short", &mesh::MeshCounters::packets_dropped_too_short},
    {"loop", &mesh::MeshCounters::packets_dropped_loop},
}};

U flag(bool b) {
    return b ? 1 : 0;
}

void add_node_families(MetricSet& set, const Facts& f) {
    set.declare("sluice_info", "Build and identity of this sluiced; always 1.", MetricType::gauge);
    set.add("sluice_info", {{"version", f.version}, {"abi", std::to_string(f.abi)}, {"node", f.node}}, U{1});
    set.declare("sluice_uptime_seconds", "Seconds since sluiced started.", MetricType::gauge);
    set.add("sluice_uptime_seconds", {}, f.uptime_seconds);
    set.declare("sluice_data_plane_attached", "1 while a data plane (sluice-dp) is attached.",
                MetricType::gauge);
    set.add("sluice_data_plane_attached", {}, flag(f.data_plane_attached));
    set.declare("sluice_meta_connections", "Meta connections by state.", MetricType::gauge);
    set.add("sluice_meta_connections", {{"state", "connecting"}}, f.meta_connections.connecting);
    set.add("sluice_meta_connections", {{"state", "authenticating"}}, f.meta_connections.authenticating);
    set.add("sluice_meta_connections", {{"state", "active"}}, f.meta_connections.active);
    set.declare("sluice_nodes_known", "Nodes in the graph, this one included.", MetricType::gauge);
    set.add("sluice_nodes_known", {}, f.nodes_known);
    set.declare("sluice_nodes_reachable", "Nodes reachable in the graph, this one included.",
                MetricType::gauge);
    set.add("sluice_nodes_reachable", {}, f.nodes_reachable);
}

void add_mesh_families(MetricSet& set, const Facts& f) {
    for (const auto& row : mesh_rows) {
        set.declare(row.name, row.help, MetricType::counter);
        set.add(row.name, {}, f.mesh.*row.field);
    }
    constexpr std::string_view drops = "sluice_mesh_packets_dropped_total";
    set.declare(drops, "PACKET frames sluiced dropped, by reason.", MetricType::counter);
    for (const auto& row : mesh_drop_rows)
        set.add(drops, {{"reason", std::string(row.reason)}}, f.mesh.*row.field);
}

void add_worker_families(MetricSet& set, const Facts& f) {
    for (std::size_t i = 0; i < worker_counter_rows.size(); ++i) {
        const auto& row = worker_counter_rows[i];
        set.declare(row.name, row.help, row.type);
        for (const auto& w : f.workers)
            set.add(row.name, {{"worker", std::to_string(w.worker)}}, w.counters[i]);
    }
    constexpr std::string_view drops = "sluice_worker_drops_total";
    set.declare(drops, "Packets the worker dropped, by reason.", MetricType::counter);
    for (const auto& w : f.workers)
        for (std::size_t r = 0; r < abi::kDropReasonCount; ++r)
            set.add(drops,
                    {{"worker", std::to_string(w.worker)},
                     {"reason", std::string(abi::drop_reason_name(static_cast<abi::DropReason>(r)))}},
                    w.drops[r]);
    constexpr std::string_view used = "sluice_worker_ring_messages";
    set.declare(used, "Messages waiting in the worker's ring (event: to sluiced, injection: from it).",
                MetricType::gauge);
    for (const auto& w : f.workers) {
        set.add(used, {{"worker", std::to_string(w.worker)}, {"ring", "event"}}, w.event_ring.used);
        set.add(used, {{"worker", std::to_string(w.worker)}, {"ring", "injection"}}, w.injection_ring.used);
    }
    constexpr std::string_view capacity = "sluice_worker_ring_capacity";
    set.declare(capacity, "Messages the worker's ring holds.", MetricType::gauge);
    for (const auto& w : f.workers) {
        set.add(capacity, {{"worker", std::to_string(w.worker)}, {"ring", "event"}}, w.event_ring.capacity);
        set.add(capacity, {{"worker", std::to_string(w.worker)}, {"ring", "injection"}},
                w.injection_ring.capacity);
    }
}

void add_peer_families(MetricSet& set, const Facts& f) {
    for (const auto& row : peer_rows) {
        set.declare(row.name, row.help, row.type);
        for (const auto& p : f.peers) set.add(row.name, {{"peer", p.name}}, row.value(p));
    }
    constexpr std::string_view info = "sluice_peer_info";
    set.declare(info,
                "How packets to the peer travel (path: udp, udp via NODE, tcp via NODE...) and are sealed "
                "(cipher: the native suite or the legacy cipher/digest, empty without a key); always 1.",
                MetricType::gauge);
    for (const auto& p : f.peers)
        set.add(info, {{"peer", p.name}, {"path", p.path}, {"cipher", p.cipher}}, U{1});
    constexpr std::string_view drops = "sluice_peer_drops_total";
    set.declare(drops, "Packets from or to the peer the data plane dropped, by reason.", MetricType::counter);
    for (const auto& p : f.peers)
        for (std::size_t r = 0; r < abi::kDropReasonCount; ++r)
            set.add(drops,
                    {{"peer", p.name},
                     {"reason", std::string(abi::drop_reason_name(static_cast<abi::DropReason>(r)))}},
                    p.drops[r]);
    constexpr std::string_view key_age = "sluice_peer_key_age_seconds";
    set.declare(key_age,
                "Seconds since the key packets to the peer are sealed with arrived (absent: no key).",
                MetricType::gauge);
    for (const auto& p : f.peers)
        if (p.key_age_seconds >= 0) set.add(key_age, {{"peer", p.name}}, p.key_age_seconds);
    constexpr std::string_view last = "sluice_peer_last_rx_age_seconds";
    set.declare(last, "Seconds since the last authenticated datagram from the peer (absent: never).",
                MetricType::gauge);
    for (const auto& p : f.peers)
        if (p.last_rx_age_seconds >= 0) set.add(last, {{"peer", p.name}}, p.last_rx_age_seconds);
}

}  // namespace

MetricSet sluice_metrics(const Facts& facts) {
    MetricSet set;
    add_node_families(set, facts);
    add_mesh_families(set, facts);
    add_worker_families(set, facts);
    add_peer_families(set, facts);
    return set;
}

}  // namespace sluice::metrics
