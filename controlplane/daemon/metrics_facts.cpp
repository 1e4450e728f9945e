#include "controlplane/daemon/metrics_facts.hpp"

#include <algorithm>
#include <chrono>

#include "controlplane/daemon/node_path.hpp"
#include "controlplane/daemon/stats_report.hpp"
#include "shared/tables/tables.hpp"
#include "shared/version.hpp"

namespace sluice::daemon {

namespace {

std::vector<metrics::WorkerFacts> gather_workers(abi::Region& region) {
    std::vector<metrics::WorkerFacts> out;
    for (std::uint32_t w = 0; w < region.layout().params.worker_count; ++w) {
        abi::WorkerCounters& c = region.worker(w).counters;
        metrics::WorkerFacts facts;
        facts.worker = w;
        for (std::size_t i = 0; i < metrics::worker_counter_rows.size(); ++i)
            facts.counters[i] = (c.*metrics::worker_counter_rows[i].field).load(std::memory_order_relaxed);
        for (std::size_t r = 0; r < abi::kDropReasonCount; ++r)
            facts.drops[r] = c.drop(static_cast<abi::DropReason>(r)).load(std::memory_order_relaxed);
        const RingFill events = ring_fill(region.event_ring(w));
        const RingFill injections = ring_fill(region.injection_ring(w));
        facts.event_ring = {events.used, events.capacity};
        facts.injection_ring = {injections.used, injections.capacity};
        out.push_back(facts);
    }
    return out;
}

// The rows of `sluicectl stats` (peer_stats), with the flags Prometheus shows besides.
Result<std::vector<metrics::PeerFacts>> gather_peers(const MetricsSources& s) {
    std::vector<metrics::PeerFacts> out;
    if (s.published_tables.empty()) return out;
    auto view = tables::TablesView::open(s.published_tables);
    if (!view) return fail(view.error());
    const std::vector<PeerStats> rows = peer_stats(*view, s.region, s.keys, s.now_boottime_ns);
    for (const PeerStats& row : rows) {
        const tables::PeerRecord* record = nullptr;
        for (const tables::PeerRecord& p : view->peers())
            if (p.node_id == row.node_id) record = &p;
        metrics::PeerFacts facts;
        facts.name = row.name;
        facts.reachable = record != nullptr && (record->flags & tables::peer_flags::reachable) != 0;
        facts.path = row.path;
        facts.path_mtu = row.mtu;
        facts.native_session = record != nullptr && record->native_send != tables::kNoIndex;
        const PeerTotals& t = row.totals;
        facts.rx_packets = t.rx_packets;
        facts.rx_bytes = t.rx_bytes;
        facts.tx_packets = t.tx_packets;
        facts.tx_bytes = t.tx_bytes;
        facts.native_rx_packets = t.native_rx_packets;
        facts.native_tx_packets = t.native_tx_packets;
        facts.tcp_frames = t.tcp_frames;
        facts.drops = t.drops;
        facts.last_rx_age_seconds = row.last_rx_age_s.value_or(-1.0);
        facts.cipher = row.cipher;
        facts.key_age_seconds = row.key_age_s ? static_cast<double>(*row.key_age_s) : -1.0;
        out.push_back(std::move(facts));
    }
    // Scrapes compare series by labels, but people diff the text: keep it in name order.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

}  // namespace

Result<metrics::Facts> gather_metrics(const MetricsSources& s) {
    metrics::Facts f;
    f.version = std::string(version);
    f.abi = abi::kAbiVersion;
    const graph::Graph& g = s.mesh.graph();
    f.node = g.self_name();
    f.uptime_seconds = std::chrono::duration<double>(s.uptime).count();
    f.data_plane_attached = s.data_plane_attached;
    f.meta_connections = s.connections;
    for (const auto& [name, node] : g.nodes()) {
        ++f.nodes_known;
        if (node.reachable) ++f.nodes_reachable;
    }
    f.mesh = s.mesh.counters();
    if (s.region != nullptr) f.workers = gather_workers(*s.region);
    auto peers = gather_peers(s);
    if (!peers) return fail(peers.error());
    f.peers = std::move(*peers);
    return f;
}

}  // namespace sluice::daemon
