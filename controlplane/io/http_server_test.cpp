// The metrics endpoint's listener on 127.0.0.1 with an ephemeral port, driven through the
// loop: answers and closes, closes slow and oversized clients, refuses beyond max_clients.
#include "controlplane/io/http_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controlplane/io/loop_test_support.hpp"

using namespace sluice;
using namespace sluice::io;
using namespace sluice::io::testing;

namespace {

SocketAddress loopback_any_port() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    REQUIRE(::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr) == 1);
    return SocketAddress::from(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

Fd connect_to(const HttpServer& server) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    const int r = ::connect(fd.get(), server.address().get(), server.address().length);
    REQUIRE((r == 0 || errno == EINPROGRESS));
    return fd;
}

// Reads what is there; true once the peer closed.
bool read_into(int fd, std::string& out) {
    char buffer[4096];
    while (true) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            out.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

HttpServer::Responder echo_when_blank_line() {
    return [](std::string_view received) -> std::optional<std::string> {
        if (received.find("\r\n\r\n") == std::string_view::npos) return std::nullopt;
        return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    };
}

}  // namespace

TEST_CASE("a request in pieces is answered once complete, then the server closes") {
    auto loop = make_loop();
    auto server = HttpServer::listen(*loop, loopback_any_port(), {}, echo_when_blank_line());
    REQUIRE(server.has_value());
    Fd client = connect_to(**server);
    REQUIRE(run_until(*loop, [&] { return (*server)->client_count() == 1; }));
    REQUIRE(::send(client.get(), "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL) == 16);
    std::string got;
    loop->run_once(milliseconds(50)).value();
    CHECK_FALSE(read_into(client.get(), got));
    CHECK(got.empty());
    REQUIRE(::send(client.get(), "\r\n", 2, MSG_NOSIGNAL) == 2);
    REQUIRE(run_until(*loop, [&] {
        (void)read_into(client.get(), got);
        return got.ends_with("ok");
    }));
    // The server half-closed after the answer; our close ends the connection on its side.
    bool closed = false;
    REQUIRE(run_until(*loop, [&] { return closed = closed || read_into(client.get(), got); }));
    client.reset();
    REQUIRE(run_until(*loop, [&] { return (*server)->client_count() == 0; }));
    CHECK(got == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

TEST_CASE("a client that sends too little is closed at the deadline, one that sends too much at once") {
    auto loop = make_loop();
    HttpServerLimits limits;
    limits.timeout = milliseconds(200);
    limits.max_request = 64;
    auto server =
        HttpServer::listen(*loop, loopback_any_port(), limits,
                           [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
    REQUIRE(server.has_value());
    Fd slow = connect_to(**server);
    REQUIRE(::send(slow.get(), "GET", 3, MSG_NOSIGNAL) == 3);
    Fd big = connect_to(**server);
    const std::string flood(200, 'x');
    REQUIRE(::send(big.get(), flood.data(), flood.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(flood.size()));
    std::string ignored;
    REQUIRE(run_until(
        *loop, [&] { return read_into(big.get(), ignored); }, milliseconds(150)));
    REQUIRE(run_until(*loop, [&] { return read_into(slow.get(), ignored); }));
    CHECK((*server)->client_count() == 0);
}

TEST_CASE("beyond max_clients a new connection is closed at once") {
    auto loop = make_loop();
    HttpServerLimits limits;
    limits.max_clients = 2;
    auto server = HttpServer::listen(*loop, loopback_any_port(), limits, echo_when_blank_line());
    REQUIRE(server.has_value());
    Fd a = connect_to(**server);
    Fd b = connect_to(**server);
    REQUIRE(run_until(*loop, [&] { return (*server)->client_count() == 2; }));
    Fd c = connect_to(**server);
    std::string ignored;
    REQUIRE(run_until(*loop, [&] { return read_into(c.get(), ignored); }));
    CHECK((*server)->client_count() == 2);
}

TEST_CASE("a port in use is a start-up error that names the address") {
    auto loop = make_loop();
    auto first = HttpServer::listen(*loop, loopback_any_port(), {}, echo_when_blank_line());
    REQUIRE(first.has_value());
    auto second = HttpServer::listen(*loop, (*first)->address(), {}, echo_when_blank_line());
    REQUIRE_FALSE(second.has_value());
    CHECK_THAT(second.error().message,
               Catch::Matches("bind 127\\.0\\.0\\.1 port [0-9]+: Address already in use"));
}
