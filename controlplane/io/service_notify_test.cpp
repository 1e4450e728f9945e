#include "controlplane/io/service_notify.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controlplane/io/fd.hpp"
#include "controlplane/io/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sluice;
using namespace sluice::io;
using sluice::testing::TempDir;

namespace {

// The service manager's end: a datagram socket bound to a path or an abstract name, as
// systemd's is, read with a timeout so that a missing message fails instead of hanging.
class Listener {
public:
    explicit Listener(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_.valid());
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(name.size() < sizeof address.sun_path);
        std::memcpy(address.sun_path, name.data(), name.size());
        const bool abstract = name.starts_with('@');
        if (abstract) address.sun_path[0] = '\0';
        const auto length =
            static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
        REQUIRE(::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), length) == 0);
        const timeval timeout{2, 0};
        REQUIRE(::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0);
    }

    std::optional<std::string> next() {
        char buffer[4096];
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(n));
    }

    bool idle() {
        char buffer[16];
        return ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT) < 0;
    }

private:
    Fd fd_;
};

std::uint64_t now_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

// Sets NOTIFY_SOCKET, then lets the notifier take it.
ServiceNotifier notifier_from_environment(const std::string& name) {
    REQUIRE(::setenv("NOTIFY_SOCKET", name.c_str(), 1) == 0);
    auto notifier = ServiceNotifier::from_environment();
    REQUIRE(notifier.has_value());
    return std::move(*notifier);
}

}  // namespace

TEST_CASE("the notifier speaks the notification protocol to a socket path") {
    TempDir dir("notify");
    const std::string path = (dir.path() / "notify").string();
    Listener manager(path);
    ServiceNotifier notifier = notifier_from_environment(path);
    REQUIRE(notifier.enabled());

    REQUIRE(notifier.status("Starting the data plane"));
    CHECK(manager.next() == "STATUS=Starting the data plane");
    REQUIRE(notifier.ready("Running: 2 of 3 nodes reachable"));
    CHECK(manager.next() == "READY=1\nSTATUS=Running: 2 of 3 nodes reachable");

    SECTION("an unchanged status is not sent again, a changed one is") {
        REQUIRE(notifier.status("Running: 2 of 3 nodes reachable"));
        CHECK(manager.idle());
        REQUIRE(notifier.status("Running: 3 of 3 nodes reachable"));
        CHECK(manager.next() == "STATUS=Running: 3 of 3 nodes reachable");
    }

    SECTION("a reload is bracketed by RELOADING=1 with its monotonic start time and READY=1") {
        const std::uint64_t before = now_usec();
        REQUIRE(notifier.reloading("Reloading the configuration"));
        const std::uint64_t after = now_usec();
        auto message = manager.next();
        REQUIRE(message);
        INFO(*message);
        const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
        REQUIRE(message->starts_with(prefix));
        const auto end = message->find('\n', prefix.size());
        REQUIRE(end != std::string::npos);
        const std::uint64_t stamp = std::stoull(message->substr(prefix.size(), end - prefix.size()));
        CHECK(stamp >= before);
        CHECK(stamp <= after);
        CHECK(message->substr(end + 1) == "STATUS=Reloading the configuration");
        REQUIRE(notifier.ready("Running"));
        CHECK(manager.next() == "READY=1\nSTATUS=Running");
    }

    SECTION("stopping") {
        REQUIRE(notifier.stopping("Stopping: Got TERM signal"));
        CHECK(manager.next() == "STOPPING=1\nSTATUS=Stopping: Got TERM signal");
    }
}

TEST_CASE("the notifier reaches an abstract socket written with @") {
    const std::string name = "@sluice-notify-test-" + std::to_string(::getpid());
    Listener manager(name);
    ServiceNotifier notifier = notifier_from_environment(name);
    REQUIRE(notifier.ready("up"));
    CHECK(manager.next() == "READY=1\nSTATUS=up");
}

TEST_CASE("NOTIFY_SOCKET leaves the environment, so children cannot notify in the daemon's name") {
    TempDir dir("notify");
    const std::string path = (dir.path() / "notify").string();
    Listener manager(path);
    ServiceNotifier notifier = notifier_from_environment(path);
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);

    // What a script or sluice-dp would see: spawned the way sluiced spawns them.
    auto child = spawn_process(SpawnRequest{{"/bin/sh", "-c", "echo \"[${NOTIFY_SOCKET-unset}]\""}});
    REQUIRE(child.has_value());
    REQUIRE(wait_for_exit(child->pid).has_value());
    char buffer[256];
    const ssize_t n = ::read(child->output.get(), buffer, sizeof buffer);
    REQUIRE(n > 0);
    CHECK(std::string(buffer, static_cast<std::size_t>(n)) == "[unset]\n");

    // Taking it a second time finds nothing: a notifier that tells nobody.
    auto again = ServiceNotifier::from_environment();
    REQUIRE(again.has_value());
    CHECK_FALSE(again->enabled());
    REQUIRE(again->ready("nobody hears this"));
    CHECK(manager.idle());
}

TEST_CASE("status lines are one line") {
    CHECK(status_assignment("two\nlines\r\n") == "STATUS=two lines  ");
}

TEST_CASE("NOTIFY_SOCKET values that name no Unix socket are refused") {
    for (const char* bad : {"relative/path", "vsock:2:1234", "@", "/"}) {
        INFO(bad);
        CHECK_FALSE(ServiceNotifier::for_socket(bad).has_value());
    }
    CHECK_FALSE(ServiceNotifier::for_socket("/" + std::string(200, 'x')).has_value());
    REQUIRE(::setenv("NOTIFY_SOCKET", "vsock:2:1234", 1) == 0);
    CHECK_FALSE(ServiceNotifier::from_environment().has_value());
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and nothing fails") {
    ::unsetenv("NOTIFY_SOCKET");
    auto notifier = ServiceNotifier::from_environment();
    REQUIRE(notifier.has_value());
    CHECK_FALSE(notifier->enabled());
    CHECK(notifier->ready("up").has_value());
    CHECK(notifier->stopping("down").has_value());
}

TEST_CASE("a service manager that went away is an error the caller can log") {
    TempDir dir("notify");
    auto notifier = ServiceNotifier::for_socket((dir.path() / "nobody").string());
    REQUIRE(notifier.has_value());
    auto sent = notifier->ready("up");
    REQUIRE_FALSE(sent.has_value());
    CHECK_THAT(sent.error().message, Catch::Contains("notifying the service manager"));
}
