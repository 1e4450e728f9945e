// The ABI structs' static checks live in the headers, so compiling this file is the first
// test. The cases below check what static_assert cannot: the computed region layout.
#include "shared/abi/layout.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/abi/events.hpp"
#include "shared/abi/region_layout.hpp"

using namespace sluice::abi;

namespace {

RegionLayout must_layout(const RegionParams& params) {
    auto layout = compute_layout(params);
    REQUIRE(layout.has_value());
    return *layout;
}

bool overlaps(const SectionExtent& a, const SectionExtent& b) {
    return a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

// The first and last cache line an object of size bytes at offset touches.
std::pair<std::uint64_t, std::uint64_t> lines_of(std::uint64_t offset, std::uint64_t size) {
    return {offset / kCacheLine, (offset + size - 1) / kCacheLine};
}

}  // namespace

TEST_CASE("the ABI's identity constants") {
    // Spelled out so that a change shows up in review as a change to this test too.
    CHECK(kMagic == 0x4D53454349554C53);
    CHECK(kAbiVersion == 6);
    CHECK(kDefaultPeerCapacity == 4096);
    CHECK(kSnapshotSlotCount == 4);
    CHECK(kRingSlotSize == 2048);
    CHECK(kRingPayloadMax == 2032);
}

TEST_CASE("the published word packs slot and generation and round-trips") {
    for (const Published p :
         {Published{0, 0}, Published{1, 3}, Published{12345, 2}, Published{kMaxGeneration, 3}}) {
        CHECK(unpack_published(pack_published(p)) == p);
    }
    CHECK(pack_published({0, 0}) == 0);  // a zeroed region reads as "nothing published"
    CHECK(pack_published({1, 2}) == 0x102);
}

TEST_CASE("every drop reason has a distinct name") {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < kDropReasonCount; ++i) {
        names.emplace_back(drop_reason_name(static_cast<DropReason>(i)));
        CHECK(names.back() != "unknown");
    }
    std::sort(names.begin(), names.end());
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
    CHECK(drop_reason_name(DropReason::ring_full) == "ring_full");
    CHECK(drop_reason_name(static_cast<DropReason>(kDropReasonCount)) == "unknown");

    WorkerCounters counters{};
    add_owned(counters.drop(DropReason::replay), 2);
    add_owned(counters.drop(DropReason::replay), 3);
    CHECK(counters.drops[static_cast<std::size_t>(DropReason::replay)].load(std::memory_order_relaxed) == 5);
}

TEST_CASE("compute_layout rejects unusable parameters with a reason") {
    struct Row {
        RegionParams params;
        const char* message;
    };
    const Row rows[] = {
        {{0, 4096, 64}, "worker count 0 is outside 1..256"},
        {{257, 4096, 64}, "worker count 257 is outside 1..256"},
        {{2, 4096, 0}, "ring capacity 0 is not a power of two in 1..65536"},
        {{2, 4096, 96}, "ring capacity 96 is not a power of two in 1..65536"},
        {{2, 4096, 1U << 17}, "ring capacity 131072 is not a power of two in 1..65536"},
        {{2, 0, 64}, "snapshot payload capacity 0 is outside 1..1073741824"},
        {{2, (1U << 30) + 1, 64}, "snapshot payload capacity 1073741825 is outside 1..1073741824"},
        {{2, 4096, 64, 1}, "peer counter capacity 1 is outside 2..65536"},
        {{2, 4096, 64, (1U << 16) + 1}, "peer counter capacity 65537 is outside 2..65536"},
    };
    for (const Row& row : rows) {
        INFO(row.message);
        auto layout = compute_layout(row.params);
        REQUIRE_FALSE(layout.has_value());
        CHECK(layout.error().message == row.message);
    }
}

TEST_CASE("compute_layout places page-aligned sections after the header without overlap") {
    const RegionParams shapes[] = {
        {1, 1, 1}, {1, 4096, 8}, {4, 1 << 20, 1024}, {7, 1000, 64}, {kMaxWorkers, 1 << 16, 16},
    };
    for (const RegionParams& params : shapes) {
        INFO(params.worker_count << " workers, " << params.snapshot_payload_capacity << " payload bytes, "
                                 << params.ring_capacity << " ring slots");
        const RegionLayout layout = must_layout(params);
        const SectionExtent sections[] = {
            {0, sizeof(RegionHeader)}, layout.snapshots,       layout.workers,
            layout.event_rings,        layout.injection_rings, layout.peer_counters};
        std::uint64_t previous_end = 0;
        for (const SectionExtent& s : sections) {
            CHECK(s.offset % kSectionAlignment == 0);
            CHECK(s.offset >= previous_end);
            previous_end = s.offset + s.size;
        }
        CHECK(layout.total_size == previous_end);
        CHECK(layout.total_size % kSectionAlignment == 0);
        for (std::size_t i = 0; i < std::size(sections); ++i) {
            for (std::size_t j = i + 1; j < std::size(sections); ++j)
                CHECK_FALSE(overlaps(sections[i], sections[j]));
        }

        // Every item fits inside its section and starts on its alignment.
        CHECK(layout.snapshot_slot_stride >= sizeof(SnapshotSlotHeader) + params.snapshot_payload_capacity);
        CHECK(layout.snapshot_slot_stride % kCacheLine == 0);
        CHECK(layout.snapshot_slot_offset(kSnapshotSlotCount - 1) + layout.snapshot_slot_stride <=
              layout.snapshots.offset + layout.snapshots.size);
        CHECK(layout.ring_stride == sizeof(RingControl) + params.ring_capacity * kRingSlotSize);
        const std::uint32_t last = params.worker_count - 1;
        CHECK(layout.worker_offset(last) + sizeof(WorkerRecord) <=
              layout.workers.offset + layout.workers.size);
        CHECK(layout.event_ring_offset(last) + layout.ring_stride <=
              layout.event_rings.offset + layout.event_rings.size);
        CHECK(layout.injection_ring_offset(last) + layout.ring_stride <=
              layout.injection_rings.offset + layout.injection_rings.size);
        for (std::uint32_t w = 0; w < params.worker_count; ++w) {
            CHECK(layout.event_ring_offset(w) % kCacheLine == 0);
            CHECK(layout.injection_ring_offset(w) % kCacheLine == 0);
        }
    }
}

TEST_CASE("per-worker records are cache-line aligned and share no cache line") {
    const RegionLayout layout = must_layout({8, 4096, 16});
    std::uint64_t previous_last_line = 0;
    for (std::uint32_t w = 0; w < 8; ++w) {
        INFO("worker " << w);
        const std::uint64_t offset = layout.worker_offset(w);
        CHECK(offset % kCacheLine == 0);
        const auto [first, last] = lines_of(offset, sizeof(WorkerRecord));
        if (w > 0) CHECK(first > previous_last_line);
        previous_last_line = last;

        // Inside a record: the quiescent word and the counters are on different lines, so the
        // control plane polling one does not bounce the line the worker increments.
        const auto quiescent = lines_of(offset + offsetof(WorkerRecord, quiescent_generation), 8);
        const auto counters = lines_of(offset + offsetof(WorkerRecord, counters), sizeof(WorkerCounters));
        CHECK(quiescent.second < counters.first);
    }
    // The worker section shares no line with its neighbours either.
    CHECK(layout.workers.offset / kCacheLine >
          lines_of(layout.snapshots.offset, layout.snapshots.size).second);
    CHECK(previous_last_line < layout.event_rings.offset / kCacheLine);
}

TEST_CASE("per-peer counters: one array per worker, each entry on lines of its own") {
    const RegionLayout layout = must_layout({3, 4096, 16, 100});
    CHECK(layout.peer_counters.size >= 3 * 100 * sizeof(PeerCounters));
    for (std::uint32_t w = 0; w < 3; ++w) {
        INFO("worker " << w);
        CHECK(layout.peer_counters_offset(w) % kCacheLine == 0);
        CHECK(layout.peer_counters_offset(w) == layout.peer_counters.offset + w * 100 * sizeof(PeerCounters));
    }
    CHECK(layout.peer_counters_offset(2) + 100 * sizeof(PeerCounters) <=
          layout.peer_counters.offset + layout.peer_counters.size);
    CHECK(sizeof(PeerCounters) % kCacheLine == 0);
    // Node ids beyond the capacity share the overflow slot instead of going uncounted.
    CHECK(peer_counter_slot(99, 100) == 99);
    CHECK(peer_counter_slot(100, 100) == kPeerOverflowSlot);
    CHECK(peer_counter_slot(0xffffffff, 100) == kPeerOverflowSlot);
}

TEST_CASE("ring head, tail and geometry sit on three different cache lines") {
    CHECK(offsetof(RingControl, head) / kCacheLine != offsetof(RingControl, tail) / kCacheLine);
    CHECK(offsetof(RingControl, info) / kCacheLine != offsetof(RingControl, head) / kCacheLine);
    CHECK(offsetof(RingControl, info) / kCacheLine != offsetof(RingControl, tail) / kCacheLine);
    // The published word has a line of its own in the header.
    const auto published = offsetof(RegionHeader, published) / kCacheLine;
    CHECK(offsetof(RegionHeader, snapshot_generation) / kCacheLine != published);
    CHECK(sizeof(RegionHeader) / kCacheLine == published + 1);
}

TEST_CASE("event payload prefixes leave room for a full frame") {
    CHECK(kUnknownSourceDatagramMax == kRingPayloadMax - 24);
    CHECK(kUnknownSourceDatagramMax >= 1518);
}
