#include "controlplane/protocol/framing.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice::protocol;
using Kind = FrameEvent::Kind;
using namespace std::string_literals;

namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string as_string(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// What a session does with the framer: drain every event, announcing PACKET bodies as the
// codec finds them. Lines and bodies are collected as strings; "!" marks a body.
struct Collector {
    MetaFramer framer;
    std::vector<std::string> events;

    void feed(std::string_view chunk) {
        framer.feed(as_bytes(chunk));
        for (;;) {
            FrameEvent event = framer.next();
            if (event.kind == Kind::need_more) return;
            REQUIRE(event.kind != Kind::error);
            if (event.kind == Kind::packet_body) {
                events.push_back("!" + as_string(event.body));
                continue;
            }
            events.emplace_back(event.line);
            auto request = parse_request(event.line);
            if (request && std::holds_alternative<PacketRequest>(*request)) {
                REQUIRE(framer.expect_body(std::get<PacketRequest>(*request).length).has_value());
            }
        }
    }
};

}  // namespace

TEST_CASE("lines come out one by one, without their newline") {
    MetaFramer framer;
    framer.feed(as_bytes("8\n15 beta alpha\n\n9"));
    FrameEvent a = framer.next();
    REQUIRE(a.kind == Kind::line);
    CHECK(a.line == "8");
    FrameEvent b = framer.next();
    REQUIRE(b.kind == Kind::line);
    CHECK(b.line == "15 beta alpha");
    FrameEvent c = framer.next();
    REQUIRE(c.kind == Kind::line);
    CHECK(c.line.empty());  // the codec refuses it ("empty line"), not the framer
    CHECK(framer.next().kind == Kind::need_more);
    CHECK(framer.buffered() == 1);
    // next() never moves bytes, so earlier views are still valid.
    CHECK(a.line == "8");
    CHECK(b.line == "15 beta alpha");
    framer.feed(as_bytes("\n"));
    FrameEvent d = framer.next();
    REQUIRE(d.kind == Kind::line);
    CHECK(d.line == "9");
    CHECK(framer.next().kind == Kind::need_more);
    CHECK(framer.buffered() == 0);
}

TEST_CASE("CR is passed on to the codec, which refuses it") {
    MetaFramer framer;
    framer.feed(as_bytes("8\r\n"));
    FrameEvent event = framer.next();
    REQUIRE(event.kind == Kind::line);
    CHECK(event.line == "8\r");
    auto parsed = parse_request(event.line);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error().message, Catch::Contains("control character 0x0d"));
}

TEST_CASE("a PACKET body may contain newlines and is delivered whole") {
    const std::string body = "\n\nab\ncd\n\0\xff"s;
    MetaFramer framer;
    framer.feed(as_bytes("17 " + std::to_string(body.size()) + "\n" + body.substr(0, 3)));
    FrameEvent line = framer.next();
    REQUIRE(line.kind == Kind::line);
    auto request = parse_request(line.line);
    REQUIRE(request.has_value());
    REQUIRE(framer.expect_body(std::get<PacketRequest>(*request).length).has_value());
    CHECK(framer.expecting_body());
    CHECK(framer.next().kind == Kind::need_more);
    framer.feed(as_bytes(body.substr(3) + "8\n"));
    FrameEvent packet = framer.next();
    REQUIRE(packet.kind == Kind::packet_body);
    CHECK(as_string(packet.body) == body);
    CHECK_FALSE(framer.expecting_body());
    FrameEvent ping = framer.next();
    REQUIRE(ping.kind == Kind::line);
    CHECK(ping.line == "8");
}

TEST_CASE("expect_body refuses what tinc could not send") {
    MetaFramer framer;
    CHECK_FALSE(framer.expect_body(0).has_value());
    auto too_long = framer.expect_body(max_packet_body + 1);
    REQUIRE_FALSE(too_long.has_value());
    CHECK_THAT(too_long.error().message, Catch::Contains("1662 bytes"));
    CHECK_FALSE(framer.expecting_body());
    REQUIRE(framer.expect_body(max_packet_body).has_value());
    auto twice = framer.expect_body(5);
    REQUIRE_FALSE(twice.has_value());
    CHECK_THAT(twice.error().message, Catch::Contains("pending"));
}

TEST_CASE("seeded random chunking never changes the events") {
    // A stream of the spec's captured lines with PACKET bodies full of '\n' and binary bytes.
    std::mt19937_64 rng(20240611);
    std::string stream;
    std::vector<std::string> expected;
    const std::vector<std::string> lines = {
        "0 alpha 17",
        "4 655 3 c",
        "10 15260a7e alpha 198.19.0.1/32#10",
        "12 55691a94 alpha beta 198.18.0.2 655 c 3",
        "16 gamma alpha 6A86AFC3 427 672 4 9 198.18.1.3 655",
        "15 beta alpha",
        "8",
        "9",
        "",
        std::string(max_line_bytes - 1, 'x'),  // the longest line that fits
    };
    for (int i = 0; i < 300; ++i) {
        if (rng() % 3 == 0) {
            std::size_t length = 1 + rng() % max_packet_body;
            std::string body(length, '\0');
            for (char& c : body) c = static_cast<char>(rng() % 4 == 0 ? '\n' : rng());
            std::string header = "17 " + std::to_string(length);
            stream += header + "\n" + body;
            expected.push_back(header);
            expected.push_back("!" + body);
        } else {
            const std::string& line = lines[rng() % lines.size()];
            stream += line + "\n";
            expected.push_back(line);
        }
    }
    for (int seed = 0; seed < 50; ++seed) {
        INFO("seed " << seed);
        std::mt19937 chunker(static_cast<unsigned>(seed));
        Collector collector;
        std::size_t max_chunk = seed < 10 ? static_cast<std::size_t>(1 + seed) : 1 + chunker() % 5000;
        for (std::size_t at = 0; at < stream.size();) {
            std::size_t size = std::min(stream.size() - at, 1 + chunker() % max_chunk);
            collector.feed(std::string_view(stream).substr(at, size));
            at += size;
        }
        CHECK(collector.framer.buffered() == 0);
        REQUIRE(collector.events.size() == expected.size());
        CHECK(collector.events == expected);
    }
}

TEST_CASE("a line longer than tinc's 2176-byte buffer is an overflow, exactly at the limit") {
    SECTION("2175 characters plus the newline fit") {
        MetaFramer framer;
        framer.feed(as_bytes(std::string(max_line_bytes - 1, 'a')));
        CHECK(framer.next().kind == Kind::need_more);
        framer.feed(as_bytes("\n"));
        FrameEvent event = framer.next();
        REQUIRE(event.kind == Kind::line);
        CHECK(event.line.size() == max_line_bytes - 1);
    }
    SECTION("2176 characters without a newline overflow, even before the newline arrives") {
        MetaFramer framer;
        framer.feed(as_bytes(std::string(max_line_bytes - 1, 'a')));
        CHECK(framer.next().kind == Kind::need_more);
        framer.feed(as_bytes("a"));
        FrameEvent event = framer.next();
        REQUIRE(event.kind == Kind::error);
        CHECK(event.error == "metadata read buffer overflow: line longer than 2176 bytes");
        // Sticky: more input changes nothing.
        framer.feed(as_bytes("\n8\n"));
        CHECK(framer.failed());
        CHECK(framer.next().kind == Kind::error);
    }
    SECTION("2176 characters and the newline in one chunk overflow too") {
        MetaFramer framer;
        framer.feed(as_bytes(std::string(max_line_bytes, 'a') + "\n"));
        CHECK(framer.next().kind == Kind::error);
    }
    SECTION("a complete short line before an overlong one is still delivered") {
        MetaFramer framer;
        framer.feed(as_bytes("8\n" + std::string(max_line_bytes, 'a')));
        FrameEvent event = framer.next();
        REQUIRE(event.kind == Kind::line);
        CHECK(event.line == "8");
        CHECK(framer.next().kind == Kind::error);
    }
}

TEST_CASE("take_unconsumed hands over the encrypted bytes that followed METAKEY") {
    // A stand-in for the meta cipher: the framer must not care what the bytes are.
    auto transform = [](std::vector<std::uint8_t> bytes) {
        for (auto& b : bytes) b ^= 0x5a;
        return bytes;
    };
    const std::string plaintext = "2 B1810A05\n3 61EC4275\n";
    std::vector<std::uint8_t> ciphertext = transform({plaintext.begin(), plaintext.end()});
    std::string segment = "1 429 672 0 0 4CDFB2C0\n";
    // The peer's METAKEY and the start of its encrypted CHALLENGE in one TCP segment.
    segment.append(ciphertext.begin(), ciphertext.begin() + 15);

    MetaFramer framer;
    framer.feed(as_bytes(segment));
    FrameEvent metakey = framer.next();
    REQUIRE(metakey.kind == Kind::line);
    REQUIRE(std::holds_alternative<MetakeyRequest>(parse_request(metakey.line).value()));

    std::vector<std::uint8_t> rest = framer.take_unconsumed();
    CHECK(rest == std::vector<std::uint8_t>(ciphertext.begin(), ciphertext.begin() + 15));
    CHECK(framer.buffered() == 0);
    CHECK(framer.next().kind == Kind::need_more);

    framer.feed(transform(rest));
    FrameEvent challenge = framer.next();
    REQUIRE(challenge.kind == Kind::line);
    CHECK(challenge.line == "2 B1810A05");
    CHECK(framer.next().kind == Kind::need_more);
    framer.feed(transform({ciphertext.begin() + 15, ciphertext.end()}));
    FrameEvent reply = framer.next();
    REQUIRE(reply.kind == Kind::line);
    CHECK(reply.line == "3 61EC4275");
}

TEST_CASE("take_unconsumed with nothing left is empty") {
    MetaFramer framer;
    framer.feed(as_bytes("1 429 672 0 0 AB\n"));
    REQUIRE(framer.next().kind == Kind::line);
    CHECK(framer.take_unconsumed().empty());
}

TEST_CASE("frame_line appends the newline and refuses what tincd could not read") {
    CHECK(frame_line("8").value() == "8\n");
    std::string longest(max_line_bytes - 1, 'a');
    CHECK(frame_line(longest).value() == longest + "\n");
    auto too_long = frame_line(longest + "a");
    REQUIRE_FALSE(too_long.has_value());
    CHECK_THAT(too_long.error().message, Catch::Contains("2176"));
    auto injected = frame_line("8\n9");
    REQUIRE_FALSE(injected.has_value());
    CHECK_THAT(injected.error().message, Catch::Contains("newline"));
}

TEST_CASE("framed canonical lines come back out of the framer unchanged") {
    MetaFramer framer;
    for (std::string_view line : {"0 alpha 17", "4 655 3 c", "17 3"}) {
        framer.feed(as_bytes(frame_line(line).value()));
    }
    framer.feed(as_bytes("\n\n\n"));
    CHECK(framer.next().line == "0 alpha 17");
    CHECK(framer.next().line == "4 655 3 c");
    CHECK(framer.next().line == "17 3");
    REQUIRE(framer.expect_body(3).has_value());
    FrameEvent body = framer.next();
    REQUIRE(body.kind == Kind::packet_body);
    CHECK(as_string(body.body) == "\n\n\n");
}
