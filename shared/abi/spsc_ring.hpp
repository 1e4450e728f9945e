// Single-producer single-consumer rings over the shared slots: the event rings (a worker
// produces, sluiced consumes) and the injection rings (sluiced produces, a worker consumes).
//
// No locks, no allocation, no syscalls: a push writes a slot and release-stores tail; a pop
// acquire-loads tail, reads the slot and release-stores head. A full ring is not an error
// here: try_push returns false and the caller counts DropReason::ring_full. Neither side ever
// waits for the other, so a stalled control plane costs the data plane dropped events, never
// a stalled worker.
//
// Exactly one RingProducer and one RingConsumer may exist per ring at a time (one per side).
// They keep no position of their own, only a cached copy of the other side's, so a restarted
// control plane builds fresh ones and carries on where the old process stopped.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "shared/abi/layout.hpp"

namespace sluice::abi {

// One ring in a mapped region. capacity comes from the validated layout, not from the shared
// RingControl, so a corrupt peer cannot make the index mask reach outside the slots.
struct RingRef {
    RingControl* control;
    RingSlot* slots;
    std::uint32_t capacity;  // a power of two
};

// A message still in its slot (RingConsumer::try_peek); valid until pop().
struct RingEntry {
    std::uint16_t type;
    std::uint64_t aux;
    std::span<const std::uint8_t> payload;
};

// A message copied out of the ring (RingConsumer::try_pop).
struct RingMessage {
    std::uint16_t type = 0;
    std::uint64_t aux = 0;
    std::uint32_t length = 0;
    std::array<std::uint8_t, kRingPayloadMax> bytes;

    [[nodiscard]] std::span<const std::uint8_t> payload() const noexcept { return {bytes.data(), length}; }
};

class RingProducer {
public:
    explicit RingProducer(RingRef ring) noexcept
        : ring_(ring), head_cache_(ring.control->head.load(std::memory_order_acquire)) {}

    [[nodiscard]] static constexpr bool fits(std::size_t payload_size) noexcept {
        return payload_size <= kRingPayloadMax;
    }

    // Copies payload into the next free slot and publishes it. False when the ring is full,
    // and also when payload does not fit a slot, which is the caller's bug: frames are split
    // before they are pushed (see fits()).
    [[nodiscard]] bool try_push(std::span<const std::uint8_t> payload, std::uint16_t type,
                                std::uint64_t aux = 0) noexcept {
        if (!fits(payload.size())) return false;
        const std::span<std::uint8_t> area = try_reserve();
        if (area.empty()) return false;
        if (!payload.empty()) std::memcpy(area.data(), payload.data(), payload.size());
        commit(type, static_cast<std::uint32_t>(payload.size()), aux);
        return true;
    }

    // Zero-copy push in two steps, for payloads assembled in place (an UnknownSource prefix and
    // then the datagram): the payload area of the next free slot (kRingPayloadMax bytes), or an
    // empty span when the ring is full. Nothing is visible to the consumer until commit().
    [[nodiscard]] std::span<std::uint8_t> try_reserve() noexcept {
        const std::uint64_t tail = ring_.control->tail.load(std::memory_order_relaxed);
        if (tail - head_cache_ >= ring_.capacity) {
            // Only now look at the consumer's line: while the cached head shows room, the
            // producer never touches it and the two sides do not bounce cache lines.
            head_cache_ = ring_.control->head.load(std::memory_order_acquire);
            if (tail - head_cache_ >= ring_.capacity) return {};
        }
        return slot(tail).payload;
    }

    // Publishes the slot try_reserve() returned, with length bytes of payload.
    void commit(std::uint16_t type, std::uint32_t length, std::uint64_t aux = 0) noexcept {
        const std::uint64_t tail = ring_.control->tail.load(std::memory_order_relaxed);
        slot(tail).header = RingSlotHeader{type, 0, std::min<std::uint32_t>(length, kRingPayloadMax), aux};
        ring_.control->tail.store(tail + 1, std::memory_order_release);
    }

private:
    RingSlot& slot(std::uint64_t index) const noexcept { return ring_.slots[index & (ring_.capacity - 1)]; }

    RingRef ring_;
    std::uint64_t head_cache_;
};

class RingConsumer {
public:
    explicit RingConsumer(RingRef ring) noexcept
        : ring_(ring), tail_cache_(ring.control->tail.load(std::memory_order_acquire)) {}

    // The oldest message, left in its slot, or nothing when the ring is empty. The payload
    // stays valid until pop(), which must follow before the next try_peek().
    [[nodiscard]] std::optional<RingEntry> try_peek() noexcept {
        const std::uint64_t head = ring_.control->head.load(std::memory_order_relaxed);
        if (head == tail_cache_) {
            tail_cache_ = ring_.control->tail.load(std::memory_order_acquire);
            if (head == tail_cache_) return std::nullopt;
        }
        const RingSlot& s = ring_.slots[head & (ring_.capacity - 1)];
        // The producer never writes a longer length, but the clamp costs one instruction and
        // keeps a corrupt slot from sending a reader past its end.
        const std::uint32_t length = std::min<std::uint32_t>(s.header.length, kRingPayloadMax);
        return RingEntry{s.header.type, s.header.aux, {s.payload.data(), length}};
    }

    // Frees the slot of the message try_peek() returned.
    void pop() noexcept {
        const std::uint64_t head = ring_.control->head.load(std::memory_order_relaxed);
        ring_.control->head.store(head + 1, std::memory_order_release);
    }

    // Copies the oldest message into out and frees its slot; false when the ring is empty.
    [[nodiscard]] bool try_pop(RingMessage& out) noexcept {
        const std::optional<RingEntry> entry = try_peek();
        if (!entry) return false;
        out.type = entry->type;
        out.aux = entry->aux;
        out.length = static_cast<std::uint32_t>(entry->payload.size());
        if (!entry->payload.empty())
            std::memcpy(out.bytes.data(), entry->payload.data(), entry->payload.size());
        pop();
        return true;
    }

    // Messages waiting, as of now (the producer may be adding more).
    [[nodiscard]] std::uint64_t size() const noexcept {
        return ring_.control->tail.load(std::memory_order_acquire) -
               ring_.control->head.load(std::memory_order_relaxed);
    }

private:
    RingRef ring_;
    std::uint64_t tail_cache_;
};

}  // namespace sluice::abi
