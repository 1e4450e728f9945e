// Anti-replay window for sluice's native protocol: RFC 6479's ring of 64-bit words, 8192 bits
// (performance.md: kernel WireGuard went from 2048 to 8192 because multi-queue reordering
// caused drops). Not used for tinc's legacy packets, whose exact window is tinc_replay.hpp.
//
// The check is split from the update on purpose: check() runs BEFORE authentication, so a
// forged packet costs no AEAD work when its counter is already seen, and update() runs only
// AFTER authentication succeeded, so a forged packet can never move the window.
//
// Usable counters are 0 .. 2^64-1; the window accepts anything newer than the highest counter
// seen, and older counters down to window_size - 1 below it if not seen yet. One window per
// (peer, key, receiving worker); not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::dataplane::crypto {

class ReplayWindow {
public:
    static constexpr std::size_t bits = 8192;
    static constexpr std::size_t word_bits = 64;
    static constexpr std::size_t words = bits / word_bits;
    // RFC 6479 gives up one word so the ring can advance a word at a time without clearing
    // bits that are still in use: counters up to 8128 - 1 below the highest are tracked.
    static constexpr std::uint64_t window_size = bits - word_bits;

    // True if `counter` has not been seen and is not too old. Does not change anything.
    [[nodiscard]] bool check(std::uint64_t counter) const noexcept {
        if (counter > highest_) return true;
        if (highest_ - counter >= window_size) return false;
        return (ring_[word_index(counter)] & bit(counter)) == 0;
    }

    // Records an authenticated `counter`. Call only after check() said yes and the packet
    // authenticated; an out-of-window counter is ignored.
    void update(std::uint64_t counter) noexcept {
        if (counter > highest_) {
            // Clear the words the window slides over. A jump of a full ring or more clears
            // it all; the loop is bounded by `words` whatever the jump.
            const std::uint64_t old_word = highest_ / word_bits;
            const std::uint64_t new_word = counter / word_bits;
            const std::uint64_t advance = new_word - old_word;
            const std::uint64_t to_clear = advance < words ? advance : words;
            for (std::uint64_t i = 1; i <= to_clear; ++i) ring_[(old_word + i) % words] = 0;
            highest_ = counter;
        } else if (highest_ - counter >= window_size) {
            return;
        }
        ring_[word_index(counter)] |= bit(counter);
    }

    void reset() noexcept { *this = ReplayWindow{}; }

    // The highest counter recorded; 0 also before anything was recorded.
    [[nodiscard]] std::uint64_t highest() const noexcept { return highest_; }

private:
    static constexpr std::size_t word_index(std::uint64_t counter) noexcept {
        return static_cast<std::size_t>((counter / word_bits) % words);
    }
    static constexpr std::uint64_t bit(std::uint64_t counter) noexcept {
        return std::uint64_t{1} << (counter % word_bits);
    }

    // Counter 0 needs no special "nothing seen yet" state: with highest_ = 0 and an empty
    // ring, 0 is simply an unseen counter at the top of the window.
    std::uint64_t highest_ = 0;
    std::array<std::uint64_t, words> ring_{};
};

}  // namespace sluice::dataplane::crypto
