#include "controlplane/io/stream.hpp"

#include <functional>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controlplane/io/loop_test_support.hpp"

using namespace sluice;
using namespace sluice::io;
using namespace sluice::io::testing;

namespace {

std::unique_ptr<Stream> make_stream(EventLoop& loop, Fd fd, StreamCallbacks callbacks,
                                    std::size_t max_output = default_max_output_buffer,
                                    std::function<std::uint32_t()> random = {}) {
    auto stream = Stream::create(loop, std::move(fd), StreamOptions{"peer", max_output, std::move(random)},
                                 std::move(callbacks));
    REQUIRE(stream.has_value());
    return std::move(*stream);
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string drain(const Fd& fd) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
}

}  // namespace

TEST_CASE("a stream reads what is available, then EOF") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    std::string received;
    bool eof = false;
    Stream* raw = nullptr;
    auto stream = make_stream(*loop, std::move(a), {.readable = [&] {
        auto status = raw->read_available([&](auto chunk) {
            received.append(chunk.begin(), chunk.end());
            return true;
        });
        REQUIRE(status.has_value());
        if (*status == ReadStatus::eof) eof = true;
    }});
    raw = stream.get();
    REQUIRE(::write(b.get(), "8\n9\n", 4) == 4);
    REQUIRE(run_until(*loop, [&] { return received == "8\n9\n"; }));
    CHECK_FALSE(eof);
    b.reset();
    REQUIRE(run_until(*loop, [&] { return eof; }));
    CHECK(stream->counters().bytes_in == 4);
}

TEST_CASE("read_available stops when the sink says so, and honours its budget") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    auto stream = make_stream(*loop, std::move(a), {});
    const std::string data(10000, 'z');
    REQUIRE(::write(b.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    int chunks = 0;
    auto stopped = stream->read_available([&](auto) { return ++chunks < 1; });
    REQUIRE(stopped.has_value());
    CHECK(*stopped == ReadStatus::stopped);
    auto limited = stream->read_available([](auto) { return true; }, 100);
    REQUIRE(limited.has_value());
    CHECK(*limited == ReadStatus::budget);
    auto rest = stream->read_available([](auto) { return true; });
    REQUIRE(rest.has_value());
    CHECK(*rest == ReadStatus::drained);
    CHECK(stream->counters().bytes_in == data.size());
}

TEST_CASE("a read error names the stream") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    auto stream = make_stream(*loop, std::move(a), {});
    // Closing a Unix socket with unread data resets the peer.
    stream->queue(std::string("unread"));
    REQUIRE(stream->flush().has_value());
    b.reset();
    std::uint8_t buf[16];
    auto result = stream->read_some(buf);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message == "read from peer: Connection reset by peer");
}

TEST_CASE("queued output is flushed when writable, across partial writes") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    const int small = 4096;
    REQUIRE(::setsockopt(a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    auto stream = make_stream(*loop, std::move(a), {});

    std::string data;
    for (int i = 0; data.size() < 1 << 20; ++i) data += fmt::format("{} line of output\n", i);
    stream->queue(data);
    CHECK(stream->queued() == data.size());
    CHECK(stream->output_stalled_for(loop->now()) == Duration::zero());

    // Nobody reads: the socket fills, the rest waits in the queue.
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(stream->queued() > 0);
    CHECK(stream->queued() < data.size());
    CHECK(stream->output_stalled_for(loop->now() + seconds(6)) >= seconds(6));

    std::string received;
    REQUIRE(loop->add(b.get(), Interest::read, [&](IoEvents) { received += drain(b); }).has_value());
    REQUIRE(run_until(*loop, [&] { return received.size() == data.size(); }));
    CHECK(received == data);
    CHECK(stream->queued() == 0);
    CHECK(stream->output_stalled_for(loop->now() + seconds(100)) == Duration::zero());
    CHECK(stream->counters().bytes_out == data.size());
    loop->remove(b.get());
}

TEST_CASE("a write error is reported once through failed") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    std::vector<std::string> failures;
    auto stream = make_stream(*loop, std::move(a),
                              {.failed = [&](const Error& error) { failures.push_back(error.message); }});
    b.reset();
    stream->queue(std::string("8\n"));
    REQUIRE(run_until(*loop, [&] { return !failures.empty(); }));
    CHECK(failures.size() == 1);
    CHECK(failures[0] == "send to peer: Broken pipe");
    CHECK_FALSE(stream->flush().has_value());
}

TEST_CASE("hangup while not reading is reported instead of spinning") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    int readable_calls = 0;
    std::vector<std::string> failures;
    auto stream = make_stream(*loop, std::move(a),
                              {.readable = [&] { ++readable_calls; },
                               .failed = [&](const Error& e) { failures.push_back(e.message); }});
    stream->set_reading(false);
    CHECK_FALSE(stream->reading());
    b.reset();
    REQUIRE(run_until(*loop, [&] { return !failures.empty(); }));
    CHECK(failures[0] == "peer: connection closed by peer");
    for (int i = 0; i < 3; ++i) REQUIRE(loop->run_once(milliseconds(0)).has_value());
    CHECK(failures.size() == 1);
    CHECK(readable_calls == 0);
}

TEST_CASE("the owner may destroy the stream inside its readable callback") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    std::unique_ptr<Stream> stream;
    stream = make_stream(*loop, std::move(a), {.readable = [&] { stream.reset(); }});
    REQUIRE(::write(b.get(), "x", 1) == 1);
    REQUIRE(run_until(*loop, [&] { return stream == nullptr; }));
    CHECK(loop->registration_count() == 0);
}

TEST_CASE("control data is never dropped, packet data is dropped early and randomly") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    std::uint32_t next_random = 0;
    int random_calls = 0;
    auto stream = make_stream(*loop, std::move(a), {}, 1000, [&] {
        ++random_calls;
        return next_random;
    });
    const std::string one(1, 'p');

    // Up to half the maximum nothing is dropped and no random number is drawn.
    stream->queue(std::string(500, 'c'));
    next_random = 0;
    CHECK(stream->queue_droppable(bytes_of(one)));
    CHECK(random_calls == 0);

    // At 750 bytes the drop probability is one half.
    stream->queue(std::string(249, 'c'));
    REQUIRE(stream->queued() == 750);
    next_random = 0x7fff0000;  // draw just under 0.5: dropped
    CHECK_FALSE(stream->queue_droppable(bytes_of(one)));
    next_random = 0x80010000;  // draw just over 0.5: kept
    CHECK(stream->queue_droppable(bytes_of(one)));
    CHECK(random_calls == 2);

    // At and beyond the maximum every droppable write is dropped; control data still goes.
    stream->queue(std::string(249, 'c'));
    REQUIRE(stream->queued() == 1000);
    next_random = 0xffffffff;
    CHECK_FALSE(stream->queue_droppable(bytes_of(one)));
    stream->queue(std::string(5000, 'c'));
    CHECK(stream->queued() == 6000);
    CHECK_FALSE(stream->queue_droppable(bytes_of(one)));

    CHECK(stream->counters().dropped_writes == 3);
    CHECK(stream->counters().dropped_bytes == 3);
}

TEST_CASE("random early drop rate follows the queue length") {
    auto loop = make_loop();
    auto [a, b] = make_socketpair();
    auto stream = make_stream(*loop, std::move(a), {}, 100000);  // internal PRNG
    stream->queue(std::string(80000, 'c'));                      // probability 0.6
    const std::span<const std::uint8_t> empty;
    int dropped = 0;
    for (int i = 0; i < 10000; ++i) dropped += stream->queue_droppable(empty) ? 0 : 1;
    CHECK(dropped > 5700);
    CHECK(dropped < 6300);
}
