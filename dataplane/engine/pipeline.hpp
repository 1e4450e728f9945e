// What a worker does with one packet, decided without any I/O: the worker reads a packet,
// asks the pipeline, and carries out the single Decision it gets back (send a datagram,
// write to the TUN device, or nothing). Everything a decision needs is already in memory: the
// published tables, this worker's PeerCache, the shared send sequences and this worker's
// event ring, onto which the pipeline pushes what the control plane must handle (a key to
// fetch, a frame for the meta connection, a broadcast, an unknown sender).
//
// Buffers carry headroom in front of the packet so that headers are written in place: the
// Ethernet header and tinc's sequence number in front of a TUN packet, and the tailroom after
// it takes the CBC padding and MAC. Nothing here allocates, locks, throws or logs; every
// packet that is not forwarded is counted under one DropReason.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/engine/native_cache.hpp"
#include "dataplane/engine/peer_cache.hpp"
#include "dataplane/engine/peer_counters.hpp"
#include "dataplane/engine/send_sequence.hpp"
#include "dataplane/packet/icmp.hpp"
#include "shared/abi/events.hpp"
#include "shared/abi/layout.hpp"
#include "shared/abi/spsc_ring.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::dataplane::engine {

// Bytes kept free in front of a packet read from the TUN device: the 14-byte Ethernet
// header, tinc's 4-byte sequence number, and room for the native header (16 bytes) later.
inline constexpr std::size_t kHeadroom = 64;

enum class Action : std::uint8_t {
    none,       // dropped (counted) or handed to the control plane (an event)
    send_udp,   // send buffer[offset, +length) to `to`
    write_tun,  // write buffer[offset, +length) (an IP packet) to the TUN device
};

struct Decision {
    Action action = Action::none;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    tables::Endpoint to{};
    std::uint32_t node_id = 0;  // send_udp: the node `to` belongs to (its per-peer tx counters)
};

class Pipeline {
public:
    Pipeline(PeerCache& cache, NativeCache& native, SendSequences& sequences, abi::RingProducer& events,
             abi::WorkerCounters& counters, PeerCounterTable peers = {}) noexcept
        : cache_(cache),
          native_(native),
          sequences_(sequences),
          events_(events),
          counters_(counters),
          peers_(peers) {}

    // The tables for the coming batch (nullptr: nothing published yet, every packet dropped),
    // with the generation they were published as.
    void use_tables(const tables::TablesView* tables, std::uint64_t generation) noexcept {
        tables_ = tables;
        generation_ = generation;
    }
    // Whole seconds of a monotonic clock, for the ICMP rate limit; set once per batch.
    void set_now_seconds(std::uint64_t now) noexcept { now_seconds_ = now; }
    // CLOCK_BOOTTIME ns at the start of the batch, for the peers' last_rx; set once per batch.
    void set_now_boottime_ns(std::uint64_t now) noexcept { now_boottime_ns_ = now; }

    // An IP packet read from the TUN device at buffer[offset, +length), with kHeadroom
    // bytes free in front of it and the rest of the buffer free after it.
    [[nodiscard]] Decision from_tun(std::span<std::uint8_t> buffer, std::uint32_t offset,
                                    std::uint32_t length) noexcept;

    // A datagram received from source at buffer[offset, +length).
    [[nodiscard]] Decision from_udp(std::span<std::uint8_t> buffer, std::uint32_t offset,
                                    std::uint32_t length, const tables::Endpoint& source) noexcept;

    // A frame the control plane injected (it arrived as PACKET and is for this node).
    [[nodiscard]] Decision from_injection(std::span<std::uint8_t> buffer, std::uint32_t offset,
                                          std::uint32_t length) noexcept;

    // A PMTU probe (spec 5.6) of `length` frame bytes for the node at index, built in buffer
    // behind kHeadroom and sealed; random_state feeds the filler bytes. Action::none if the
    // node cannot be probed (no key, no endpoint).
    [[nodiscard]] Decision probe(std::span<std::uint8_t> buffer, std::uint32_t node_index,
                                 std::uint32_t length, std::uint64_t& random_state) noexcept;
    // A native keepalive (an empty packet on this worker's lane of the node's send session),
    // built in buffer behind kHeadroom. Action::none if there is no such lane or endpoint.
    [[nodiscard]] Decision keepalive(std::span<std::uint8_t> buffer, std::uint32_t node_index) noexcept;
    // A probe of `length` bytes to node_id could not be sent (EMSGSIZE): tell the control plane.
    void probe_too_big(std::uint32_t node_id, std::uint32_t length) noexcept;

    // True if an event was pushed since the last call (the worker then rings the doorbell).
    [[nodiscard]] bool take_events_pushed() noexcept {
        const bool pushed = events_pushed_;
        events_pushed_ = false;
        return pushed;
    }

private:
    // A frame at buffer[offset, +length) (Ethernet header included) for node_index.
    Decision route_frame(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                         std::uint32_t node_index) noexcept;
    // A datagram that looks native: Decision in `out` and true when it was handled (opened or
    // dropped for good); false when the legacy path should try it (no session has its index).
    bool from_native(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                     Decision& out) noexcept;
    // Seals the frame at buffer[offset, +length) natively for `dest` if this worker has a lane
    // and the datagram fits the path; false to use the legacy format.
    bool seal_native(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                     const tables::PeerRecord& dest, Decision& out) noexcept;
    Decision to_control_plane(abi::EventType type, std::uint64_t aux,
                              std::span<const std::uint8_t> frame) noexcept;
    void pmtu_event(std::uint32_t node_id, std::uint16_t min_mtu, std::uint16_t max_mtu) noexcept;
    void request_key(const tables::PeerRecord& peer, PeerCacheEntry* entry) noexcept;
    // Drops the packet (no_route or too_big) and answers it with ICMP; the drop counts for
    // node_id too when the packet was for a known node (0: none).
    Decision icmp_reply(std::span<std::uint8_t> buffer, std::uint32_t ip_offset, std::uint32_t ip_length,
                        bool too_big, std::uint32_t mtu, packet::Unreachable reason,
                        std::uint32_t node_id = 0) noexcept;
    Decision drop(abi::DropReason reason) noexcept {
        abi::add_owned(counters_.drop(reason), 1);
        return {};
    }
    // A drop of a packet whose peer is known: counted for the worker and for that peer.
    Decision drop_for(std::uint32_t node_id, abi::DropReason reason) noexcept {
        peers_.dropped(node_id, reason);
        return drop(reason);
    }
    // A frame for node_id that goes over its meta connection instead of UDP.
    Decision tcp_frame(std::uint32_t node_id, std::span<const std::uint8_t> frame) noexcept;
    Decision unknown_source(std::span<const std::uint8_t> datagram, const tables::Endpoint& source) noexcept;

    PeerCache& cache_;
    NativeCache& native_;
    SendSequences& sequences_;
    abi::RingProducer& events_;
    abi::WorkerCounters& counters_;
    PeerCounterTable peers_;
    const tables::TablesView* tables_ = nullptr;
    std::uint64_t generation_ = 0;
    std::uint64_t now_seconds_ = 0;
    std::uint64_t now_boottime_ns_ = 0;
    std::uint64_t unknown_source_second_ = ~std::uint64_t{0};
    std::uint32_t unknown_source_reports_ = 0;
    packet::IcmpRateLimiter icmp_limit_;
    bool events_pushed_ = false;
};

}  // namespace sluice::dataplane::engine
