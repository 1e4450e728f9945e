// Address helpers, listeners and the accept throttle. No test here sends IP traffic: names
// are numeric, listeners are only bound (on loopback), never connected to.
#include "controlplane/io/socket.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/io/tarpit.hpp"

using namespace sluice;
using namespace sluice::io;

namespace {

SocketAddress v4(const char* text, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    REQUIRE(::inet_pton(AF_INET, text, &a.sin_addr) == 1);
    return SocketAddress::from(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

SocketAddress v6(const char* text, std::uint16_t port, std::uint32_t scope = 0) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_scope_id = scope;
    REQUIRE(::inet_pton(AF_INET6, text, &a.sin6_addr) == 1);
    return SocketAddress::from(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

std::uint16_t port_of(int fd) {
    sockaddr_storage s{};
    socklen_t length = sizeof s;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &length) == 0);
    return static_cast<std::uint16_t>(std::stoi(numeric_host_port(reinterpret_cast<sockaddr*>(&s)).port));
}

}  // namespace

TEST_CASE("addresses are formatted numerically, as tincd does") {
    CHECK(format_address(v4("198.18.0.1", 655)) == "198.18.0.1 port 655");
    CHECK(format_address(v6("2001:db8::1", 655)) == "2001:db8::1 port 655");
    // Link-local: the scope is dropped (spec 3.1).
    const HostPort link_local = numeric_host_port(v6("fe80::1", 655, 1).get());
    CHECK(link_local.host == "fe80::1");
    CHECK(link_local.port == "655");
    sockaddr unknown{};
    unknown.sa_family = AF_APPLETALK;
    CHECK(format_address(&unknown) == "unknown");
}

TEST_CASE("IPv4-mapped IPv6 addresses are unmapped") {
    const SocketAddress mapped = v6("::ffff:198.18.0.2", 40000);
    const SocketAddress plain = unmap_v4(mapped);
    CHECK(plain.family() == AF_INET);
    CHECK(format_address(plain) == "198.18.0.2 port 40000");
    CHECK(format_address(unmap_v4(v6("2001:db8::2", 1))) == "2001:db8::2 port 1");
}

TEST_CASE("AddressFamily values") {
    CHECK(parse_address_family("any") == AddressFamily::any);
    CHECK(parse_address_family("ipv4") == AddressFamily::ipv4);
    CHECK(parse_address_family("ipv6") == AddressFamily::ipv6);
    auto bad = parse_address_family("IPv5");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message == "invalid AddressFamily \"IPv5\": expected any, ipv4 or ipv6");
}

TEST_CASE("numeric addresses resolve, filtered by address family") {
    auto one = resolve("198.18.0.1", "655", AddressFamily::any);
    REQUIRE(one.has_value());
    REQUIRE(one->size() == 1);
    CHECK(format_address((*one)[0]) == "198.18.0.1 port 655");

    auto six = resolve("2001:db8::7", "655", AddressFamily::ipv6);
    REQUIRE(six.has_value());
    CHECK(format_address((*six)[0]) == "2001:db8::7 port 655");

    auto wrong_family = resolve("198.18.0.1", "655", AddressFamily::ipv6);
    REQUIRE_FALSE(wrong_family.has_value());
    CHECK(wrong_family.error().message.starts_with("cannot resolve 198.18.0.1 port 655: "));

    auto wildcard4 = resolve("*", "655", AddressFamily::ipv4);
    REQUIRE(wildcard4.has_value());
    REQUIRE(wildcard4->size() == 1);
    CHECK(format_address((*wildcard4)[0]) == "0.0.0.0 port 655");

    auto wildcards = resolve("", "655", AddressFamily::any);
    REQUIRE(wildcards.has_value());
    CHECK(wildcards->size() >= 1);
}

TEST_CASE("listeners report the syscall and address on failure") {
    // Addresses from the project's test range that no interface of this namespace carries.
    auto fd = open_tcp_listener(v4("198.18.254.1", 655));
    REQUIRE_FALSE(fd.has_value());
    CHECK(fd.error().message == "bind 198.18.254.1 port 655: Cannot assign requested address");

    ListenOptions options;
    options.family = AddressFamily::ipv4;
    options.bind_addresses = {{"198.18.254.1", ""}, {"198.18.254.2", "656"}};
    auto none = open_tcp_listeners(options);
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().message ==
          "no listening socket could be opened: bind 198.18.254.1 port 655: Cannot assign requested address; "
          "bind 198.18.254.2 port 656: Cannot assign requested address");
}

TEST_CASE("IPv4 and IPv6 listeners share a port") {
    auto four = open_tcp_listener(v4("0.0.0.0", 0));
    REQUIRE(four.has_value());
    const std::uint16_t port = port_of(four->get());
    int one = 0;
    socklen_t length = sizeof one;
    REQUIRE(::getsockopt(four->get(), SOL_SOCKET, SO_REUSEADDR, &one, &length) == 0);
    CHECK(one != 0);

    Fd probe(::socket(AF_INET6, SOCK_STREAM, 0));
    if (!probe) {
        WARN("no IPv6 in this environment; skipping the IPv6 half");
        return;
    }
    auto six = open_tcp_listener(v6("::", port));
    if (!six && six.error().message.find("Cannot assign requested address") != std::string::npos) {
        WARN("IPv6 is disabled here; skipping the IPv6 half");
        return;
    }
    REQUIRE(six.has_value());
    int v6only = 0;
    length = sizeof v6only;
    REQUIRE(::getsockopt(six->get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &length) == 0);
    CHECK(v6only == 1);
    CHECK(port_of(six->get()) == port);
}

TEST_CASE("the accept throttle follows tincd's leaky buckets") {
    const TimePoint t0 = TimePoint() + seconds(1000);
    AcceptThrottle throttle(3);
    std::vector<bool> burst;
    for (int i = 0; i < 3; ++i) {
        burst.push_back(throttle.admit(v4("198.18.0.1", static_cast<std::uint16_t>(1000 + i)), t0));
        burst.push_back(throttle.admit(v4("198.18.0.2", static_cast<std::uint16_t>(1000 + i)), t0));
    }
    // Two pass; the third fills the bucket to max_burst and is tarpitted, as is everything
    // while it stays full.
    CHECK(burst == std::vector<bool>{true, true, false, false, false, false});
    // The bucket drains one per second and each connection refills it by one: a second
    // later it is full again, two seconds later there is room for one.
    CHECK_FALSE(throttle.admit(v4("198.18.0.3", 1), t0 + seconds(1)));
    CHECK(throttle.admit(v4("198.18.0.3", 2), t0 + seconds(3)));
    CHECK(throttle.admit(v4("198.18.0.4", 1), t0 + seconds(4)));
    // Once it has drained completely a full burst is admitted again.
    CHECK(throttle.admit(v4("198.18.0.4", 2), t0 + seconds(20)));
    CHECK(throttle.admit(v4("198.18.0.5", 1), t0 + seconds(20)));
    CHECK_FALSE(throttle.admit(v4("198.18.0.6", 1), t0 + seconds(20)));
}

TEST_CASE("same_host ignores ports") {
    CHECK(same_host(v4("198.18.0.1", 1), v4("198.18.0.1", 2)));
    CHECK_FALSE(same_host(v4("198.18.0.1", 1), v4("198.18.0.2", 1)));
    CHECK(same_host(v6("2001:db8::1", 1), v6("2001:db8::1", 2)));
    CHECK_FALSE(same_host(v6("2001:db8::1", 1), v4("198.18.0.1", 1)));
}

TEST_CASE("the tarpit holds ten sockets and closes the oldest") {
    std::vector<Fd> peers;
    Tarpit tarpit;
    for (int i = 0; i < 11; ++i) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        tarpit.hold(Fd(fds[0]));
        peers.emplace_back(fds[1]);
    }
    CHECK(tarpit.size() == 10);
    char c;
    CHECK(::read(peers[0].get(), &c, 1) == 0);   // the oldest was closed: EOF
    CHECK(::read(peers[1].get(), &c, 1) == -1);  // still held open, silent
    CHECK(errno == EAGAIN);
    tarpit.clear();
    CHECK(tarpit.size() == 0);
    CHECK(::read(peers[1].get(), &c, 1) == 0);
}
