// A buffered, non-blocking byte stream over one descriptor (a meta connection's TCP socket,
// a control-socket client), registered with the event loop.
//
// Input is pulled by the owner: when the fd is readable the stream calls `readable`, and
// the owner calls read_available() (or read_some()) until it reports drained or EOF. The
// loop is level-triggered, so an owner that stops early is called again next iteration.
//
// Output is queued and written when the fd is writable; write interest is on exactly while
// the queue is non-empty. queue() always accepts (control lines are never dropped);
// queue_droppable() applies tincd's random early drop to PACKET data (spec 5.9). A write
// error is reported once through `failed`; the owner should then destroy the stream.
//
// The owner may destroy the stream from inside either callback; the stream touches nothing
// after a callback returns. A sink passed to read_available() that destroys the stream must
// return false.
//
// Writes use send(MSG_NOSIGNAL) on sockets. On pipes, write() raises SIGPIPE if the reader
// is gone, so a daemon using streams on pipes must ignore SIGPIPE.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/fd.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

// tincd's MaxOutputBufferSize default: 10 full-size frames at MTU 1518.
inline constexpr std::size_t default_max_output_buffer = 10 * 1518;

struct StreamOptions {
    std::string name{};  // for messages: "beta (198.18.0.2 port 655)"
    std::size_t max_output = default_max_output_buffer;
    // Uniform 32-bit values for the random early drop; empty: an internal PRNG (the drop
    // decision needs no cryptographic strength).
    std::function<std::uint32_t()> random{};
};

struct StreamCallbacks {
    std::function<void()> readable{};            // also on hangup/error while reading
    std::function<void(const Error&)> failed{};  // a write failed: "send to beta: Broken pipe"
    // The output queue became empty after the loop flushed it (to close after a last
    // message). Not called for flush() by the owner, which sees queued() itself.
    std::function<void()> drained{};
};

struct StreamCounters {
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t dropped_writes = 0;  // queue_droppable() calls that dropped
    std::uint64_t dropped_bytes = 0;
};

struct ReadResult {
    std::size_t bytes = 0;  // 0 and !eof: nothing available now (EAGAIN)
    bool eof = false;
};

enum class ReadStatus {
    drained,  // EAGAIN: everything available was read
    eof,      // the peer closed its side; the owner should close the stream
    stopped,  // the sink returned false
    budget,   // read_available's budget used up; more may be waiting
};

class Stream {
public:
    // Registers fd (made non-blocking here if it is not already) for read interest.
    [[nodiscard]] static Result<std::unique_ptr<Stream>> create(EventLoop& loop, Fd fd, StreamOptions options,
                                                                StreamCallbacks callbacks);
    ~Stream();  // unregisters from the loop and closes the fd
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // ---- input ----------------------------------------------------------------------------
    // One read() into `buffer`: "read from beta: Connection reset by peer" on error.
    [[nodiscard]] Result<ReadResult> read_some(std::span<std::uint8_t> buffer);

    // Reads until EAGAIN, EOF or `budget` bytes, handing each chunk to
    // `sink(std::span<const std::uint8_t>) -> bool` (false: stop, e.g. the owner closed us).
    static constexpr std::size_t default_read_budget = 64 * 1024;
    template <typename Sink>
    [[nodiscard]] Result<ReadStatus> read_available(Sink&& sink, std::size_t budget = default_read_budget);

    // Pauses or resumes read interest (back-pressure).
    void set_reading(bool reading);
    [[nodiscard]] bool reading() const { return reading_; }

    // ---- output ---------------------------------------------------------------------------
    // Always queues, however full the queue is: meta requests must never be lost. (After a
    // write error, when nothing can be sent any more, both queue functions discard.)
    void queue(std::span<const std::uint8_t> bytes);
    void queue(std::string_view text);
    // tincd's random early drop: once more than max_output/2 bytes are queued, drops with a
    // probability rising linearly from 0 to 1 at max_output (and always beyond). Returns
    // false if dropped (counted).
    bool queue_droppable(std::span<const std::uint8_t> bytes);

    // Writes as much as the socket takes now; the loop also does this when writable.
    [[nodiscard]] Status flush();

    [[nodiscard]] std::size_t queued() const { return output_.size() - output_head_; }
    // How long queued output has made no progress (zero when the queue is empty). The owner
    // closes a link stalled for PingTimeout (spec 1.5).
    [[nodiscard]] Duration output_stalled_for(TimePoint now) const {
        return queued() == 0 ? Duration::zero() : now - last_output_progress_;
    }

    [[nodiscard]] const StreamCounters& counters() const { return counters_; }
    [[nodiscard]] int fd() const { return fd_.get(); }
    // Unregisters the descriptor and hands it over (for the tarpit); the stream is then
    // inert and only waits to be destroyed.
    [[nodiscard]] Fd take_fd();
    [[nodiscard]] const std::string& name() const { return options_.name; }

private:
    Stream(EventLoop& loop, Fd fd, StreamOptions options, StreamCallbacks callbacks, bool is_socket);
    void on_io(IoEvents io);
    void update_interest();
    void report_failure(const Error& error);
    [[nodiscard]] std::uint32_t random_u32();

    EventLoop& loop_;
    Fd fd_;
    StreamOptions options_;
    StreamCallbacks callbacks_;
    bool is_socket_;
    bool reading_ = true;
    bool failed_ = false;
    Interest interest_ = Interest::read;

    std::vector<std::uint8_t> output_;
    std::size_t output_head_ = 0;  // bytes of output_ already written
    TimePoint last_output_progress_{};
    StreamCounters counters_;
    std::uint32_t fallback_random_ = 0x9e3779b9u;
};

template <typename Sink>
Result<ReadStatus> Stream::read_available(Sink&& sink, std::size_t budget) {
    std::array<std::uint8_t, 4096> buffer;
    std::size_t total = 0;
    while (total < budget) {
        auto result = read_some(buffer);
        if (!result) return fail(result.error());
        if (result->eof) return ReadStatus::eof;
        if (result->bytes == 0) return ReadStatus::drained;
        total += result->bytes;
        if (!sink(std::span<const std::uint8_t>(buffer.data(), result->bytes))) return ReadStatus::stopped;
    }
    return ReadStatus::budget;
}

}  // namespace sluice::io
