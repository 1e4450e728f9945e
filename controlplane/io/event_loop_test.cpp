#include "controlplane/io/event_loop.hpp"

#include <functional>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/io/loop_test_support.hpp"

using namespace sluice;
using namespace sluice::io;
using namespace sluice::io::testing;

namespace {

void write_byte(const Fd& fd) {
    const char c = 'x';
    REQUIRE(::write(fd.get(), &c, 1) == 1);
}

}  // namespace

TEST_CASE("readable and writable events reach the callback") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    int reads = 0;
    int writes = 0;
    REQUIRE(loop->add(a.get(), Interest::read,
                      [&](IoEvents io) {
                          if (io.readable) {
                              char buf[16];
                              while (::read(a.get(), buf, sizeof buf) > 0) {
                              }
                              ++reads;
                          }
                          if (io.writable) ++writes;
                      })
                .has_value());
    CHECK(loop->registered(a.get()));
    CHECK_FALSE(loop->add(a.get(), Interest::read, [](IoEvents) {}).has_value());

    write_byte(b);
    REQUIRE(run_until(*loop, [&] { return reads == 1; }));
    CHECK(writes == 0);

    REQUIRE(loop->modify(a.get(), Interest::read_write).has_value());
    REQUIRE(run_until(*loop, [&] { return writes > 0; }));
    REQUIRE(loop->modify(a.get(), Interest::read).has_value());
    const int writes_before = writes;
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(writes == writes_before);

    CHECK_FALSE(loop->modify(12345, Interest::read).has_value());
    loop->remove(a.get());
    CHECK_FALSE(loop->registered(a.get()));
    loop->remove(a.get());  // unknown fds are ignored
}

TEST_CASE("a callback may remove its own registration") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    int calls = 0;
    int captured_value = 42;
    REQUIRE(loop->add(a.get(), Interest::read,
                      [&, captured_value](IoEvents) {
                          ++calls;
                          loop->remove(a.get());
                          // The lambda object is a tombstone now, still alive: its captures are valid.
                          CHECK(captured_value == 42);
                      })
                .has_value());
    write_byte(b);
    REQUIRE(run_until(*loop, [&] { return calls == 1; }));
    for (int i = 0; i < 3; ++i) REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(calls == 1);
    CHECK(loop->registration_count() == 0);
}

TEST_CASE("no callback runs for a registration removed earlier in the same batch") {
    auto loop = make_loop();
    auto [a1, a2] = make_socketpair();
    auto [b1, b2] = make_socketpair();
    std::vector<std::string> calls;
    // Whichever runs first removes the other, and closes it, and registers a fresh
    // descriptor that will likely reuse the number: the stale event must not reach it.
    Fd replacement;
    bool replacement_called = false;
    auto make_callback = [&](std::string self, Fd* own, Fd* other) {
        return [&, self, own, other](IoEvents) {
            calls.push_back(self);
            char buf[8];
            while (::read(own->get(), buf, sizeof buf) > 0) {
            }
            if (other->valid()) {
                loop->remove(other->get());
                other->reset();
                int fds[2];
                REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
                ::close(fds[1]);
                replacement.reset(fds[0]);
                REQUIRE(
                    loop->add(replacement.get(), Interest::read, [&](IoEvents) { replacement_called = true; })
                        .has_value());
            }
        };
    };
    REQUIRE(loop->add(a1.get(), Interest::read, make_callback("a", &a1, &b1)).has_value());
    REQUIRE(loop->add(b1.get(), Interest::read, make_callback("b", &b1, &a1)).has_value());
    write_byte(a2);
    write_byte(b2);
    REQUIRE(loop->run_once(milliseconds(1000)).has_value());
    REQUIRE(calls.size() == 1);
    // The replacement's peer is closed, so it reports readable (EOF) in a later iteration.
    REQUIRE(run_until(*loop, [&] { return replacement_called; }));
    CHECK(calls.size() == 1);
    loop->remove(replacement.get());
    if (a1.valid()) loop->remove(a1.get());
    if (b1.valid()) loop->remove(b1.get());
}

TEST_CASE("timers fire in order and can be cancelled") {
    auto loop = make_loop();
    std::vector<int> fired;
    const TimePoint start = loop->now();
    loop->add_timer(start + milliseconds(30), [&] { fired.push_back(3); });
    loop->add_timer(start + milliseconds(10), [&] { fired.push_back(1); });
    const TimerId cancelled = loop->add_timer(start + milliseconds(20), [&] { fired.push_back(2); });
    CHECK(loop->cancel_timer(cancelled));
    CHECK_FALSE(loop->cancel_timer(cancelled));
    CHECK_FALSE(loop->cancel_timer(no_timer));
    REQUIRE(run_until(*loop, [&] { return fired.size() == 2; }));
    CHECK(fired == std::vector<int>{1, 3});
    CHECK(loop->timer_count() == 0);
    CHECK(loop->now() >= start + milliseconds(30));
}

TEST_CASE("the loop sleeps until the next timer instead of spinning") {
    auto loop = make_loop();
    bool fired = false;
    loop->add_timer_after(milliseconds(60), [&] { fired = true; });
    int iterations = 0;
    const TimePoint deadline = Clock::now() + seconds(5);
    while (!fired && Clock::now() < deadline) {
        REQUIRE(loop->run_once(Duration::max()).has_value());
        ++iterations;
    }
    CHECK(fired);
    CHECK(iterations <= 2);
}

TEST_CASE("periodic timers repeat until cancelled, also from their own callback") {
    auto loop = make_loop();
    int ticks = 0;
    TimerId id = no_timer;
    id = loop->add_periodic(milliseconds(5), [&] {
        if (++ticks == 3) CHECK(loop->cancel_timer(id));
    });
    REQUIRE(run_until(*loop, [&] { return ticks == 3; }));
    CHECK(loop->timer_count() == 0);
    for (int i = 0; i < 3; ++i) REQUIRE(loop->run_once(milliseconds(10)).has_value());
    CHECK(ticks == 3);
}

TEST_CASE("a one-shot timer cancelling itself reports nothing left to cancel") {
    auto loop = make_loop();
    TimerId id = no_timer;
    bool result = true;
    id = loop->add_timer_after(Duration::zero(), [&] { result = loop->cancel_timer(id); });
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK_FALSE(result);
}

TEST_CASE("a timer re-adding a zero-delay timer does not starve the loop") {
    auto loop = make_loop();
    int runs = 0;
    std::function<void()> again = [&] {
        ++runs;
        loop->add_timer_after(Duration::zero(), again);
    };
    loop->add_timer_after(Duration::zero(), again);
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(runs == 1);
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(runs == 2);
}

TEST_CASE("run returns after stop") {
    auto loop = make_loop();
    int ticks = 0;
    loop->add_periodic(milliseconds(1), [&] {
        if (++ticks == 5) loop->stop();
    });
    REQUIRE(loop->run().has_value());
    CHECK(ticks == 5);
}

TEST_CASE("signals arrive as callbacks through signalfd") {
    std::vector<int> received;
    {
        auto loop = make_loop();
        REQUIRE(loop->on_signal(SIGUSR1, [&](int signo) { received.push_back(signo); }).has_value());
        REQUIRE(loop->on_signal(SIGWINCH, [&](int signo) { received.push_back(signo); }).has_value());
        CHECK_FALSE(loop->on_signal(SIGKILL, [](int) {}).has_value());

        REQUIRE(::raise(SIGUSR1) == 0);  // blocked, so pending until the loop reads it
        REQUIRE(run_until(*loop, [&] { return received.size() == 1; }));
        CHECK(received[0] == SIGUSR1);

        REQUIRE(::raise(SIGWINCH) == 0);
        REQUIRE(run_until(*loop, [&] { return received.size() == 2; }));
        CHECK(received[1] == SIGWINCH);

        // Pending at destruction: consumed, not delivered with the default action.
        REQUIRE(::raise(SIGUSR1) == 0);
    }
    sigset_t mask;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &mask) == 0);
    CHECK(sigismember(&mask, SIGUSR1) == 0);  // the loop restored the mask
    CHECK(received.size() == 2);
}
