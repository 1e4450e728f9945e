#include "shared/crypto/hex.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/crypto/test_printing.hpp"

using namespace sluice::crypto;

TEST_CASE("to_hex_upper emits uppercase pairs like tinc") {
    struct Row {
        std::vector<std::uint8_t> bytes;
        std::string hex;
    };
    const std::vector<Row> rows = {
        {{}, ""},
        {{0x00}, "00"},
        {{0x0f, 0xa0}, "0FA0"},
        {{0xde, 0xad, 0xbe, 0xef}, "DEADBEEF"},
        {{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, "0123456789ABCDEF"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.hex);
        CHECK(to_hex_upper(row.bytes) == row.hex);
        auto back = from_hex(row.hex);
        REQUIRE(back);
        CHECK(*back == row.bytes);
    }
}

TEST_CASE("from_hex accepts either case") {
    auto lower = from_hex("deadBEEF0a");
    REQUIRE(lower);
    CHECK(*lower == std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef, 0x0a});
}

TEST_CASE("from_hex round-trips every byte value") {
    std::vector<std::uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    auto back = from_hex(to_hex_upper(all));
    REQUIRE(back);
    CHECK(*back == all);
}

TEST_CASE("from_hex rejects odd length and non-hex characters, naming the position") {
    struct Row {
        std::string input;
        std::string message;
    };
    const std::vector<Row> rows = {
        {"A", "odd number of hex digits (1)"},
        {"ABC", "odd number of hex digits (3)"},
        {"G0", "invalid hex digit 'G' at position 0"},
        {"0g", "invalid hex digit 'g' at position 1"},
        {"00 1", "invalid hex digit ' ' at position 2"},
        {"0x12", "invalid hex digit 'x' at position 1"},
        {std::string("00\n1", 4), "invalid hex digit byte 0x0a at position 2"},
        {std::string("AB\xff"
                     "0",
                     4),
         "invalid hex digit byte 0xff at position 2"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.input);
        auto r = from_hex(row.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().message == row.message);
        auto s = from_hex_secret(row.input);
        REQUIRE_FALSE(s);
        CHECK(s.error().message == row.message);
    }
}

TEST_CASE("from_hex_secret decodes into a SecretBuffer") {
    auto s = from_hex_secret("00ff10");
    REQUIRE(s);
    CHECK(s->equals(std::vector<std::uint8_t>{0x00, 0xff, 0x10}));
}

TEST_CASE("decode_hex_into requires a matching destination size") {
    std::vector<std::uint8_t> out(2);
    CHECK(decode_hex_into("ABCD", out));
    CHECK(out == std::vector<std::uint8_t>{0xab, 0xcd});
    auto r = decode_hex_into("ABCDEF", out);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "6 hex digits do not fit a 2-byte buffer");
}
