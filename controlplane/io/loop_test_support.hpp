// Test support for the io module's tests: a loop, a socket pair, and driving the loop until
// a condition holds (never a fixed sleep). Header-only; for tests only.
#pragma once

#include <functional>
#include <memory>
#include <sys/socket.h>
#include <utility>

#include <catch2/catch.hpp>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/fd.hpp"

namespace sluice::io::testing {

inline std::unique_ptr<EventLoop> make_loop() {
    auto loop = EventLoop::create();
    REQUIRE(loop.has_value());
    return std::move(*loop);
}

inline std::pair<Fd, Fd> make_socketpair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    return {Fd(fds[0]), Fd(fds[1])};
}

// Runs loop iterations until `done` holds; false once `limit` has passed.
inline bool run_until(EventLoop& loop, const std::function<bool()>& done, Duration limit = seconds(5)) {
    const TimePoint deadline = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > deadline) return false;
        REQUIRE(loop.run_once(milliseconds(20)).has_value());
    }
    return true;
}

}  // namespace sluice::io::testing
