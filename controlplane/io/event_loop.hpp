// The control-plane daemon's single event loop: epoll for descriptors, an ordered map of
// timers, and signalfd for signals. Everything sluiced does happens inside a callback run
// from here, one at a time, so nothing in the control plane needs a lock (tincd works the
// same way).
//
// Lifetime rules that callbacks may rely on:
//   * remove(fd) may be called from any callback, including the one running for `fd`.
//     After it returns, no callback runs for that registration again, even if epoll had
//     already reported an event for it in the current batch (each registration carries a
//     generation number, checked before dispatch; the removed callback object is kept as a
//     tombstone until the end of the iteration, so the running lambda stays alive).
//   * Call remove(fd) BEFORE closing fd. A registration for a closed descriptor stays in
//     the table and makes a later add() of the same number fail.
//   * cancel_timer(id) may be called from any callback, including the timer's own; a
//     cancelled periodic timer is not re-armed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <signal.h>
#include <unordered_map>
#include <vector>

#include "controlplane/io/fd.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

enum class Interest : std::uint8_t {
    none = 0,
    read = 1,
    write = 2,
    read_write = 3,
};

[[nodiscard]] constexpr Interest operator|(Interest a, Interest b) {
    return static_cast<Interest>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
[[nodiscard]] constexpr bool has(Interest set, Interest bit) {
    return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(bit)) != 0;
}

// What epoll reported. `hangup` and `error` arrive whatever the interest; a reader sees them
// as EOF or an error from read(), a connecting socket as SO_ERROR.
struct IoEvents {
    bool readable = false;
    bool writable = false;
    bool hangup = false;
    bool error = false;
};

using IoCallback = std::function<void(IoEvents)>;
using TimerCallback = std::function<void()>;
using SignalCallback = std::function<void(int signo)>;

using TimerId = std::uint64_t;
inline constexpr TimerId no_timer = 0;

// The signals sluiced handles like tincd (spec 7.3): blocked in the process and delivered
// through the loop.
inline constexpr int daemon_signals[] = {SIGHUP, SIGTERM, SIGINT, SIGALRM, SIGUSR1, SIGUSR2, SIGWINCH};

class EventLoop {
public:
    // Fails only when the kernel refuses an epoll or signalfd descriptor.
    [[nodiscard]] static Result<std::unique_ptr<EventLoop>> create();
    // Restores the signal mask for the signals this loop blocked.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // --- descriptors ---------------------------------------------------------------------
    // Level-triggered. Fails if fd is already registered or epoll_ctl refuses it.
    [[nodiscard]] Status add(int fd, Interest interest, IoCallback callback);
    // Changes the interest of a registered fd; a no-op when unchanged.
    [[nodiscard]] Status modify(int fd, Interest interest);
    // Safe inside any callback (see the header comment). Unknown fds are ignored.
    void remove(int fd);
    [[nodiscard]] bool registered(int fd) const { return registrations_.contains(fd); }
    [[nodiscard]] std::size_t registration_count() const { return registrations_.size(); }

    // --- timers --------------------------------------------------------------------------
    // Runs `callback` once at `when` (at the first iteration at or after it).
    TimerId add_timer(TimePoint when, TimerCallback callback);
    TimerId add_timer_after(Duration delay, TimerCallback callback) {
        return add_timer(now_ + delay, std::move(callback));
    }
    // Runs every `interval` (clamped to at least 1 ms), first at now() + interval, until
    // cancelled. A late loop does not fire the missed ticks in a burst: the next tick is
    // scheduled one interval after the late one.
    TimerId add_periodic(Duration interval, TimerCallback callback);
    // Returns false if the timer had already fired (one-shot) or was unknown.
    bool cancel_timer(TimerId id);
    [[nodiscard]] std::size_t timer_count() const { return timers_.size(); }

    // --- signals -------------------------------------------------------------------------
    // Blocks `signo` in the calling thread and delivers it as a callback from the loop.
    // A second call for the same signal replaces the callback. Signals that arrive several
    // times between two iterations are delivered once (the kernel coalesces them).
    [[nodiscard]] Status on_signal(int signo, SignalCallback callback);

    // --- running -------------------------------------------------------------------------
    // Dispatches until stop(). Fails only if epoll_wait does.
    [[nodiscard]] Status run();
    // One iteration: waits at most `max_wait` (or until the next timer), then dispatches
    // ready descriptors and due timers. For tests and for callers with their own loop.
    [[nodiscard]] Status run_once(Duration max_wait);
    // Makes run() return after the current iteration.
    void stop() { stopping_ = true; }
    [[nodiscard]] bool stopping() const { return stopping_; }

    // steady_clock, read once per iteration after the wait: every callback in one iteration
    // sees the same time, and timers compare against it.
    [[nodiscard]] TimePoint now() const { return now_; }
    void refresh_now() { now_ = Clock::now(); }

private:
    struct Registration {
        int fd = -1;
        std::uint32_t generation = 0;
        Interest interest = Interest::none;
        IoCallback callback;
    };
    struct Timer {
        TimerCallback callback;
        Duration interval{};  // zero for one-shot
    };
    using TimerKey = std::pair<TimePoint, TimerId>;

    EventLoop(Fd epoll, Fd signal_fd);
    void dispatch_io(std::uint64_t data, std::uint32_t events);
    void fire_due_timers();
    void read_signals();
    [[nodiscard]] int wait_timeout_ms(Duration max_wait) const;

    Fd epoll_;
    Fd signal_fd_;
    TimePoint now_;
    bool stopping_ = false;

    std::uint32_t next_generation_ = 1;
    std::unordered_map<int, std::unique_ptr<Registration>> registrations_;
    // Removed registrations, alive until the end of the iteration (see header comment).
    std::vector<std::unique_ptr<Registration>> tombstones_;

    TimerId next_timer_id_ = 1;
    std::map<TimerKey, Timer> timers_;
    std::unordered_map<TimerId, TimePoint> timer_due_;
    TimerId firing_timer_ = no_timer;
    bool firing_periodic_ = false;
    bool firing_cancelled_ = false;

    sigset_t handled_signals_{};
    sigset_t previous_mask_{};
    std::unordered_map<int, SignalCallback> signal_callbacks_;
};

}  // namespace sluice::io
