#include "dataplane/engine/engine.hpp"

#include <cerrno>
#include <cstring>
#include <future>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dataplane/io/tun.hpp"
#include "dataplane/io/udp_socket.hpp"
#include "shared/log/log.hpp"

namespace sluice::dataplane::engine {

namespace {

// The node ids sluiced hands out are dense and never reused while a region lives; this bounds
// the per-node send counters (8 bytes each).
constexpr std::uint32_t kMaxNodeIds = 1U << 20;

std::vector<int> allowed_cpus() {
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    return cpus;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::start(abi::Region& region, int doorbell_fd,
                                              const EngineSettings& settings) {
    std::unique_ptr<Engine> e(new Engine());
    const std::uint32_t workers = region.layout().params.worker_count;
    auto tun = io::open_tun(settings.interface, workers);
    if (!tun) return fail(tun.error());
    e->interface_ = tun->interface;
    e->tun_fds_ = tun->fds;
    auto udp = io::open_udp_sockets(settings.port, settings.family, workers);
    if (!udp) return fail(udp.error());
    e->udp_fds_ = udp->fds;
    e->port_ = udp->port;
    for (std::uint32_t i = 0; i < workers; ++i) {
        const int fd = ::eventfd(0, EFD_CLOEXEC);
        if (fd < 0) return fail("eventfd: {}", std::strerror(errno));
        e->wake_fds_.push_back(fd);
    }
    e->doorbell_.store(doorbell_fd);
    e->sequences_ = std::make_unique<SendSequences>(kMaxNodeIds);
    const std::vector<int> cpus = settings.cpus.empty() ? allowed_cpus() : settings.cpus;
    std::vector<int> cpu_of;
    for (std::uint32_t i = 0; i < workers; ++i)
        cpu_of.push_back(settings.pin && !cpus.empty() ? cpus[i % cpus.size()] : -1);
    if (auto s = io::steer_received(e->udp_fds_); !s) return fail(s.error());

    std::vector<std::future<Status>> ready;
    for (std::uint32_t i = 0; i < workers; ++i) {
        WorkerSetup s;
        s.index = i;
        s.cpu = cpu_of[i];
        s.tun_fd = e->tun_fds_[i];
        s.udp_fd = e->udp_fds_[i];
        s.udp_ipv6 = udp->ipv6;
        s.wake_fd = e->wake_fds_[i];
        s.doorbell_fd = &e->doorbell_;
        s.region = &region;
        s.sequences = e->sequences_.get();
        s.stop = &e->stop_;
        s.replay_window_bytes = settings.replay_window_bytes;
        auto promise = std::make_shared<std::promise<Status>>();
        ready.push_back(promise->get_future());
        e->threads_.emplace_back([s, promise] {
            WorkerReport report;
            auto worker = Worker::create(s, report);
            if (!worker) {
                promise->set_value(fail(worker.error()));
                return;
            }
            log::at(log::Level::connections, "worker {}: CPU {}, io_uring {}, TUN: {}", s.index, s.cpu,
                    report.ring_setup, report.tun_reads);
            promise->set_value(Status{});
            (*worker)->run();
        });
    }
    for (auto& f : ready) {
        if (auto s = f.get(); !s) {
            e->stop();
            return fail(s.error());
        }
    }
    return e;
}

Engine::~Engine() {
    stop();
    for (int fd : tun_fds_) ::close(fd);
    for (int fd : udp_fds_) ::close(fd);
    for (int fd : wake_fds_) ::close(fd);
    for (int fd : old_doorbells_) ::close(fd);
    if (const int fd = doorbell_.load(); fd >= 0) ::close(fd);
}

std::vector<int> Engine::wake_fds() const {
    return wake_fds_;
}

void Engine::set_doorbell(int fd) {
    const int old = doorbell_.exchange(fd);
    if (old >= 0) old_doorbells_.push_back(old);
}

void Engine::stop_and_remove_device() {
    stop();
    if (!tun_fds_.empty()) io::remove_persistence(tun_fds_.front());
}

void Engine::stop() {
    stop_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    for (int fd : wake_fds_) (void)!::write(fd, &one, sizeof one);
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace sluice::dataplane::engine
