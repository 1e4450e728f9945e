// The published word: which slot holds the current snapshot, and its generation, packed into
// one 64-bit atomic so that the switch to a new snapshot is a single store and a reader's
// view of it is a single load.
//
//   bit 63 ................................. 8 7 ........ 0
//       | generation (56 bits)                | slot (8 bits) |
//
// Readers can never see a torn (slot, generation) pair: both live in one naturally aligned,
// always-lock-free 64-bit atomic, and every load returns exactly one value from its
// modification order, i.e. exactly one word the writer stored. Two separate atomics would need
// a seqlock-style retry loop on the reader side; one word needs nothing.
//
// Because the generation is in the high bits and only ever grows, the packed word itself grows
// with every publication: word order is publication order.
//
// 56 bits of generation last 2283 years at one million publications per second, so wrap-around
// is not handled; the publisher refuses to go past kMaxGeneration instead.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "shared/abi/layout.hpp"

namespace sluice::snapshot {

// The packing and the offline value are the shared-memory ABI's (one definition for both
// processes); this module only names them for its own use.
inline constexpr unsigned kSlotBits = abi::kPublishedSlotBits;
inline constexpr std::size_t kMaxSlots = std::size_t{1} << kSlotBits;
inline constexpr std::uint64_t kSlotMask = kMaxSlots - 1;
inline constexpr std::uint64_t kMaxGeneration = abi::kMaxGeneration;

// Generation 0 means "nothing published yet": the published word starts as 0, and the first
// publication is generation 1. A reader that sees generation 0 has no snapshot to look at.
inline constexpr std::uint64_t kNoGeneration = 0;

// A worker's quiescent generation while it is offline (parked, idle, not started, exited). It is
// larger than every real generation, so an offline worker never holds reclamation back.
inline constexpr std::uint64_t kOffline = abi::kQuiescentOffline;

inline constexpr std::size_t kCacheLine = abi::kCacheLine;

// The words are shared between processes (sluiced writes, sluice-dp reads): an atomic that
// needed a lock would use a process-local lock table and silently stop being atomic.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));
static_assert(kOffline > kMaxGeneration);

// One snapshot as named by the published word.
struct SlotRef {
    std::size_t slot = 0;
    std::uint64_t generation = kNoGeneration;

    [[nodiscard]] constexpr bool empty() const noexcept { return generation == kNoGeneration; }
    friend constexpr bool operator==(const SlotRef&, const SlotRef&) = default;
};

// The ABI's packing, in this module's terms.
[[nodiscard]] constexpr std::uint64_t pack(SlotRef ref) noexcept {
    return abi::pack_published({ref.generation, static_cast<std::uint32_t>(ref.slot & kSlotMask)});
}

[[nodiscard]] constexpr SlotRef unpack(std::uint64_t word) noexcept {
    const abi::Published p = abi::unpack_published(word);
    return SlotRef{p.slot, p.generation};
}

// A per-worker quiescent generation on its own cache line, for callers that do not embed the
// atomic in a larger record (tests, benchmarks, in-process use). Each worker stores to its cell
// once per changed generation; sharing a line with another worker's cell would make every such
// store invalidate the neighbour's line.
struct alignas(kCacheLine) QuiescentCell {
    std::atomic<std::uint64_t> generation{kOffline};
};
static_assert(sizeof(QuiescentCell) == kCacheLine);

}  // namespace sluice::snapshot
