// Framing of the meta stream: after decryption it is a sequence of '\n'-terminated lines,
// each PACKET line ("17 <length>") followed by exactly <length> raw bytes that may contain
// '\n' themselves (spec 1.1, 5.9). Pure: bytes in, events out, no I/O.
//
// Design: the caller tells the framer about a PACKET body (expect_body) after parsing the
// line, instead of the framer recognising "17 " itself. The codec stays the one place that
// decides what a valid PACKET line is (blanks, leading zeros, extra tokens, the 1661 limit):
// a framer that sniffed the prefix would be a second, subtly different parser, and a line
// the two disagreed on would desynchronise the stream. The same rule also covers the other
// mode change the session makes between two lines, switching on decryption after METAKEY.
//
// The contract that follows: the framer never looks past the event it returns. After a line,
// the caller parses it and, before calling next() again,
// * calls expect_body(length) when it was a PACKET, and
// * after the peer's METAKEY line (sent in plaintext, with everything after its '\n'
//   encrypted, possibly in the same TCP segment), calls take_unconsumed(), decrypts those
//   bytes and feeds the plaintext back. From then on it feeds only decrypted bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::protocol {

struct FrameEvent {
    enum class Kind {
        line,         // `line` holds one request line, without its '\n'
        packet_body,  // `body` holds the bytes announced by expect_body()
        need_more,    // nothing complete buffered; feed more bytes
        error,        // `error` says why; the stream is unusable and the link must close
    };

    Kind kind = Kind::need_more;
    // Views into the framer's buffer: valid until the next feed() or take_unconsumed().
    // next() and expect_body() never move buffered bytes, so a caller may keep a line while
    // it handles the following events (a relay forwarding the exact line, for instance).
    std::string_view line;
    std::span<const std::uint8_t> body;
    std::string_view error;
};

class MetaFramer {
public:
    // Appends received (already decrypted, once encryption is on) bytes. Ignored after an
    // error. The buffer is compacted lazily, so its capacity is reused across lines.
    void feed(std::span<const std::uint8_t> bytes);

    // The next complete line or body. A line that has no '\n' within max_line_bytes
    // (newline included, tincd's MAXBUFSIZE) is an error, as tincd's "Metadata read buffer
    // overflow". Errors are sticky. The line's characters are not checked here: the codec
    // rejects CR, NUL and every other control character.
    [[nodiscard]] FrameEvent next();

    // Announces that the next `length` bytes are a PACKET body. Call it right after next()
    // returned the PACKET line. Refuses 0, more than max_packet_body, and a second body
    // while one is pending; the framer is unchanged then and the caller closes the link.
    [[nodiscard]] Status expect_body(std::size_t length);

    // Removes and returns every buffered byte not yet returned by next(), for the METAKEY
    // switch described above. A pending expect_body() stays pending.
    [[nodiscard]] std::vector<std::uint8_t> take_unconsumed();

    [[nodiscard]] std::size_t buffered() const { return buffer_.size() - start_; }
    [[nodiscard]] bool expecting_body() const { return body_length_ != 0; }
    [[nodiscard]] bool failed() const { return !error_.empty(); }

private:
    std::vector<std::uint8_t> buffer_;
    std::size_t start_ = 0;        // first byte not yet returned by next()
    std::size_t scanned_ = 0;      // bytes from start_ already known to hold no '\n'
    std::size_t body_length_ = 0;  // non-zero: the next event is a body of this size
    std::string error_;            // non-empty once failed
};

// A line ready to send: `line` plus '\n'. Refuses a line containing '\n' (it would inject a
// second request) and one that with its newline exceeds max_line_bytes, which tincd would
// treat as a buffer overflow and drop the link.
[[nodiscard]] Result<std::string> frame_line(std::string_view line);

}  // namespace sluice::protocol
