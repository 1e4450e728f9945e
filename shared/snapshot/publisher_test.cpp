// Single-threaded state-machine tests of the reclamation rule: a writer and workers driven step
// by step, so each case shows exactly which slots are free at which generation.
#include "shared/snapshot/publisher.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/snapshot/published_word.hpp"
#include "shared/snapshot/reader.hpp"

using namespace sluice::snapshot;

namespace {

using CellView = MemberView<QuiescentCell>;

template <std::size_t Workers>
struct Layout {
    std::atomic<std::uint64_t> published{0};
    std::array<QuiescentCell, Workers> workers{};

    CellView view() { return CellView{std::span(workers), &QuiescentCell::generation}; }
    std::atomic<std::uint64_t>& q(std::size_t worker) { return workers[worker].generation; }
    Reader reader(std::size_t worker) { return Reader{published, q(worker)}; }
};

std::uint64_t publish_next(Publisher<CellView>& publisher) {
    const auto slot = publisher.acquire_free_slot();
    REQUIRE(slot.has_value());
    return publisher.publish(*slot);
}

std::vector<std::size_t> free_slots(const Publisher<CellView>& publisher) {
    std::vector<std::size_t> slots;
    for (std::size_t slot = 0; slot < publisher.slot_count(); ++slot) {
        if (publisher.is_free(slot)) slots.push_back(slot);
    }
    return slots;
}

// A clock that moves one step each time it is read, so deadlines pass without real time.
struct StepClock {
    using time_point = std::chrono::steady_clock::time_point;
    time_point current{};
    int reads = 0;

    time_point now() {
        ++reads;
        current += std::chrono::milliseconds(1);
        return current;
    }
};

}  // namespace

TEST_CASE("the published word packs slot and generation and grows with the generation") {
    const SlotRef ref{7, 123456789};
    CHECK(unpack(pack(ref)) == ref);
    CHECK(unpack(pack(SlotRef{kMaxSlots - 1, kMaxGeneration})) == SlotRef{kMaxSlots - 1, kMaxGeneration});
    CHECK(unpack(0).empty());
    // The generation dominates: a later publication is a larger word whatever the slots.
    CHECK(pack(SlotRef{0, 6}) > pack(SlotRef{kMaxSlots - 1, 5}));
}

TEST_CASE("before the first publication every slot is free and readers see nothing") {
    Layout<2> layout;
    Publisher publisher(layout.published, 3, layout.view());
    Reader reader = layout.reader(0);
    reader.come_online();

    CHECK(publisher.published().empty());
    CHECK(free_slots(publisher) == std::vector<std::size_t>{0, 1, 2});
    CHECK(reader.begin_batch().empty());
    reader.end_batch();
    CHECK(layout.q(0).load() == kNoGeneration);
    // Never-published slots are free even while a worker sits at generation 0.
    CHECK(publisher.acquire_free_slot() == std::size_t{0});
}

TEST_CASE("publish assigns consecutive generations with one store of the packed word") {
    Layout<1> layout;
    Publisher publisher(layout.published, 3, layout.view());

    for (std::uint64_t expected = 1; expected <= 6; ++expected) {
        const auto slot = publisher.acquire_free_slot();
        REQUIRE(slot.has_value());
        CHECK(publisher.next_generation() == expected);
        CHECK(publisher.publish(*slot) == expected);
        CHECK(publisher.published() == SlotRef{*slot, expected});
        CHECK(layout.published.load() == pack(SlotRef{*slot, expected}));
    }
}

TEST_CASE("a slot is free once every worker reached the generation that superseded it") {
    // K = 3: A (slot 0) gets g1, B (slot 1) g2, C (slot 2) g3. Then A was superseded by g2, B by
    // g3, and C is published.
    Layout<2> layout;
    Publisher publisher(layout.published, 3, layout.view());
    REQUIRE(publish_next(publisher) == 1);
    REQUIRE(publish_next(publisher) == 2);
    REQUIRE(publish_next(publisher) == 3);
    REQUIRE(publisher.published() == SlotRef{2, 3});

    struct Row {
        std::uint64_t q0;
        std::uint64_t q1;
        std::vector<std::size_t> free;
    };
    const auto row = GENERATE(Row{0, 0, {}},                     // nobody has finished a batch
                              Row{1, 3, {}},                     // worker 0 may still read A
                              Row{2, 1, {}},                     // worker 1 may still read A
                              Row{2, 2, {0}},                    // both passed g2: A is free
                              Row{2, 3, {0}},                    // B needs both at g3
                              Row{3, 3, {0, 1}},                 //
                              Row{1, kOffline, {}},              // offline does not help worker 0
                              Row{3, kOffline, {0, 1}},          //
                              Row{kOffline, kOffline, {0, 1}});  // C stays published: never free
    layout.q(0).store(row.q0);
    layout.q(1).store(row.q1);
    INFO("q0=" << row.q0 << " q1=" << row.q1);

    CHECK(publisher.min_quiescent_generation() == std::min(row.q0, row.q1));
    CHECK(free_slots(publisher) == row.free);
    const auto acquired = publisher.acquire_free_slot();
    if (row.free.empty()) {
        CHECK_FALSE(acquired.has_value());
    } else {
        CHECK(acquired == row.free.front());  // the slot retired longest ago
    }
}

TEST_CASE("acquire_free_slot reserves its answer until it is published") {
    Layout<1> layout;
    Publisher publisher(layout.published, 3, layout.view());

    CHECK_THROWS_AS(publisher.publish(0), std::logic_error);  // nothing handed out yet
    const auto slot = publisher.acquire_free_slot();
    REQUIRE(slot == std::size_t{0});
    CHECK(publisher.acquire_free_slot() == slot);
    CHECK_THROWS_AS(publisher.publish(1), std::logic_error);
    CHECK(publisher.publish(0) == 1);
    CHECK_THROWS_AS(publisher.publish(0), std::logic_error);  // the reservation is used up
    CHECK(publisher.acquire_free_slot() == std::size_t{1});   // never-used slots first
}

TEST_CASE("a worker holds its slot from begin_batch until a later end_batch announces more") {
    Layout<1> layout;
    Publisher publisher(layout.published, 2, layout.view());
    Reader reader = layout.reader(0);
    reader.come_online();
    REQUIRE(publish_next(publisher) == 1);  // slot 0

    CHECK(reader.begin_batch() == SlotRef{0, 1});
    REQUIRE(publish_next(publisher) == 2);  // slot 1; slot 0 superseded by g2
    CHECK_FALSE(publisher.acquire_free_slot());
    reader.end_batch();
    // The worker announced g1, the generation it used: slot 0 (superseded by g2) stays held.
    CHECK(layout.q(0).load() == 1);
    CHECK_FALSE(publisher.acquire_free_slot());

    CHECK(reader.begin_batch() == SlotRef{1, 2});
    CHECK_FALSE(publisher.acquire_free_slot());  // still only g1 announced while in the batch
    reader.end_batch();
    CHECK(layout.q(0).load() == 2);
    CHECK(publisher.acquire_free_slot() == std::size_t{0});
}

TEST_CASE("offline workers never block reclamation, and come back at the current generation") {
    Layout<2> layout;
    Publisher publisher(layout.published, 2, layout.view());
    Reader parked = layout.reader(0);  // never started: its cell starts at kOffline
    Reader active = layout.reader(1);

    SECTION("nobody online: every publication finds a free slot immediately") {
        for (int i = 0; i < 100; ++i) publish_next(publisher);
        CHECK(publisher.published().generation == 100);
        CHECK(publisher.min_quiescent_generation() == kOffline);
    }

    SECTION("a worker going offline releases what it held") {
        active.come_online();
        publish_next(publisher);
        static_cast<void>(active.begin_batch());
        active.end_batch();
        publish_next(publisher);
        CHECK_FALSE(publisher.acquire_free_slot());  // active announced g1, slot 0 needs g2
        active.go_offline();
        CHECK(layout.q(1).load() == kOffline);
        CHECK(publisher.acquire_free_slot() == std::size_t{0});
    }

    SECTION("coming online announces the current generation and re-reads the published word") {
        for (int i = 0; i < 5; ++i) publish_next(publisher);  // g5 published, in slot 0
        REQUIRE(publisher.published() == SlotRef{0, 5});

        parked.come_online();
        CHECK(layout.q(0).load() == 5);
        // Slot 1 was retired by g5 and the worker is past it: still free.
        CHECK(publisher.acquire_free_slot() == std::size_t{1});
        REQUIRE(publisher.publish(1) == 6);
        // Slot 0 (g5) may now be in the worker's hands until it announces g6.
        CHECK_FALSE(publisher.acquire_free_slot());
        CHECK(parked.begin_batch() == SlotRef{1, 6});
        parked.end_batch();
        CHECK(publisher.acquire_free_slot() == std::size_t{0});
    }

    SECTION("the destructor takes a worker offline") {
        {
            Reader leaving = layout.reader(1);
            leaving.come_online();
            CHECK(layout.q(1).load() == kNoGeneration);
        }
        CHECK(layout.q(1).load() == kOffline);
    }
}

TEST_CASE("generations and published words only grow, and workers only move forward") {
    Layout<2> layout;
    Publisher publisher(layout.published, 3, layout.view());
    std::array<Reader, 2> readers{layout.reader(0), layout.reader(1)};
    for (auto& reader : readers) reader.come_online();

    std::uint64_t last_word = layout.published.load();
    std::array<std::uint64_t, 2> last_seen{};
    const auto run_batch = [&](std::size_t worker) {
        const SlotRef seen = readers[worker].begin_batch();
        REQUIRE(seen.generation >= last_seen[worker]);
        last_seen[worker] = seen.generation;
        readers[worker].end_batch();
    };
    // Worker 0 runs a batch before every publication; worker 1 only when the writer finds no
    // free slot, which must then be enough to free one.
    int catch_ups = 0;
    for (std::uint64_t expected = 1; expected <= 1000; ++expected) {
        run_batch(0);
        auto slot = publisher.acquire_free_slot();
        if (!slot) {
            ++catch_ups;
            run_batch(1);
            slot = publisher.acquire_free_slot();
        }
        REQUIRE(slot.has_value());
        REQUIRE(publisher.publish(*slot) == expected);
        const std::uint64_t word = layout.published.load();
        REQUIRE(word > last_word);
        last_word = word;
    }
    // With three slots a worker that lags two publications behind holds the writer up.
    CHECK(catch_ups > 300);
}

TEST_CASE("wait_for_free_slot gives up at the deadline without sleeping") {
    Layout<1> layout;
    Publisher publisher(layout.published, 2, layout.view());
    Reader stuck = layout.reader(0);
    stuck.come_online();
    publish_next(publisher);
    static_cast<void>(stuck.begin_batch());  // holds g1 (slot 0) and never ends the batch
    publish_next(publisher);

    StepClock clock;
    int idles = 0;
    const auto deadline = clock.current + std::chrono::milliseconds(10);
    CHECK_FALSE(publisher.wait_for_free_slot(deadline, clock, [&] { ++idles; }));
    CHECK(clock.reads == 10);
    CHECK(idles == 9);
    // The sleeping idle step a daemon would pass; with the deadline gone it is never called.
    CHECK_FALSE(publisher.wait_for_free_slot(clock.current, clock, SleepIdle{std::chrono::seconds(60)}));

    // A deadline already past still polls once.
    stuck.end_batch();
    static_cast<void>(stuck.begin_batch());
    stuck.end_batch();
    CHECK(publisher.wait_for_free_slot(clock.current, clock, [&] { ++idles; }) == std::size_t{0});
    CHECK(idles == 9);
}

TEST_CASE("wait_for_free_slot returns as soon as the last worker moves on") {
    Layout<1> layout;
    Publisher publisher(layout.published, 2, layout.view());
    Reader slow = layout.reader(0);
    slow.come_online();
    publish_next(publisher);
    static_cast<void>(slow.begin_batch());
    publish_next(publisher);

    StepClock clock;
    int idles = 0;
    const auto progress = [&] {
        if (++idles == 3) {  // the worker finishes its batch and runs another on the new generation
            slow.end_batch();
            static_cast<void>(slow.begin_batch());
            slow.end_batch();
        }
    };
    CHECK(publisher.wait_for_free_slot(clock.current + std::chrono::seconds(1), clock, progress) ==
          std::size_t{0});
    CHECK(idles == 3);
}

TEST_CASE("a restarted publisher adopts the published word and assumes the latest retirement") {
    Layout<1> layout;
    layout.published.store(pack(SlotRef{2, 40}));
    layout.q(0).store(39);
    Publisher publisher(layout.published, 4, layout.view());

    CHECK(publisher.published() == SlotRef{2, 40});
    CHECK(publisher.next_generation() == 41);
    CHECK_FALSE(publisher.acquire_free_slot());  // the worker might still read anything < 40
    layout.q(0).store(40);
    CHECK(free_slots(publisher) == std::vector<std::size_t>{0, 1, 3});
    CHECK(publish_next(publisher) == 41);
}

TEST_CASE("layout bugs are rejected when the publisher is built") {
    Layout<1> layout;
    CHECK_THROWS_AS(Publisher(layout.published, 1, layout.view()), std::invalid_argument);
    CHECK_THROWS_AS(Publisher(layout.published, kMaxSlots + 1, layout.view()), std::invalid_argument);
    CHECK_NOTHROW(Publisher(layout.published, kMaxSlots, layout.view()));
    layout.published.store(pack(SlotRef{3, 9}));
    CHECK_THROWS_AS(Publisher(layout.published, 3, layout.view()), std::invalid_argument);
}

namespace {

// How a shared-memory layout might embed the atomic among a worker's other fields.
struct alignas(64) WorkerRecord {
    std::uint64_t packets = 0;
    std::atomic<std::uint64_t> quiescent_generation{kOffline};
    std::uint64_t drops = 0;
};

}  // namespace

TEST_CASE("the publisher works over atomics wherever the layout puts them") {
    static_assert(WorkerTable<std::span<std::atomic<std::uint64_t>>>);
    static_assert(WorkerTable<MemberView<WorkerRecord>>);

    std::atomic<std::uint64_t> published{0};
    SECTION("embedded in per-worker records") {
        std::array<WorkerRecord, 3> records{};
        Publisher publisher(published, 2,
                            MemberView{std::span(records), &WorkerRecord::quiescent_generation});
        CHECK(publisher.worker_count() == 3);
        records[1].quiescent_generation.store(0);
        CHECK(publisher.publish(*publisher.acquire_free_slot()) == 1);
        CHECK(publisher.publish(*publisher.acquire_free_slot()) == 2);
        CHECK_FALSE(publisher.acquire_free_slot());
        records[1].quiescent_generation.store(2);
        CHECK(publisher.acquire_free_slot() == std::size_t{0});
    }
    SECTION("a plain array of atomics, and no workers at all") {
        std::array<std::atomic<std::uint64_t>, 0> none{};
        Publisher publisher(published, 2, std::span(none));
        CHECK(publisher.min_quiescent_generation() == kOffline);
        for (std::uint64_t expected = 1; expected <= 4; ++expected) {
            CHECK(publisher.publish(*publisher.acquire_free_slot()) == expected);
        }
    }
}
