// The RFC 6479 window: hand-picked cases at the edges, then a differential run against a naive
// oracle (a set of every accepted counter) with a seeded RNG.
#include <cstdint>
#include <limits>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "dataplane/crypto/replay_window.hpp"

using sluice::dataplane::crypto::ReplayWindow;

namespace {

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();

// What a receiver does: check before authenticating, update after.
bool receive(ReplayWindow& window, std::uint64_t counter) {
    if (!window.check(counter)) return false;
    window.update(counter);
    return true;
}

}  // namespace

TEST_CASE("replay window: size") {
    STATIC_REQUIRE(ReplayWindow::bits == 8192);
    STATIC_REQUIRE(ReplayWindow::words == 128);
    STATIC_REQUIRE(ReplayWindow::window_size == 8128);
}

TEST_CASE("replay window: in order, each counter once") {
    ReplayWindow window;
    for (std::uint64_t c = 0; c < 20000; ++c) {
        REQUIRE(receive(window, c));
        REQUIRE_FALSE(window.check(c));
    }
    CHECK(window.highest() == 19999);
}

TEST_CASE("replay window: counter 0") {
    ReplayWindow window;
    CHECK(window.check(0));
    CHECK(window.check(0));  // check alone changes nothing
    window.update(0);
    CHECK_FALSE(window.check(0));
    CHECK(window.highest() == 0);
    CHECK(receive(window, 1));
    CHECK_FALSE(window.check(0));

    // 0 arriving late, after higher counters, is still accepted once.
    ReplayWindow late;
    CHECK(receive(late, 5));
    CHECK(receive(late, 0));
    CHECK_FALSE(receive(late, 0));
}

TEST_CASE("replay window: reordering within the window, duplicates, too old") {
    ReplayWindow window;
    const std::uint64_t top = 100000;
    REQUIRE(receive(window, top));
    // Everything in the window, oldest last, arrives once.
    for (std::uint64_t back = 1; back < ReplayWindow::window_size; ++back) {
        INFO("counter " << top - back);
        REQUIRE(receive(window, top - back));
    }
    for (std::uint64_t back = 0; back < ReplayWindow::window_size; ++back) {
        REQUIRE_FALSE(window.check(top - back));
    }
    // The first counter below the window, and anything older.
    CHECK_FALSE(window.check(top - ReplayWindow::window_size));
    CHECK_FALSE(window.check(0));
    // An update outside the window is ignored rather than corrupting the ring.
    window.update(top - ReplayWindow::window_size - 64);
    CHECK(window.highest() == top);
    CHECK(window.check(top + 1));

    ReplayWindow interleaved;
    for (std::uint64_t c : {10u, 8u, 12u, 9u, 11u, 7u}) REQUIRE(receive(interleaved, c));
    for (std::uint64_t c : {7u, 8u, 9u, 10u, 11u, 12u}) CHECK_FALSE(interleaved.check(c));
    CHECK(interleaved.check(6));
    CHECK(interleaved.check(13));
}

TEST_CASE("replay window: jumps larger than the window") {
    ReplayWindow window;
    REQUIRE(receive(window, 100));
    // Same ring position as 100, three rings later: the old bit must have been cleared.
    const std::uint64_t far = 100 + 3 * ReplayWindow::bits;
    REQUIRE(receive(window, far + 1));
    CHECK(window.check(far));
    CHECK_FALSE(window.check(100));  // too old now
    CHECK_FALSE(window.check(far + 1));
    CHECK(window.check(far + 1 - (ReplayWindow::window_size - 1)));
    CHECK_FALSE(window.check(far + 1 - ReplayWindow::window_size));

    // A jump of exactly one ring, and one of a single word, keep only what they should.
    ReplayWindow ring;
    for (std::uint64_t c = 0; c < 200; ++c) REQUIRE(receive(ring, c));
    REQUIRE(receive(ring, 199 + ReplayWindow::bits));
    for (std::uint64_t c = 200 + ReplayWindow::bits - ReplayWindow::window_size; c < 199 + ReplayWindow::bits;
         ++c) {
        INFO("counter " << c);
        REQUIRE(ring.check(c));
    }
    REQUIRE(receive(ring, 199 + ReplayWindow::bits + 64));
    CHECK(ring.check(199 + ReplayWindow::bits + 1));
    CHECK_FALSE(ring.check(199 + ReplayWindow::bits));
}

TEST_CASE("replay window: u64 edge values") {
    ReplayWindow window;
    REQUIRE(receive(window, max64 - 1));
    CHECK(window.check(max64));
    REQUIRE(receive(window, max64));
    CHECK_FALSE(window.check(max64));
    CHECK_FALSE(window.check(max64 - 1));
    CHECK(window.check(max64 - 2));
    CHECK(window.check(max64 - (ReplayWindow::window_size - 1)));
    CHECK_FALSE(window.check(max64 - ReplayWindow::window_size));
    CHECK_FALSE(window.check(0));
    CHECK(window.highest() == max64);

    window.reset();
    CHECK(window.highest() == 0);
    CHECK(window.check(0));
    CHECK(window.check(max64));
}

TEST_CASE("replay window agrees with a naive set on random traffic") {
    std::mt19937_64 rng(8192);
    ReplayWindow window;
    std::set<std::uint64_t> seen;
    std::uint64_t highest = 0;
    const auto oracle_accepts = [&](std::uint64_t c) {
        if (seen.contains(c)) return false;
        return c > highest || highest - c < ReplayWindow::window_size;
    };
    for (int i = 0; i < 200000; ++i) {
        std::uint64_t c = 0;
        switch (rng() % 8) {
            case 0:
                c = highest + 1 + rng() % 100;
                break;
            case 1:
                c = highest + rng() % (2 * ReplayWindow::bits);
                break;
            case 2:
                if (rng() % 50 == 0)
                    c = highest + rng() % (1ull << 40);  // rare huge jump
                else
                    c = highest + 1;
                break;
            default:
                c = highest - std::min<std::uint64_t>(highest, rng() % (ReplayWindow::bits + 256));
                break;
        }
        INFO("step " << i << ", highest " << highest << ", counter " << c);
        const bool expected = oracle_accepts(c);
        REQUIRE(window.check(c) == expected);
        if (expected) {
            window.update(c);
            seen.insert(c);
            highest = std::max(highest, c);
        }
        if (seen.size() > 50000) seen.erase(seen.begin(), seen.lower_bound(highest - 3 * ReplayWindow::bits));
    }
}
