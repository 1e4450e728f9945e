#include "shared/crypto/rsa_key.hpp"

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "shared/crypto/hex.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::crypto;

namespace {

// RSA key generation is slow, so each test run makes one key per kind and shares it.
const RsaKey& key_2048() {
    static const RsaKey key = [] {
        auto k = RsaKey::generate(2048);
        REQUIRE(k);
        return std::move(*k);
    }();
    return key;
}

std::string public_pem_of(const RsaKey& key) {
    auto pem = key.public_pem();
    REQUIRE(pem);
    return *pem;
}

std::string private_pem_of(const RsaKey& key) {
    auto pem = key.private_pem();
    REQUIRE(pem);
    return std::string(pem->view());
}

// Re-encodes a PEM key with OpenSSL directly, to produce the formats sluice does not
// write itself (PKCS#8, SubjectPublicKeyInfo).
std::string reencode(const std::string& pem, int selection, const char* structure) {
    EVP_PKEY* pkey = nullptr;
    OSSL_DECODER_CTX* dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, "RSA", selection, nullptr, nullptr);
    REQUIRE(dctx != nullptr);
    const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
    std::size_t len = pem.size();
    REQUIRE(OSSL_DECODER_from_data(dctx, &data, &len) == 1);
    OSSL_DECODER_CTX_free(dctx);
    OSSL_ENCODER_CTX* ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", structure, nullptr);
    REQUIRE(ectx != nullptr);
    unsigned char* out = nullptr;
    std::size_t out_len = 0;
    REQUIRE(OSSL_ENCODER_to_data(ectx, &out, &out_len) == 1);
    std::string result(reinterpret_cast<char*>(out), out_len);
    OPENSSL_free(out);
    OSSL_ENCODER_CTX_free(ectx);
    EVP_PKEY_free(pkey);
    return result;
}

// A 1024-bit key with tinc's obsolete exponent 0xFFFF, as PKCS#1 PEM plus n and d in hex:
// what a node configured with "PublicKey = <n>" / "PrivateKey = <d>" has.
struct ObsoleteKey {
    std::string private_pem;
    std::string n_hex;
    std::string d_hex;
};

const ObsoleteKey& obsolete_key() {
    static const ObsoleteKey key = [] {
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
        REQUIRE(EVP_PKEY_keygen_init(ctx) == 1);
        std::size_t bits = 1024;
        unsigned e = 0xFFFF;
        OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits),
                               OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e),
                               OSSL_PARAM_construct_end()};
        REQUIRE(EVP_PKEY_CTX_set_params(ctx, params) == 1);
        EVP_PKEY* pkey = nullptr;
        REQUIRE(EVP_PKEY_generate(ctx, &pkey) == 1);
        EVP_PKEY_CTX_free(ctx);
        auto hex_param = [&](const char* name) {
            BIGNUM* bn = nullptr;
            REQUIRE(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1);
            char* hex = BN_bn2hex(bn);
            std::string s(hex);
            OPENSSL_free(hex);
            BN_clear_free(bn);
            return s;
        };
        ObsoleteKey k;
        k.n_hex = hex_param(OSSL_PKEY_PARAM_RSA_N);
        k.d_hex = hex_param(OSSL_PKEY_PARAM_RSA_D);
        OSSL_ENCODER_CTX* ectx =
            OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "PEM", "type-specific", nullptr);
        unsigned char* out = nullptr;
        std::size_t out_len = 0;
        REQUIRE(OSSL_ENCODER_to_data(ectx, &out, &out_len) == 1);
        k.private_pem.assign(reinterpret_cast<char*>(out), out_len);
        OPENSSL_free(out);
        OSSL_ENCODER_CTX_free(ectx);
        EVP_PKEY_free(pkey);
        return k;
    }();
    return key;
}

// The modulus of a PEM public key in hex, read with OpenSSL directly.
std::string modulus_hex_of(const std::string& pem) {
    EVP_PKEY* pkey = nullptr;
    OSSL_DECODER_CTX* dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
    std::size_t len = pem.size();
    REQUIRE(OSSL_DECODER_from_data(dctx, &data, &len) == 1);
    OSSL_DECODER_CTX_free(dctx);
    BIGNUM* n = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
    char* hex = BN_bn2hex(n);
    std::string s(hex);
    OPENSSL_free(hex);
    BN_free(n);
    EVP_PKEY_free(pkey);
    return s;
}

std::vector<std::uint8_t> random_metakey_input(std::size_t len) {
    std::vector<std::uint8_t> s(len);
    REQUIRE(RAND_bytes(s.data(), static_cast<int>(s.size())) == 1);
    s[0] &= 0x7F;  // what tinc does so that S < n
    return s;
}

}  // namespace

TEST_CASE("generate refuses sizes outside 1024..8192 or not a multiple of 8") {
    struct Row {
        int bits;
        std::string message_part;
    };
    const std::vector<Row> rows = {
        {0, "too small"},    {-2048, "too small"},      {512, "refuses keys under 1024 bits"},
        {1016, "too small"}, {1028, "multiple of 8"},   {2047, "multiple of 8"},
        {8200, "too large"}, {16384, "over 8192 bits"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.bits);
        auto k = RsaKey::generate(row.bits);
        REQUIRE_FALSE(k);
        CHECK_THAT(k.error().message, Catch::Contains(row.message_part));
    }
}

TEST_CASE("a generated 2048-bit key writes tinc's PKCS#1 PEM forms and reads them back") {
    const RsaKey& key = key_2048();
    CHECK(key.has_private());
    CHECK(key.modulus_bits() == 2048);
    CHECK(key.modulus_bytes() == 256);

    const std::string priv = private_pem_of(key);
    const std::string pub = public_pem_of(key);
    CHECK(priv.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    CHECK(priv.ends_with("-----END RSA PRIVATE KEY-----\n"));
    CHECK(pub.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
    CHECK(pub.ends_with("-----END RSA PUBLIC KEY-----\n"));

    SECTION("private PEM with tinc's leading empty line") {
        auto back = RsaKey::parse_private_pem("\n" + priv);
        REQUIRE(back);
        CHECK(back->has_private());
        CHECK(back->matches(key));
        CHECK(key.matches(*back));
    }
    SECTION("private PEM as PKCS#8 PRIVATE KEY") {
        const std::string pkcs8 = reencode(priv, EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
        REQUIRE(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
        auto back = RsaKey::parse_private_pem("# comment\n" + pkcs8);
        REQUIRE(back);
        CHECK(back->matches(key));
    }
    SECTION("public PEM") {
        auto back = RsaKey::parse_public_pem(pub);
        REQUIRE(back);
        CHECK_FALSE(back->has_private());
        CHECK(back->matches(key));
        CHECK(back->modulus_bytes() == 256);
        auto again = back->public_pem();
        REQUIRE(again);
        CHECK(*again == pub);
    }
    SECTION("a public key cannot produce a private PEM or decrypt") {
        auto pub_only = RsaKey::parse_public_pem(pub);
        REQUIRE(pub_only);
        auto pem = pub_only->private_pem();
        REQUIRE_FALSE(pem);
        CHECK_THAT(pem.error().message, Catch::Contains("public key"));
        auto dec = pub_only->raw_decrypt_private(std::vector<std::uint8_t>(256, 0));
        REQUIRE_FALSE(dec);
        CHECK_THAT(dec.error().message, Catch::Contains("needs a private key"));
    }
}

TEST_CASE("parse_public_pem finds the current key in a host file") {
    const RsaKey& key = key_2048();
    const std::string pub = public_pem_of(key);
    const ObsoleteKey& other = obsolete_key();
    auto other_key = RsaKey::parse_private_pem(other.private_pem);
    REQUIRE(other_key);
    std::string old_block = public_pem_of(*other_key);
    old_block.replace(old_block.find("BEGIN "), 6, "BEGIN OLD ");
    old_block.replace(old_block.find("END "), 4, "END OLD ");

    SECTION("PKCS#1 after an OLD block, between config lines") {
        const std::string host =
            "Address = 198.18.0.1\nPort = 655\n\n" + old_block + "\n" + pub + "Subnet = 198.19.0.1/32\n";
        auto parsed = RsaKey::parse_public_pem(host);
        REQUIRE(parsed);
        CHECK(parsed->matches(key));
        CHECK_FALSE(parsed->matches(*other_key));
    }
    SECTION("SubjectPublicKeyInfo PUBLIC KEY") {
        const std::string spki = reencode(pub, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
        REQUIRE(spki.starts_with("-----BEGIN PUBLIC KEY-----"));
        auto parsed = RsaKey::parse_public_pem("Compression = 0\n" + spki);
        REQUIRE(parsed);
        CHECK(parsed->matches(key));
    }
    SECTION("PKCS#1 wins over an earlier SPKI block, as in tinc") {
        const std::string other_spki =
            reencode(public_pem_of(*other_key), EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
        auto parsed = RsaKey::parse_public_pem(other_spki + pub);
        REQUIRE(parsed);
        CHECK(parsed->matches(key));
    }
    SECTION("only OLD blocks means no key") {
        auto parsed = RsaKey::parse_public_pem("Port = 655\n" + old_block);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message ==
              "no \"-----BEGIN RSA PUBLIC KEY-----\" or \"-----BEGIN PUBLIC KEY-----\" block found");
    }
    SECTION("a corrupt block is reported with its line") {
        auto parsed = RsaKey::parse_public_pem(
            "Port = 655\n-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n");
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message,
                   Catch::StartsWith("line 2: cannot decode the \"RSA PUBLIC KEY\" block"));
    }
}

TEST_CASE("parse_private_pem refusals") {
    auto none = RsaKey::parse_private_pem("\n\n");
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "no \"-----BEGIN RSA PRIVATE KEY-----\" block found");

    // An OLD block is a retired key, not the current one.
    std::string retired = private_pem_of(key_2048());
    retired.replace(retired.find("BEGIN "), 6, "BEGIN OLD ");
    retired.replace(retired.find("END "), 4, "END OLD ");
    CHECK_FALSE(RsaKey::parse_private_pem(retired));

    auto encrypted = RsaKey::parse_private_pem(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
        "-----END RSA PRIVATE KEY-----\n");
    REQUIRE_FALSE(encrypted);
    CHECK_THAT(encrypted.error().message, Catch::Contains("encrypted"));

    auto pkcs8_encrypted = RsaKey::parse_private_pem(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    REQUIRE_FALSE(pkcs8_encrypted);
    CHECK_THAT(pkcs8_encrypted.error().message, Catch::Contains("encrypted"));
}

TEST_CASE("raw RSA round-trips METAKEY-sized input") {
    const RsaKey& key = key_2048();
    auto pub = RsaKey::parse_public_pem(public_pem_of(key));
    REQUIRE(pub);

    for (int i = 0; i < 3; ++i) {
        const auto s = random_metakey_input(256);
        auto c = pub->raw_encrypt_public(s);
        REQUIRE(c);
        CHECK(c->size() == 256);
        CHECK(*c != s);
        auto back = key.raw_decrypt_private(*c);
        REQUIRE(back);
        CHECK(back->size() == 256);
        CHECK(back->equals(s));
    }

    SECTION("small values come back left-padded") {
        std::vector<std::uint8_t> small(256, 0);
        small[255] = 2;
        auto c = pub->raw_encrypt_public(small);
        REQUIRE(c);
        auto back = key.raw_decrypt_private(*c);
        REQUIRE(back);
        CHECK(back->equals(small));
    }
    SECTION("wrong lengths are rejected") {
        for (std::size_t len : {std::size_t{0}, std::size_t{255}, std::size_t{257}}) {
            CAPTURE(len);
            auto c = pub->raw_encrypt_public(std::vector<std::uint8_t>(len, 1));
            REQUIRE_FALSE(c);
            CHECK_THAT(c.error().message, Catch::Contains("needs exactly 256"));
            CHECK_FALSE(key.raw_decrypt_private(std::vector<std::uint8_t>(len, 1)));
        }
    }
    SECTION("input not below the modulus is rejected") {
        auto c = pub->raw_encrypt_public(std::vector<std::uint8_t>(256, 0xFF));
        REQUIRE_FALSE(c);
        CHECK_THAT(c.error().message, Catch::StartsWith("raw RSA encryption failed"));
        CHECK_FALSE(key.raw_decrypt_private(std::vector<std::uint8_t>(256, 0xFF)));
    }
}

TEST_CASE("obsolete hex forms use e = 0xFFFF") {
    const ObsoleteKey& ok = obsolete_key();
    auto pem_key = RsaKey::parse_private_pem(ok.private_pem);
    REQUIRE(pem_key);

    auto pub = RsaKey::from_public_hex(ok.n_hex);
    REQUIRE(pub);
    CHECK_FALSE(pub->has_private());
    CHECK(pub->modulus_bits() == 1024);
    CHECK(pub->matches(*pem_key));

    SECTION("lowercase and odd-length hex are read like BN_hex2bn") {
        std::string lower = ok.n_hex;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto from_lower = RsaKey::from_public_hex(lower);
        REQUIRE(from_lower);
        CHECK(from_lower->matches(*pem_key));
        // Leading zero digits do not change the number; 257 digits is odd.
        auto odd = RsaKey::from_public_hex("0" + ok.n_hex);
        REQUIRE(odd);
        CHECK(odd->matches(*pem_key));
    }
    SECTION("the same modulus with e = 65537 is a different key") {
        const std::string pem = public_pem_of(key_2048());
        auto same_n = RsaKey::from_public_hex(modulus_hex_of(pem));
        REQUIRE(same_n);
        CHECK(same_n->modulus_bits() == 2048);
        CHECK_FALSE(same_n->matches(key_2048()));
    }
    SECTION("PrivateKey hex decrypts what PublicKey hex encrypts") {
        auto priv = RsaKey::from_private_hex(ok.n_hex, ok.d_hex);
        REQUIRE(priv);
        CHECK(priv->has_private());
        CHECK(priv->matches(*pub));
        const auto s = random_metakey_input(128);
        auto c = pub->raw_encrypt_public(s);
        REQUIRE(c);
        auto back = priv->raw_decrypt_private(*c);
        REQUIRE(back);
        CHECK(back->equals(s));
        // Without prime factors there is no PKCS#1 encoding.
        auto pem = priv->private_pem();
        REQUIRE_FALSE(pem);
        CHECK_THAT(pem.error().message, Catch::Contains("obsolete PrivateKey form"));
        // The public half still encodes.
        CHECK(priv->public_pem());
    }
    SECTION("a PrivateKey that does not belong to the PublicKey is refused") {
        std::string wrong_d = ok.d_hex;
        wrong_d.back() = wrong_d.back() == '1' ? '3' : '1';
        auto priv = RsaKey::from_private_hex(ok.n_hex, wrong_d);
        REQUIRE_FALSE(priv);
        CHECK_THAT(priv.error().message, Catch::StartsWith("PrivateKey does not belong to PublicKey"));
        auto too_big = RsaKey::from_private_hex(ok.n_hex, ok.n_hex);
        REQUIRE_FALSE(too_big);
        CHECK_THAT(too_big.error().message, Catch::Contains("not between 0 and the PublicKey modulus"));
    }
    SECTION("bad hex and bad sizes") {
        struct Row {
            std::string hex;
            std::string message_part;
        };
        const std::vector<Row> rows = {
            {"", "PublicKey modulus is empty"},
            {"12G4", "bad character at position 2"},
            {"FFFF", "too small"},
            {std::string(2050, 'F'), "too large"},  // 8200 bits
            {std::string(40000, 'F'), "too long"},
        };
        for (const auto& row : rows) {
            CAPTURE(row.hex.size());
            auto k = RsaKey::from_public_hex(row.hex);
            REQUIRE_FALSE(k);
            CHECK_THAT(k.error().message, Catch::Contains(row.message_part));
        }
    }
}
