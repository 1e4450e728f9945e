#include "dataplane/uring_probe.hpp"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>
#include <liburing.h>

namespace sluice::dataplane {

namespace {

int try_setup(unsigned flags) {
    io_uring ring{};
    io_uring_params params{};
    params.flags = flags;
    int rc = io_uring_queue_init_params(8, &ring, &params);
    if (rc == 0) io_uring_queue_exit(&ring);
    return rc;
}

bool try_buffer_ring() {
    io_uring ring{};
    if (io_uring_queue_init(8, &ring, 0) != 0) return false;
    const size_t entries = 8;
    const size_t bytes = entries * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    bool ok = false;
    if (mem != MAP_FAILED) {
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<unsigned long>(mem);
        reg.ring_entries = entries;
        reg.bgid = 0;
        ok = io_uring_register_buf_ring(&ring, &reg, 0) == 0;
        if (ok) io_uring_unregister_buf_ring(&ring, 0);
        munmap(mem, bytes);
    }
    io_uring_queue_exit(&ring);
    return ok;
}

}  // namespace

Result<UringFeatures> probe_uring() {
    UringFeatures f;
    int base = try_setup(0);
    if (base != 0) return fail("io_uring is unavailable: {}", std::strerror(-base));

    int rc = try_setup(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    f.single_issuer_defer_taskrun = rc == 0;
    f.coop_taskrun = try_setup(IORING_SETUP_COOP_TASKRUN) == 0;
    if (!f.single_issuer_defer_taskrun) {
        f.fallback_reason =
            fmt::format("SINGLE_ISSUER|DEFER_TASKRUN refused ({}); using {}", std::strerror(-rc),
                        f.coop_taskrun ? "COOP_TASKRUN" : "default task running");
    }
    f.provided_buffer_ring = try_buffer_ring();

    if (io_uring_probe* p = io_uring_get_probe()) {
        f.recvmsg = io_uring_opcode_supported(p, IORING_OP_RECVMSG) != 0;
        f.sendmsg = io_uring_opcode_supported(p, IORING_OP_SENDMSG) != 0;
        f.read = io_uring_opcode_supported(p, IORING_OP_READ) != 0;
        f.write = io_uring_opcode_supported(p, IORING_OP_WRITE) != 0;
        f.read_multishot = io_uring_opcode_supported(p, 49) != 0;  // IORING_OP_READ_MULTISHOT
        io_uring_free_probe(p);
    }
    return f;
}

std::string describe(const UringFeatures& f) {
    auto yn = [](bool b) { return b ? "yes" : "no"; };
    std::string s = fmt::format(
        "io_uring: single_issuer+defer_taskrun={} coop_taskrun={} provided_buffer_ring={} "
        "recvmsg={} sendmsg={} read={} write={} read_multishot={}",
        yn(f.single_issuer_defer_taskrun), yn(f.coop_taskrun), yn(f.provided_buffer_ring), yn(f.recvmsg),
        yn(f.sendmsg), yn(f.read), yn(f.write), yn(f.read_multishot));
    if (!f.read_multishot) s += " (TUN frames by plain reads: multishot read needs Linux 6.7)";
    if (!f.fallback_reason.empty()) s += fmt::format(" (fallback: {})", f.fallback_reason);
    return s;
}

}  // namespace sluice::dataplane
