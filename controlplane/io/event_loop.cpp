#include "controlplane/io/event_loop.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

namespace sluice::io {

namespace {

// epoll_event.data carries (generation << 32 | fd). Generation 0 is reserved for the
// loop's own signalfd; registrations count from 1 and skip 0 when the counter wraps.
constexpr std::uint32_t signal_generation = 0;

std::uint64_t pack(int fd, std::uint32_t generation) {
    return static_cast<std::uint64_t>(generation) << 32 | static_cast<std::uint32_t>(fd);
}

std::uint32_t epoll_mask(Interest interest) {
    std::uint32_t mask = 0;
    if (has(interest, Interest::read)) mask |= EPOLLIN;
    if (has(interest, Interest::write)) mask |= EPOLLOUT;
    return mask;
}

// Enough for a busy control plane; more ready descriptors wait for the next iteration.
constexpr int max_events_per_wait = 64;

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
    Fd epoll(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll) return fail("epoll_create1: {}", std::strerror(errno));

    sigset_t empty;
    sigemptyset(&empty);
    Fd signal_fd(::signalfd(-1, &empty, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd) return fail("signalfd: {}", std::strerror(errno));

    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = pack(signal_fd.get(), signal_generation);
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, signal_fd.get(), &event) != 0) {
        return fail("epoll_ctl add signalfd: {}", std::strerror(errno));
    }
    return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(signal_fd)));
}

EventLoop::EventLoop(Fd epoll, Fd signal_fd)
    : epoll_(std::move(epoll)), signal_fd_(std::move(signal_fd)), now_(Clock::now()) {
    sigemptyset(&handled_signals_);
    sigset_t empty;
    sigemptyset(&empty);
    ::pthread_sigmask(SIG_BLOCK, &empty, &previous_mask_);
}

EventLoop::~EventLoop() {
    // Consume what is pending first: unblocking a pending SIGTERM would kill the process
    // with the default action instead of letting the owner finish its shutdown.
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    sigset_t unblock;
    sigemptyset(&unblock);
    for (int signo = 1; signo < NSIG; ++signo) {
        if (sigismember(&handled_signals_, signo) == 1 && sigismember(&previous_mask_, signo) == 0) {
            sigaddset(&unblock, signo);
        }
    }
    ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
}

Status EventLoop::add(int fd, Interest interest, IoCallback callback) {
    if (fd < 0) return fail("event loop: cannot register invalid fd {}", fd);
    if (registrations_.contains(fd)) return fail("event loop: fd {} is already registered", fd);
    auto registration = std::make_unique<Registration>();
    registration->fd = fd;
    registration->generation = next_generation_++;
    if (next_generation_ == signal_generation) next_generation_ = 1;
    registration->interest = interest;
    registration->callback = std::move(callback);

    epoll_event event{};
    event.events = epoll_mask(interest);
    event.data.u64 = pack(fd, registration->generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
        return fail("epoll_ctl add fd {}: {}", fd, std::strerror(errno));
    }
    registrations_.emplace(fd, std::move(registration));
    return {};
}

Status EventLoop::modify(int fd, Interest interest) {
    auto it = registrations_.find(fd);
    if (it == registrations_.end()) return fail("event loop: fd {} is not registered", fd);
    Registration& registration = *it->second;
    if (registration.interest == interest) return {};
    epoll_event event{};
    event.events = epoll_mask(interest);
    event.data.u64 = pack(fd, registration.generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0) {
        return fail("epoll_ctl modify fd {}: {}", fd, std::strerror(errno));
    }
    registration.interest = interest;
    return {};
}

void EventLoop::remove(int fd) {
    auto it = registrations_.find(fd);
    if (it == registrations_.end()) return;
    // Fails with EBADF if the owner already closed fd; the kernel has then dropped it.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    tombstones_.push_back(std::move(it->second));
    registrations_.erase(it);
}

TimerId EventLoop::add_timer(TimePoint when, TimerCallback callback) {
    const TimerId id = next_timer_id_++;
    timers_.emplace(TimerKey{when, id}, Timer{std::move(callback), Duration::zero()});
    timer_due_.emplace(id, when);
    return id;
}

TimerId EventLoop::add_periodic(Duration interval, TimerCallback callback) {
    if (interval < milliseconds(1)) interval = milliseconds(1);
    const TimerId id = next_timer_id_++;
    const TimePoint when = now_ + interval;
    timers_.emplace(TimerKey{when, id}, Timer{std::move(callback), interval});
    timer_due_.emplace(id, when);
    return id;
}

bool EventLoop::cancel_timer(TimerId id) {
    if (id != no_timer && id == firing_timer_) {
        // Only a periodic timer has anything left to cancel while it runs.
        const bool periodic_pending = !firing_cancelled_ && firing_periodic_;
        firing_cancelled_ = true;
        return periodic_pending;
    }
    auto due = timer_due_.find(id);
    if (due == timer_due_.end()) return false;
    timers_.erase(TimerKey{due->second, id});
    timer_due_.erase(due);
    return true;
}

Status EventLoop::on_signal(int signo, SignalCallback callback) {
    if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) {
        return fail("event loop: cannot handle signal {}", signo);
    }
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    if (const int rc = ::pthread_sigmask(SIG_BLOCK, &one, nullptr); rc != 0) {
        return fail("pthread_sigmask {}: {}", strsignal(signo), std::strerror(rc));
    }
    sigaddset(&handled_signals_, signo);
    if (::signalfd(signal_fd_.get(), &handled_signals_, SFD_NONBLOCK | SFD_CLOEXEC) < 0) {
        return fail("signalfd {}: {}", strsignal(signo), std::strerror(errno));
    }
    signal_callbacks_[signo] = std::move(callback);
    return {};
}

Status EventLoop::run() {
    stopping_ = false;
    while (!stopping_) {
        if (auto status = run_once(Duration::max()); !status) return status;
    }
    return {};
}

int EventLoop::wait_timeout_ms(Duration max_wait) const {
    if (timers_.empty() && max_wait == Duration::max()) return -1;
    Duration wait = max_wait;
    if (!timers_.empty()) {
        // Callbacks may have run for a while since now_ was read, so ask the clock again.
        const Duration until_timer = timers_.begin()->first.first - Clock::now();
        if (until_timer < wait) wait = until_timer;
    }
    if (wait <= Duration::zero()) return 0;
    // Round up: waking a fraction of a millisecond early would find no timer due and spin.
    const auto ms = std::chrono::ceil<milliseconds>(wait);
    return ms.count() >= INT_MAX ? INT_MAX : static_cast<int>(ms.count());
}

Status EventLoop::run_once(Duration max_wait) {
    std::array<epoll_event, max_events_per_wait> events;
    const int timeout = stopping_ ? 0 : wait_timeout_ms(max_wait);
    int ready = ::epoll_wait(epoll_.get(), events.data(), max_events_per_wait, timeout);
    if (ready < 0) {
        if (errno != EINTR) return fail("epoll_wait: {}", std::strerror(errno));
        ready = 0;
    }
    now_ = Clock::now();
    for (int i = 0; i < ready; ++i) {
        dispatch_io(events[static_cast<std::size_t>(i)].data.u64, events[static_cast<std::size_t>(i)].events);
    }
    fire_due_timers();
    tombstones_.clear();
    return {};
}

void EventLoop::dispatch_io(std::uint64_t data, std::uint32_t events) {
    const int fd = static_cast<int>(data & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(data >> 32);
    if (generation == signal_generation) {
        if (fd == signal_fd_.get()) read_signals();
        return;
    }
    auto it = registrations_.find(fd);
    // A mismatch means the fd was removed (and maybe re-added) earlier in this batch.
    if (it == registrations_.end() || it->second->generation != generation) return;
    IoEvents io;
    io.readable = (events & EPOLLIN) != 0;
    io.writable = (events & EPOLLOUT) != 0;
    io.hangup = (events & (EPOLLHUP | EPOLLRDHUP)) != 0;
    io.error = (events & EPOLLERR) != 0;
    // The registration may be removed inside; it then lives on as a tombstone.
    it->second->callback(io);
}

void EventLoop::fire_due_timers() {
    // Timers added while firing wait for the next iteration, so a callback that re-adds a
    // zero-delay timer cannot keep this loop going forever.
    const TimerId first_new_id = next_timer_id_;
    auto it = timers_.begin();
    while (it != timers_.end() && it->first.first <= now_) {
        if (it->first.second >= first_new_id) {
            ++it;
            continue;
        }
        auto node = timers_.extract(it);
        const TimerId id = node.key().second;
        const TimePoint due = node.key().first;
        timer_due_.erase(id);
        Timer timer = std::move(node.mapped());

        firing_timer_ = id;
        firing_periodic_ = timer.interval > Duration::zero();
        firing_cancelled_ = false;
        timer.callback();
        firing_timer_ = no_timer;

        if (firing_periodic_ && !firing_cancelled_) {
            TimePoint next = due + timer.interval;
            if (next <= now_) next = now_ + timer.interval;
            timers_.emplace(TimerKey{next, id}, std::move(timer));
            timer_due_.emplace(id, next);
        }
        it = timers_.begin();
    }
}

void EventLoop::read_signals() {
    signalfd_siginfo info;
    while (true) {
        const ssize_t n = ::read(signal_fd_.get(), &info, sizeof info);
        if (n != static_cast<ssize_t>(sizeof info)) return;  // EAGAIN: all consumed
        const int signo = static_cast<int>(info.ssi_signo);
        auto it = signal_callbacks_.find(signo);
        if (it == signal_callbacks_.end()) continue;
        // Copied: the callback may replace its own handler.
        SignalCallback callback = it->second;
        callback(signo);
    }
}

}  // namespace sluice::io
