#include "controlplane/meta/challenge.hpp"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include "controlplane/meta/metakey.hpp"
#include "shared/crypto/test_printing.hpp"
#include "tests/support/test_keys.hpp"

using namespace sluice::meta;
using sluice::crypto::DeterministicRandom;
using sluice::crypto::RsaKey;
using Bytes = std::vector<std::uint8_t>;

using sluice::testing::public_of;

namespace {

Bytes sha256_oneshot(const Bytes& data) {
    Bytes out(SHA256_DIGEST_LENGTH);
    SHA256(data.data(), data.size(), out.data());
    return out;
}

Bytes sha1_oneshot(const Bytes& data) {
    Bytes out(SHA_DIGEST_LENGTH);
    SHA1(data.data(), data.size(), out.data());
    return out;
}

// Sends bytes through an outbound stream and receives them through the matching inbound one.
Bytes carry(MetaCipherStream& out, MetaCipherStream& in, const Bytes& data) {
    Bytes wire(data.size()), back(data.size());
    REQUIRE(out.apply(data, wire));
    REQUIRE(in.apply(wire, back));
    return back;
}

}  // namespace

TEST_CASE("challenges are random bytes of the requested length") {
    DeterministicRandom r1(1), r2(1), r3(2);
    const Bytes a = make_challenge(256, r1);
    CHECK(a.size() == 256);
    CHECK(make_challenge(256, r2) == a);
    CHECK(make_challenge(256, r3) != a);
    CHECK(make_challenge(128, r1).size() == 128);
}

TEST_CASE("a received challenge must match our own modulus size") {
    const Bytes challenge(256);
    CHECK(check_challenge_length(challenge, 256));
    auto short_one = check_challenge_length(std::span(challenge).first(128), 256);
    REQUIRE_FALSE(short_one);
    CHECK(short_one.error().message == "wrong challenge length: got 128 bytes, expected 256");
    auto long_one = check_challenge_length(challenge, 128);
    REQUIRE_FALSE(long_one);
    CHECK(long_one.error().message == "wrong challenge length: got 256 bytes, expected 128");
}

TEST_CASE("the reply is the digest of the challenge (checked against OpenSSL's one-shot)") {
    DeterministicRandom random(42);
    for (std::size_t len : {0, 1, 64, 128, 256, 512}) {
        CAPTURE(len);
        const Bytes challenge = make_challenge(len, random);
        auto sha256 = reply_digest(NID_sha256, challenge);
        REQUIRE(sha256);
        CHECK(*sha256 == sha256_oneshot(challenge));
        auto sha1 = reply_digest(NID_sha1, challenge);
        REQUIRE(sha1);
        CHECK(*sha1 == sha1_oneshot(challenge));
    }
    auto none = reply_digest(0, Bytes(256));
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "cannot answer a challenge with the null digest");
    auto unknown = reply_digest(4242, Bytes(256));
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown digest NID 4242");
}

TEST_CASE("verify_reply accepts the right reply and nothing else") {
    DeterministicRandom random(5);
    const Bytes challenge = make_challenge(256, random);
    const Bytes reply = sha256_oneshot(challenge);
    CHECK(verify_reply(NID_sha256, challenge, reply));

    for (std::size_t len : {0, 20, 31, 33, 64}) {
        CAPTURE(len);
        Bytes wrong_length = reply;
        wrong_length.resize(len);
        auto result = verify_reply(NID_sha256, challenge, wrong_length);
        REQUIRE_FALSE(result);
        CHECK(result.error().message ==
              "wrong challenge reply length: got " + std::to_string(len) + " bytes, expected 32");
    }
    for (std::size_t at : {0, 1, 15, 31}) {
        CAPTURE(at);
        Bytes flipped = reply;
        flipped[at] ^= 0x01;
        auto result = verify_reply(NID_sha256, challenge, flipped);
        REQUIRE_FALSE(result);
        CHECK(result.error().message == "wrong challenge reply");
    }
    // The digest of some other challenge.
    Bytes other = challenge;
    other[100] ^= 0x80;
    auto result = verify_reply(NID_sha256, challenge, sha256_oneshot(other));
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "wrong challenge reply");
    // A sha1 reply where sha256 was asked for fails on length.
    CHECK_FALSE(verify_reply(NID_sha256, challenge, sha1_oneshot(challenge)));
    CHECK_FALSE(verify_reply(0, challenge, reply));
}

TEST_CASE("handshake transcript: each reply uses the challenger's METAKEY digest") {
    // A names sha1 in its METAKEY (as a pre-1.0.30 tinc would), B names sha256. So B must
    // answer A's challenge with sha1, and A must answer B's with sha256.
    DeterministicRandom random(77);
    auto a_out = make_metakey(public_of(sluice::testing::rsa_key<2048>()), 32, random);
    REQUIRE(a_out);
    a_out->request.digest_nid = NID_sha1;
    auto b_out = make_metakey(public_of(sluice::testing::rsa_key<1024>()), 32, random);
    REQUIRE(b_out);
    REQUIRE(b_out->request.digest_nid == own_meta_digest_nid);

    auto b_in = accept_metakey(sluice::testing::rsa_key<2048>(), a_out->request);
    REQUIRE(b_in);
    auto a_in = accept_metakey(sluice::testing::rsa_key<1024>(), b_out->request);
    REQUIRE(a_in);

    // Challenges are sized to the receiver's modulus and travel encrypted.
    const Bytes a_challenge = make_challenge(sluice::testing::rsa_key<2048>().modulus_bytes(), random);
    const Bytes b_challenge = make_challenge(sluice::testing::rsa_key<1024>().modulus_bytes(), random);
    const Bytes at_b = carry(a_out->outbound, b_in->inbound, a_challenge);
    const Bytes at_a = carry(b_out->outbound, a_in->inbound, b_challenge);
    REQUIRE(check_challenge_length(at_b, sluice::testing::rsa_key<2048>().modulus_bytes()));
    REQUIRE(check_challenge_length(at_a, sluice::testing::rsa_key<1024>().modulus_bytes()));

    // Replies: with the digest from the challenger's METAKEY, as accept_metakey reports it.
    auto b_reply = reply_digest(b_in->digest_nid, at_b);
    REQUIRE(b_reply);
    CHECK(b_reply->size() == 20);
    auto a_reply = reply_digest(a_in->digest_nid, at_a);
    REQUIRE(a_reply);
    CHECK(a_reply->size() == 32);

    // Verification: with the digest each side named in its OWN METAKEY.
    CHECK(verify_reply(a_out->request.digest_nid, a_challenge,
                       carry(b_out->outbound, a_in->inbound, *b_reply)));
    CHECK(verify_reply(b_out->request.digest_nid, b_challenge,
                       carry(a_out->outbound, b_in->inbound, *a_reply)));

    // Using the wrong side's digest fails.
    CHECK_FALSE(verify_reply(b_out->request.digest_nid, a_challenge, *b_reply));
}
