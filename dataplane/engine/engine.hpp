// sluice-dp's packet engine: the TUN queues, the UDP sockets and one worker thread per queue,
// all reading their tables from the shared region. It runs until stop(), independently of the
// control plane: a sluiced that dies leaves the engine forwarding with the tables it had.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/engine/send_sequence.hpp"
#include "dataplane/engine/worker.hpp"
#include "dataplane/io/udp_socket.hpp"
#include "shared/abi/region.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane::engine {

struct EngineSettings {
    std::string interface;  // empty: the kernel picks sluice%d
    std::uint16_t port = 655;
    io::UdpFamily family = io::UdpFamily::any;
    std::size_t replay_window_bytes = 16;
    bool pin = true;        // pin worker i to the i-th CPU this process may run on
    std::vector<int> cpus;  // if not empty: pin worker i to cpus[i % size] instead
};

class Engine {
public:
    // Opens one TUN queue and one UDP socket per worker of the region, and starts the workers.
    // Returns once every worker has set up its ring (or the first failure).
    [[nodiscard]] static Result<std::unique_ptr<Engine>> start(abi::Region& region, int doorbell_fd,
                                                               const EngineSettings& settings);
    ~Engine();

    [[nodiscard]] const std::string& interface() const noexcept { return interface_; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    // One eventfd per worker: the control plane writes 1 after pushing onto that worker's
    // injection ring.
    [[nodiscard]] std::vector<int> wake_fds() const;
    // A reattached control plane's doorbell. The previous one stays open (a worker may be
    // writing to it right now); one descriptor per reattach is a fine price.
    void set_doorbell(int fd);
    void stop();
    // Stops and lets the TUN device go when the last queue closes (a clean exit).
    void stop_and_remove_device();

private:
    Engine() = default;

    std::string interface_;
    std::uint16_t port_ = 0;
    std::vector<int> tun_fds_;
    std::vector<int> udp_fds_;
    std::vector<int> wake_fds_;
    std::vector<int> old_doorbells_;
    std::atomic<int> doorbell_{-1};
    std::atomic<bool> stop_{false};
    std::unique_ptr<SendSequences> sequences_;
    std::vector<std::thread> threads_;
};

}  // namespace sluice::dataplane::engine
