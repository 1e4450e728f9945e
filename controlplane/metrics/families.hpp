// What sluiced exports, pure: a plain snapshot of its state (Facts, gathered by the daemon)
// in, Prometheus families out (exposition.hpp renders them).
//
// Per-worker and per-peer families are tables of rows: a new data-plane counter is one row in
// worker_counter_rows; a new per-peer value is a field in PeerFacts, filled where the facts
// are gathered (controlplane/daemon/metrics_facts.cpp), and one row in the peer table of
// families.cpp.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/mesh/mesh.hpp"
#include "controlplane/metrics/exposition.hpp"
#include "shared/abi/layout.hpp"

namespace sluice::metrics {

// One WorkerCounters field exported with a `worker` label.
struct WorkerCounterRow {
    std::string_view name;
    std::string_view help;
    std::atomic<std::uint64_t> abi::WorkerCounters::*field;
    MetricType type = MetricType::counter;
};

inline constexpr std::array<WorkerCounterRow, 25> worker_counter_rows{{
    {"sluice_worker_rx_packets_total", "UDP datagrams the worker received from peers.",
     &abi::WorkerCounters::rx_packets},
    {"sluice_worker_rx_bytes_total", "Bytes of UDP datagrams the worker received from peers.",
     &abi::WorkerCounters::rx_bytes},
    {"sluice_worker_tx_packets_total", "UDP datagrams the worker sent to peers.",
     &abi::WorkerCounters::tx_packets},
    {"sluice_worker_tx_bytes_total", "Bytes of UDP datagrams the worker sent to peers.",
     &abi::WorkerCounters::tx_bytes},
    {"sluice_worker_tun_rx_packets_total", "Frames the worker read from its TUN queue.",
     &abi::WorkerCounters::tun_rx_packets},
    {"sluice_worker_tun_rx_bytes_total", "Bytes of frames the worker read from its TUN queue.",
     &abi::WorkerCounters::tun_rx_bytes},
    {"sluice_worker_tun_tx_packets_total", "Frames the worker wrote to its TUN queue.",
     &abi::WorkerCounters::tun_tx_packets},
    {"sluice_worker_tun_tx_bytes_total", "Bytes of frames the worker wrote to its TUN queue.",
     &abi::WorkerCounters::tun_tx_bytes},
    {"sluice_worker_batches_total", "Loop iterations in which the worker handled completions.",
     &abi::WorkerCounters::batches},
    {"sluice_worker_events_total", "Messages the worker put on its event ring to sluiced.",
     &abi::WorkerCounters::events_pushed},
    {"sluice_worker_injected_frames_total",
     "Frames the worker took from its injection ring (PACKET from sluiced).",
     &abi::WorkerCounters::frames_injected},
    {"sluice_worker_native_rx_packets_total", "Of the received datagrams, native packets opened.",
     &abi::WorkerCounters::native_rx_packets},
    {"sluice_worker_native_tx_packets_total", "Of the sent datagrams, native packets sealed.",
     &abi::WorkerCounters::native_tx_packets},
    {"sluice_worker_completions_total",
     "io_uring completions the worker handled (per batch: divide by batches).",
     &abi::WorkerCounters::completions},
    {"sluice_worker_submits_total", "io_uring submissions of the worker, waiting ones included.",
     &abi::WorkerCounters::submits},
    {"sluice_worker_sq_full_total",
     "Submissions forced early because the worker's submission queue was full.",
     &abi::WorkerCounters::sq_full},
    {"sluice_worker_recv_rearms_total", "Multishot UDP receives the worker armed again after they ended.",
     &abi::WorkerCounters::recv_rearms},
    {"sluice_worker_cq_overflow_total",
     "Completions the kernel had no room for in the worker's completion queue.",
     &abi::WorkerCounters::cq_overflow},
    {"sluice_worker_tun_rearms_total", "Times the worker armed its multishot TUN read again after it ended.",
     &abi::WorkerCounters::tun_rearms},
    {"sluice_worker_recv_buffers", "Receive buffers the worker owns.", &abi::WorkerCounters::recv_buffers,
     MetricType::gauge},
    {"sluice_worker_recv_buffers_free", "Receive buffers ready for a datagram now.",
     &abi::WorkerCounters::recv_buffers_free, MetricType::gauge},
    {"sluice_worker_recv_buffers_lowest", "The fewest receive buffers ready since the worker started.",
     &abi::WorkerCounters::recv_buffers_lowest, MetricType::gauge},
    {"sluice_worker_tun_reads", "TUN reads the worker keeps in flight (1: one multishot read).",
     &abi::WorkerCounters::tun_reads, MetricType::gauge},
    {"sluice_worker_spare_buffers", "Buffers the worker keeps for injected frames, probes and keepalives.",
     &abi::WorkerCounters::spare_buffers, MetricType::gauge},
    {"sluice_worker_spare_buffers_free", "Of the spare buffers, those free now.",
     &abi::WorkerCounters::spare_buffers_free, MetricType::gauge},
}};

// Messages waiting in one of a worker's rings, and its size.
struct RingFacts {
    std::uint64_t used = 0;
    std::uint64_t capacity = 0;
};

struct WorkerFacts {
    std::uint32_t worker = 0;
    std::array<std::uint64_t, worker_counter_rows.size()> counters{};  // in worker_counter_rows order
    std::array<std::uint64_t, abi::kDropReasonCount> drops{};          // indexed by DropReason
    RingFacts event_ring;                                              // worker -> sluiced
    RingFacts injection_ring;                                          // sluiced -> worker
};

// One node of the tables last published to the data plane (this node excluded).
struct PeerFacts {
    std::string name;
    bool reachable = false;
    std::string path;            // dump peers' path column: "udp", "udp via B", "tcp via B", "unreachable"...
    std::uint32_t path_mtu = 0;  // largest frame the UDP path carries, Ethernet header included
    bool native_session = false;  // packets to it are sealed in sluice's native format
    // Traffic, summed over the data plane's workers (abi::PeerCounters; they live in the
    // shared region, so they survive a restart of sluiced).
    std::uint64_t rx_packets = 0;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_packets = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t native_rx_packets = 0;
    std::uint64_t native_tx_packets = 0;
    std::uint64_t tcp_frames = 0;
    double last_rx_age_seconds = -1;                           // < 0: never
    std::array<std::uint64_t, abi::kDropReasonCount> drops{};  // indexed by DropReason
    std::string cipher{};         // native suite or legacy "cipher/digest"; empty: no key
    double key_age_seconds = -1;  // of the key packets to the peer are sealed with; < 0: none
};

struct MetaConnectionCounts {
    std::uint64_t connecting = 0;
    std::uint64_t authenticating = 0;
    std::uint64_t active = 0;
};

struct Facts {
    std::string version;
    std::uint32_t abi = 0;
    std::string node;
    double uptime_seconds = 0;
    bool data_plane_attached = false;
    MetaConnectionCounts meta_connections;
    std::uint64_t nodes_known = 0;  // this node included
    std::uint64_t nodes_reachable = 0;
    mesh::MeshCounters mesh;
    std::vector<WorkerFacts> workers;  // empty without a data plane
    std::vector<PeerFacts> peers;      // empty without published tables
};

// Every family sluiced exports, in a fixed order; worker and peer samples in the order given.
[[nodiscard]] MetricSet sluice_metrics(const Facts& facts);

}  // namespace sluice::metrics
