#include "controlplane/meta/metakey.hpp"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "shared/crypto/test_printing.hpp"
#include "tests/support/test_keys.hpp"

using namespace sluice::meta;
using sluice::crypto::DeterministicRandom;
using sluice::crypto::RsaKey;
using sluice::crypto::SystemRandom;
using Bytes = std::vector<std::uint8_t>;

using sluice::testing::public_of;

namespace {

// Pushes data through sender and receiver with independent random chunkings, as TCP may
// split and coalesce segments differently on each side.
void check_stream(MetaCipherStream& sender, MetaCipherStream& receiver, std::uint64_t seed) {
    DeterministicRandom random(seed);
    Bytes plain(4096 + random.uniform(4096));
    random.fill(plain);
    Bytes wire(plain.size()), back(plain.size());
    for (std::size_t at = 0; at < plain.size();) {
        const std::size_t n = std::min<std::size_t>(1 + random.uniform(700), plain.size() - at);
        REQUIRE(sender.apply(std::span(plain).subspan(at, n), std::span(wire).subspan(at, n)));
        at += n;
    }
    CHECK(wire != plain);
    for (std::size_t at = 0; at < wire.size();) {
        const std::size_t n = std::min<std::size_t>(1 + random.uniform(50), wire.size() - at);
        REQUIRE(receiver.apply(std::span(wire).subspan(at, n), std::span(back).subspan(at, n)));
        at += n;
    }
    CHECK(back == plain);
}

// Decrypts with an EVP context set up here, not by the code under test.
Bytes independent_cfb(const EVP_CIPHER* cipher, bool encrypt, std::span<const std::uint8_t> key,
                      std::span<const std::uint8_t> iv, const Bytes& in) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(ctx != nullptr);
    REQUIRE(EVP_CipherInit_ex(ctx, cipher, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) == 1);
    Bytes out(in.size());
    int len = 0;
    REQUIRE(EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) == 1);
    CHECK(static_cast<std::size_t>(len) == in.size());
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

}  // namespace

TEST_CASE("both directions of a meta connection decrypt, 2048 and 1024 bit keys") {
    SystemRandom system;
    struct Pair {
        const RsaKey* a;
        const RsaKey* b;
    };
    const Pair pairs[] = {{&sluice::testing::rsa_key<2048>(), &sluice::testing::rsa_key<1024>()},
                          {&sluice::testing::rsa_key<1024>(), &sluice::testing::rsa_key<2048>()},
                          {&sluice::testing::rsa_key<2048>(), &sluice::testing::rsa_key<2048>()},
                          {&sluice::testing::rsa_key<1024>(), &sluice::testing::rsa_key<1024, 1>()}};
    std::uint64_t seed = 1;
    for (const Pair& pair : pairs) {
        for (std::size_t udp_key_length : {0, 16, 24, 32}) {
            CAPTURE(pair.a->modulus_bits(), pair.b->modulus_bits(), udp_key_length);
            // A -> B with B's public key; B -> A with A's.
            auto a_out = make_metakey(public_of(*pair.b), udp_key_length, system);
            REQUIRE(a_out);
            CHECK(a_out->request.encrypted_key.size() == pair.b->modulus_bytes());
            auto b_out = make_metakey(public_of(*pair.a), udp_key_length, system);
            REQUIRE(b_out);
            CHECK(b_out->request.encrypted_key.size() == pair.a->modulus_bytes());

            auto b_in = accept_metakey(*pair.b, a_out->request);
            REQUIRE(b_in);
            auto a_in = accept_metakey(*pair.a, b_out->request);
            REQUIRE(a_in);
            CHECK(b_in->cipher_nid == a_out->request.cipher_nid);
            CHECK(b_in->digest_nid == NID_sha256);

            check_stream(a_out->outbound, b_in->inbound, seed++);
            check_stream(b_out->outbound, a_in->inbound, seed++);
            // The streams keep going across messages.
            check_stream(a_out->outbound, b_in->inbound, seed++);
        }
    }
}

TEST_CASE("METAKEY fields are what tinc 1.0.36 sends") {
    SystemRandom system;
    struct Row {
        std::size_t udp_key_length;
        int cipher;
    };
    for (const Row row : {Row{32, 429}, Row{24, 425}, Row{16, 421}, Row{0, 421}}) {
        auto out = make_metakey(public_of(sluice::testing::rsa_key<1024>()), row.udp_key_length, system);
        REQUIRE(out);
        CHECK(out->request.cipher_nid == row.cipher);
        CHECK(out->request.digest_nid == 672);
        CHECK(out->request.mac_length == 0);
        CHECK(out->request.compression == 0);
        CHECK(out->outbound.cipher_nid() == row.cipher);
        CHECK(out->outbound.direction() == MetaCipherStream::Direction::encrypt);
    }
}

TEST_CASE("meta key offsets: key is the tail of S, IV the bytes before it") {
    struct Row {
        const RsaKey* key;
        std::size_t iv_at, key_at;  // for aes-256-cfb: IV S[len-48..len-32), key S[len-32..len)
    };
    for (const Row& row :
         {Row{&sluice::testing::rsa_key<2048>(), 208, 224}, Row{&sluice::testing::rsa_key<1024>(), 80, 96}}) {
        const std::size_t len = row.key->modulus_bytes();
        CAPTURE(len);
        // Reproduce S: make_metakey draws exactly len bytes and clears the top bit.
        DeterministicRandom replay(0x5eed);
        Bytes s(len);
        replay.fill(s);
        s[0] &= 0x7F;

        DeterministicRandom random(0x5eed);
        auto out = make_metakey(public_of(*row.key), 32, random);
        REQUIRE(out);
        REQUIRE(out->request.cipher_nid == NID_aes_256_cfb128);

        // The RSA plaintext is S itself (raw RSA, no padding).
        auto decrypted = row.key->raw_decrypt_private(out->request.encrypted_key);
        REQUIRE(decrypted);
        CHECK(decrypted->equals(s));
        CHECK((decrypted->data()[0] & 0x80) == 0);

        const std::span<const std::uint8_t> key = std::span(s).subspan(row.key_at, 32);
        const std::span<const std::uint8_t> iv = std::span(s).subspan(row.iv_at, 16);
        REQUIRE(row.key_at + 32 == len);

        Bytes plain(1000);
        DeterministicRandom(9).fill(plain);
        Bytes wire(plain.size());
        REQUIRE(out->outbound.apply(plain, wire));
        CHECK(independent_cfb(EVP_aes_256_cfb128(), false, key, iv, wire) == plain);

        // And the receiver uses the same offsets on its side.
        auto in = accept_metakey(*row.key, out->request);
        REQUIRE(in);
        const Bytes foreign = independent_cfb(EVP_aes_256_cfb128(), true, key, iv, plain);
        Bytes back(foreign.size());
        REQUIRE(in->inbound.apply(foreign, back));
        CHECK(back == plain);
    }
}

TEST_CASE("the receiver uses the cipher the peer named") {
    // A METAKEY built by hand, naming aes-256-ofb: any stream mode OpenSSL has is accepted.
    DeterministicRandom random(3);
    Bytes s(sluice::testing::rsa_key<1024>().modulus_bytes());
    random.fill(s);
    s[0] &= 0x7F;
    auto encrypted = public_of(sluice::testing::rsa_key<1024>()).raw_encrypt_public(s);
    REQUIRE(encrypted);
    sluice::protocol::MetakeyRequest request{.cipher_nid = NID_aes_256_ofb128,
                                             .digest_nid = NID_sha1,
                                             .mac_length = 20,
                                             .compression = 99,  // ignored, as by tinc
                                             .encrypted_key = *encrypted};
    auto in = accept_metakey(sluice::testing::rsa_key<1024>(), request);
    REQUIRE(in);
    CHECK(in->cipher_nid == NID_aes_256_ofb128);
    CHECK(in->digest_nid == NID_sha1);  // reply to this peer's challenge with sha1
    CHECK(in->mac_length == 20);
    CHECK(in->compression == 99);
    Bytes plain(300, 0x42);
    const Bytes wire = independent_cfb(EVP_aes_256_ofb(), true, std::span(s).last(32),
                                       std::span(s).subspan(s.size() - 48, 16), plain);
    Bytes back(wire.size());
    REQUIRE(in->inbound.apply(wire, back));
    CHECK(back == plain);
}

TEST_CASE("a METAKEY for another key decrypts to garbage, not to an error") {
    // Raw RSA cannot tell; the CHALLENGE is what catches an impostor.
    SystemRandom system;
    auto out = make_metakey(public_of(sluice::testing::rsa_key<1024, 1>()), 32, system);
    REQUIRE(out);
    auto in = accept_metakey(sluice::testing::rsa_key<1024>(), out->request);
    if (!in) {
        // Possible when the ciphertext is not below key_1024's modulus.
        CHECK_THAT(in.error().message, Catch::StartsWith("cannot decrypt meta key"));
        return;
    }
    Bytes plain(64, 0x41), wire(64), back(64);
    REQUIRE(out->outbound.apply(plain, wire));
    REQUIRE(in->inbound.apply(wire, back));
    CHECK(back != plain);
}

TEST_CASE("accept_metakey rejects every bad METAKEY with its own reason") {
    SystemRandom system;
    auto good = make_metakey(public_of(sluice::testing::rsa_key<2048>()), 32, system);
    REQUIRE(good);
    const sluice::protocol::MetakeyRequest base = good->request;
    REQUIRE(accept_metakey(sluice::testing::rsa_key<2048>(), base));

    struct Row {
        const char* what;
        sluice::protocol::MetakeyRequest request;
        std::string reason;
    };
    std::vector<Row> rows;
    auto with = [&](const char* what, auto change, std::string reason) {
        sluice::protocol::MetakeyRequest r = base;
        change(r);
        rows.push_back({what, std::move(r), std::move(reason)});
    };
    using Req = sluice::protocol::MetakeyRequest;
    with(
        "short key", [](Req& r) { r.encrypted_key.resize(128); },
        "wrong keylength: got 128 bytes, expected 256");
    with(
        "long key", [](Req& r) { r.encrypted_key.push_back(0); },
        "wrong keylength: got 257 bytes, expected 256");
    with(
        "empty key", [](Req& r) { r.encrypted_key.clear(); }, "wrong keylength: got 0 bytes, expected 256");
    with(
        "null cipher", [](Req& r) { r.cipher_nid = 0; }, "uses null cipher");
    with(
        "unknown cipher", [](Req& r) { r.cipher_nid = 31337; }, "unknown cipher NID 31337");
    with(
        "negative cipher", [](Req& r) { r.cipher_nid = -429; }, "unknown cipher NID -429");
    with(
        "digest as cipher", [](Req& r) { r.cipher_nid = 672; }, "unknown cipher NID 672");
    with(
        "block mode", [](Req& r) { r.cipher_nid = NID_aes_256_cbc; },
        "cipher aes-256-cbc (NID 427) is not a stream mode; the meta connection needs one such as "
        "aes-256-cfb");
    with(
        "null digest", [](Req& r) { r.digest_nid = 0; }, "uses null digest");
    with(
        "unknown digest", [](Req& r) { r.digest_nid = 429; }, "unknown digest NID 429");
    with(
        "negative maclength", [](Req& r) { r.mac_length = -1; }, "maclength -1 out of range 0..32");
    with(
        "long maclength", [](Req& r) { r.mac_length = 33; }, "maclength 33 out of range 0..32");
    with(
        "sha1 maclength", [](Req& r) { r.digest_nid = NID_sha1, r.mac_length = 21; },
        "maclength 21 out of range 0..20");
    with(
        "key above the modulus", [](Req& r) { std::ranges::fill(r.encrypted_key, 0xFF); },
        "cannot decrypt meta key: ");
    for (const Row& row : rows) {
        CAPTURE(row.what);
        auto in = accept_metakey(sluice::testing::rsa_key<2048>(), row.request);
        REQUIRE_FALSE(in);
        CHECK_THAT(in.error().message, Catch::StartsWith(row.reason));
    }

    // The pre-1.0.30 meta cipher bf-ofb (NID 94) under OpenSSL 3 without the legacy provider.
    sluice::protocol::MetakeyRequest old = base;
    old.cipher_nid = NID_bf_ofb64;
    old.digest_nid = NID_sha1;
    auto in = accept_metakey(sluice::testing::rsa_key<2048>(), old);
    if (EVP_CIPHER* bf = EVP_CIPHER_fetch(nullptr, "BF-OFB", nullptr)) {
        EVP_CIPHER_free(bf);
        CHECK(in);
    } else {
        REQUIRE_FALSE(in);
        CHECK_THAT(in.error().message, Catch::Contains("bf-ofb (NID 94) needs OpenSSL's legacy provider") &&
                                           Catch::EndsWith("upgrade that peer)"));
    }

    // Decrypting needs the private key.
    auto public_only = accept_metakey(public_of(sluice::testing::rsa_key<2048>()), base);
    REQUIRE_FALSE(public_only);
    CHECK_THAT(public_only.error().message, Catch::StartsWith("cannot decrypt meta key"));

    // Boundary values that are accepted.
    for (int mac_length : {0, 32}) {
        sluice::protocol::MetakeyRequest ok = base;
        ok.mac_length = mac_length;
        CHECK(accept_metakey(sluice::testing::rsa_key<2048>(), ok));
    }
}
