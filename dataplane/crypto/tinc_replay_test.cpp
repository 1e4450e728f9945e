// tinc 1.0.36's replay window (spec 5.3): tables of packet sequences with the verdict tinc
// gives each, then a differential run against the spec's bullet list transcribed literally.
#include "dataplane/crypto/tinc_replay.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

using namespace sluice::dataplane::crypto;
using V = TincReplayVerdict;

namespace {

constexpr V A = V::accept;
constexpr V R = V::replayed;
constexpr V O = V::too_old;
constexpr V F = V::far_future_dropped;

struct Step {
    std::uint32_t seqno;
    V verdict;
};

struct Scenario {
    const char* name;
    std::size_t window_bytes;
    std::vector<Step> steps;
    std::uint32_t highest;
    std::uint64_t lost;
};

std::vector<Scenario> scenarios() {
    return {
        {"in order from 1", 16, {{1, A}, {2, A}, {3, A}, {4, A}}, 4, 0},
        {"duplicates", 16, {{1, A}, {2, A}, {2, R}, {1, R}, {3, A}, {3, R}}, 3, 0},
        {"seqno 0 is never accepted (tinc starts at 1)", 16, {{0, R}, {1, A}, {0, R}}, 1, 0},
        {"a gap marks the skipped numbers late, each accepted once",
         16,
         {{1, A}, {5, A}, {3, A}, {3, R}, {2, A}, {4, A}, {4, R}, {5, R}, {6, A}},
         6,
         0},
        // 1 is exactly 8W below 128 but not "too old" (that starts at r - 8W with r >= 8W);
        // its bit was cleared when it was accepted.
        {"largest in-window jump is r + 8W - 1", 16, {{1, A}, {128, A}, {2, A}, {127, A}, {1, R}}, 128, 0},
        {"too old: at or below r - 8W",
         16,
         // 100 marks 2..99 late; 200 marks 101..199, whose bits alias 2..99's (mod 128) and
         // clears 200's bit, which is 72's.
         {{1, A}, {100, A}, {200, A}, {50, O}, {72, O}, {73, A}, {73, R}, {150, A}, {199, A}, {101, A}},
         200,
         0},
        {"far future: W/4 dropped in a row, the next accepted, bitmap wiped",
         16,
         {{1, A}, {129, F}, {129, F}, {500, F}, {129, F}, {130, A}, {2, O}, {3, R}, {129, R}, {131, A}},
         131,
         128},
        {"an accept in between resets the far-future count",
         16,
         {{1, A}, {200, F}, {2, A}, {300, F}, {300, F}, {300, F}, {300, F}, {300, A}},
         300,
         297},
        {"replayed drops do not reset the far-future count",
         16,
         {{1, A}, {500, F}, {1, R}, {500, F}, {500, F}, {500, F}, {500, A}},
         500,
         498},
        {"W = 0 disables the check", 0, {{5, A}, {5, A}, {1, A}, {1000000, A}, {7, A}}, 1000000, 0},
        {"W = 1: 8 packets, no far-future tolerance",
         1,
         // 16 is r + 8: far future, accepted at once (W/4 = 0), so 9..15 are lost for good.
         {{1, A}, {8, A}, {16, A}, {3, O}, {9, R}, {20, A}, {17, A}, {9, O}},
         20,
         7},
        {"W = 4: 32 packets, one far-future drop", 4, {{1, A}, {40, F}, {40, A}, {41, A}, {39, R}}, 41, 38},
        {"W = 17 (not a power of two)", 17, {{1, A}, {136, A}, {68, A}, {68, R}, {272, F}}, 136, 0},
        {"32-bit wrap behaves as tinc's unsigned arithmetic",
         16,
         {{0xFFFFFFF0u, F},
          {0xFFFFFFF0u, F},
          {0xFFFFFFF0u, F},
          {0xFFFFFFF0u, F},
          {0xFFFFFFF0u, A},
          {5, O},
          {0xFFFFFFF1u, A},
          // r + 128 wraps to 0x71: small numbers, and even r + 4, now count as far future.
          {0x100u, F},
          {0xFFFFFFF5u, F}},
         0xFFFFFFF1u,
         0xFFFFFFEFu},
    };
}

// The spec's bullets in order, as plainly as possible, over 64-bit arithmetic. Only valid for
// sequences that stay far below 2^32 (no wrap), which the random run respects.
class SpecOracle {
public:
    explicit SpecOracle(std::size_t w) : w_(w), late_(w, 0) {}

    V receive(std::uint64_t s) {
        if (w_ > 0 && s != r_ + 1) {
            const std::uint64_t span = 8 * w_;
            if (s >= r_ + span) {
                ++ff_;
                if (ff_ <= w_ / 4) return V::far_future_dropped;
                lost_ += s - r_ - 1;
                std::fill(late_.begin(), late_.end(), 0);
            } else if (s <= r_) {
                if (r_ >= span && s <= r_ - span) return V::too_old;
                if (!bit(s)) return V::replayed;
            } else {
                for (std::uint64_t i = r_ + 1; i < s; ++i) late_[(i / 8) % w_] |= 1 << (i % 8);
            }
        }
        if (w_ > 0) {
            ff_ = 0;
            late_[(s / 8) % w_] &= static_cast<std::uint8_t>(~(1 << (s % 8)));
        }
        r_ = std::max(r_, s);
        return V::accept;
    }

    std::uint64_t r() const { return r_; }
    std::uint64_t lost() const { return lost_; }

private:
    bool bit(std::uint64_t s) const { return (late_[(s / 8) % w_] >> (s % 8)) & 1; }

    std::size_t w_;
    std::vector<std::uint8_t> late_;
    std::uint64_t r_ = 0, ff_ = 0, lost_ = 0;
};

}  // namespace

TEST_CASE("tinc replay window: table of sequences") {
    for (const Scenario& scenario : scenarios()) {
        SECTION(scenario.name) {
            TincReplayWindow window(scenario.window_bytes);
            for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
                const Step& step = scenario.steps[i];
                INFO("step " << i << ": seqno " << step.seqno);
                CHECK(name(window.check_and_update(step.seqno)) == name(step.verdict));
            }
            CHECK(window.highest() == scenario.highest);
            CHECK(window.lost_packets() == scenario.lost);
        }
    }
}

TEST_CASE("tinc replay window: reset on a new key") {
    TincReplayWindow window;
    for (std::uint32_t s : {1u, 2u, 10u}) REQUIRE(window.check_and_update(s) == V::accept);
    REQUIRE(window.check_and_update(2) == V::replayed);
    window.reset();
    CHECK(window.highest() == 0);
    CHECK(window.check_and_update(1) == V::accept);
    CHECK(window.check_and_update(2) == V::accept);
    // Old late bits are gone: 5 was marked late before the reset, now it is simply ahead.
    CHECK(window.check_and_update(5) == V::accept);
    CHECK(window.check_and_update(3) == V::accept);
    CHECK(window.check_and_update(5) == V::replayed);
}

TEST_CASE("tinc replay window: a seqno past 2^30 asks for a new key") {
    TincReplayWindow window;
    const std::uint32_t high = tinc_max_seqno + 1;
    for (int i = 0; i < 4; ++i) REQUIRE(window.check_and_update(high) == V::far_future_dropped);
    REQUIRE(window.check_and_update(high) == V::accept);
    CHECK(window.wants_new_key());
    window.reset();
    CHECK_FALSE(window.wants_new_key());
}

TEST_CASE("tinc replay window agrees with the spec's rules on random traffic") {
    std::mt19937_64 rng(6479);
    for (std::size_t w : {0u, 1u, 2u, 3u, 4u, 16u, 17u, 64u}) {
        TincReplayWindow window(w);
        SpecOracle oracle(w);
        for (int i = 0; i < 20000; ++i) {
            const std::uint64_t r = oracle.r();
            const std::uint64_t span = 8 * std::max<std::size_t>(w, 1);
            std::uint64_t s = 0;
            switch (rng() % 6) {
                case 0:
                    s = r + 1;
                    break;  // in order
                case 1:
                    s = r + 1 + rng() % span;
                    break;  // gap within the window
                case 2:
                    s = r - std::min<std::uint64_t>(r, rng() % span);
                    break;  // late or replayed
                case 3:
                    s = r - std::min<std::uint64_t>(r, rng() % (3 * span));
                    break;  // maybe too old
                case 4:
                    s = r + span + rng() % (4 * span);
                    break;  // far future
                default:
                    s = rng() % (r + 2);
                    break;  // anywhere behind
            }
            INFO("W " << w << ", step " << i << ", r " << r << ", s " << s);
            REQUIRE(s < (1ull << 31));
            REQUIRE(name(window.check_and_update(static_cast<std::uint32_t>(s))) == name(oracle.receive(s)));
            REQUIRE(window.highest() == oracle.r());
        }
        CHECK(window.lost_packets() == oracle.lost());
    }
}
