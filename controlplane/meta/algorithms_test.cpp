#include "controlplane/meta/algorithms.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "controlplane/protocol/constants.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::meta;

namespace {

// Whether this process can run Blowfish (true only if someone loaded the legacy provider,
// e.g. through OPENSSL_CONF); probed independently of the code under test.
bool legacy_provider_active() {
    EVP_CIPHER* bf = EVP_CIPHER_fetch(nullptr, "BF-CBC", nullptr);
    EVP_CIPHER_free(bf);
    return bf != nullptr;
}

}  // namespace

TEST_CASE("ciphers by NID report OpenSSL's sizes") {
    struct Row {
        int nid;
        const char* name;
        std::size_t key, iv, block;
        bool stream;
    };
    const Row rows[] = {
        {427, "aes-256-cbc", 32, 16, 16, false},
        {429, "aes-256-cfb", 32, 16, 1, true},
        {425, "aes-192-cfb", 24, 16, 1, true},
        {421, "aes-128-cfb", 16, 16, 1, true},
        {419, "aes-128-cbc", 16, 16, 16, false},
        {NID_aes_256_ofb128, "aes-256-ofb", 32, 16, 1, true},
        {NID_aes_256_gcm, "aes-256-gcm", 32, 12, 1, false},
    };
    for (const Row& row : rows) {
        CAPTURE(row.nid);
        auto info = cipher_by_nid(row.nid);
        REQUIRE(info);
        CHECK(info->nid == row.nid);
        CHECK(info->name == row.name);
        CHECK(info->key_length == row.key);
        CHECK(info->iv_length == row.iv);
        CHECK(info->block_size == row.block);
        CHECK(info->stream_mode == row.stream);
        CHECK_FALSE(info->is_none());
    }
}

TEST_CASE("cipher NID 0 is none") {
    auto info = cipher_by_nid(0);
    REQUIRE(info);
    CHECK(info->is_none());
    CHECK(info->name == "none");
    CHECK(info->key_length == 0);
    CHECK(info->iv_length == 0);
    CHECK(info->block_size == 1);
    CHECK_FALSE(info->stream_mode);
}

TEST_CASE("unknown cipher NIDs are refused by number") {
    for (int nid : {-1, 672, 64, 123456}) {
        CAPTURE(nid);
        auto info = cipher_by_nid(nid);
        REQUIRE_FALSE(info);
        CHECK(info.error().message == "unknown cipher NID " + std::to_string(nid));
    }
}

TEST_CASE("Blowfish is refused loudly without the legacy provider") {
    auto by_nid = cipher_by_nid(NID_bf_cbc);
    auto by_name = cipher_by_name("blowfish");
    auto ofb = cipher_by_nid(NID_bf_ofb64);
    if (legacy_provider_active()) {
        WARN("the legacy provider is loaded in this process; Blowfish is usable");
        REQUIRE(by_nid);
        CHECK(by_nid->name == "bf-cbc");
        REQUIRE(by_name);
        CHECK(by_name->nid == NID_bf_cbc);
        return;
    }
    REQUIRE_FALSE(by_nid);
    CHECK(by_nid.error().message ==
          "cipher bf-cbc (NID 91) needs OpenSSL's legacy provider, which is not loaded; use aes-256-cbc");
    REQUIRE_FALSE(by_name);
    CHECK(by_name.error().message == by_nid.error().message);
    // The pre-1.0.30 meta cipher.
    REQUIRE_FALSE(ofb);
    CHECK(ofb.error().message ==
          "cipher bf-ofb (NID 94) needs OpenSSL's legacy provider, which is not loaded; use aes-256-cbc");
    auto cast = cipher_by_name("cast5-cbc");
    REQUIRE_FALSE(cast);
    CHECK_THAT(cast.error().message, Catch::Contains("cast5-cbc") && Catch::Contains("legacy provider"));
    auto des = cipher_by_name("des-cbc");
    REQUIRE_FALSE(des);
    CHECK_THAT(des.error().message, Catch::Contains("legacy provider"));
}

TEST_CASE("triple DES stays in the default provider") {
    auto info = cipher_by_name("des-ede3-cfb");
    REQUIRE(info);
    CHECK(info->nid == NID_des_ede3_cfb64);
    CHECK(info->stream_mode);
    CHECK(info->block_size == 1);
    CHECK(info->iv_length == 8);
}

TEST_CASE("ciphers by tinc config name") {
    struct Row {
        const char* name;
        int nid;
    };
    const Row rows[] = {
        {"aes-256-cbc", 427}, {"AES-256-CBC", 427}, {"aes256", 427}, {"aes-128-cfb", 421},
        {"none", 0},          {"NONE", 0},          {"None", 0},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        auto info = cipher_by_name(row.name);
        REQUIRE(info);
        CHECK(info->nid == row.nid);
    }
    auto unknown = cipher_by_name("rot13-cbc");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown cipher \"rot13-cbc\"");
    auto empty = cipher_by_name("");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message == "empty cipher name");
}

TEST_CASE("digests by NID and by name") {
    auto sha256 = digest_by_nid(672);
    REQUIRE(sha256);
    CHECK(sha256->name == "sha256");
    CHECK(sha256->size == 32);
    CHECK_FALSE(sha256->is_none());

    auto sha1 = digest_by_name("sha1");
    REQUIRE(sha1);
    CHECK(sha1->nid == 64);
    CHECK(sha1->size == 20);

    auto upper = digest_by_name("SHA512");
    REQUIRE(upper);
    CHECK(upper->nid == NID_sha512);
    CHECK(upper->size == 64);

    for (const char* none : {"none", "None"}) {
        auto info = digest_by_name(none);
        REQUIRE(info);
        CHECK(info->is_none());
        CHECK(info->size == 0);
    }
    auto zero = digest_by_nid(0);
    REQUIRE(zero);
    CHECK(zero->name == "none");

    auto unknown = digest_by_nid(429);  // a cipher's NID
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown digest NID 429");
    auto bad_name = digest_by_name("sha257");
    REQUIRE_FALSE(bad_name);
    CHECK(bad_name.error().message == "unknown digest \"sha257\"");
    CHECK_FALSE(digest_by_name(""));
}

TEST_CASE("a digest alias NID resolves to the digest tinc would use") {
    // EVP_get_digestbynid(RSA-SHA256) gives tinc plain sha256.
    auto info = digest_by_nid(NID_sha256WithRSAEncryption);
    REQUIRE(info);
    CHECK(info->nid == NID_sha256);
}

TEST_CASE("MD4 is refused loudly without the legacy provider") {
    if (legacy_provider_active()) return;
    auto md4 = digest_by_name("md4");
    REQUIRE_FALSE(md4);
    CHECK(md4.error().message ==
          "digest md4 (NID 257) needs OpenSSL's legacy provider, which is not loaded; use sha256");
}

TEST_CASE("fetch_cipher and fetch_digest hand out implementations") {
    auto cipher = fetch_cipher(429);
    REQUIRE(cipher);
    CHECK(EVP_CIPHER_get_nid(cipher->get()) == 429);
    auto md = fetch_digest(672);
    REQUIRE(md);
    CHECK(EVP_MD_get_size(md->get()) == 32);
    CHECK_FALSE(fetch_cipher(0));
    CHECK_FALSE(fetch_digest(0));
}

TEST_CASE("the meta cipher follows the UDP cipher's key length") {
    using namespace sluice::protocol;
    CHECK(meta_cipher_nid_for_udp_key_length(0) == nid_aes_128_cfb);   // Cipher = none
    CHECK(meta_cipher_nid_for_udp_key_length(16) == nid_aes_128_cfb);  // blowfish, aes-128
    CHECK(meta_cipher_nid_for_udp_key_length(17) == nid_aes_192_cfb);
    CHECK(meta_cipher_nid_for_udp_key_length(24) == nid_aes_192_cfb);
    CHECK(meta_cipher_nid_for_udp_key_length(25) == nid_aes_256_cfb);
    CHECK(meta_cipher_nid_for_udp_key_length(32) == nid_aes_256_cfb);  // the default aes-256-cbc
    CHECK(meta_cipher_nid_for_udp_key_length(64) == nid_aes_256_cfb);
}
