// SLUICE-KX1 tokens: exact layout and length, strict decoding (one token per message), field
// range checks, and signatures that bind the label, both names and every field.
#include "controlplane/native/kx_message.hpp"

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sodium.h>

#include "shared/crypto/test_printing.hpp"

using namespace sluice::native;
using sluice::crypto::Ed25519KeyPair;
using Bytes = std::vector<std::uint8_t>;

namespace {

const Ed25519KeyPair& key(std::uint8_t seed_byte) {
    static std::map<std::uint8_t, Ed25519KeyPair> keys;
    auto it = keys.find(seed_byte);
    if (it == keys.end()) {
        auto made = Ed25519KeyPair::from_seed(Bytes(32, seed_byte));
        REQUIRE(made);
        it = keys.emplace(seed_byte, std::move(*made)).first;
    }
    return it->second;
}

InitMessage sample_init() {
    InitMessage m;
    m.lanes = 2;
    m.initiator_index = 0x01020304;
    m.suites = {Suite::aes_256_gcm, Suite::chacha20_poly1305};
    m.timestamp_ns = 0x1122334455667788;
    for (std::size_t i = 0; i < 32; ++i) m.ephemeral[i] = static_cast<std::uint8_t>(0xA0 + i);
    return m;
}

RespMessage sample_resp() {
    RespMessage m;
    m.lanes = 3;
    m.responder_index = 0xCAFEF00D;
    m.suite = Suite::chacha20_poly1305;
    for (std::size_t i = 0; i < 32; ++i) m.init_hash[i] = static_cast<std::uint8_t>(i);
    for (std::size_t i = 0; i < 32; ++i) m.ephemeral[i] = static_cast<std::uint8_t>(0x50 + i);
    return m;
}

constexpr KxNames names{"alpha", "beta"};

std::string base64url(const Bytes& bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.pop_back();
    return out;
}

template <std::size_t N>
Bytes as_vector(const std::array<std::uint8_t, N>& a) {
    return {a.begin(), a.end()};
}

// Parses a token made from raw bytes and returns the error message ("" if it parsed).
std::string parse_error(const Bytes& raw) {
    auto parsed = parse_token(base64url(raw));
    return parsed ? std::string() : parsed.error().message;
}

}  // namespace

TEST_CASE("INIT layout, byte by byte") {
    InitMessage m = sample_init();
    REQUIRE(sign(m, names, key(1)));
    const auto b = to_bytes(m);
    const Bytes head(b.begin(), b.begin() + 20);
    CHECK(head == Bytes{0x01, 0x01, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x01, 0x02,
                        0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
    CHECK(Bytes(b.begin() + 20, b.begin() + 52) == Bytes(m.ephemeral.begin(), m.ephemeral.end()));
    CHECK(Bytes(b.begin() + 52, b.end()) == Bytes(m.signature.begin(), m.signature.end()));

    auto token = encode_token(m);
    REQUIRE(token);
    CHECK(token->size() == init_token_length);
    CHECK(token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    auto parsed = parse_token(*token);
    REQUIRE(parsed);
    REQUIRE(std::holds_alternative<InitMessage>(*parsed));
    CHECK(std::get<InitMessage>(*parsed) == m);
}

TEST_CASE("RESP layout, byte by byte") {
    RespMessage m = sample_resp();
    REQUIRE(sign(m, names, key(2)));
    const auto b = to_bytes(m);
    CHECK(Bytes(b.begin(), b.begin() + 12) ==
          Bytes{0x01, 0x02, 0x00, 0x03, 0xCA, 0xFE, 0xF0, 0x0D, 0x02, 0x00, 0x00, 0x00});
    CHECK(Bytes(b.begin() + 12, b.begin() + 44) == Bytes(m.init_hash.begin(), m.init_hash.end()));
    CHECK(Bytes(b.begin() + 44, b.begin() + 76) == Bytes(m.ephemeral.begin(), m.ephemeral.end()));
    CHECK(Bytes(b.begin() + 76, b.end()) == Bytes(m.signature.begin(), m.signature.end()));

    auto token = encode_token(m);
    REQUIRE(token);
    CHECK(token->size() == resp_token_length);
    auto parsed = parse_token(*token);
    REQUIRE(parsed);
    REQUIRE(std::holds_alternative<RespMessage>(*parsed));
    CHECK(std::get<RespMessage>(*parsed) == m);
}

TEST_CASE("a REQ_KEY line with the longest names stays far below tinc's line buffer") {
    const std::string name(kx_max_name_length, 'n');
    const std::string line = "15 " + name + " " + name + " " + std::string(kx_token_tag) + " " +
                             std::string(resp_token_length, 'A');
    CHECK(line.size() == 713);
    CHECK(line.size() + 1 < 1024);  // with its newline; tinc's buffer is 2176 bytes
}

TEST_CASE("token decoding is strict") {
    InitMessage m = sample_init();
    REQUIRE(sign(m, names, key(1)));
    const std::string token = *encode_token(m);

    struct Row {
        std::string token;
        const char* reason;
    };
    std::string padded = token.substr(0, token.size() - 1) + "=";
    std::string bad_char = token;
    bad_char[10] = '+';  // standard base64, not base64url
    std::string space = token;
    space[10] = ' ';
    std::string high = token;
    high[10] = static_cast<char>(0xC1);  // libsodium 1.0.18 alone would decode this
    // The last character of 116 bytes carries 4 bits; 2 bits are unused and must be zero.
    std::string loose_bits = token;
    loose_bits.back() = static_cast<char>(loose_bits.back() == 'A' ? 'B' : loose_bits.back() + 1);
    const Row rows[] = {
        {"", "token is 0 characters"},
        {token.substr(1), "token is 154 characters; an INIT has 155 and a RESP 187"},
        {token + "A", "token is 156 characters"},
        {padded, "not canonical unpadded base64url"},
        {bad_char, "not canonical unpadded base64url"},
        {space, "not canonical unpadded base64url"},
        {high, "not canonical unpadded base64url"},
        {loose_bits, "not canonical unpadded base64url"},
    };
    for (const Row& row : rows) {
        INFO(row.token);
        auto parsed = parse_token(row.token);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(row.reason));
    }
}

TEST_CASE("fields out of range are refused, by parse and by encode") {
    InitMessage init = sample_init();
    REQUIRE(sign(init, names, key(1)));
    const Bytes good = as_vector(to_bytes(init));
    CHECK(parse_error(good).empty());

    struct Row {
        std::size_t offset;
        std::uint8_t value;
        const char* reason;
    };
    const Row init_rows[] = {
        {0, 2, "unknown version 2 (this node speaks 1)"},
        {0, 0, "unknown version 0"},
        {1, 3, "unknown message type 3"},
        {1, 2, "RESP is 116 bytes, not 140"},
        {3, 0, "INIT: lane count 0 is not in 1..64"},
        {3, 65, "INIT: lane count 65 is not in 1..64"},
        {2, 1, "INIT: lane count 258 is not in 1..64"},
        {8, 0, "INIT: suite slot 0 is empty between offered suites"},
        {9, 1, "INIT: suite 1 offered twice"},
    };
    for (const Row& row : init_rows) {
        Bytes raw = good;
        raw[row.offset] = row.value;
        INFO("INIT byte " << row.offset << " = " << int(row.value));
        CHECK_THAT(parse_error(raw), Catch::Contains(row.reason));
    }
    Bytes no_index = good;
    std::fill(no_index.begin() + 4, no_index.begin() + 8, 0);
    CHECK_THAT(parse_error(no_index), Catch::Contains("INIT: session index 0 is reserved"));
    Bytes no_suites = good;
    std::fill(no_suites.begin() + 8, no_suites.begin() + 12, 0);
    CHECK_THAT(parse_error(no_suites), Catch::Contains("INIT: no suite offered"));
    // Unknown suite ids are allowed (a newer initiator may offer more); trailing zero slots too.
    Bytes future = good;
    future[10] = 0x7F;
    auto parsed = parse_token(base64url(future));
    REQUIRE(parsed);
    CHECK(std::get<InitMessage>(*parsed).suites.size() == 3);

    RespMessage resp = sample_resp();
    REQUIRE(sign(resp, names, key(2)));
    const Bytes good_resp = as_vector(to_bytes(resp));
    CHECK(parse_error(good_resp).empty());
    const Row resp_rows[] = {
        {0, 9, "unknown version 9"},
        {1, 1, "INIT is 140 bytes, not 116"},
        {3, 0, "RESP: lane count 0"},
        {8, 0, "RESP: unknown suite 0 chosen"},
        {8, 3, "RESP: unknown suite 3 chosen"},
        {9, 1, "RESP: reserved byte 9 is not zero"},
        {11, 0x80, "RESP: reserved byte 11 is not zero"},
    };
    for (const Row& row : resp_rows) {
        Bytes raw = good_resp;
        raw[row.offset] = row.value;
        INFO("RESP byte " << row.offset << " = " << int(row.value));
        CHECK_THAT(parse_error(raw), Catch::Contains(row.reason));
    }

    InitMessage bad = sample_init();
    bad.lanes = 0;
    CHECK_FALSE(encode_token(bad));
    bad = sample_init();
    bad.suites = {Suite::chacha20_poly1305, Suite::chacha20_poly1305};
    CHECK_FALSE(encode_token(bad));
    bad.suites = {Suite::aes_256_gcm, Suite::chacha20_poly1305, static_cast<Suite>(3), static_cast<Suite>(4),
                  static_cast<Suite>(5)};
    CHECK_FALSE(encode_token(bad));
    RespMessage bad_resp = sample_resp();
    bad_resp.responder_index = 0;
    CHECK_FALSE(encode_token(bad_resp));
}

TEST_CASE("signatures bind the label, both names and every field") {
    InitMessage init = sample_init();
    REQUIRE(sign(init, names, key(1)));
    CHECK(verify(init, names, key(1).public_key()));
    CHECK_FALSE(verify(init, names, key(2).public_key()));
    CHECK_FALSE(verify(init, {"beta", "alpha"}, key(1).public_key()));
    CHECK_FALSE(verify(init, {"alpha", "gamma"}, key(1).public_key()));
    CHECK_FALSE(verify(init, {"alphab", "eta"}, key(1).public_key()));  // length bytes matter

    // Every signed byte: change it, re-parse, and the signature no longer verifies.
    const Bytes good = as_vector(to_bytes(init));
    for (std::size_t i = 0; i < init_length; ++i) {
        Bytes raw = good;
        raw[i] ^= (i == 0 || i == 1) ? 0 : 0x01;  // version/type changes are parse errors instead
        if (raw == good) continue;
        auto parsed = parse_token(base64url(raw));
        if (!parsed) continue;  // a range check caught it first
        INFO("byte " << i);
        CHECK_FALSE(verify(std::get<InitMessage>(*parsed), names, key(1).public_key()));
    }

    RespMessage resp = sample_resp();
    REQUIRE(sign(resp, names, key(2)));
    CHECK(verify(resp, names, key(2).public_key()));
    CHECK_FALSE(verify(resp, {"beta", "alpha"}, key(2).public_key()));
    RespMessage other_hash = resp;
    other_hash.init_hash[5] ^= 1;
    CHECK_FALSE(verify(other_hash, names, key(2).public_key()));

    // An INIT signature is no RESP signature: the labels differ.
    auto init_input = signed_input(init, names);
    REQUIRE(init_input);
    CHECK(Bytes(init_input->begin(), init_input->begin() + 15) ==
          Bytes(init_label.begin(), init_label.end()));
    CHECK((*init_input)[15] == 5);
    CHECK((*init_input)[21] == 4);
    CHECK(init_input->size() == 15 + 1 + 5 + 1 + 4 + init_signed_length);

    // Invalid or over-long names cannot be signed.
    CHECK_FALSE(sign(init, {"al pha", "beta"}, key(1)));
    CHECK_FALSE(sign(init, {std::string(256, 'a'), "beta"}, key(1)));
    CHECK(sign(init, {std::string(255, 'a'), "beta"}, key(1)));
}

TEST_CASE("init_hash is SHA-256 of the INIT's bytes") {
    InitMessage init = sample_init();
    REQUIRE(sign(init, names, key(1)));
    const auto bytes = to_bytes(init);
    KxHash expected{};
    crypto_hash_sha256(expected.data(), bytes.data(), bytes.size());
    CHECK(init_hash(init) == expected);
}

TEST_CASE("random and mutated tokens never crash the parser") {
    // A cheap in-suite fuzz run: the token arrives from any node on the mesh.
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    InitMessage init = sample_init();
    REQUIRE(sign(init, names, key(1)));
    RespMessage resp = sample_resp();
    REQUIRE(sign(resp, names, key(2)));
    const std::string seeds[] = {*encode_token(init), *encode_token(resp)};
    std::uint64_t state = 0x243F6A8885A308D3ull;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    std::size_t parsed = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string token = seeds[i % 2];
        const int edits = 1 + static_cast<int>(next() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = next() % token.size();
            switch (next() % 3) {
                case 0:
                    token[at] = alphabet[next() % alphabet.size()];
                    break;
                case 1:
                    token[at] = static_cast<char>(next());
                    break;
                default:
                    token.erase(at, 1);
                    break;
            }
        }
        auto result = parse_token(token);
        if (result) {
            ++parsed;
            // Whatever parsed re-encodes to the same token: one token per message.
            const std::string again = std::visit([](const auto& m) { return *encode_token(m); }, *result);
            CHECK(again == token);
        } else {
            CHECK_FALSE(result.error().message.empty());
        }
    }
    CHECK(parsed > 0);
}
