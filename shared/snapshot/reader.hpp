// The worker side of snapshot publication: one Reader per data-plane worker thread.
//
// Per batch a worker does one acquire-load of the published word (begin_batch) and, when the
// generation changed since its last announcement, one release-store of its quiescent generation
// (end_batch). No locks, no allocation, no read-modify-write, nothing that can block: the writer
// never stops a worker, it only waits for workers to move on.
//
// Contract (checked with assert in debug builds):
//   - the worker touches a slot only between begin_batch() and end_batch(), and only the slot
//     that begin_batch() returned;
//   - begin/end alternate, and only while online;
//   - go_offline() and come_online() are called between batches.
//
// The quiescent atomic belongs to this worker alone; the published word is only ever loaded,
// so it may live in a read-only mapping.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>

#include "shared/snapshot/published_word.hpp"

namespace sluice::snapshot {

class Reader {
public:
    // Starts offline and leaves `quiescent` as it is: the layout that owns the atomic initialises
    // it to kOffline, so a worker that is never started never blocks the writer.
    Reader(const std::atomic<std::uint64_t>& published, std::atomic<std::uint64_t>& quiescent) noexcept
        : published_(&published), quiescent_(&quiescent) {}

    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // A worker that exits without saying so would otherwise pin the slot it used last forever.
    ~Reader() {
        if (online_) quiescent_->store(kOffline, std::memory_order_release);
    }

    // Rejoins reclamation. While this worker was offline the writer may have reused any slot but
    // the published one, so whatever the worker knew about slots before is void: the next
    // begin_batch() re-reads the published word, and nothing else may be touched before it.
    //
    // The announcement must be visible to the writer before this worker can load a slot the
    // writer considers free. That is a store-then-load on each side (here: store quiescent, load
    // published; writer: store published, load quiescent), which release/acquire cannot order:
    // both sides could read the old value, the writer would see kOffline and refill the slot this
    // worker is about to read. With all four operations seq_cst (the writer's publish store and
    // quiescent loads are seq_cst too) at least one side sees the other's store: either the writer
    // sees our announcement (which is <= any generation we use next, so it keeps that slot), or
    // our handshake load sees the writer's latest publication, and the following begin_batch()
    // cannot see anything older (read-read coherence on one atomic), so we never pick up a slot
    // the writer retired before it looked at us.
    void come_online() noexcept {
        assert(!online_);
        // Announce the newest generation we know of, not 0: 0 would stall every reclamation until
        // our first end_batch. Any value <= the generation we will use is safe.
        const std::uint64_t known = unpack(published_->load(std::memory_order_acquire)).generation;
        quiescent_->store(known, std::memory_order_seq_cst);
        // The handshake load; its value is not needed, only its place in the seq_cst order.
        static_cast<void>(published_->load(std::memory_order_seq_cst));
        announced_ = known;
        online_ = true;
    }

    // Leaves reclamation: from now on the writer may reuse every slot but the published one.
    // Release, so that every read this worker made of a slot happens-before the writer, having
    // acquire-loaded kOffline, overwrites that slot.
    void go_offline() noexcept {
        assert(online_ && !in_batch_);
        quiescent_->store(kOffline, std::memory_order_release);
        online_ = false;
    }

    // Acquire pairs with the writer's publishing store: the slot's contents, written before the
    // publication, are visible once we see the word. The returned slot stays valid until
    // end_batch(). An empty() result means nothing has been published yet.
    [[nodiscard]] SlotRef begin_batch() noexcept {
        assert(online_ && !in_batch_);
        current_ = unpack(published_->load(std::memory_order_acquire));
        assert(current_.generation >= announced_);
        in_batch_ = true;
        return current_;
    }

    // Announces "I hold nothing older than the generation I just used". Between batches the
    // worker holds nothing at all, and its next batch loads a generation >= this one (coherence),
    // so every slot superseded at or before this generation is free as far as this worker goes.
    //
    // Release, so that our reads of the slot happen-before the writer's reuse of it once the
    // writer acquire-loads this value. The store is skipped when the generation did not change:
    // repeating it would pull the cache line back from the writer after every scan for nothing.
    void end_batch() noexcept {
        assert(online_ && in_batch_);
        in_batch_ = false;
        if (current_.generation != announced_) {
            quiescent_->store(current_.generation, std::memory_order_release);
            announced_ = current_.generation;
        }
    }

    [[nodiscard]] bool online() const noexcept { return online_; }
    [[nodiscard]] bool in_batch() const noexcept { return in_batch_; }

private:
    const std::atomic<std::uint64_t>* published_;
    std::atomic<std::uint64_t>* quiescent_;
    SlotRef current_{};
    std::uint64_t announced_ = kNoGeneration;
    bool online_ = false;
    bool in_batch_ = false;
};

}  // namespace sluice::snapshot
