#include "shared/abi/region.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "shared/abi/events.hpp"

using namespace sluice::abi;

namespace {

constexpr RegionParams kParams{.worker_count = 2, .snapshot_payload_capacity = 10000, .ring_capacity = 8};

class TestFd {
public:
    explicit TestFd(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
    ~TestFd() { ::close(fd_); }
    TestFd(const TestFd&) = delete;
    TestFd& operator=(const TestFd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

Region must_create(const RegionParams& params = kParams) {
    auto layout = compute_layout(params);
    REQUIRE(layout.has_value());
    auto region = create_region(*layout);
    REQUIRE(region.has_value());
    return std::move(*region);
}

Region must_attach(int fd) {
    auto region = attach_region(fd);
    if (!region) FAIL(region.error().message);
    return std::move(*region);
}

// A memfd holding bytes, sealed against shrinking like create_region's unless told not to.
int memfd_with(const std::vector<std::uint8_t>& bytes, bool seal = true) {
    const int fd = ::memfd_create("abi-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    if (seal) REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
    return fd;
}

template <typename T>
void poke(std::vector<std::uint8_t>& bytes, std::uint64_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

}  // namespace

TEST_CASE("create_region writes a header that describes the layout") {
    const Region region = must_create();
    const RegionLayout& layout = region.layout();
    const RegionInfo& h = region.header().info;
    CHECK(h.magic == kMagic);
    CHECK(h.abi_version == kAbiVersion);
    CHECK(h.header_size == sizeof(RegionHeader));
    CHECK(h.total_size == layout.total_size);
    CHECK(h.worker_count == 2);
    CHECK(h.snapshot_slot_count == kSnapshotSlotCount);
    CHECK(h.snapshot_payload_capacity == 10000);
    CHECK(h.ring_capacity == 8);
    CHECK(h.ring_slot_size == kRingSlotSize);
    CHECK(h.created_unix_ns > 1'600'000'000'000'000'000);
    CHECK(h.snapshots.offset == layout.snapshots.offset);
    CHECK(h.injection_rings.size == layout.injection_rings.size);
    CHECK(h.peer_capacity == kDefaultPeerCapacity);
    CHECK(h.peer_counters.offset == layout.peer_counters.offset);
    REQUIRE(region.peer_counters(1).size() == kDefaultPeerCapacity);
    CHECK(region.peer_counters(1)[kDefaultPeerCapacity - 1].rx_bytes.load(std::memory_order_relaxed) == 0);
    CHECK(region.peer_counters(0).data() + kDefaultPeerCapacity <= region.peer_counters(1).data());
    CHECK(region.header().published.load(std::memory_order_acquire) == 0);
    CHECK(region.header().controlplane_pid.load(std::memory_order_relaxed) == 0);
    CHECK(region.header().snapshot_generation.load(std::memory_order_relaxed) == 0);
    CHECK(region.bytes().size() == layout.total_size);

    CHECK(region.event_ring(1).control->info.kind == RingKind::event);
    CHECK(region.injection_ring(1).control->info.kind == RingKind::injection);
    CHECK(region.injection_ring(1).control->info.worker_index == 1);
    CHECK(region.injection_ring(1).control->info.capacity == 8);
    CHECK(region.event_ring(0).control->tail.load(std::memory_order_relaxed) == 0);
    // Workers start offline so that one that never runs never holds the snapshot writer back.
    REQUIRE(region.workers().size() == 2);
    for (const WorkerRecord& worker : region.workers()) {
        CHECK(worker.quiescent_generation.load(std::memory_order_relaxed) == kQuiescentOffline);
        CHECK(worker.counters.rx_packets.load(std::memory_order_relaxed) == 0);
    }
    CHECK(&region.workers()[1] == &region.worker(1));
    CHECK(region.snapshot_slot(3).payload.size() == 10000);

    // The size can never change under another process's mapping.
    const int seals = ::fcntl(region.fd(), F_GET_SEALS);
    CHECK((seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) ==
          (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
    CHECK(::ftruncate(region.fd(), 4096) != 0);
}

TEST_CASE("two attachments of one memfd see each other's writes") {
    Region creator = must_create();
    Region first = must_attach(creator.fd());
    Region second = must_attach(creator.fd());
    // Three distinct mappings and three fds of the same memfd.
    CHECK(first.bytes().data() != creator.bytes().data());
    CHECK(second.bytes().data() != first.bytes().data());
    CHECK(first.fd() != creator.fd());
    CHECK(first.layout().total_size == creator.layout().total_size);

    creator.header().snapshot_generation.store(41, std::memory_order_relaxed);
    creator.header().published.store(pack_published({41, 2}), std::memory_order_release);
    CHECK(first.header().snapshot_generation.load(std::memory_order_relaxed) == 41);
    CHECK(unpack_published(second.header().published.load(std::memory_order_acquire)) == Published{41, 2});

    const SnapshotSlotRef slot = creator.snapshot_slot(2);
    slot.header->generation = 41;
    slot.header->byte_length = 3;
    slot.payload[0] = 0xAA;
    slot.payload[9999] = 0xBB;
    CHECK(second.snapshot_slot(2).header->generation == 41);
    CHECK(second.snapshot_slot(2).payload[0] == 0xAA);
    CHECK(second.snapshot_slot(2).payload[9999] == 0xBB);

    add_owned(first.worker(1).counters.drop(DropReason::bad_mac), 7);
    first.worker(1).quiescent_generation.store(41, std::memory_order_release);
    CHECK(creator.worker(1).counters.drop(DropReason::bad_mac).load(std::memory_order_relaxed) == 7);
    CHECK(creator.worker(1).quiescent_generation.load(std::memory_order_acquire) == 41);
    CHECK(creator.worker(0).quiescent_generation.load(std::memory_order_acquire) == kQuiescentOffline);

    // A message pushed through one mapping pops out of another.
    RingProducer producer(first.event_ring(1));
    const std::uint8_t frame[] = {1, 2, 3, 4};
    REQUIRE(producer.try_push(frame, type_code(EventType::tcp_frame), 9));
    RingConsumer consumer(creator.event_ring(1));
    RingMessage message;
    REQUIRE(consumer.try_pop(message));
    CHECK(message.type == type_code(EventType::tcp_frame));
    CHECK(message.aux == 9);
    CHECK(std::vector<std::uint8_t>(message.payload().begin(), message.payload().end()) ==
          std::vector<std::uint8_t>{1, 2, 3, 4});
    CHECK_FALSE(RingConsumer(second.event_ring(0)).try_pop(message));

    // The attachment outlives the creator and the fd it was given.
    creator = must_create({1, 1, 1});
    CHECK(first.worker(1).quiescent_generation.load(std::memory_order_acquire) == 41);
    CHECK(must_attach(second.fd())
              .worker(1)
              .counters.drop(DropReason::bad_mac)
              .load(std::memory_order_relaxed) == 7);
}

TEST_CASE("attach_region refuses what it cannot safely read, saying why") {
    const Region good = must_create();
    const std::vector<std::uint8_t> pristine(good.bytes().begin(), good.bytes().end());
    const std::uint64_t total = pristine.size();
    const std::string program = program_invocation_short_name;

    struct Row {
        const char* name;
        std::function<void(std::vector<std::uint8_t>&)> damage;
        std::string message;
    };
    const std::vector<Row> rows = {
        {"bad magic", [](auto& b) { poke<std::uint64_t>(b, 0, 0x1122334455667788); },
         "shared memory region has magic 0x1122334455667788, not sluice's 0x4d53454349554c53"},
        {"another ABI version", [](auto& b) { poke<std::uint32_t>(b, 8, kAbiVersion + 1); },
         fmt::format("shared memory ABI version {}, this {} speaks {}: restart both from the same build",
                     kAbiVersion + 1, program, kAbiVersion)},
        {"truncated to half", [](auto& b) { b.resize(b.size() / 2); },
         fmt::format("shared memory region is {} bytes but its header says {}: truncated", total / 2, total)},
        {"truncated inside the header", [](auto& b) { b.resize(100); },
         "shared memory region is 100 bytes, smaller than its 320-byte header"},
        {"truncated inside the identity", [](auto& b) { b.resize(4); },
         "shared memory region is 4 bytes, too small to be a sluice region"},
        {"empty", [](auto& b) { b.clear(); },
         "shared memory region is 0 bytes, too small to be a sluice region"},
        {"longer than its header says", [](auto& b) { b.resize(b.size() + 4096); },
         fmt::format("shared memory region is {} bytes but its header says {}", total + 4096, total)},
        {"worker count changed",
         [](auto& b) { poke<std::uint32_t>(b, offsetof(RegionInfo, worker_count), 3); },
         fmt::format("shared memory header's geometry needs {} bytes but it says {}",
                     compute_layout({3, 10000, 8})->total_size, total)},
        {"peer capacity changed",
         [](auto& b) { poke<std::uint32_t>(b, offsetof(RegionInfo, peer_capacity), 8); },
         fmt::format("shared memory header's geometry needs {} bytes but it says {}",
                     compute_layout({2, 10000, 8, 8})->total_size, total)},
        {"ring capacity not a power of two",
         [](auto& b) { poke<std::uint32_t>(b, offsetof(RegionInfo, ring_capacity), 6); },
         "shared memory header: ring capacity 6 is not a power of two in 1..65536"},
        {"header size changed",
         [](auto& b) { poke<std::uint32_t>(b, offsetof(RegionInfo, header_size), 128); },
         "shared memory header says it is 128 bytes, expected 320"},
        {"ring slot size changed",
         [](auto& b) { poke<std::uint32_t>(b, offsetof(RegionInfo, ring_slot_size), 4096); },
         "shared memory header has 4 snapshot slots and 4096-byte ring slots, expected 4 and 2048"},
        {"section moved",
         [&](auto& b) {
             poke<std::uint64_t>(b, offsetof(RegionInfo, workers), good.layout().workers.offset + 64);
         },
         fmt::format(
             "shared memory header puts the worker section at offset {} ({} bytes), its geometry at {} ({} "
             "bytes)",
             good.layout().workers.offset + 64, good.layout().workers.size, good.layout().workers.offset,
             good.layout().workers.size)},
        {"ring geometry damaged",
         [&](auto& b) { poke<std::uint32_t>(b, good.layout().injection_ring_offset(1), 16); },
         "shared memory injection ring 1 has capacity 16, slot size 2048, kind 2, worker 1; expected 8, "
         "2048, 2, 1"},
    };
    for (const Row& row : rows) {
        INFO(row.name);
        std::vector<std::uint8_t> bytes = pristine;
        row.damage(bytes);
        const TestFd fd(memfd_with(bytes));
        auto attached = attach_region(fd.get());
        REQUIRE_FALSE(attached.has_value());
        CHECK(attached.error().message == row.message);
    }

    SECTION("an unsealed memfd, which another process could shrink under us") {
        const TestFd fd(memfd_with(pristine, false));
        auto attached = attach_region(fd.get());
        REQUIRE_FALSE(attached.has_value());
        CHECK(
            attached.error().message ==
            fmt::format("shared memory fd {} is not sealed against shrinking, which could crash this process",
                        fd.get()));
    }
    SECTION("something that is not a memfd") {
        int pipe_fds[2];
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
        const TestFd reader(pipe_fds[0]);
        const TestFd writer(pipe_fds[1]);
        auto attached = attach_region(reader.get());
        REQUIRE_FALSE(attached.has_value());
        CHECK(attached.error().message ==
              fmt::format("shared memory fd {} is not a memfd: {}", reader.get(), std::strerror(EINVAL)));
    }
    SECTION("the undamaged copy attaches") {
        const TestFd fd(memfd_with(pristine));
        CHECK(attach_region(fd.get()).has_value());
    }
}

TEST_CASE("Region accessors refuse indexes outside the layout") {
    const Region region = must_create();
    CHECK_THROWS_AS(region.worker(2), std::out_of_range);
    CHECK_THROWS_AS(region.event_ring(2), std::out_of_range);
    CHECK_THROWS_AS(region.injection_ring(5), std::out_of_range);
    CHECK_THROWS_AS(region.peer_counters(2), std::out_of_range);
    CHECK_THROWS_AS(region.snapshot_slot(kSnapshotSlotCount), std::out_of_range);
    CHECK_NOTHROW(region.worker(1));
}

TEST_CASE("a moved-from Region owns nothing") {
    Region a = must_create();
    const int fd = a.fd();
    Region b = std::move(a);
    CHECK(b.fd() == fd);
    CHECK(a.fd() == -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(a.bytes().data() == nullptr);
    CHECK(b.header().info.magic == kMagic);
    CHECK(a.workers().empty());
}
