#include "shared/abi/region_layout.hpp"

#include <bit>
#include <cstring>

namespace sluice::abi {
namespace {

constexpr std::uint64_t round_up(std::uint64_t value, std::uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

// The T at offset. memcpy, not a cast: validate_region runs over buffers of any alignment.
// Only plain structs written once at creation are read this way: the other process may be
// running and writing the atomic words (pids, ring positions) right now.
template <typename T>
T read_at(std::span<const std::uint8_t> region, std::uint64_t offset) {
    static_assert(kIsPlainAbiType<T>);
    T value;
    std::memcpy(&value, region.data() + offset, sizeof(T));
    return value;
}

constexpr std::string_view kind_name(RingKind kind) {
    return kind == RingKind::event ? "event" : "injection";
}

Status check_extent(std::string_view name, const SectionExtent& stored, const SectionExtent& expected) {
    if (stored.offset == expected.offset && stored.size == expected.size) return {};
    return fail(
        "shared memory header puts the {} section at offset {} ({} bytes), its geometry at {} ({} bytes)",
        name, stored.offset, stored.size, expected.offset, expected.size);
}

Status check_rings(std::span<const std::uint8_t> region, const RegionLayout& layout, RingKind kind) {
    for (std::uint32_t worker = 0; worker < layout.params.worker_count; ++worker) {
        const std::uint64_t offset =
            kind == RingKind::event ? layout.event_ring_offset(worker) : layout.injection_ring_offset(worker);
        const auto stored = read_at<RingInfo>(region, offset + offsetof(RingControl, info));
        const RingInfo expected = make_ring_info(layout, kind, worker);
        if (stored.capacity != expected.capacity || stored.slot_size != expected.slot_size ||
            stored.kind != expected.kind || stored.worker_index != expected.worker_index) {
            return fail(
                "shared memory {} ring {} has capacity {}, slot size {}, kind {}, worker {}; expected {}, "
                "{}, {}, {}",
                kind_name(kind), worker, stored.capacity, stored.slot_size,
                static_cast<std::uint32_t>(stored.kind), stored.worker_index, expected.capacity,
                expected.slot_size, static_cast<std::uint32_t>(expected.kind), expected.worker_index);
        }
    }
    return {};
}

}  // namespace

Result<RegionLayout> compute_layout(const RegionParams& params) {
    if (params.worker_count == 0 || params.worker_count > kMaxWorkers) {
        return fail("worker count {} is outside 1..{}", params.worker_count, kMaxWorkers);
    }
    if (!std::has_single_bit(params.ring_capacity) || params.ring_capacity > kMaxRingCapacity) {
        return fail("ring capacity {} is not a power of two in 1..{}", params.ring_capacity,
                    kMaxRingCapacity);
    }
    if (params.snapshot_payload_capacity == 0 || params.snapshot_payload_capacity > kMaxSnapshotPayload) {
        return fail("snapshot payload capacity {} is outside 1..{}", params.snapshot_payload_capacity,
                    kMaxSnapshotPayload);
    }

    if (params.peer_capacity < 2 || params.peer_capacity > kMaxPeerCapacity) {
        return fail("peer counter capacity {} is outside 2..{}", params.peer_capacity, kMaxPeerCapacity);
    }

    RegionLayout layout{};
    layout.params = params;
    layout.snapshot_slot_stride =
        round_up(sizeof(SnapshotSlotHeader) + params.snapshot_payload_capacity, kCacheLine);
    layout.ring_stride = sizeof(RingControl) + std::uint64_t{params.ring_capacity} * sizeof(RingSlot);

    // The header gets the first page to itself; each section then starts on a page boundary.
    std::uint64_t cursor = round_up(sizeof(RegionHeader), kSectionAlignment);
    const auto place = [&cursor](std::uint64_t size) {
        const SectionExtent extent{cursor, round_up(size, kSectionAlignment)};
        cursor += extent.size;
        return extent;
    };
    layout.snapshots = place(kSnapshotSlotCount * layout.snapshot_slot_stride);
    layout.workers = place(std::uint64_t{params.worker_count} * sizeof(WorkerRecord));
    layout.event_rings = place(std::uint64_t{params.worker_count} * layout.ring_stride);
    layout.injection_rings = place(std::uint64_t{params.worker_count} * layout.ring_stride);
    layout.peer_counters =
        place(std::uint64_t{params.worker_count} * params.peer_capacity * sizeof(PeerCounters));
    layout.total_size = cursor;
    return layout;
}

RegionInfo make_region_info(const RegionLayout& layout, std::int64_t created_unix_ns) {
    RegionInfo info{};
    info.magic = kMagic;
    info.abi_version = kAbiVersion;
    info.header_size = sizeof(RegionHeader);
    info.total_size = layout.total_size;
    info.worker_count = layout.params.worker_count;
    info.snapshot_slot_count = kSnapshotSlotCount;
    info.snapshot_payload_capacity = layout.params.snapshot_payload_capacity;
    info.ring_capacity = layout.params.ring_capacity;
    info.ring_slot_size = kRingSlotSize;
    info.created_unix_ns = created_unix_ns;
    info.peer_capacity = layout.params.peer_capacity;
    info.snapshots = layout.snapshots;
    info.workers = layout.workers;
    info.event_rings = layout.event_rings;
    info.injection_rings = layout.injection_rings;
    info.peer_counters = layout.peer_counters;
    return info;
}

RingInfo make_ring_info(const RegionLayout& layout, RingKind kind, std::uint32_t worker) {
    RingInfo info{};
    info.capacity = layout.params.ring_capacity;
    info.slot_size = kRingSlotSize;
    info.kind = kind;
    info.worker_index = worker;
    return info;
}

Result<RegionLayout> validate_region(std::span<const std::uint8_t> region, std::string_view program) {
    // magic and abi_version sit at offsets 0 and 8 in every version, so they are read before
    // anything whose position depends on the version.
    constexpr std::size_t kIdentitySize = offsetof(RegionInfo, abi_version) + sizeof(RegionInfo::abi_version);
    if (region.size() < kIdentitySize) {
        return fail("shared memory region is {} bytes, too small to be a sluice region", region.size());
    }
    const auto magic = read_at<std::uint64_t>(region, offsetof(RegionInfo, magic));
    if (magic != kMagic) {
        return fail("shared memory region has magic {:#018x}, not sluice's {:#018x}", magic, kMagic);
    }
    const auto version = read_at<std::uint32_t>(region, offsetof(RegionInfo, abi_version));
    if (version != kAbiVersion) {
        return fail("shared memory ABI version {}, this {} speaks {}: restart both from the same build",
                    version, program, kAbiVersion);
    }
    if (region.size() < sizeof(RegionHeader)) {
        return fail("shared memory region is {} bytes, smaller than its {}-byte header", region.size(),
                    sizeof(RegionHeader));
    }

    const auto info = read_at<RegionInfo>(region, offsetof(RegionHeader, info));
    if (info.header_size != sizeof(RegionHeader)) {
        return fail("shared memory header says it is {} bytes, expected {}", info.header_size,
                    sizeof(RegionHeader));
    }
    if (info.total_size != region.size()) {
        return fail("shared memory region is {} bytes but its header says {}{}", region.size(),
                    info.total_size, region.size() < info.total_size ? ": truncated" : "");
    }
    if (info.snapshot_slot_count != kSnapshotSlotCount || info.ring_slot_size != kRingSlotSize) {
        return fail("shared memory header has {} snapshot slots and {}-byte ring slots, expected {} and {}",
                    info.snapshot_slot_count, info.ring_slot_size, kSnapshotSlotCount, kRingSlotSize);
    }

    auto layout = compute_layout({.worker_count = info.worker_count,
                                  .snapshot_payload_capacity = info.snapshot_payload_capacity,
                                  .ring_capacity = info.ring_capacity,
                                  .peer_capacity = info.peer_capacity});
    if (!layout) return fail(layout.error().with_context("shared memory header"));
    if (layout->total_size != info.total_size) {
        return fail("shared memory header's geometry needs {} bytes but it says {}", layout->total_size,
                    info.total_size);
    }
    for (const Status& status :
         {check_extent("snapshot", info.snapshots, layout->snapshots),
          check_extent("worker", info.workers, layout->workers),
          check_extent("event ring", info.event_rings, layout->event_rings),
          check_extent("injection ring", info.injection_rings, layout->injection_rings),
          check_extent("peer counter", info.peer_counters, layout->peer_counters),
          check_rings(region, *layout, RingKind::event), check_rings(region, *layout, RingKind::injection)}) {
        if (!status) return fail(status.error());
    }
    return layout;
}

}  // namespace sluice::abi
