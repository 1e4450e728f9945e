// Fuzz target for the meta-protocol framer and codec (see README.md in this folder).
//
// The input is a decrypted meta stream. It goes through MetaFramer in chunks whose size the
// first byte picks, so chunk boundaries vary with the input; every line goes to
// parse_request, PACKET lines announce their body as the session would. Properties checked,
// each an abort() so libFuzzer records the input:
// * a parsed request's canonical form parses back to the same request and formats to
//   itself (format_request is a fixed point);
// * a PACKET length the codec accepts is one the framer accepts;
// * every error message is a non-empty single line of printable ASCII of bounded size,
//   because it ends up in logs verbatim.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/framing.hpp"
#include "shared/util/text.hpp"

namespace sluice::protocol::fuzz {

// Counters for codec_fuzz_test.cpp, which checks that its mutations reach every request
// type and the reject paths (libFuzzer ignores them).
std::array<std::size_t, 18>& accepted_by_type() {
    static std::array<std::size_t, 18> counts{};
    return counts;
}
std::size_t& rejected_lines() {
    static std::size_t count = 0;
    return count;
}

namespace {

[[noreturn]] void die(const char* what, std::string_view input, std::string_view detail) {
    std::fprintf(stderr, "codec fuzz: %s\n  input:  %s\n  detail: %s\n", what, text::quote(input).c_str(),
                 text::quote(detail).c_str());
    std::abort();
}

void check_message(std::string_view line, const std::string& message) {
    if (message.empty() || message.size() > 512) die("error message empty or too long", line, message);
    for (char c : message) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) die("error message is not one printable line", line, message);
    }
}

void check_line(std::string_view line, MetaFramer& framer) {
    auto parsed = parse_request(line);
    if (!parsed) {
        // The session would close the link here; the fuzzer reads on to reach more lines.
        check_message(line, parsed.error().message);
        ++rejected_lines();
        return;
    }
    ++accepted_by_type()[static_cast<std::size_t>(type_of(*parsed))];
    std::string canonical = format_request(*parsed);
    auto reparsed = parse_request(canonical);
    if (!reparsed) die("canonical form does not parse", line, canonical + " -> " + reparsed.error().message);
    if (!(*reparsed == *parsed)) die("canonical form parses to a different request", line, canonical);
    if (format_request(*reparsed) != canonical) die("canonical form is not a fixed point", line, canonical);
    if (const auto* packet = std::get_if<PacketRequest>(&*parsed)) {
        if (!framer.expect_body(packet->length))
            die("framer refuses a PACKET length the codec accepts", line, "");
    }
}

}  // namespace
}  // namespace sluice::protocol::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sluice::protocol;
    MetaFramer framer;
    const std::size_t chunk = size == 0 ? 1 : (data[0] & 0x3f) + 1u;
    for (std::size_t at = 0; at < size; at += chunk) {
        framer.feed(std::span<const std::uint8_t>(data + at, std::min(chunk, size - at)));
        for (bool more = true; more;) {
            FrameEvent event = framer.next();
            switch (event.kind) {
                case FrameEvent::Kind::line:
                    fuzz::check_line(event.line, framer);
                    break;
                case FrameEvent::Kind::packet_body:
                    break;
                case FrameEvent::Kind::need_more:
                    more = false;
                    break;
                case FrameEvent::Kind::error:
                    fuzz::check_message("(framer)", std::string(event.error));
                    return 0;
            }
        }
    }
    return 0;
}
