// `sluicectl stats`: what the daemon knows about traffic, gathered into one value
// (StatsReport) and rendered as an aligned table or as JSON (stats_render.hpp). Gathering
// reads the published tables and the data plane's counters in the shared region; the caller
// passes the clocks and whatever lives in its own objects (meta connections, key ages), so
// nothing here makes a syscall.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/session/meta_traffic.hpp"
#include "shared/abi/region.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::daemon {

// One peer's abi::PeerCounters summed over the workers.
struct PeerTotals {
    std::uint64_t rx_packets = 0;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_packets = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t native_rx_packets = 0;
    std::uint64_t native_tx_packets = 0;
    std::uint64_t tcp_frames = 0;
    std::uint64_t last_rx_boottime_ns = 0;  // the latest over the workers, 0: never
    std::array<std::uint64_t, abi::kDropReasonCount> drops{};
};

struct PeerStats {
    std::string name;
    std::uint32_t node_id = 0;
    std::string path;      // as `dump peers` says it: udp, udp via NODE, tcp via NODE, ...
    std::string endpoint;  // empty: none known
    std::uint16_t mtu = 0;
    std::uint16_t min_mtu = 0;
    std::uint16_t max_mtu = 0;
    std::string cipher;                      // native suite, else legacy "cipher/digest"; empty: no key
    std::optional<std::uint64_t> key_age_s;  // since the key we seal with arrived
    std::optional<double> last_rx_age_s;     // since the last authenticated datagram; nullopt: never
    PeerTotals totals;
};

// One data-plane worker's abi::WorkerCounters, by the struct's field names.
struct WorkerStats {
    std::uint32_t index = 0;
    std::vector<std::pair<std::string_view, std::uint64_t>> counters;
    std::array<std::uint64_t, abi::kDropReasonCount> drops{};

    // The counter of that name, nullopt if there is none.
    [[nodiscard]] std::optional<std::uint64_t> counter(std::string_view name) const {
        for (const auto& [n, v] : counters)
            if (n == name) return v;
        return std::nullopt;
    }
};

struct MetaStats {
    std::string name;  // empty before the peer's ID
    std::string address;
    std::string port;
    std::string status;
    session::MetaTraffic traffic;
};

struct DaemonStats {
    std::string node;
    std::string version;
    std::uint32_t abi_version = 0;
    std::uint64_t pid = 0;
    std::uint64_t uptime_s = 0;
    std::uint64_t dataplane_pid = 0;                  // 0: no data plane
    std::optional<std::uint64_t> dataplane_uptime_s;  // nullopt: unknown
    std::int64_t counters_since_unix = 0;             // when the region (and its counters) began
    std::uint32_t workers = 0;
    std::uint32_t peer_capacity = 0;
};

struct StatsReport {
    DaemonStats daemon;
    std::vector<PeerStats> peers;
    // Node ids beyond the region's peer capacity, counted together (abi::kPeerOverflowSlot).
    PeerTotals overflow;
    std::vector<WorkerStats> workers;
    std::vector<MetaStats> meta;
};

// Sums slot `slot` of every worker's PeerCounters.
[[nodiscard]] PeerTotals sum_peer_counters(const abi::Region& region, std::uint32_t slot);

// Seconds since the peer's last authenticated datagram (CLOCK_BOOTTIME), nullopt: never.
[[nodiscard]] std::optional<double> last_rx_age_seconds(const PeerTotals& totals,
                                                        std::uint64_t now_boottime_ns);

// One worker's abi::WorkerCounters, then the fill of its two rings to and from sluiced.
[[nodiscard]] std::vector<WorkerStats> worker_stats(const abi::Region& region);

// Messages waiting in a ring now, and its size.
struct RingFill {
    std::uint64_t used = 0;
    std::uint64_t capacity = 0;
};
[[nodiscard]] RingFill ring_fill(const abi::RingRef& ring);

// What the mesh knows about the key packets to a node are sealed with.
struct PeerKeyInfo {
    std::optional<std::uint64_t> native_age_s;  // a native send session exists: its age
    std::optional<std::uint64_t> legacy_age_s;  // the legacy outbound key's age
};
using PeerKeyLookup = std::function<PeerKeyInfo(std::string_view name)>;

// One row per node of the published tables but this one. now_boottime_ns is CLOCK_BOOTTIME,
// the clock the workers stamp last_rx with.
[[nodiscard]] std::vector<PeerStats> peer_stats(const tables::TablesView& view, const abi::Region* region,
                                                const PeerKeyLookup& keys, std::uint64_t now_boottime_ns);

// "aes-256-cbc/sha256" for a legacy key record ("none" for nid 0), "" without a key.
[[nodiscard]] std::string legacy_cipher_text(const tables::LegacyKeyRecord& key);

}  // namespace sluice::daemon
