#include "dataplane/control/server.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/engine/engine.hpp"
#include "shared/abi/region.hpp"
#include "shared/handover/channel.hpp"
#include "shared/log/log.hpp"

namespace sluice::dataplane::control {

namespace {

using namespace std::chrono_literals;
using handover::Message;

struct State {
    std::optional<abi::Region> region;
    std::unique_ptr<engine::Engine> engine;
    int control = -1;  // the attached control plane's connection
};

Result<engine::EngineSettings> settings_from(const Message& attach) {
    engine::EngineSettings s;
    s.interface = attach.get("interface");
    auto port = attach.get_number("port");
    if (!port || *port == 0 || *port > 65535)
        return fail("ATTACH: port {} is not a UDP port", attach.get("port"));
    s.port = static_cast<std::uint16_t>(*port);
    const std::string family = attach.get("family", "any");
    if (family == "any")
        s.family = io::UdpFamily::any;
    else if (family == "ipv4")
        s.family = io::UdpFamily::ipv4;
    else if (family == "ipv6")
        s.family = io::UdpFamily::ipv6;
    else
        return fail("ATTACH: unknown address family {}", family);
    if (auto w = attach.get_number("replay_window")) s.replay_window_bytes = *w;
    s.pin = attach.get("pin", "yes") == "yes";
    const std::string cpus = attach.get("cpus");
    for (std::size_t at = 0; at < cpus.size();) {
        const std::size_t comma = std::min(cpus.find(',', at), cpus.size());
        const std::string item = cpus.substr(at, comma - at);
        if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 4)
            return fail("ATTACH: cpus={} is not a list of CPU numbers", cpus);
        s.cpus.push_back(std::stoi(item));
        at = comma + 1;
    }
    return s;
}

void send_error(int fd, const std::string& text) {
    (void)handover::send_message(fd, Message{"ERROR", {{"message", text}}});
}

// One control plane connecting. Returns false when the process must exit (a first attach that
// failed: there is nothing to keep running).
bool attach(State& st, int fd) {
    Message hello{"HELLO",
                  {{"version", std::to_string(handover::kHandoverVersion)},
                   {"abi", std::to_string(abi::kAbiVersion)},
                   {"pid", std::to_string(::getpid())},
                   {"region", st.region ? "1" : "0"}}};
    if (st.engine) hello.fields["interface"] = st.engine->interface();
    std::vector<int> fds;
    if (st.region) fds.push_back(st.region->fd());
    if (auto s = handover::send_message(fd, hello, fds); !s) {
        log::error("Handover: {}", s.error().message);
        ::close(fd);
        return true;
    }
    auto got = handover::receive_message(fd, 10s);
    if (!got) {
        log::error("Handover: waiting for ATTACH: {}", got.error().message);
        ::close(fd);
        return true;
    }
    if (got->message.name != "ATTACH") {
        log::error("Handover: expected ATTACH, got {}", got->message.name);
        ::close(fd);
        return true;
    }
    const bool first = !st.region;
    std::size_t next_fd = 0;
    if (first) {
        const int memfd = got->fds.take(next_fd++);
        if (memfd < 0) {
            send_error(fd, "ATTACH without the shared-memory region");
            ::close(fd);
            return false;
        }
        auto region = abi::attach_region(memfd);
        ::close(memfd);
        if (!region) {
            log::error("Cannot attach the shared memory: {}", region.error().message);
            send_error(fd, region.error().message);
            ::close(fd);
            return false;
        }
        st.region.emplace(std::move(*region));
    }
    const int doorbell = got->fds.take(next_fd);
    if (doorbell < 0) {
        send_error(fd, "ATTACH without the doorbell eventfd");
        ::close(fd);
        return !first;
    }
    if (first) {
        auto settings = settings_from(got->message);
        if (!settings) {
            log::error("{}", settings.error().message);
            send_error(fd, settings.error().message);
            ::close(doorbell);
            ::close(fd);
            return false;
        }
        auto engine = engine::Engine::start(*st.region, doorbell, *settings);
        if (!engine) {
            log::error("Cannot start the packet engine: {}", engine.error().message);
            send_error(fd, engine.error().message);
            ::close(fd);
            return false;
        }
        st.engine = std::move(*engine);
        log::info("Packet engine running: interface {}, UDP port {}, {} workers", st.engine->interface(),
                  st.engine->port(), st.region->layout().params.worker_count);
    } else {
        st.engine->set_doorbell(doorbell);
        log::info("Control plane reattached (pid {})", got->message.get("pid", "?"));
    }
    st.region->header().dataplane_pid.store(static_cast<std::uint64_t>(::getpid()));
    Message ready{"READY",
                  {{"interface", st.engine->interface()},
                   {"workers", std::to_string(st.region->layout().params.worker_count)},
                   {"port", std::to_string(st.engine->port())}}};
    if (auto s = handover::send_message(fd, ready, st.engine->wake_fds()); !s) {
        log::error("Handover: {}", s.error().message);
        ::close(fd);
        return true;
    }
    st.control = fd;
    return true;
}

}  // namespace

int run_server(const ServerOptions& options) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    // Blocked before any worker thread exists, so every thread inherits the mask and the
    // signals reach only the signalfd.
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    const int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        log::error("signalfd: {}", std::strerror(errno));
        return 1;
    }
    auto listener = handover::listen_at(options.socket_path);
    if (!listener) {
        log::error("{}", listener.error().message);
        return 1;
    }
    log::info("sluice-dp waiting for a control plane on {}", options.socket_path);

    State st;
    int exit_code = 0;
    for (bool running = true; running;) {
        pollfd fds[3] = {{*listener, POLLIN, 0}, {sfd, POLLIN, 0}, {st.control, POLLIN, 0}};
        const int n = ::poll(fds, st.control >= 0 ? 3 : 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            log::error("poll: {}", std::strerror(errno));
            exit_code = 1;
            break;
        }
        if ((fds[1].revents & POLLIN) != 0) {
            signalfd_siginfo si{};
            if (::read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                    log::reopen();
                } else {
                    log::info("Got {} signal: stopping", si.ssi_signo == SIGTERM ? "TERM" : "INT");
                    running = false;
                }
            }
        }
        if (running && st.control >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            auto got = handover::receive_message(st.control, 0ms);
            if (got && got->message.name == "STOP") {
                log::info("Control plane asked to stop");
                running = false;
            } else if (!got) {
                log::warn("Control plane connection ended ({}): forwarding with the tables it last published",
                          got.error().message);
                ::close(st.control);
                st.control = -1;
            }
        }
        if (running && (fds[0].revents & POLLIN) != 0) {
            const int fd = ::accept4(*listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                if (st.control >= 0) {
                    send_error(fd, "another control plane is attached to this sluice-dp");
                    ::close(fd);
                } else if (!attach(st, fd)) {
                    exit_code = 1;
                    running = false;
                }
            }
        }
    }
    if (st.engine) st.engine->stop_and_remove_device();
    if (st.region) st.region->header().dataplane_pid.store(0);
    st.engine.reset();
    if (st.control >= 0) ::close(st.control);
    ::close(*listener);
    ::unlink(options.socket_path.c_str());
    log::info("sluice-dp stopped");
    return exit_code;
}

}  // namespace sluice::dataplane::control
