#include "controlplane/daemon/stats_report.hpp"

#include <algorithm>

#include <openssl/objects.h>

#include "controlplane/daemon/node_path.hpp"
#include "controlplane/daemon/view_text.hpp"

namespace sluice::daemon {

namespace {

std::uint64_t load(const std::atomic<std::uint64_t>& v) {
    return v.load(std::memory_order_relaxed);
}

std::string nid_text(int nid) {
    if (nid == 0) return "none";
    const char* name = OBJ_nid2ln(nid);  // "aes-256-cbc", as tinc.conf spells it
    return name != nullptr ? std::string(name) : "nid" + std::to_string(nid);
}

std::string_view suite_text(std::uint8_t suite) {
    return suite == 1 ? "aes-256-gcm" : suite == 2 ? "chacha20-poly1305" : "unknown";
}

}  // namespace

PeerTotals sum_peer_counters(const abi::Region& region, std::uint32_t slot) {
    PeerTotals t;
    if (slot >= region.layout().params.peer_capacity) return t;
    for (std::uint32_t w = 0; w < region.layout().params.worker_count; ++w) {
        const abi::PeerCounters& c = region.peer_counters(w)[slot];
        t.rx_packets += load(c.rx_packets);
        t.rx_bytes += load(c.rx_bytes);
        t.tx_packets += load(c.tx_packets);
        t.tx_bytes += load(c.tx_bytes);
        t.native_rx_packets += load(c.native_rx_packets);
        t.native_tx_packets += load(c.native_tx_packets);
        t.tcp_frames += load(c.tcp_frames);
        t.last_rx_boottime_ns = std::max(t.last_rx_boottime_ns, load(c.last_rx_boottime_ns));
        for (std::size_t i = 0; i < abi::kDropReasonCount; ++i) t.drops[i] += load(c.drops[i]);
    }
    return t;
}

RingFill ring_fill(const abi::RingRef& ring) {
    // head first: the consumer only moves it towards tail, so tail read after it is >= it.
    const std::uint64_t head = ring.control->head.load(std::memory_order_acquire);
    const std::uint64_t tail = ring.control->tail.load(std::memory_order_acquire);
    return {tail >= head ? tail - head : 0, ring.capacity};
}

std::optional<double> last_rx_age_seconds(const PeerTotals& totals, std::uint64_t now_boottime_ns) {
    const std::uint64_t last = totals.last_rx_boottime_ns;
    if (last == 0) return std::nullopt;
    return now_boottime_ns > last ? static_cast<double>(now_boottime_ns - last) / 1e9 : 0.0;
}

std::vector<WorkerStats> worker_stats(const abi::Region& region) {
    std::vector<WorkerStats> out;
    for (std::uint32_t w = 0; w < region.layout().params.worker_count; ++w) {
        const abi::WorkerCounters& c = region.worker(w).counters;
        WorkerStats s;
        s.index = w;
        s.counters = {
            {"rx_packets", load(c.rx_packets)},
            {"rx_bytes", load(c.rx_bytes)},
            {"tx_packets", load(c.tx_packets)},
            {"tx_bytes", load(c.tx_bytes)},
            {"tun_rx_packets", load(c.tun_rx_packets)},
            {"tun_rx_bytes", load(c.tun_rx_bytes)},
            {"tun_tx_packets", load(c.tun_tx_packets)},
            {"tun_tx_bytes", load(c.tun_tx_bytes)},
            {"batches", load(c.batches)},
            {"events_pushed", load(c.events_pushed)},
            {"frames_injected", load(c.frames_injected)},
            {"native_rx_packets", load(c.native_rx_packets)},
            {"native_tx_packets", load(c.native_tx_packets)},
            {"completions", load(c.completions)},
            {"submits", load(c.submits)},
            {"sq_full", load(c.sq_full)},
            {"recv_rearms", load(c.recv_rearms)},
            {"cq_overflow", load(c.cq_overflow)},
            {"recv_buffers", load(c.recv_buffers)},
            {"recv_buffers_free", load(c.recv_buffers_free)},
            {"recv_buffers_lowest", load(c.recv_buffers_lowest)},
            {"tun_reads", load(c.tun_reads)},
            {"spare_buffers", load(c.spare_buffers)},
            {"spare_buffers_free", load(c.spare_buffers_free)},
            {"tun_rearms", load(c.tun_rearms)},
        };
        const RingFill events = ring_fill(region.event_ring(w));
        const RingFill injections = ring_fill(region.injection_ring(w));
        s.counters.insert(s.counters.end(), {{"event_ring_used", events.used},
                                             {"event_ring_capacity", events.capacity},
                                             {"injection_ring_used", injections.used},
                                             {"injection_ring_capacity", injections.capacity}});
        for (std::size_t i = 0; i < abi::kDropReasonCount; ++i) s.drops[i] = load(c.drops[i]);
        out.push_back(std::move(s));
    }
    return out;
}

std::string legacy_cipher_text(const tables::LegacyKeyRecord& key) {
    if (!key.present()) return {};
    return nid_text(key.cipher_nid) + "/" + nid_text(key.digest_nid);
}

std::vector<PeerStats> peer_stats(const tables::TablesView& view, const abi::Region* region,
                                  const PeerKeyLookup& keys, std::uint64_t now_boottime_ns) {
    std::vector<PeerStats> out;
    for (std::uint32_t i = 0; i < view.node_count(); ++i) {
        if (i == view.self_index()) continue;
        const tables::PeerRecord& p = view.peer(i);
        PeerStats s;
        s.name = std::string(view.name(p));
        s.node_id = p.node_id;
        s.path = short_path(path_from_tables(view, i), s.name);
        s.endpoint = endpoint_text(p.endpoint);
        s.mtu = p.mtu;
        s.min_mtu = p.min_mtu;
        s.max_mtu = p.max_mtu;
        const PeerKeyInfo key = keys ? keys(s.name) : PeerKeyInfo{};
        if (p.native_send != tables::kNoIndex) {
            s.cipher = std::string(suite_text(view.native_sessions()[p.native_send].suite));
            s.key_age_s = key.native_age_s;
        } else {
            s.cipher = legacy_cipher_text(p.out_key);
            if (p.out_key.present()) s.key_age_s = key.legacy_age_s;
        }
        if (region != nullptr && p.node_id != abi::kPeerOverflowSlot &&
            p.node_id < region->layout().params.peer_capacity) {
            s.totals = sum_peer_counters(*region, p.node_id);
        }
        s.last_rx_age_s = last_rx_age_seconds(s.totals, now_boottime_ns);
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace sluice::daemon
