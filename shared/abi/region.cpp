// The only file in shared/abi that makes syscalls: memfd creation, sealing, mapping.
#include "shared/abi/region.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

namespace sluice::abi {
namespace {

// Seals create_region applies; attach_region insists only on the shrink seal, the one whose
// absence could crash it.
constexpr int kSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

// Closes on destruction unless released to a Region.
class FdGuard {
public:
    explicit FdGuard(int fd) noexcept : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

Result<std::uint8_t*> map_shared(int fd, std::uint64_t size) {
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return fail("mmap of {} bytes of shared memory: {}", size, errno_text(errno));
    return static_cast<std::uint8_t*>(base);
}

std::int64_t now_unix_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void check_index(std::uint32_t index, std::uint32_t count, const char* what) {
    if (index >= count) {
        throw std::out_of_range(
            fmt::format("shared memory {} index {} out of range (have {})", what, index, count));
    }
}

}  // namespace

Region::~Region() {
    release();
}

Region::Region(Region&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      base_(std::exchange(other.base_, nullptr)),
      layout_(std::exchange(other.layout_, RegionLayout{})) {}

Region& Region::operator=(Region&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        base_ = std::exchange(other.base_, nullptr);
        layout_ = std::exchange(other.layout_, RegionLayout{});
    }
    return *this;
}

void Region::release() noexcept {
    if (base_ != nullptr) ::munmap(base_, layout_.total_size);
    if (fd_ >= 0) ::close(fd_);
    base_ = nullptr;
    fd_ = -1;
    layout_ = RegionLayout{};
}

SnapshotSlotRef Region::snapshot_slot(std::uint32_t slot) const {
    check_index(slot, kSnapshotSlotCount, "snapshot slot");
    const std::uint64_t offset = layout_.snapshot_slot_offset(slot);
    return {at<SnapshotSlotHeader>(offset),
            {base_ + offset + sizeof(SnapshotSlotHeader), layout_.params.snapshot_payload_capacity}};
}

WorkerRecord& Region::worker(std::uint32_t worker) const {
    check_index(worker, layout_.params.worker_count, "worker");
    return *at<WorkerRecord>(layout_.worker_offset(worker));
}

std::span<WorkerRecord> Region::workers() const noexcept {
    if (base_ == nullptr) return {};
    return {at<WorkerRecord>(layout_.workers.offset), layout_.params.worker_count};
}

RingRef Region::event_ring(std::uint32_t worker) const {
    check_index(worker, layout_.params.worker_count, "event ring");
    return ring_at(layout_.event_ring_offset(worker));
}

RingRef Region::injection_ring(std::uint32_t worker) const {
    check_index(worker, layout_.params.worker_count, "injection ring");
    return ring_at(layout_.injection_ring_offset(worker));
}

std::span<PeerCounters> Region::peer_counters(std::uint32_t worker) const {
    check_index(worker, layout_.params.worker_count, "peer counter");
    return {at<PeerCounters>(layout_.peer_counters_offset(worker)), layout_.params.peer_capacity};
}

RingRef Region::ring_at(std::uint64_t offset) const noexcept {
    return {at<RingControl>(offset), at<RingSlot>(offset + sizeof(RingControl)),
            layout_.params.ring_capacity};
}

Result<Region> create_region(const RegionLayout& layout) {
    FdGuard fd(::memfd_create("sluice-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (fd.get() < 0) return fail("memfd_create for shared memory: {}", errno_text(errno));
    if (::ftruncate(fd.get(), static_cast<off_t>(layout.total_size)) != 0) {
        return fail("sizing shared memory to {} bytes: {}", layout.total_size, errno_text(errno));
    }
    if (::fcntl(fd.get(), F_ADD_SEALS, kSeals) != 0) {
        return fail("sealing shared memory: {}", errno_text(errno));
    }
    auto base = map_shared(fd.get(), layout.total_size);
    if (!base) return fail(base.error());

    // Start each shared object's lifetime here, in the process that creates the region; the
    // memfd's pages are already zero, which is what value-initialisation writes. The attaching
    // process maps objects that already exist, as with any shared memory.
    Region region(fd.release(), *base, layout);
    for (std::uint32_t worker = 0; worker < layout.params.worker_count; ++worker) {
        auto* record = new (region.at<WorkerRecord>(layout.worker_offset(worker))) WorkerRecord{};
        record->quiescent_generation.store(kQuiescentOffline, std::memory_order_relaxed);
        auto* event = new (region.at<RingControl>(layout.event_ring_offset(worker))) RingControl{};
        event->info = make_ring_info(layout, RingKind::event, worker);
        auto* injection = new (region.at<RingControl>(layout.injection_ring_offset(worker))) RingControl{};
        injection->info = make_ring_info(layout, RingKind::injection, worker);
        // Zero already; constructing them touches their pages (peer_capacity x 192 bytes).
        auto* peers = region.at<PeerCounters>(layout.peer_counters_offset(worker));
        for (std::uint32_t slot = 0; slot < layout.params.peer_capacity; ++slot)
            new (peers + slot) PeerCounters{};
    }
    // The header last, so that a region is only recognisable once it is complete.
    auto* header = new (region.at<RegionHeader>(0)) RegionHeader{};
    header->info = make_region_info(layout, now_unix_ns());
    return region;
}

Result<Region> attach_region(int fd) {
    const int seals = ::fcntl(fd, F_GET_SEALS);
    if (seals < 0) return fail("shared memory fd {} is not a memfd: {}", fd, errno_text(errno));
    if ((seals & F_SEAL_SHRINK) == 0) {
        return fail("shared memory fd {} is not sealed against shrinking, which could crash this process",
                    fd);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail("fstat of shared memory fd {}: {}", fd, errno_text(errno));
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size == 0) {
        auto empty = validate_region({}, program_invocation_short_name);
        return fail(empty ? Error{"shared memory region is empty"} : empty.error());
    }

    auto base = map_shared(fd, size);
    if (!base) return fail(base.error());
    auto layout = validate_region({*base, size}, program_invocation_short_name);
    if (!layout) {
        ::munmap(*base, size);
        return fail(layout.error());
    }
    FdGuard own(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (own.get() < 0) {
        ::munmap(*base, size);
        return fail("duplicating shared memory fd {}: {}", fd, errno_text(errno));
    }
    return Region(own.release(), *base, *layout);
}

}  // namespace sluice::abi
