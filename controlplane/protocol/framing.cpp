#include "controlplane/protocol/framing.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "controlplane/protocol/constants.hpp"

namespace sluice::protocol {

namespace {

// Assignments rather than designated initializers: GCC warns about every member that a
// designated initializer leaves out.
FrameEvent line_event(std::string_view line) {
    FrameEvent event;
    event.kind = FrameEvent::Kind::line;
    event.line = line;
    return event;
}

FrameEvent body_event(std::span<const std::uint8_t> body) {
    FrameEvent event;
    event.kind = FrameEvent::Kind::packet_body;
    event.body = body;
    return event;
}

FrameEvent error_event(std::string_view error) {
    FrameEvent event;
    event.kind = FrameEvent::Kind::error;
    event.error = error;
    return event;
}

}  // namespace

void MetaFramer::feed(std::span<const std::uint8_t> bytes) {
    if (failed() || bytes.empty()) return;
    // Compact only when the consumed prefix is at least as large as what has to move, so
    // each byte is moved a bounded number of times however the input is chunked.
    if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
    } else if (start_ > 0 && start_ >= buffer_.size() - start_) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

FrameEvent MetaFramer::next() {
    if (failed()) return error_event(error_);
    const std::uint8_t* data = buffer_.data() + start_;
    const std::size_t available = buffered();

    if (body_length_ != 0) {
        if (available < body_length_) return FrameEvent{};
        FrameEvent event = body_event({data, body_length_});
        start_ += body_length_;
        body_length_ = 0;
        scanned_ = 0;
        return event;
    }

    // Search only what has not been searched yet, and never past the longest legal line.
    const std::size_t limit = std::min(available, max_line_bytes);
    if (scanned_ < limit) {
        const void* found = std::memchr(data + scanned_, '\n', limit - scanned_);
        if (found != nullptr) {
            auto length = static_cast<std::size_t>(static_cast<const std::uint8_t*>(found) - data);
            start_ += length + 1;
            scanned_ = 0;
            return line_event({reinterpret_cast<const char*>(data), length});
        }
        scanned_ = limit;
    }
    if (available >= max_line_bytes) {
        error_ = fmt::format("metadata read buffer overflow: line longer than {} bytes", max_line_bytes);
        return error_event(error_);
    }
    return FrameEvent{};
}

Status MetaFramer::expect_body(std::size_t length) {
    if (body_length_ != 0) {
        return fail("PACKET body of {} bytes announced while one of {} bytes is pending", length,
                    body_length_);
    }
    if (length == 0 || length > max_packet_body) {
        return fail("PACKET body of {} bytes: must be 1..{}", length, max_packet_body);
    }
    body_length_ = length;
    return {};
}

std::vector<std::uint8_t> MetaFramer::take_unconsumed() {
    std::vector<std::uint8_t> rest(buffer_.begin() + static_cast<std::ptrdiff_t>(start_), buffer_.end());
    buffer_.clear();
    start_ = 0;
    scanned_ = 0;
    return rest;
}

Result<std::string> frame_line(std::string_view line) {
    if (line.find('\n') != std::string_view::npos) return fail("line contains a newline");
    if (line.size() + 1 > max_line_bytes) {
        return fail("line of {} bytes does not fit tinc's {}-byte buffer with its newline", line.size(),
                    max_line_bytes);
    }
    std::string framed;
    framed.reserve(line.size() + 1);
    framed.append(line);
    framed.push_back('\n');
    return framed;
}

}  // namespace sluice::protocol
