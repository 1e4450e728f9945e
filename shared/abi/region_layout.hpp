// Where everything lives in the shared region, computed from three numbers, and the check
// that a region's header agrees with those numbers. Pure: no syscalls, so both run in tests
// over plain byte buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shared/abi/layout.hpp"
#include "shared/util/result.hpp"

namespace sluice::abi {

// Limits that keep every offset computation far from overflow and reject nonsense early.
inline constexpr std::uint32_t kMaxWorkers = 256;
inline constexpr std::uint32_t kMaxRingCapacity = 1U << 16;  // 128 MiB of slots per ring
inline constexpr std::uint64_t kMaxSnapshotPayload = std::uint64_t{1} << 30;
inline constexpr std::uint32_t kMaxPeerCapacity = 1U << 16;

// Sections start on page boundaries so that a process could map or protect one section on its
// own (the data plane's view of the snapshots could be made read-only).
inline constexpr std::uint64_t kSectionAlignment = 4096;

struct RegionParams {
    std::uint32_t worker_count;
    std::uint64_t snapshot_payload_capacity;  // table bytes per snapshot slot
    std::uint32_t ring_capacity;              // slots per ring, a power of two
    // PeerCounters per worker: node ids 1..peer_capacity-1 get their own, the rest share
    // slot 0 (layout.hpp, peer_counter_slot). 192 bytes each: 768 KiB per worker at 4096.
    std::uint32_t peer_capacity = kDefaultPeerCapacity;
};

struct RegionLayout {
    RegionParams params;
    std::uint64_t total_size;

    SectionExtent snapshots;
    SectionExtent workers;
    SectionExtent event_rings;
    SectionExtent injection_rings;
    SectionExtent peer_counters;

    std::uint64_t snapshot_slot_stride;  // SnapshotSlotHeader + payload, rounded to a cache line
    std::uint64_t ring_stride;           // RingControl + ring_capacity RingSlots

    // Offsets from the start of the region; the index is not checked here (Region does).
    [[nodiscard]] constexpr std::uint64_t snapshot_slot_offset(std::uint32_t slot) const noexcept {
        return snapshots.offset + slot * snapshot_slot_stride;
    }
    [[nodiscard]] constexpr std::uint64_t worker_offset(std::uint32_t worker) const noexcept {
        return workers.offset + worker * sizeof(WorkerRecord);
    }
    [[nodiscard]] constexpr std::uint64_t event_ring_offset(std::uint32_t worker) const noexcept {
        return event_rings.offset + worker * ring_stride;
    }
    [[nodiscard]] constexpr std::uint64_t injection_ring_offset(std::uint32_t worker) const noexcept {
        return injection_rings.offset + worker * ring_stride;
    }
    // Worker `worker`'s array of peer_capacity PeerCounters.
    [[nodiscard]] constexpr std::uint64_t peer_counters_offset(std::uint32_t worker) const noexcept {
        return peer_counters.offset + std::uint64_t{worker} * params.peer_capacity * sizeof(PeerCounters);
    }
};

// The layout for params, or why params are unusable.
[[nodiscard]] Result<RegionLayout> compute_layout(const RegionParams& params);

// The fixed part of the header create_region writes for layout.
[[nodiscard]] RegionInfo make_region_info(const RegionLayout& layout, std::int64_t created_unix_ns);

// The fixed part of one ring's RingControl.
[[nodiscard]] RingInfo make_ring_info(const RegionLayout& layout, RingKind kind, std::uint32_t worker);

// Checks that region (all the bytes of a region as mapped) is a sluice region of this ABI
// version whose header is consistent with its size, and returns its layout. program names
// this process in the version-mismatch message ("this sluice-dp speaks 4").
[[nodiscard]] Result<RegionLayout> validate_region(std::span<const std::uint8_t> region,
                                                   std::string_view program);

}  // namespace sluice::abi
