#include "controlplane/io/stream.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "shared/log/log.hpp"

namespace sluice::io {

Result<std::unique_ptr<Stream>> Stream::create(EventLoop& loop, Fd fd, StreamOptions options,
                                               StreamCallbacks callbacks) {
    if (!fd) return fail("stream {}: invalid descriptor", options.name);
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
        return fail("fcntl O_NONBLOCK for {}: {}", options.name, std::strerror(errno));
    }
    struct stat st {};
    const bool is_socket = ::fstat(fd.get(), &st) == 0 && S_ISSOCK(st.st_mode);
    std::unique_ptr<Stream> stream(
        new Stream(loop, std::move(fd), std::move(options), std::move(callbacks), is_socket));
    Stream* raw = stream.get();
    if (auto status = loop.add(raw->fd(), Interest::read, [raw](IoEvents io) { raw->on_io(io); }); !status) {
        return fail(status.error().with_context(raw->name()));
    }
    return stream;
}

Stream::Stream(EventLoop& loop, Fd fd, StreamOptions options, StreamCallbacks callbacks, bool is_socket)
    : loop_(loop),
      fd_(std::move(fd)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      is_socket_(is_socket) {}

Stream::~Stream() {
    if (fd_) loop_.remove(fd_.get());
}

Fd Stream::take_fd() {
    if (fd_) loop_.remove(fd_.get());
    failed_ = true;  // nothing is read or written through this stream any more
    return std::move(fd_);
}

Result<ReadResult> Stream::read_some(std::span<std::uint8_t> buffer) {
    while (true) {
        const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
        if (n > 0) {
            counters_.bytes_in += static_cast<std::uint64_t>(n);
            return ReadResult{static_cast<std::size_t>(n), false};
        }
        if (n == 0) return ReadResult{0, !buffer.empty()};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadResult{};
        return fail("read from {}: {}", options_.name, std::strerror(errno));
    }
}

void Stream::set_reading(bool reading) {
    reading_ = reading;
    update_interest();
}

void Stream::queue(std::span<const std::uint8_t> bytes) {
    // After a write error nothing will ever be sent; the owner is about to close us.
    if (bytes.empty() || failed_) return;
    if (queued() == 0) {
        // The stall clock starts when output starts waiting, not at the last write ever.
        last_output_progress_ = loop_.now();
        output_.clear();
        output_head_ = 0;
    } else if (output_head_ > 0 && output_head_ >= output_.size() / 2) {
        output_.erase(output_.begin(), output_.begin() + static_cast<std::ptrdiff_t>(output_head_));
        output_head_ = 0;
    }
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    update_interest();
}

void Stream::queue(std::string_view text) {
    queue(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

bool Stream::queue_droppable(std::span<const std::uint8_t> bytes) {
    // tincd: drop if 2 * queued / max - 1 > uniform[0, 1].
    if (failed_) return false;
    const std::size_t q = queued();
    const std::size_t max = options_.max_output;
    if (2 * q > max) {
        const double probability = static_cast<double>(2 * q - max) / static_cast<double>(max);
        const double draw = static_cast<double>(random_u32()) / 4294967296.0;
        if (probability > draw) {
            ++counters_.dropped_writes;
            counters_.dropped_bytes += bytes.size();
            return false;
        }
    }
    queue(bytes);
    return true;
}

Status Stream::flush() {
    if (failed_) return fail("{}: stream has failed", options_.name);
    while (queued() > 0) {
        const std::uint8_t* data = output_.data() + output_head_;
        const ssize_t n = is_socket_ ? ::send(fd_.get(), data, queued(), MSG_NOSIGNAL | MSG_DONTWAIT)
                                     : ::write(fd_.get(), data, queued());
        if (n > 0) {
            output_head_ += static_cast<std::size_t>(n);
            counters_.bytes_out += static_cast<std::uint64_t>(n);
            last_output_progress_ = loop_.now();
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        const int error = n < 0 ? errno : EIO;
        failed_ = true;
        output_.clear();
        output_head_ = 0;
        update_interest();
        return fail("send to {}: {}", options_.name, std::strerror(error));
    }
    if (queued() == 0) {
        output_.clear();
        output_head_ = 0;
    }
    update_interest();
    return {};
}

void Stream::on_io(IoEvents io) {
    if (io.writable && queued() > 0) {
        if (auto status = flush(); !status) {
            report_failure(status.error());
            return;
        }
        if (queued() == 0 && callbacks_.drained) {
            // The owner may close the stream here; readable events wait for the next round.
            callbacks_.drained();
            return;
        }
    }
    if (!(io.readable || io.hangup || io.error)) return;
    if (reading_) {
        // The owner's read sees the data, the EOF or the error.
        if (callbacks_.readable) callbacks_.readable();
        return;
    }
    if (io.hangup || io.error) {
        // Not reading, so nobody would notice; level-triggered HUP/ERR would spin the loop.
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = 0;
        failed_ = true;
        loop_.remove(fd_.get());
        report_failure(error != 0 ? Error{fmt::format("{}: {}", options_.name, std::strerror(error))}
                                  : Error{fmt::format("{}: connection closed by peer", options_.name)});
    }
}

void Stream::update_interest() {
    Interest wanted = Interest::none;
    if (reading_) wanted = wanted | Interest::read;
    if (!failed_ && queued() > 0) wanted = wanted | Interest::write;
    if (wanted == interest_ || !loop_.registered(fd_.get())) return;
    if (auto status = loop_.modify(fd_.get(), wanted); !status) {
        log::error("{}", status.error().message);
        return;
    }
    interest_ = wanted;
}

void Stream::report_failure(const Error& error) {
    if (callbacks_.failed) callbacks_.failed(error);
}

std::uint32_t Stream::random_u32() {
    if (options_.random) return options_.random();
    // xorshift32: plenty for deciding which packet to drop.
    fallback_random_ ^= fallback_random_ << 13;
    fallback_random_ ^= fallback_random_ >> 17;
    fallback_random_ ^= fallback_random_ << 5;
    return fallback_random_;
}

}  // namespace sluice::io
