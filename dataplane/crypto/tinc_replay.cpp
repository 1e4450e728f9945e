#include "dataplane/crypto/tinc_replay.hpp"

#include <cstring>

namespace sluice::dataplane::crypto {

std::string_view name(TincReplayVerdict verdict) noexcept {
    switch (verdict) {
        case TincReplayVerdict::accept:
            return "accept";
        case TincReplayVerdict::replayed:
            return "replayed";
        case TincReplayVerdict::too_old:
            return "too_old";
        case TincReplayVerdict::far_future_dropped:
            return "far_future_dropped";
    }
    return "unknown";
}

TincReplayWindow::TincReplayWindow(std::size_t window_bytes)
    : window_bytes_(window_bytes),
      // tinc computes replaywin * 8 in unsigned int; keep the same width and wrap.
      window_packets_(static_cast<std::uint32_t>(window_bytes) * 8u),
      late_(window_bytes > 0 ? std::make_unique<std::uint8_t[]>(window_bytes) : nullptr) {}

void TincReplayWindow::reset() noexcept {
    received_ = 0;
    far_future_ = 0;
    if (window_bytes_ > 0) std::memset(late_.get(), 0, window_bytes_);
}

bool TincReplayWindow::late(std::uint32_t seqno) const noexcept {
    return (late_[(seqno / 8) % window_bytes_] & (1u << (seqno % 8))) != 0;
}

void TincReplayWindow::set_late(std::uint32_t seqno) noexcept {
    late_[(seqno / 8) % window_bytes_] |= static_cast<std::uint8_t>(1u << (seqno % 8));
}

void TincReplayWindow::clear_late(std::uint32_t seqno) noexcept {
    late_[(seqno / 8) % window_bytes_] &= static_cast<std::uint8_t>(~(1u << (seqno % 8)));
}

// The branches follow tinc's receive_udppacket in the same order, with the same 32-bit
// wrapping sums, so edge cases (including the far-future test shadowing the "late" test
// when r + 8W wraps) come out as tinc's do.
TincReplayVerdict TincReplayWindow::check_and_update(std::uint32_t seqno) noexcept {
    if (window_bytes_ > 0) {
        if (seqno != received_ + 1) {
            if (seqno >= received_ + window_packets_) {
                // Tolerate a short burst from the far future (a peer that restarted its
                // counter elsewhere, or heavy loss), then resynchronise on the next one.
                if (far_future_++ < static_cast<std::uint32_t>(window_bytes_ >> 2)) {
                    return TincReplayVerdict::far_future_dropped;
                }
                lost_packets_ += seqno - received_ - 1;
                std::memset(late_.get(), 0, window_bytes_);
            } else if (seqno <= received_) {
                if (received_ >= window_packets_ && seqno <= received_ - window_packets_) {
                    return TincReplayVerdict::too_old;
                }
                if (!late(seqno)) return TincReplayVerdict::replayed;
            } else {
                // A gap: remember every skipped number as "may still arrive late".
                for (std::uint32_t i = received_ + 1; i < seqno; ++i) set_late(i);
            }
        }
        far_future_ = 0;
        clear_late(seqno);
    }
    if (seqno > received_) received_ = seqno;
    return TincReplayVerdict::accept;
}

}  // namespace sluice::dataplane::crypto
