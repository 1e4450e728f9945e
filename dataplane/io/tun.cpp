#include "dataplane/io/tun.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::dataplane::io {

namespace {
constexpr int kTxQueueLength = 4096;
}  // namespace

Result<TunQueues> open_tun(const std::string& name, unsigned queues) {
    if (name.size() >= IFNAMSIZ)
        return fail("interface name {} is longer than {} characters", name, IFNAMSIZ - 1);
    TunQueues out;
    std::string requested = name.empty() ? "sluice%d" : name;
    for (unsigned q = 0; q < queues; ++q) {
        const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            const int e = errno;
            for (int f : out.fds) ::close(f);
            return fail("/dev/net/tun: {}{}", std::strerror(e),
                        e == EACCES || e == EPERM ? " (sluice-dp needs CAP_NET_ADMIN)" : "");
        }
        ifreq ifr{};
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
        std::strncpy(ifr.ifr_name, requested.c_str(), IFNAMSIZ - 1);
        if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
            const int e = errno;
            ::close(fd);
            for (int f : out.fds) ::close(f);
            return fail("TUNSETIFF {} (queue {} of {}): {}{}", requested, q + 1, queues, std::strerror(e),
                        e == EPERM    ? " (sluice-dp needs CAP_NET_ADMIN)"
                        : e == EINVAL ? " (is there a device of that name that is not a multi-queue TUN?)"
                                      : "");
        }
        requested = ifr.ifr_name;  // later queues join the device the first one made
        // Persistent, so that the device (and the addresses and routes tinc-up gave it)
        // outlives a crash of sluice-dp: the sluice-dp that sluiced starts next attaches its
        // queues to it. A clean stop clears the flag (remove_persistence) and the device goes.
        if (q == 0 && ::ioctl(fd, TUNSETPERSIST, 1) != 0) {
            const int e = errno;
            ::close(fd);
            return fail("TUNSETPERSIST {}: {}", requested, std::strerror(e));
        }
        out.fds.push_back(fd);
    }
    out.interface = requested;
    // The kernel queues frames for the TUN reader in the device's transmit queue, 500 frames
    // by default; a worker that drains in batches lets bursts overflow it (tx_dropped, which
    // TCP sees as loss). A longer queue absorbs them. tinc-up may set another value after.
    if (const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); s >= 0) {
        ifreq q{};
        std::strncpy(q.ifr_name, out.interface.c_str(), IFNAMSIZ - 1);
        q.ifr_qlen = kTxQueueLength;
        (void)::ioctl(s, SIOCSIFTXQLEN, &q);
        ::close(s);
    }
    return out;
}

void remove_persistence(int fd) {
    (void)::ioctl(fd, TUNSETPERSIST, 0);
}

}  // namespace sluice::dataplane::io
