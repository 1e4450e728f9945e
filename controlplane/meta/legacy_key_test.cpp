#include "controlplane/meta/legacy_key.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "shared/crypto/hex.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::meta;
using sluice::crypto::DeterministicRandom;
using sluice::protocol::AnsKeyRequest;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes as_bytes(std::span<const std::uint8_t> span) {
    return {span.begin(), span.end()};
}

// An ANS_KEY as tinc 1.0.36 sends it with default settings: "16 beta alpha <96 hex> 427 672 4 0".
AnsKeyRequest default_ans_key() {
    return AnsKeyRequest{
        .from = "beta",
        .to = "alpha",
        .key_hex = std::string(96, 'A'),
        .cipher_nid = 427,
        .digest_nid = 672,
        .mac_length = 4,
        .compression = 0,
        .address = std::nullopt,
        .port = std::nullopt,
    };
}

bool legacy_provider_active() {
    EVP_CIPHER* bf = EVP_CIPHER_fetch(nullptr, "BF-CBC", nullptr);
    EVP_CIPHER_free(bf);
    return bf != nullptr;
}

}  // namespace

TEST_CASE("settings from configuration names") {
    auto defaults = make_legacy_key_settings(default_udp_cipher_name, default_udp_digest_name,
                                             default_mac_length, default_compression);
    REQUIRE(defaults);
    CHECK(*defaults == LegacyKeySettings{});
    CHECK(*defaults ==
          LegacyKeySettings{.cipher_nid = 427, .digest_nid = 672, .mac_length = 4, .compression = 0});

    auto none = make_legacy_key_settings("none", "none", 4, 0);
    REQUIRE(none);
    CHECK(none->cipher_nid == 0);
    CHECK(none->digest_nid == 0);
    CHECK(none->mac_length == 4);  // announced as tinc does, unused without a digest

    auto custom = make_legacy_key_settings("AES-128-CBC", "sha1", 20, 11);
    REQUIRE(custom);
    CHECK(*custom ==
          LegacyKeySettings{.cipher_nid = 419, .digest_nid = 64, .mac_length = 20, .compression = 11});
}

TEST_CASE("bad settings are refused with the option named") {
    struct Row {
        const char* cipher;
        const char* digest;
        int mac_length, compression;
        const char* reason;
    };
    const Row rows[] = {
        {"aes-256-xyz", "sha256", 4, 0, "Cipher: unknown cipher \"aes-256-xyz\""},
        {"aes-256-cbc", "sha255", 4, 0, "Digest: unknown digest \"sha255\""},
        {"aes-256-cbc", "sha256", 33, 0, "MACLength 33 exceeds the 32-byte size of digest sha256"},
        {"aes-256-cbc", "sha256", -1, 0, "MACLength -1 is negative"},
        {"aes-256-cbc", "none", -1, 0, "MACLength -1 is negative"},
        {"aes-256-cbc", "sha256", 4, 12, "Compression: compression level 12 out of range 0..11"},
        {"aes-256-cbc", "sha256", 4, -1, "Compression: compression level -1 out of range 0..11"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.cipher, row.digest, row.mac_length, row.compression);
        auto settings = make_legacy_key_settings(row.cipher, row.digest, row.mac_length, row.compression);
        REQUIRE_FALSE(settings);
        CHECK(settings.error().message == row.reason);
    }
    if (!legacy_provider_active()) {
        auto bf = make_legacy_key_settings("blowfish", "sha1", 4, 0);
        REQUIRE_FALSE(bf);
        CHECK(bf.error().message ==
              "Cipher: cipher bf-cbc (NID 91) needs OpenSSL's legacy provider, which is not loaded; use "
              "aes-256-cbc");
    }
}

TEST_CASE("generated keys: key first, then IV; the HMAC key is all of it") {
    DeterministicRandom replay(11);
    Bytes expected(48);
    replay.fill(expected);

    DeterministicRandom random(11);
    auto key = generate_legacy_key(LegacyKeySettings{}, random);
    REQUIRE(key);
    CHECK(key->cipher_nid() == 427);
    CHECK(key->digest_nid() == 672);
    CHECK(key->mac_length() == 4);
    CHECK(key->effective_mac_length() == 4);
    CHECK(key->compression() == 0);
    CHECK(key->key_length() == 32);
    CHECK(key->iv_length() == 16);
    CHECK(as_bytes(key->material()) == expected);
    CHECK(as_bytes(key->cipher_key()) == Bytes(expected.begin(), expected.begin() + 32));
    CHECK(as_bytes(key->iv()) == Bytes(expected.begin() + 32, expected.end()));
    CHECK(as_bytes(key->hmac_key()) == expected);

    // Every call makes a fresh key.
    auto again = generate_legacy_key(LegacyKeySettings{}, random);
    REQUIRE(again);
    CHECK(as_bytes(again->material()) != expected);
}

TEST_CASE("generated keys for other ciphers and for none") {
    DeterministicRandom random(12);
    auto aes128 = generate_legacy_key(
        {.cipher_nid = 419, .digest_nid = 64, .mac_length = 20, .compression = 9}, random);
    REQUIRE(aes128);
    CHECK(aes128->material().size() == 32);
    CHECK(aes128->cipher_key().size() == 16);
    CHECK(aes128->iv().size() == 16);

    auto none =
        generate_legacy_key({.cipher_nid = 0, .digest_nid = 672, .mac_length = 4, .compression = 0}, random);
    REQUIRE(none);
    CHECK(none->material().size() == 1);
    CHECK(none->cipher_key().empty());
    CHECK(none->iv().empty());
    CHECK(none->hmac_key().size() == 1);

    auto no_mac =
        generate_legacy_key({.cipher_nid = 427, .digest_nid = 0, .mac_length = 4, .compression = 0}, random);
    REQUIRE(no_mac);
    CHECK(no_mac->mac_length() == 4);
    CHECK(no_mac->effective_mac_length() == 0);

    auto bad = generate_legacy_key({.cipher_nid = 427, .digest_nid = 672, .mac_length = 40, .compression = 0},
                                   random);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "maclength 40 out of range 0..32 for sha256");
}

TEST_CASE("ANS_KEY round trip") {
    DeterministicRandom random(13);
    auto key = generate_legacy_key(LegacyKeySettings{}, random);
    REQUIRE(key);
    const AnsKeyRequest request = make_ans_key_request(*key, "alpha", "beta");
    CHECK(request.from == "alpha");
    CHECK(request.to == "beta");
    CHECK(request.key_hex.size() == 96);
    CHECK(request.key_hex == sluice::crypto::to_hex_upper(key->material()));
    CHECK(request.cipher_nid == 427);
    CHECK(request.digest_nid == 672);
    CHECK(request.mac_length == 4);
    CHECK(request.compression == 0);
    CHECK_FALSE(request.address);
    CHECK_FALSE(request.port);

    auto accepted = accept_ans_key(request);
    REQUIRE(accepted);
    CHECK(as_bytes(accepted->material()) == as_bytes(key->material()));
    CHECK(as_bytes(accepted->cipher_key()) == as_bytes(key->cipher_key()));
    CHECK(as_bytes(accepted->iv()) == as_bytes(key->iv()));
}

TEST_CASE("accept_ans_key accepts what tinc accepts") {
    struct Row {
        const char* what;
        std::string hex;
        int cipher, digest, mac, compression;
        std::size_t effective_mac;
    };
    const Row rows[] = {
        {"defaults", std::string(96, 'a'), 427, 672, 4, 0, 4},
        {"lowercase hex", std::string(96, 'f'), 427, 672, 32, 11, 32},
        {"cipher none, one byte", "7F", 0, 672, 4, 0, 4},
        {"digest none ignores maclength", std::string(96, '0'), 427, 0, -5, 0, 0},
        {"aes-128-cbc and sha1", std::string(64, '1'), 419, 64, 20, 9, 20},
        {"maclength 0", std::string(96, '2'), 427, 672, 0, 0, 0},
    };
    for (const Row& row : rows) {
        CAPTURE(row.what);
        AnsKeyRequest request = default_ans_key();
        request.key_hex = row.hex;
        request.cipher_nid = row.cipher;
        request.digest_nid = row.digest;
        request.mac_length = row.mac;
        request.compression = row.compression;
        auto key = accept_ans_key(request);
        REQUIRE(key);
        CHECK(key->material().size() == row.hex.size() / 2);
        CHECK(key->effective_mac_length() == row.effective_mac);
    }
}

TEST_CASE("accept_ans_key rejects every bad ANS_KEY with its own reason") {
    struct Row {
        const char* what;
        std::string hex;
        int cipher, digest, mac, compression;
        const char* reason;
    };
    const std::string good(96, 'A');
    const Row rows[] = {
        {"bad hex digit", std::string(94, 'A') + "G0", 427, 672, 4, 0, "invalid key: "},
        {"odd hex", std::string(95, 'A'), 427, 672, 4, 0, "invalid key: "},
        {"unknown cipher", good, 31337, 672, 4, 0, "unknown cipher NID 31337"},
        {"short key", std::string(94, 'A'), 427, 672, 4, 0,
         "wrong key length: got 47 bytes, aes-256-cbc needs 48 (32-byte key + 16-byte IV)"},
        {"long key", std::string(98, 'A'), 427, 672, 4, 0,
         "wrong key length: got 49 bytes, aes-256-cbc needs 48 (32-byte key + 16-byte IV)"},
        {"cipher none with a real key", good, 0, 672, 4, 0,
         "wrong key length: got 48 bytes, cipher none needs exactly 1 (CVE-2018-16758)"},
        {"cipher none with an empty key", "", 0, 672, 4, 0,
         "wrong key length: got 0 bytes, cipher none needs exactly 1 (CVE-2018-16758)"},
        {"unknown digest", good, 427, 31337, 4, 0, "unknown digest NID 31337"},
        {"maclength above digest size", good, 427, 672, 33, 0, "maclength 33 out of range 0..32 for sha256"},
        {"negative maclength", good, 427, 672, -1, 0, "maclength -1 out of range 0..32 for sha256"},
        {"compression 12", good, 427, 672, 4, 12, "compression level 12 out of range 0..11"},
        {"negative compression", good, 427, 672, 4, -1, "compression level -1 out of range 0..11"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.what);
        AnsKeyRequest request = default_ans_key();
        request.key_hex = row.hex;
        request.cipher_nid = row.cipher;
        request.digest_nid = row.digest;
        request.mac_length = row.mac;
        request.compression = row.compression;
        auto key = accept_ans_key(request);
        REQUIRE_FALSE(key);
        CHECK_THAT(key.error().message, Catch::StartsWith(row.reason));
    }

    // Spec 6.2: a 1.0.36 node with "Cipher = blowfish" announces "91 64" and a 24-byte key.
    if (!legacy_provider_active()) {
        AnsKeyRequest request = default_ans_key();
        request.key_hex = std::string(48, 'B');
        request.cipher_nid = NID_bf_cbc;
        request.digest_nid = NID_sha1;
        auto key = accept_ans_key(request);
        REQUIRE_FALSE(key);
        CHECK(key.error().message ==
              "cipher bf-cbc (NID 91) needs OpenSSL's legacy provider, which is not loaded; use aes-256-cbc");
    }
}
