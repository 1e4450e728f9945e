// One data-plane worker: a thread pinned to one CPU that owns one io_uring, one TUN queue and
// one UDP socket, and moves packets between them through the Pipeline.
//
// The loop, per iteration: take every completion that is ready (TUN reads, multishot UDP
// receives from a provided-buffer ring, finished sends and writes), decide each packet with the
// pipeline, queue the resulting sends and writes, drain the injection ring, then submit
// everything in one io_uring_enter. When nothing is ready the worker goes offline for the
// snapshot publisher and blocks in the kernel until a completion or its wake eventfd arrives.
//
// TUN frames come from one multishot read on a provided-buffer ring of its own (Linux 6.7;
// else a few plain reads): with many plain reads in flight every frame would wake them all.
//
// Buffers come from one pool per worker, each large enough for a 64 KiB super-frame with
// headroom and tailroom. A buffer has a home it returns to when its last operation completes:
// the UDP provided-buffer ring, the TUN one (or a plain TUN read slot), or the free list
// (injections, probes, keepalives).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/engine/send_sequence.hpp"
#include "shared/abi/region.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane::engine {

struct WorkerSetup {
    std::uint32_t index = 0;
    int cpu = -1;  // pin to this CPU; -1: no pinning
    int tun_fd = -1;
    int udp_fd = -1;
    bool udp_ipv6 = true;  // the socket is AF_INET6 (IPv4 peers as mapped addresses)
    int wake_fd = -1;      // eventfd: the control plane pushed an injection, or stop
    // eventfd of the control plane ("events were pushed"); replaced when a restarted
    // control plane reattaches, hence atomic.
    const std::atomic<int>* doorbell_fd = nullptr;
    abi::Region* region = nullptr;
    SendSequences* sequences = nullptr;
    const std::atomic<bool>* stop = nullptr;
    std::size_t replay_window_bytes = 16;
};

// Why the ring was set up the way it was, for the start-up log.
struct WorkerReport {
    std::string ring_setup;
    std::string tun_reads;  // how frames are read from the TUN queue
};

class Worker {
public:
    // Sets up the ring, registers files and buffers, and arms the first operations. Fails with
    // the step that failed ("worker 1: io_uring_queue_init: Cannot allocate memory").
    // Call it on the thread that will run(): with SINGLE_ISSUER the ring belongs to the thread
    // that created it.
    [[nodiscard]] static Result<std::unique_ptr<Worker>> create(const WorkerSetup& setup,
                                                                WorkerReport& report);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The thread body: pins itself, runs until *stop is set and the wake fd is written.
    void run();

private:
    struct Impl;
    explicit Worker(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::dataplane::engine
