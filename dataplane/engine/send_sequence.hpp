// tinc's legacy packets carry one sequence number space per (sender, key): the receiver's
// 128-packet replay window assumes numbers come from one counter. Workers that send to the
// same tinc peer therefore share its counter. One word per node packs the low 32 bits of the
// key id with the sequence number, so that a new key restarts the count at 1 (as tinc does)
// with the same compare-and-swap that hands out numbers. Lives in sluice-dp's own memory:
// it belongs to the sessions, which outlive a control-plane restart.
//
// Native sluice sessions do not use this: each worker there has its own sub-key and counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace sluice::dataplane::engine {

class SendSequences {
public:
    explicit SendSequences(std::uint32_t max_nodes)
        : size_(max_nodes), words_(std::make_unique<std::atomic<std::uint64_t>[]>(max_nodes)) {}

    [[nodiscard]] std::uint32_t size() const noexcept { return size_; }

    // The next sequence number for node_id under key_id: 1 for the first packet of a key.
    [[nodiscard]] std::uint32_t next(std::uint32_t node_id, std::uint64_t key_id) noexcept {
        auto& word = words_[node_id];
        const std::uint64_t key = key_id & 0xffffffffU;
        std::uint64_t current = word.load(std::memory_order_relaxed);
        for (;;) {
            const std::uint64_t next = (current >> 32) == key ? current + 1 : (key << 32) | 1U;
            if (word.compare_exchange_weak(current, next, std::memory_order_relaxed)) {
                return static_cast<std::uint32_t>(next);
            }
        }
    }

private:
    std::uint32_t size_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
};

}  // namespace sluice::dataplane::engine
