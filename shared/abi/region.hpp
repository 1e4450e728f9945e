// The shared-memory region itself: a sealed memfd mapped into both processes.
//
// sluiced (or whoever starts first) calls create_region and hands region.fd() to the other
// process (inherited across exec, or over a Unix socket with SCM_RIGHTS); the other calls
// attach_region, which refuses a region it cannot safely read. Both processes keep the fd, so
// that whichever survives can hand it to a restarted peer.
#pragma once

#include <cstdint>
#include <span>

#include "shared/abi/layout.hpp"
#include "shared/abi/region_layout.hpp"
#include "shared/abi/spsc_ring.hpp"
#include "shared/util/result.hpp"

namespace sluice::abi {

// One snapshot slot: its header and the table bytes after it.
struct SnapshotSlotRef {
    SnapshotSlotHeader* header;
    std::span<std::uint8_t> payload;  // snapshot_payload_capacity bytes
};

// A mapping of a region, unmapped (and its fd closed) on destruction. Accessors take indexes
// the caller got from layout(); an index out of range is a bug and throws std::out_of_range.
class Region {
public:
    ~Region();
    Region(Region&& other) noexcept;
    Region& operator=(Region&& other) noexcept;
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    [[nodiscard]] const RegionLayout& layout() const noexcept { return layout_; }
    // The memfd, owned by this Region, to pass to the other process.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] std::span<std::uint8_t> bytes() const noexcept { return {base_, layout_.total_size}; }

    [[nodiscard]] RegionHeader& header() const noexcept { return *at<RegionHeader>(0); }
    [[nodiscard]] SnapshotSlotRef snapshot_slot(std::uint32_t slot) const;
    [[nodiscard]] WorkerRecord& worker(std::uint32_t worker) const;
    // All worker records, contiguous: e.g. for a snapshot::MemberView over quiescent_generation.
    [[nodiscard]] std::span<WorkerRecord> workers() const noexcept;
    [[nodiscard]] RingRef event_ring(std::uint32_t worker) const;
    [[nodiscard]] RingRef injection_ring(std::uint32_t worker) const;
    // Worker `worker`'s peer counters, layout().params.peer_capacity of them.
    [[nodiscard]] std::span<PeerCounters> peer_counters(std::uint32_t worker) const;

private:
    friend Result<Region> create_region(const RegionLayout& layout);
    friend Result<Region> attach_region(int fd);

    Region(int fd, std::uint8_t* base, const RegionLayout& layout) noexcept
        : fd_(fd), base_(base), layout_(layout) {}
    void release() noexcept;

    // The object of type T at offset. The region is one mapping of page-aligned sections with
    // cache-line-aligned offsets inside them, so every T lands on its alignment.
    template <typename T>
    [[nodiscard]] T* at(std::uint64_t offset) const noexcept {
        return reinterpret_cast<T*>(base_ + offset);
    }
    [[nodiscard]] RingRef ring_at(std::uint64_t offset) const noexcept;

    int fd_ = -1;
    std::uint8_t* base_ = nullptr;
    RegionLayout layout_{};
};

// A new region for layout in a fresh memfd, sealed so that its size can never change (a
// shrink would turn the other process's next access into SIGBUS). Everything but the header
// and the rings' geometry starts zeroed (no snapshot published, all rings empty, pids 0)
// except the workers' quiescent generations, which start at kQuiescentOffline so that a worker
// that never starts never holds the snapshot writer back.
[[nodiscard]] Result<Region> create_region(const RegionLayout& layout);

// Maps the region in fd (which stays the caller's; the Region keeps its own duplicate) after
// checking that it is a sealed memfd holding a sluice region of this ABI version whose header
// agrees with its size (validate_region).
[[nodiscard]] Result<Region> attach_region(int fd);

}  // namespace sluice::abi
