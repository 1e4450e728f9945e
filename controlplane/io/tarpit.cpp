#include "controlplane/io/tarpit.hpp"

#include <chrono>
#include <cstring>

namespace sluice::io {

namespace {

std::int64_t whole_seconds(TimePoint t) {
    return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

}  // namespace

bool same_host(const SocketAddress& a, const SocketAddress& b) {
    if (a.family() != b.family()) return false;
    if (a.family() == AF_INET) {
        sockaddr_in x{};
        sockaddr_in y{};
        std::memcpy(&x, &a.storage, sizeof x);
        std::memcpy(&y, &b.storage, sizeof y);
        return x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    if (a.family() == AF_INET6) {
        sockaddr_in6 x{};
        sockaddr_in6 y{};
        std::memcpy(&x, &a.storage, sizeof x);
        std::memcpy(&y, &b.storage, sizeof y);
        return std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
    }
    return false;
}

// A bucket drains one connection per second since its last update; a bucket idle for
// longer than its level empties completely.
void AcceptThrottle::Bucket::leak(std::int64_t now) {
    const std::int64_t elapsed = now - time;
    level = elapsed > level ? 0 : level - elapsed;
    time = now;
}

bool AcceptThrottle::admit(const SocketAddress& peer, TimePoint now) {
    const std::int64_t second = whole_seconds(now);
    if (previous_peer_ && same_host(peer, *previous_peer_)) {
        same_host_.leak(second);
        ++same_host_.level;
        if (same_host_.level > max_burst_) return false;
    }
    previous_peer_ = peer;

    all_hosts_.leak(second);
    ++all_hosts_.level;
    if (all_hosts_.level >= max_burst_) {
        all_hosts_.level = max_burst_;
        return false;
    }
    return true;
}

void Tarpit::hold(Fd fd) {
    pits_[next_] = std::move(fd);  // closes the socket that held the slot before
    next_ = (next_ + 1) % capacity;
}

std::size_t Tarpit::size() const {
    std::size_t n = 0;
    for (const auto& fd : pits_) n += fd.valid() ? 1 : 0;
    return n;
}

void Tarpit::clear() {
    for (auto& fd : pits_) fd.reset();
    next_ = 0;
}

}  // namespace sluice::io
