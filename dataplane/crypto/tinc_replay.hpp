// tinc 1.0.36's receive-side sequence check (spec 5.3), reproduced rule for rule so that a
// sluice node drops and accepts exactly the packets a tincd would. It is weaker than an RFC
// 6479 window (replay_window.hpp) in known ways, kept on purpose for interop:
//   * the window is only 8*W packets (128 by default), so reordering across more is loss;
//   * a jump of 8*W or more is "far future": the first W/4 such packets in a row are dropped,
//     the next one is accepted and wipes the bitmap, so the numbers skipped by that jump
//     are later rejected as "replayed" even though they never arrived;
//   * arithmetic is 32-bit and wraps like tinc's (keys are renewed long before, at 2^30).
//
// One window per (peer, inbound key): reset() whenever this node issues a new key for the
// peer (spec 4.4), because the sender restarts at seqno 1. Not thread-safe: owned by the one
// worker that receives from that peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace sluice::dataplane::crypto {

enum class TincReplayVerdict : std::uint8_t {
    accept,
    replayed,            // at or below the highest seqno, inside the window, not marked late
    too_old,             // more than 8*W below the highest seqno
    far_future_dropped,  // 8*W or more ahead; one of the first W/4 in a row
};

[[nodiscard]] std::string_view name(TincReplayVerdict verdict) noexcept;

// tinc's ReplayWindow default, in bytes (16 bytes = 128 packets).
inline constexpr std::size_t tinc_default_replay_window = 16;
// Above this received seqno tinc forces key expiry at its next check (spec 4.6).
inline constexpr std::uint32_t tinc_max_seqno = 1u << 30;

class TincReplayWindow {
public:
    // window_bytes is tinc's ReplayWindow option: W bytes of "late" bitmap, 0 disables the
    // check (every seqno is accepted). Allocates W bytes: not for the hot path.
    explicit TincReplayWindow(std::size_t window_bytes = tinc_default_replay_window);

    // The whole rule set for one authenticated, decrypted packet. Updates the state only on
    // accept (apart from counting far-future drops, which is itself part of the rule).
    [[nodiscard]] TincReplayVerdict check_and_update(std::uint32_t seqno) noexcept;

    // New key: highest seqno back to 0, bitmap and far-future counter cleared. lost_packets()
    // is a lifetime statistic and survives.
    void reset() noexcept;

    [[nodiscard]] std::uint32_t highest() const noexcept { return received_; }
    // Packets skipped over when a far-future packet was finally accepted (tinc's "Lost %d
    // packets" log line), summed over the window's life.
    [[nodiscard]] std::uint64_t lost_packets() const noexcept { return lost_packets_; }
    // tinc expires all keys once a peer's seqno passes 2^30; the key owner should do the same.
    [[nodiscard]] bool wants_new_key() const noexcept { return received_ > tinc_max_seqno; }
    [[nodiscard]] std::size_t window_bytes() const noexcept { return window_bytes_; }

private:
    [[nodiscard]] bool late(std::uint32_t seqno) const noexcept;
    void set_late(std::uint32_t seqno) noexcept;
    void clear_late(std::uint32_t seqno) noexcept;

    std::size_t window_bytes_;
    std::uint32_t window_packets_;  // 8*W, wrapping as tinc's unsigned arithmetic does
    std::unique_ptr<std::uint8_t[]> late_;
    std::uint32_t received_ = 0;
    std::uint32_t far_future_ = 0;
    std::uint64_t lost_packets_ = 0;
};

}  // namespace sluice::dataplane::crypto
