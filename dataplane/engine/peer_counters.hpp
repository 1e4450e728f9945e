// One worker's per-peer counters (abi::PeerCounters in the shared region), addressed by node
// id. The pipeline and the worker count into it where they count WorkerCounters, so that the
// per-peer figures add up to the worker's: rx where a datagram is authenticated, tx where a
// datagram is handed to the kernel, drops where the peer of a dropped packet is known.
// Plain owner-only stores (abi::add_owned), no allocation, no branches beyond the bounds check.
#pragma once

#include <cstdint>
#include <span>

#include "shared/abi/layout.hpp"

namespace sluice::dataplane::engine {

class PeerCounterTable {
public:
    PeerCounterTable() noexcept = default;  // counts nothing (tests that do not look)
    explicit PeerCounterTable(std::span<abi::PeerCounters> slots) noexcept : slots_(slots) {}

    // A datagram of `bytes` authenticated as from node_id, in the batch that started at now_ns.
    void received(std::uint32_t node_id, std::uint64_t bytes, bool native, std::uint64_t now_ns) noexcept {
        abi::PeerCounters* c = at(node_id);
        if (c == nullptr) return;
        abi::add_owned(c->rx_packets, 1);
        abi::add_owned(c->rx_bytes, bytes);
        if (native) abi::add_owned(c->native_rx_packets, 1);
        c->last_rx_boottime_ns.store(now_ns, std::memory_order_relaxed);
    }
    // A datagram of `bytes` queued for the kernel, to node_id.
    void sent(std::uint32_t node_id, std::uint64_t bytes) noexcept {
        abi::PeerCounters* c = at(node_id);
        if (c == nullptr) return;
        abi::add_owned(c->tx_packets, 1);
        abi::add_owned(c->tx_bytes, bytes);
    }
    void sealed_native(std::uint32_t node_id) noexcept {
        if (abi::PeerCounters* c = at(node_id)) abi::add_owned(c->native_tx_packets, 1);
    }
    void tcp_frame(std::uint32_t node_id) noexcept {
        if (abi::PeerCounters* c = at(node_id)) abi::add_owned(c->tcp_frames, 1);
    }
    void dropped(std::uint32_t node_id, abi::DropReason reason) noexcept {
        if (abi::PeerCounters* c = at(node_id)) abi::add_owned(c->drop(reason), 1);
    }

private:
    [[nodiscard]] abi::PeerCounters* at(std::uint32_t node_id) noexcept {
        if (slots_.empty()) return nullptr;
        return &slots_[abi::peer_counter_slot(node_id, static_cast<std::uint32_t>(slots_.size()))];
    }

    std::span<abi::PeerCounters> slots_;
};

}  // namespace sluice::dataplane::engine
