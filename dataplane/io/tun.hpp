// The TUN device, opened as one queue per worker (IFF_MULTI_QUEUE): the kernel hashes each
// flow to one queue, so a flow stays on one worker. Layer 3 (IFF_TUN, IFF_NO_PI), as tinc's
// router mode uses it: reads and writes are bare IP packets.
#pragma once

#include <string>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::dataplane::io {

struct TunQueues {
    std::string interface;  // the name the kernel gave (the requested one, or sl%d filled in)
    std::vector<int> fds;   // one per queue, blocking (io_uring waits on them)
};

// Opens `queues` queues of the device called name (created if it does not exist; an empty
// name lets the kernel pick "sluice%d"). Fails with the device and the reason, e.g.
// "/dev/net/tun: Operation not permitted (sluice-dp needs CAP_NET_ADMIN)".
// The device is made persistent, so that it survives a crash of sluice-dp with its addresses
// and routes; remove_persistence (on a clean stop) lets it disappear with its last queue.
[[nodiscard]] Result<TunQueues> open_tun(const std::string& name, unsigned queues);
void remove_persistence(int queue_fd);

}  // namespace sluice::dataplane::io
