// Real threads against the publisher: one writer refilling slots as fast as reclamation allows,
// workers reading whatever is published with seeded, varying batch lengths. A slot overwritten
// while a worker was reading it shows up as a checksum or generation mismatch here (and as a
// data race under ThreadSanitizer, since the payload is plain memory).
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/snapshot/published_word.hpp"
#include "shared/snapshot/publisher.hpp"
#include "shared/snapshot/reader.hpp"

using namespace sluice::snapshot;
using std::chrono::steady_clock;

namespace {

struct Payload {
    std::uint64_t generation = 0;
    std::uint64_t checksum = 0;
    std::array<std::uint8_t, 256> bytes{};
};

// FNV-1a over the generation and the bytes: a torn or stale payload fails it.
std::uint64_t checksum_of(const Payload& payload) {
    std::uint64_t hash = 0xcbf29ce484222325;
    const auto mix = [&](std::uint8_t byte) { hash = (hash ^ byte) * 0x100000001b3; };
    for (unsigned shift = 0; shift < 64; shift += 8)
        mix(static_cast<std::uint8_t>(payload.generation >> shift));
    for (const std::uint8_t byte : payload.bytes) mix(byte);
    return hash;
}

template <std::size_t Workers, std::size_t Slots>
struct Shared {
    std::atomic<std::uint64_t> published{0};
    std::array<QuiescentCell, Workers> workers{};
    std::array<Payload, Slots> slots{};

    MemberView<QuiescentCell> view() { return {std::span(workers), &QuiescentCell::generation}; }
};

// Fills a slot the publisher handed out and publishes it; returns the generation.
template <typename Layout>
std::uint64_t fill_and_publish(Publisher<MemberView<QuiescentCell>>& publisher, Layout& shared,
                               std::size_t slot, std::mt19937_64& rng) {
    Payload& payload = shared.slots[slot];
    payload.generation = publisher.next_generation();
    for (std::size_t i = 0; i < payload.bytes.size(); i += sizeof(std::uint64_t)) {
        const std::uint64_t random = rng();
        std::memcpy(&payload.bytes[i], &random, sizeof random);
    }
    payload.checksum = checksum_of(payload);
    return publisher.publish(slot);
}

// What one worker observed; plain counters, read by the test thread after join().
struct ReaderStats {
    std::uint64_t batches = 0;
    std::uint64_t reads = 0;
    std::uint64_t generations_seen = 0;
    std::uint64_t offline_trips = 0;
    std::uint64_t stale = 0;      // slot generation differs from the published one we loaded
    std::uint64_t corrupt = 0;    // checksum mismatch: the slot changed under us
    std::uint64_t backwards = 0;  // a batch saw an older generation than the previous one
};

// One read of the slot a batch is using, checked against the generation the batch loaded.
void check_slot(const Payload& payload, SlotRef ref, ReaderStats& stats) {
    if (payload.generation != ref.generation) ++stats.stale;
    if (checksum_of(payload) != payload.checksum) ++stats.corrupt;
    ++stats.reads;
}

}  // namespace

TEST_CASE("workers never see a slot the writer is refilling (1 writer, 3 workers, 4 slots)") {
    constexpr std::size_t kWorkers = 3;
    constexpr std::uint64_t kMaxPublications = 200'000;
    constexpr auto kBudget = std::chrono::milliseconds(1800);

    Shared<kWorkers, 4> shared;
    Publisher publisher(shared.published, shared.slots.size(), shared.view());
    std::atomic<bool> stop{false};
    std::array<ReaderStats, kWorkers> stats{};

    const auto run_worker = [&](std::size_t index) {
        Reader reader(shared.published, shared.workers[index].generation);
        ReaderStats& mine = stats[index];
        std::mt19937 rng(static_cast<std::uint32_t>(0x5eed + index));
        std::uniform_int_distribution<int> reads_per_batch(1, 16);
        std::uniform_int_distribution<int> percent_mille(0, 999);
        std::uint64_t last = kNoGeneration;
        reader.come_online();
        while (!stop.load(std::memory_order_relaxed)) {
            const SlotRef ref = reader.begin_batch();
            if (ref.generation < last) ++mine.backwards;
            if (ref.generation != last) ++mine.generations_seen;
            last = ref.generation;
            if (!ref.empty()) {
                const int roll = percent_mille(rng);
                // Mostly short batches, now and then a long one, and sometimes the worker loses
                // its CPU mid-batch while holding the slot: the writer must wait it out.
                const int reads = reads_per_batch(rng) * (roll < 5 ? 64 : 1);
                for (int i = 0; i < reads; ++i) {
                    check_slot(shared.slots[ref.slot], ref, mine);
                    if (roll < 3 && i == 0) std::this_thread::yield();
                }
            }
            reader.end_batch();
            ++mine.batches;
            const int between = percent_mille(rng);
            if (between < 2) {  // park briefly, then rejoin at the current generation
                reader.go_offline();
                ++mine.offline_trips;
                std::this_thread::yield();
                reader.come_online();
            } else if (between < 50) {
                // Three workers and a writer share two cores here: give the CPU away now and then
                // so that every thread runs against every other, not in long solo time slices.
                std::this_thread::yield();
            }
        }
        reader.go_offline();
    };

    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kWorkers; ++i) threads.emplace_back(run_worker, i);

    std::mt19937_64 rng(0x51u);
    steady_clock clock;
    const auto end = clock.now() + kBudget;
    std::uint64_t publications = 0;
    std::uint64_t gaps = 0;
    bool starved = false;
    while (publications < kMaxPublications && clock.now() < end) {
        // A worker can only hold the writer up for as long as one of its batches lasts.
        const auto slot = publisher.wait_for_free_slot(clock.now() + std::chrono::seconds(2), clock);
        if (!slot) {
            starved = true;
            break;
        }
        if (fill_and_publish(publisher, shared, *slot, rng) != publications + 1) ++gaps;
        ++publications;
    }
    stop.store(true, std::memory_order_relaxed);
    for (auto& thread : threads) thread.join();

    CHECK_FALSE(starved);
    CHECK(gaps == 0);
    CHECK(publications >= 1000);
    for (const ReaderStats& seen : stats) {
        INFO("batches " << seen.batches << ", reads " << seen.reads << ", generations "
                        << seen.generations_seen << ", offline trips " << seen.offline_trips);
        CHECK(seen.stale == 0);
        CHECK(seen.corrupt == 0);
        CHECK(seen.backwards == 0);
        CHECK(seen.generations_seen >= 10);
    }
}

TEST_CASE("a worker that goes offline does not block the writer") {
    Shared<2, 2> shared;  // two slots: the writer needs the only unpublished one back every time
    Publisher publisher(shared.published, shared.slots.size(), shared.view());
    std::mt19937_64 rng(0xbeefu);
    std::atomic<int> phase{0};  // 0: both run, 1: worker 0 parks, 2: worker 0 comes back
    std::atomic<bool> parked{false};
    std::atomic<bool> stop{false};
    ReaderStats parked_stats{};
    ReaderStats active_stats{};
    SlotRef seen_after_return{};

    REQUIRE(fill_and_publish(publisher, shared, *publisher.acquire_free_slot(), rng) == 1);

    std::thread parking([&] {
        Reader reader(shared.published, shared.workers[0].generation);
        reader.come_online();
        while (phase.load() == 0) {
            const SlotRef ref = reader.begin_batch();
            check_slot(shared.slots[ref.slot], ref, parked_stats);
            reader.end_batch();
        }
        reader.go_offline();
        parked.store(true);
        parked.notify_one();
        phase.wait(1);  // blocked in the kernel, as an idle worker would be
        reader.come_online();
        seen_after_return = reader.begin_batch();
        check_slot(shared.slots[seen_after_return.slot], seen_after_return, parked_stats);
        reader.end_batch();
    });
    std::thread active([&] {
        Reader reader(shared.published, shared.workers[1].generation);
        reader.come_online();
        while (!stop.load()) {
            const SlotRef ref = reader.begin_batch();
            check_slot(shared.slots[ref.slot], ref, active_stats);
            reader.end_batch();
            // On a busy machine this thread and the writer may share one core; without yielding
            // the writer would wait a whole time slice per publication.
            std::this_thread::yield();
        }
    });

    phase.store(1);
    parked.wait(false);

    // The parked worker last announced some old generation; offline, it must not matter.
    steady_clock clock;
    for (std::uint64_t expected = 2; expected <= 501; ++expected) {
        const auto slot = publisher.wait_for_free_slot(clock.now() + std::chrono::seconds(5), clock);
        REQUIRE(slot.has_value());
        REQUIRE(fill_and_publish(publisher, shared, *slot, rng) == expected);
    }
    stop.store(true);
    active.join();  // its Reader goes offline on destruction

    // Nobody online now: every publication finds its slot without waiting at all.
    for (std::uint64_t expected = 502; expected <= 601; ++expected) {
        const auto slot = publisher.acquire_free_slot();
        REQUIRE(slot.has_value());
        REQUIRE(fill_and_publish(publisher, shared, *slot, rng) == expected);
    }

    phase.store(2);
    phase.notify_one();
    parking.join();

    CHECK(seen_after_return == publisher.published());
    for (const ReaderStats* seen : {&parked_stats, &active_stats}) {
        CHECK(seen->stale == 0);
        CHECK(seen->corrupt == 0);
    }
    CHECK(publisher.min_quiescent_generation() == kOffline);
}
