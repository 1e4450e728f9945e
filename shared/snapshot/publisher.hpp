// The writer side of snapshot publication (the rte_rcu_qsbr model): the control plane fills a
// free slot with an immutable table, switches the published word to it with one store, and
// reuses a slot only after every worker has passed the publication that retired it. Workers are
// never stopped or signalled; see reader.hpp for their side.
//
// The algorithm does not own the memory. The published word, the K slots and the per-worker
// quiescent generations live wherever the caller lays them out (the shared-memory ABI); the
// Publisher takes a reference to the word, K, and a WorkerTable naming the workers' atomics.
// What it keeps privately is only the writer's own bookkeeping: which publication retired each
// slot.
//
// Reclamation rule. Generations count publications: 1, 2, 3, ... Publishing generation g
// supersedes the slot that held g - 1. A worker's quiescent generation q means "I hold no
// reference to any generation < q" (it stores the generation it used at the end of each batch,
// and its next batch uses a generation >= q). Hence:
//
//   slot s is free  <=>  s is not the published slot, and
//                        (s was never published, or
//                         min over workers of q  >=  the generation that superseded s)
//
// with q = kOffline (UINT64_MAX) for an offline worker, so offline workers never hold a slot.
//
// Timeline, K = 3 slots A B C, two workers (time runs to the right):
//
//   writer:   pub g1->A     pub g2->B             pub g3->C
//   worker 0:     [b g1]q0=1      [b g2 ........................]q0=2      [b g3]q0=3
//   worker 1: offline, q1 = UINT64_MAX .........................................................
//                                                             ^         ^             ^
//                                                             t1        t2            t3
//
//   at t1: min q = 1 (worker 0 is in its g2 batch but announced g1)
//          A, superseded by g2: held (1 < 2)      B, superseded by g3: held
//   at t2: min q = 2   A free (2 >= 2)            B held (2 < 3)
//   at t3: min q = 3   A free                     B free (3 >= 3)
//   C is never free while it is the published slot, even with every worker offline.
//
// Coming back online: a worker announces a generation <= the one it will use and re-reads the
// published word before touching any slot (Reader::come_online); the writer may have recycled
// everything else in the meantime.
//
// Memory orders: the publishing store and the quiescent loads are seq_cst. Release on the store
// (the slot's contents happen-before a reader sees the word) and acquire on the loads (a worker's
// reads of a slot happen-before the writer refills it) would be enough for workers that stay
// online; seq_cst is for the come_online handshake explained in reader.hpp. It costs the writer
// one locked instruction per publication on x86 and costs the workers nothing: their per-batch
// load stays an acquire.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shared/snapshot/published_word.hpp"

namespace sluice::snapshot {

// Where the workers' quiescent generations live: anything indexable that yields the atomics.
// std::span<std::atomic<std::uint64_t>> qualifies, and MemberView reaches atomics embedded in
// larger per-worker records (64-byte aligned in the shared-memory ABI).
template <typename T>
concept WorkerTable = requires(const T& table, std::size_t index) {
    { table.size() } -> std::convertible_to<std::size_t>;
    { table[index] } -> std::same_as<std::atomic<std::uint64_t>&>;
};

// A view of one atomic member across an array of records, e.g.
//   MemberView{std::span(layout->workers), &WorkerRecord::quiescent_generation}
template <typename Record>
class MemberView {
public:
    using Member = std::atomic<std::uint64_t> Record::*;

    MemberView(std::span<Record> records, Member member) noexcept : records_(records), member_(member) {}

    [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
    [[nodiscard]] std::atomic<std::uint64_t>& operator[](std::size_t index) const noexcept {
        return records_[index].*member_;
    }

private:
    std::span<Record> records_;
    Member member_;
};

template <typename Record, std::size_t Extent>
MemberView(std::span<Record, Extent>, std::atomic<std::uint64_t> Record::*) -> MemberView<Record>;

// The default idle step of wait_for_free_slot: offer the CPU to a worker that still holds the
// slot we are waiting for, without sleeping (tests wait for conditions, not for time).
struct YieldIdle {
    void operator()() const noexcept { std::this_thread::yield(); }
};

// The idle step for a writer that shares a CPU with an online worker (sluiced beside pinned
// workers on a small box). The worker holding the slot is then often one the writer itself
// preempted mid-batch, and sched_yield under CFS tends to hand the CPU straight back to the
// writer; a short sleep lets the worker finish its batch. In that setup (2 CPUs, 2 readers)
// bench_snapshot_publish measured 300 to 750 publications/s with YieldIdle and 10 000 to
// 34 000/s with a 20 µs SleepIdle.
struct SleepIdle {
    std::chrono::microseconds pause{20};
    void operator()() const { std::this_thread::sleep_for(pause); }
};

template <WorkerTable Workers>
class Publisher {
public:
    // Adopts whatever the published word already says, so a restarted writer can resume over
    // live workers: it does not know when the other slots were retired, so it assumes the latest
    // possible moment (the current generation), which can only make it wait longer, never reuse
    // a slot early. A zero word means nothing was ever published and every slot is free.
    //
    // Throws std::invalid_argument for a slot count outside [2, kMaxSlots] or a published word
    // naming a slot beyond it: these are layout bugs, not run-time conditions.
    Publisher(std::atomic<std::uint64_t>& published, std::size_t slot_count, Workers workers)
        : published_(&published), workers_(std::move(workers)) {
        if (slot_count < 2 || slot_count > kMaxSlots) {
            throw std::invalid_argument("snapshot publisher: slot count " + std::to_string(slot_count) +
                                        " outside [2, " + std::to_string(kMaxSlots) + "]");
        }
        current_ = unpack(published_->load(std::memory_order_seq_cst));
        if (current_.slot >= slot_count) {
            throw std::invalid_argument("snapshot publisher: published slot " +
                                        std::to_string(current_.slot) + " beyond slot count " +
                                        std::to_string(slot_count));
        }
        superseded_by_.assign(slot_count, current_.empty() ? kNeverPublished : current_.generation);
    }

    // One writer per table: a copy would be a second writer with its own idea of the slots.
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;
    Publisher(Publisher&&) noexcept = default;
    Publisher& operator=(Publisher&&) noexcept = default;

    // A slot the writer may fill now, or nullopt if every other slot is still held by a worker.
    // The choice is reserved until it is published: asking again returns the same slot. Among
    // free slots it prefers one never used, then the one retired longest ago.
    //
    // Once returned, the slot stays safe to fill: workers only move forward, and a worker coming
    // online only ever picks up the published slot (see come_online).
    [[nodiscard]] std::optional<std::size_t> acquire_free_slot() {
        if (reserved_ == kNoSlot) {
            const std::uint64_t min_quiescent = min_quiescent_generation();
            for (std::size_t slot = 0; slot < superseded_by_.size(); ++slot) {
                if (!is_free(slot, min_quiescent)) continue;
                if (reserved_ == kNoSlot || superseded_by_[slot] < superseded_by_[reserved_])
                    reserved_ = slot;
            }
        }
        if (reserved_ == kNoSlot) return std::nullopt;
        return reserved_;
    }

    // Polls acquire_free_slot until it succeeds or clock.now() reaches the deadline (it always
    // polls at least once), calling idle() between polls. It never sleeps itself: tests pass a
    // fake clock and a counting idle; a daemon may pass an idle that sleeps or runs its loop.
    template <typename ClockT, typename Idle = YieldIdle>
    [[nodiscard]] std::optional<std::size_t> wait_for_free_slot(typename ClockT::time_point deadline,
                                                                ClockT& clock, Idle&& idle = Idle{}) {
        for (;;) {
            if (auto slot = acquire_free_slot()) return slot;
            if (!(clock.now() < deadline)) return std::nullopt;
            idle();
        }
    }

    // Makes `slot` (filled since acquire_free_slot returned it) the published snapshot with
    // generation previous + 1, by one store of the packed word, and returns that generation.
    // The slot it replaces becomes reclaimable once every worker has reached the new generation.
    //
    // Throws std::logic_error if `slot` is not the one acquire_free_slot handed out: publishing
    // anything else means the caller wrote into a slot that workers may be reading.
    std::uint64_t publish(std::size_t slot) {
        if (reserved_ == kNoSlot || reserved_ != slot) {
            throw std::logic_error("snapshot publisher: slot " + std::to_string(slot) +
                                   " was not handed out by acquire_free_slot");
        }
        if (current_.generation >= kMaxGeneration) {
            throw std::overflow_error("snapshot publisher: generation space exhausted");
        }
        const SlotRef next{slot, current_.generation + 1};
        if (!current_.empty()) superseded_by_[current_.slot] = next.generation;
        current_ = next;
        reserved_ = kNoSlot;
        // The single switch. seq_cst rather than release: see the header comment.
        published_->store(pack(next), std::memory_order_seq_cst);
        return next.generation;
    }

    // The oldest generation any online worker may still hold, kOffline if none is online.
    // Acquire (via seq_cst) pairs with the workers' release-stores: everything a worker read
    // before announcing q happens-before what the writer does after seeing q.
    [[nodiscard]] std::uint64_t min_quiescent_generation() const {
        std::uint64_t min_quiescent = kOffline;
        for (std::size_t worker = 0; worker < workers_.size(); ++worker) {
            const std::uint64_t q = workers_[worker].load(std::memory_order_seq_cst);
            if (q < min_quiescent) min_quiescent = q;
        }
        return min_quiescent;
    }

    // The reclamation rule for one slot, with a fresh look at the workers.
    [[nodiscard]] bool is_free(std::size_t slot) const {
        return slot < superseded_by_.size() && is_free(slot, min_quiescent_generation());
    }

    [[nodiscard]] SlotRef published() const noexcept { return current_; }
    // The generation the next publish() will assign; writers stamp it into the slot they fill.
    [[nodiscard]] std::uint64_t next_generation() const noexcept { return current_.generation + 1; }
    [[nodiscard]] std::size_t slot_count() const noexcept { return superseded_by_.size(); }
    [[nodiscard]] std::size_t worker_count() const noexcept { return workers_.size(); }

private:
    // No publication has generation 0, so 0 can mark a slot no worker has ever been shown.
    static constexpr std::uint64_t kNeverPublished = kNoGeneration;
    static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

    [[nodiscard]] bool is_free(std::size_t slot, std::uint64_t min_quiescent) const noexcept {
        if (!current_.empty() && slot == current_.slot) return false;
        return superseded_by_[slot] == kNeverPublished || min_quiescent >= superseded_by_[slot];
    }

    std::atomic<std::uint64_t>* published_;
    Workers workers_;
    SlotRef current_{};
    // For each slot, the generation whose publication retired it (kNeverPublished if none).
    // Meaningless for the published slot.
    std::vector<std::uint64_t> superseded_by_;
    // The slot acquire_free_slot handed out and publish() has not consumed yet, or kNoSlot.
    std::size_t reserved_ = kNoSlot;
};

}  // namespace sluice::snapshot
