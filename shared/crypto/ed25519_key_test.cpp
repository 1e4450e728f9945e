#include "shared/crypto/ed25519_key.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/crypto/hex.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::crypto;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

std::vector<std::uint8_t> unhex(std::string_view hex) {
    auto r = from_hex(hex);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("Ed25519 from_seed matches RFC 8032 test vector 1") {
    auto pair =
        Ed25519KeyPair::from_seed(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    REQUIRE(pair);
    CHECK(to_hex_upper(pair->public_key().bytes()) ==
          "D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A");
    const Ed25519Signature sig = pair->sign({});
    CHECK(to_hex_upper(sig) ==
          "E5564300C360AC729086E2CC806E828A84877F1EB8E5D974D873E065224901555FB8821590A33BACC61E39701CF9B46BD2"
          "5BF5F0595BBE24655141438E7A100B");
    CHECK(pair->public_key().verify({}, sig));
}

TEST_CASE("Ed25519 public key text round-trips as 44 padded base64 characters") {
    auto pair = Ed25519KeyPair::generate();
    REQUIRE(pair);
    const std::string text = pair->public_key().to_base64();
    CHECK(text.size() == 44);
    CHECK(text.ends_with("="));
    auto back = Ed25519PublicKey::parse_base64(text);
    REQUIRE(back);
    CHECK(*back == pair->public_key());
    CHECK(pair->public_key().host_file_line() == "Ed25519PublicKey = " + text);

    auto fixed = Ed25519KeyPair::from_seed(std::vector<std::uint8_t>(32, 0));
    REQUIRE(fixed);
    CHECK(fixed->public_key().to_base64() == "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=");
}

TEST_CASE("Ed25519 public key parse errors") {
    struct Row {
        std::string text;
        std::string message_part;
    };
    const std::vector<Row> rows = {
        {std::string(43, 'A'),
         "looks like tinc 1.1's Ed25519 key encoding, which sluice does not read; run 'sluicectl "
         "generate-keys' to "
         "make a sluice key"},
        {"", "must be 44 base64 characters, this one has 0"},
        {std::string(45, 'A'), "must be 44 base64 characters, this one has 45"},
        {std::string(42, 'A') + "==", "is not valid base64 of 32 bytes"},  // 31 bytes
        {std::string(43, '*') + "=", "is not valid base64 of 32 bytes"},
        {std::string(42, 'A') + "B=", "is not valid base64 of 32 bytes"},  // stray low bits
        // A byte above 0x7F that libsodium 1.0.18's decoder would skip over.
        {"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2\x80k=", "is not valid base64 of 32 bytes"},
        {std::string(43, 'A') + "=", "not a valid Ed25519 public key"},  // 32 zero bytes: small order
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto r = Ed25519PublicKey::parse_base64(row.text);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains(row.message_part));
    }
    CHECK(Ed25519PublicKey::parse_base64(std::string(43, 'A')).error().message ==
          "looks like tinc 1.1's Ed25519 key encoding, which sluice does not read; run 'sluicectl "
          "generate-keys' to make a sluice key");
    CHECK_FALSE(Ed25519PublicKey::from_bytes(std::vector<std::uint8_t>(31, 1)));
}

TEST_CASE("Ed25519 sign and verify") {
    auto pair = Ed25519KeyPair::generate();
    REQUIRE(pair);
    const auto msg = bytes_of("0 alpha 17");
    Ed25519Signature sig = pair->sign(msg);
    CHECK(pair->public_key().verify(msg, sig));
    CHECK_FALSE(pair->public_key().verify(bytes_of("0 alpha 18"), sig));
    sig[10] ^= 1;
    CHECK_FALSE(pair->public_key().verify(msg, sig));
    sig[10] ^= 1;
    CHECK_FALSE(pair->public_key().verify(msg, std::span(sig).first(63)));
    auto other = Ed25519KeyPair::generate();
    REQUIRE(other);
    CHECK_FALSE(other->public_key().verify(msg, sig));
}

TEST_CASE("Ed25519 private key file round-trips") {
    auto pair = Ed25519KeyPair::generate();
    REQUIRE(pair);
    const SecretBuffer pem = pair->private_pem();
    const std::string_view text = pem.view();
    CHECK(text.starts_with("-----BEGIN SLUICE ED25519 PRIVATE KEY-----\n"));
    CHECK(text.ends_with("=\n-----END SLUICE ED25519 PRIVATE KEY-----\n"));
    CHECK(text.size() == 43 + 44 + 1 + 41);

    auto back = Ed25519KeyPair::parse_private_pem(text);
    REQUIRE(back);
    CHECK(back->public_key() == pair->public_key());

    SECTION("surrounded by other text and with CRLF line ends") {
        std::string crlf;
        for (char c : text) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        auto again = Ed25519KeyPair::parse_private_pem("# sluice key\r\n\r\n" + crlf + "trailing\r\n");
        REQUIRE(again);
        CHECK(again->public_key() == pair->public_key());
    }
}

TEST_CASE("Ed25519 private key file errors") {
    const std::string begin = "-----BEGIN SLUICE ED25519 PRIVATE KEY-----\n";
    const std::string end = "-----END SLUICE ED25519 PRIVATE KEY-----\n";
    struct Row {
        std::string text;
        std::string message;
    };
    const std::vector<Row> rows = {
        {"", "no \"-----BEGIN SLUICE ED25519 PRIVATE KEY-----\" block found"},
        {begin + std::string(44, 'A'),
         "line 1: \"-----BEGIN SLUICE ED25519 PRIVATE KEY-----\" has no matching "
         "\"-----END SLUICE ED25519 PRIVATE KEY-----\" line"},
        {begin + "AAAA\n" + end,
         "line 1: the Ed25519 private key must be 44 base64 characters, this one has 4"},
        {begin + std::string(22, 'A') + "\n" + std::string(22, 'A') + "\n" + end,
         "line 1: the Ed25519 private key block must hold one line of base64"},
        {"\n" + begin + std::string(43, '!') + "=\n" + end,
         "line 2: the Ed25519 private key is not valid base64 of 32 bytes"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto r = Ed25519KeyPair::parse_private_pem(row.text);
        REQUIRE_FALSE(r);
        CHECK(r.error().message == row.message);
    }
}
