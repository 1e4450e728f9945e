#include "controlplane/io/unix_socket.hpp"

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controlplane/io/loop_test_support.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sluice;
using namespace sluice::io;
using namespace sluice::io::testing;
using sluice::testing::TempDir;

namespace {

// The client blocks, so it runs on a thread while this thread drives the server's loop.
Result<ControlResponse> request_via_thread(EventLoop& loop, const std::string& path, std::string request,
                                           Duration timeout = seconds(5)) {
    auto future = std::async(std::launch::async,
                             [path, request, timeout] { return control_request(path, request, timeout); });
    REQUIRE(run_until(
        loop, [&] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
        timeout + seconds(5)));
    return future.get();
}

ControlResponse echo_handler(std::string_view request) {
    if (request == "fail") return ControlResponse::failure("asked to fail\nwith two lines");
    if (request == "dump") return {true, "", {"alpha 198.18.0.1 port 655", ".hidden", "..", ".", ""}};
    return {true, "", {fmt::format("you said: {}", request)}};
}

Fd raw_client(const std::string& path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd.valid());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    return fd;
}

// A socket file left behind by a process that is gone: bound, never listening.
void make_stale_socket(const std::string& path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
}

std::string read_all(EventLoop& loop, const Fd& fd) {
    std::string out;
    REQUIRE(::fcntl(fd.get(), F_SETFL, O_NONBLOCK) == 0);
    bool eof = false;
    REQUIRE(run_until(loop, [&] {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        eof = n == 0;
        return eof;
    }));
    return out;
}

}  // namespace

TEST_CASE("responses are dot-stuffed and end with a status line") {
    const ControlResponse dump{true, "", {"alpha", ".hidden", "..", ".", "", "two\nlines"}};
    const std::string wire = encode_response(dump);
    CHECK(wire == "alpha\n..hidden\n...\n..\n\ntwo\nlines\n.OK\n");
    CHECK(encode_response(ControlResponse::failure("no\nsuch node")) == ".ERROR no such node\n");
    CHECK(encode_response(ControlResponse::failure("")) == ".ERROR\n");

    // Byte by byte, with the next response already behind the first.
    ResponseParser parser;
    const std::string two = wire + encode_response(ControlResponse::failure("bad"));
    std::vector<ControlResponse> parsed;
    for (char c : two) {
        auto complete = parser.feed(std::string_view(&c, 1));
        REQUIRE(complete.has_value());
        if (*complete) parsed.push_back(parser.take());
    }
    REQUIRE(parsed.size() == 2);
    CHECK(parsed[0] == ControlResponse{true, "", {"alpha", ".hidden", "..", ".", "", "two", "lines"}});
    CHECK(parsed[1] == ControlResponse::failure("bad"));

    ResponseParser bad;
    auto result = bad.feed("ok\n.WHAT\n");
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message == "malformed response line \".WHAT\"");
}

TEST_CASE("a request gets its response over the control socket") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();
    auto server = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE(server.has_value());

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);

    auto hello = request_via_thread(*loop, path, "hello there");
    REQUIRE(hello.has_value());
    CHECK(*hello == ControlResponse{true, "", {"you said: hello there"}});

    auto dump = request_via_thread(*loop, path, "dump");
    REQUIRE(dump.has_value());
    CHECK(dump->lines == std::vector<std::string>{"alpha 198.18.0.1 port 655", ".hidden", "..", ".", ""});

    auto failed = request_via_thread(*loop, path, "fail");
    REQUIRE(failed.has_value());
    CHECK_FALSE(failed->ok);
    CHECK(failed->error == "asked to fail with two lines");

    CHECK_FALSE(control_request(path, "two\nlines").has_value());
    REQUIRE(run_until(*loop, [&] { return (*server)->client_count() == 0; }));

    server->reset();
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(loop->registration_count() == 0);
}

TEST_CASE("several requests on one connection, and a half-closed client still gets its answer") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();
    auto server = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE(server.has_value());

    Fd client = raw_client(path);
    const std::string requests = "one\r\n\ntwo";  // CRLF, an empty request, no final newline
    REQUIRE(::write(client.get(), requests.data(), requests.size()) == static_cast<ssize_t>(requests.size()));
    REQUIRE(::shutdown(client.get(), SHUT_WR) == 0);
    CHECK(read_all(*loop, client) == "you said: one\n.OK\n.ERROR empty request\nyou said: two\n.OK\n");
    REQUIRE(run_until(*loop, [&] { return (*server)->client_count() == 0; }));
}

TEST_CASE("an over-long request is answered with an error and the connection closed") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();
    int handled = 0;
    auto server = ControlServer::listen(*loop, path, [&](std::string_view) {
        ++handled;
        return ControlResponse{};
    });
    REQUIRE(server.has_value());
    Fd client = raw_client(path);
    const std::string huge(3 * max_request_line, 'x');
    REQUIRE(::write(client.get(), huge.data(), huge.size()) == static_cast<ssize_t>(huge.size()));
    CHECK(read_all(*loop, client) == ".ERROR request longer than 4096 bytes\n");
    CHECK(handled == 0);
}

TEST_CASE("a stale socket file is replaced, a live one is refused") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();

    make_stale_socket(path);
    REQUIRE(std::filesystem::exists(path));
    auto stale_client = control_request(path, "hello", seconds(1));
    REQUIRE_FALSE(stale_client.has_value());
    CHECK(stale_client.error().message == "no daemon is running (" + path + ": connection refused)");

    auto first = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE(first.has_value());
    auto second = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().message == "another sluiced is running on " + path);
    // The refused attempt left the live socket alone.
    auto still = request_via_thread(*loop, path, "still there?");
    REQUIRE(still.has_value());
    CHECK(still->ok);
}

TEST_CASE("a path that is not a socket is refused, too-long paths are rejected") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();
    std::ofstream(path) << "not a socket";
    auto server = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE_FALSE(server.has_value());
    CHECK(server.error().message == path + " exists and is not a socket");
    CHECK(std::filesystem::exists(path));

    const std::string long_path = (dir.path() / std::string(200, 'a')).string();
    auto too_long = ControlServer::listen(*loop, long_path, echo_handler);
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error().message.find("must be 1 to 107 bytes long") != std::string::npos);
}

TEST_CASE("the client reports a missing daemon and a silent one") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto missing = control_request(path, "hello", seconds(1));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message == "no daemon is running (" + path + ": no such file or directory)");

    // Something listens but never answers.
    Fd silent(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    REQUIRE(::bind(silent.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(silent.get(), 4) == 0);
    const TimePoint start = Clock::now();
    auto timed_out = control_request(path, "hello", milliseconds(200));
    CHECK(Clock::now() - start >= milliseconds(200));
    REQUIRE_FALSE(timed_out.has_value());
    CHECK(timed_out.error().message == path + ": no response within 200 ms");
}

TEST_CASE("the server does not remove a socket file that another server took over") {
    TempDir dir("control");
    const std::string path = (dir.path() / "sluiced.socket").string();
    auto loop = make_loop();
    auto server = ControlServer::listen(*loop, path, echo_handler);
    REQUIRE(server.has_value());
    REQUIRE(::unlink(path.c_str()) == 0);
    make_stale_socket(path);  // a different inode at the same path
    server->reset();
    CHECK(std::filesystem::exists(path));
}
