// A StatsReport as text: an aligned table in sections for people, or JSON for programs.
// Pure: strings in, strings out.
//
// JSON schema (version 1; numbers are JSON numbers, absent values null; docs/architecture.md):
//   { "schema": 1,
//     "daemon": { "node", "version", "abi_version", "pid", "uptime_s",
//                 "dataplane": { "pid", "uptime_s", "workers", "peer_capacity",
//                                "counters_since_unix" } | null },
//     "peers": [ { "name", "node_id", "path", "endpoint", "pmtu": { "mtu", "min", "max" },
//                  "cipher", "key_age_s", "last_rx_age_s", "rx_packets", "rx_bytes",
//                  "tx_packets", "tx_bytes", "native_rx_packets", "native_tx_packets",
//                  "tcp_frames", "drops": { REASON: n, ... every abi::DropReason } } ],
//     "peer_overflow": { the counters of a peer, for node ids beyond peer_capacity },
//     "workers": [ { "worker", every abi::WorkerCounters field, "drops": { REASON: n } } ],
//     "meta_connections": [ { "name", "address", "port", "status", "bytes_in", "bytes_out",
//                             "requests_in": { "ID": n, ... "PACKET": n },
//                             "requests_out": { ... } } ] }
#pragma once

#include <string>
#include <vector>

#include "controlplane/daemon/stats_report.hpp"

namespace sluice::daemon {

inline constexpr int kStatsSchemaVersion = 1;

// The JSON document, one line per output line.
[[nodiscard]] std::vector<std::string> render_stats_json(const StatsReport& report);

// Sections "daemon", "peers", "peer traffic", "workers", "meta connections", each an aligned
// table under a heading; every line fits 100 columns for names up to 16 characters.
[[nodiscard]] std::vector<std::string> render_stats_table(const StatsReport& report);

// "12s", "3m05s", "2h03m", "4d02h"; "-" for nullopt.
[[nodiscard]] std::string age_text(std::optional<std::uint64_t> seconds);

}  // namespace sluice::daemon
