// Publish-to-visible latency of a snapshot switch, and the publication rate the writer sustains
// while workers run. Not a test: it prints figures, it asserts nothing.
//
// The writer stamps each slot with steady_clock time just before its publishing store; each
// worker spins on begin_batch/end_batch and, the first time it sees a generation, records
// (now - stamp). Writer modes:
//   flood:   publish back to back, waiting only for reclamation (polling with YieldIdle);
//            readers then see a subset of generations, and the rate shows how much workers
//            hold the writer back;
//   flood-s: the same, polling with a 20 µs SleepIdle (matters once the writer shares a CPU
//            with a reader);
//   paced:   sleep 50 µs between publications, like a control plane applying occasional updates.
// A phase with 0 readers gives the writer's own rate as the baseline for the ratios.
//
//   bench_snapshot_publish [seconds-per-phase (default 1)] [max-readers (default 3)]
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <pthread.h>
#include <sched.h>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "shared/snapshot/published_word.hpp"
#include "shared/snapshot/publisher.hpp"
#include "shared/snapshot/reader.hpp"

namespace {

using namespace sluice::snapshot;
using std::chrono::steady_clock;

constexpr std::size_t kSlots = 4;
constexpr std::size_t kMaxReaders = 8;
constexpr std::size_t kSamplesPerReader = std::size_t{1} << 21;
constexpr auto kPace = std::chrono::microseconds(50);

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now().time_since_epoch())
        .count();
}

// Own cache line per slot: the writer filling one slot must not disturb workers reading another.
struct alignas(kCacheLine) Slot {
    std::uint64_t generation = 0;
    std::int64_t published_ns = 0;
};

struct Layout {
    std::atomic<std::uint64_t> published{0};
    std::array<QuiescentCell, kMaxReaders> workers{};
    std::array<Slot, kSlots> slots{};
};

enum class Mode { flood, flood_sleep, paced };

const char* mode_name(Mode mode) {
    switch (mode) {
        case Mode::flood:
            return "flood";
        case Mode::flood_sleep:
            return "flood-s";
        case Mode::paced:
            return "paced";
    }
    return "?";
}

struct PhaseResult {
    double publications_per_s = 0;
    double seen_per_reader_per_s = 0;
    double idle_polls_per_publication = 0;
    std::vector<std::int64_t> latencies_ns;
    std::uint64_t dropped_samples = 0;
};

// Data-plane workers are pinned one per CPU, so the readers are too: reader i on CPU (i + 1) mod
// n, the writer on CPU 0. With more threads than CPUs some share one, as they would on a box
// where the control plane runs beside a worker. Pinning failures only cost accuracy.
void pin_to_cpu(std::size_t index) {
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(index % cpus), &set);
    static_cast<void>(pthread_setaffinity_np(pthread_self(), sizeof set, &set));
}

void run_reader(Layout& layout, std::size_t index, std::atomic<std::size_t>& online,
                const std::atomic<bool>& stop, std::vector<std::int64_t>& samples, std::uint64_t& dropped) {
    pin_to_cpu(index + 1);
    Reader reader(layout.published, layout.workers[index].generation);
    reader.come_online();
    online.fetch_add(1);
    std::uint64_t last = kNoGeneration;
    while (!stop.load(std::memory_order_relaxed)) {
        const SlotRef ref = reader.begin_batch();
        if (ref.generation != last && !ref.empty()) {
            const std::int64_t seen = now_ns();
            if (samples.size() < samples.capacity()) {
                samples.push_back(seen - layout.slots[ref.slot].published_ns);
            } else {
                ++dropped;
            }
            last = ref.generation;
        }
        reader.end_batch();
    }
}

PhaseResult run_phase(Mode mode, std::size_t readers, std::chrono::duration<double> length) {
    Layout layout;
    Publisher publisher(layout.published, kSlots,
                        MemberView{std::span(layout.workers).first(readers), &QuiescentCell::generation});
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> online{0};
    std::vector<std::vector<std::int64_t>> samples(readers);
    std::vector<std::uint64_t> dropped(readers, 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < readers; ++i) {
        samples[i].reserve(kSamplesPerReader);
        threads.emplace_back(run_reader, std::ref(layout), i, std::ref(online), std::cref(stop),
                             std::ref(samples[i]), std::ref(dropped[i]));
    }
    // Until a reader is online the writer runs unhindered; on a busy machine a late-starting
    // thread would otherwise let the writer post a reader-free rate into a reader phase.
    while (online.load() < readers) std::this_thread::yield();

    pin_to_cpu(0);
    steady_clock clock;
    std::uint64_t publications = 0;
    std::uint64_t idle_polls = 0;
    const auto idle = [&] {
        ++idle_polls;
        if (mode == Mode::flood_sleep) {
            SleepIdle{}();
        } else {
            YieldIdle{}();
        }
    };
    const auto start = clock.now();
    const auto end = start + std::chrono::duration_cast<steady_clock::duration>(length);
    while (clock.now() < end) {
        const auto slot = publisher.wait_for_free_slot(end, clock, idle);
        if (!slot) break;
        Slot& target = layout.slots[*slot];
        target.generation = publisher.next_generation();
        target.published_ns = now_ns();
        publisher.publish(*slot);
        ++publications;
        if (mode == Mode::paced) std::this_thread::sleep_for(kPace);
    }
    const double elapsed = std::chrono::duration<double>(clock.now() - start).count();
    stop.store(true, std::memory_order_relaxed);
    for (auto& thread : threads) thread.join();

    PhaseResult result;
    result.publications_per_s = static_cast<double>(publications) / elapsed;
    result.idle_polls_per_publication =
        publications == 0 ? 0.0 : static_cast<double>(idle_polls) / static_cast<double>(publications);
    for (std::size_t i = 0; i < readers; ++i) {
        result.latencies_ns.insert(result.latencies_ns.end(), samples[i].begin(), samples[i].end());
        result.dropped_samples += dropped[i];
    }
    if (readers > 0) {
        result.seen_per_reader_per_s =
            static_cast<double>(result.latencies_ns.size() + result.dropped_samples) / elapsed /
            static_cast<double>(readers);
    }
    return result;
}

std::int64_t percentile(std::vector<std::int64_t>& values, double fraction) {
    if (values.empty()) return 0;
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    return values[index];
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::strtod(argv[1], nullptr) : 1.0;
    const std::size_t max_readers =
        std::min<std::size_t>(argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 3, kMaxReaders);
    if (!(seconds > 0)) {
        fmt::print(stderr, "usage: bench_snapshot_publish [seconds-per-phase] [max-readers]\n");
        return 2;
    }
    const std::chrono::duration<double> length(seconds);

    // Other processes on the same cores distort every figure here; say how busy the machine was.
    std::string load = "?";
    if (std::ifstream loadavg("/proc/loadavg"); loadavg) std::getline(loadavg, load);
    fmt::print("snapshot publish: {} slots, {} hardware threads, {:.1f} s per phase, paced = sleep {} µs\n",
               kSlots, std::thread::hardware_concurrency(), seconds, kPace.count());
    fmt::print("load average at start: {}\n", load);
    fmt::print("{:<7} {:>7} {:>14} {:>9} {:>13} {:>11} {:>11} {:>11} {:>9}\n", "mode", "readers", "publish/s",
               "vs 0 rd", "seen/rd/s", "p50 ns", "p99 ns", "max ns", "polls/pub");

    double baseline = 0;
    for (const Mode mode : {Mode::flood, Mode::flood_sleep, Mode::paced}) {
        for (std::size_t readers = (mode == Mode::flood ? 0 : 1); readers <= max_readers; ++readers) {
            PhaseResult result = run_phase(mode, readers, length);
            if (mode == Mode::flood && readers == 0) baseline = result.publications_per_s;
            const std::int64_t p50 = percentile(result.latencies_ns, 0.50);
            const std::int64_t p99 = percentile(result.latencies_ns, 0.99);
            const std::int64_t max = percentile(result.latencies_ns, 1.0);
            fmt::print(
                "{:<7} {:>7} {:>14.0f} {:>9.3f} {:>13.0f} {:>11} {:>11} {:>11} {:>9.2f}{}\n", mode_name(mode),
                readers, result.publications_per_s, baseline > 0 ? result.publications_per_s / baseline : 0.0,
                result.seen_per_reader_per_s, p50, p99, max, result.idle_polls_per_publication,
                result.dropped_samples > 0 ? fmt::format("  ({} samples not kept)", result.dropped_samples)
                                           : std::string());
        }
    }
    return 0;
}
