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
        out.push_back(facts);
    }
    return out;
}

Result<std::vector<metrics::PeerFacts>> gather_peers(std::span<const std::uint8_t> published_tables,
                                                     const abi::Region* region,
                                                     std::uint64_t now_boottime_ns) {
    std::vector<metrics::PeerFacts> out;
    if (published_tables.empty()) return out;
    auto view = tables::TablesView::open(published_tables);
    if (!view) return fail(view.error());
    for (std::uint32_t i = 0; i < view->node_count(); ++i) {
        if (i == view->self_index()) continue;
        const tables::PeerRecord& p = view->peer(i);
        metrics::PeerFacts facts;
        facts.name = std::string(view->name(p));
        facts.reachable = (p.flags & tables::peer_flags::reachable) != 0;
        facts.path = short_path(path_from_tables(*view, i), facts.name);
        facts.path_mtu = p.mtu;
        facts.native_session = p.native_send != tables::kNoIndex;
        if (region != nullptr) {
            const PeerTotals t = sum_peer_counters(*region, p.node_id);
            facts.rx_packets = t.rx_packets;
            facts.rx_bytes = t.rx_bytes;
            facts.tx_packets = t.tx_packets;
            facts.tx_bytes = t.tx_bytes;
            facts.native_rx_packets = t.native_rx_packets;
            facts.native_tx_packets = t.native_tx_packets;
            facts.tcp_frames = t.tcp_frames;
            facts.last_rx_age_seconds = last_rx_age_seconds(t, now_boottime_ns).value_or(-1.0);
        }
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
    auto peers = gather_peers(s.published_tables, s.region, s.now_boottime_ns);
    if (!peers) return fail(peers.error());
    f.peers = std::move(*peers);
    return f;
}

}  // namespace sluice::daemon
