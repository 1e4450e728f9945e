// The key-exchange primitives against published vectors (RFC 5869 HKDF, RFC 7748 X25519),
// the refusal of low-order X25519 keys, and the direction/lane structure of the derived keys.
#include "controlplane/native/kx_kdf.hpp"

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/crypto/hex.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::native;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes hex(std::string_view text) {
    auto bytes = sluice::crypto::from_hex(text);
    REQUIRE(bytes);
    return *bytes;
}

Bytes bytes_of(std::span<const std::uint8_t> span) {
    return {span.begin(), span.end()};
}

X25519Public public_of(std::string_view text) {
    const Bytes b = hex(text);
    REQUIRE(b.size() == 32);
    X25519Public out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
}

}  // namespace

TEST_CASE("HKDF-SHA-256 matches RFC 5869") {
    struct Case {
        const char* label;
        Bytes ikm, salt, info;
        std::size_t length;
        Bytes prk, okm;
    };
    const Case cases[] = {
        {"test case 1", Bytes(22, 0x0b), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42,
         hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"),
         hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")},
        {"test case 3 (no salt, no info)",
         Bytes(22, 0x0b),
         {},
         {},
         42,
         hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"),
         hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")},
    };
    for (const Case& c : cases) {
        INFO(c.label);
        const auto prk = hkdf_extract(c.salt, c.ikm);
        CHECK(bytes_of(prk.span()) == c.prk);
        const auto okm = hkdf_expand(prk.span(), c.info, c.length);
        CHECK(bytes_of(okm.span()) == c.okm);
        // Shorter outputs are prefixes (the first block is the 32-byte lane-key case).
        CHECK(bytes_of(hkdf_expand(prk.span(), c.info, 32).span()) ==
              Bytes(c.okm.begin(), c.okm.begin() + 32));
    }
}

TEST_CASE("X25519 matches RFC 7748 section 6.1") {
    const Bytes alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const Bytes bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const X25519Public alice_public = x25519_public(alice);
    const X25519Public bob_public = x25519_public(bob);
    CHECK(alice_public == public_of("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    CHECK(bob_public == public_of("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
    auto one = x25519_shared(alice, bob_public);
    auto two = x25519_shared(bob, alice_public);
    REQUIRE(one);
    REQUIRE(two);
    const Bytes expected = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK(bytes_of(one->span()) == expected);
    CHECK(bytes_of(two->span()) == expected);
}

TEST_CASE("low-order X25519 public keys are refused") {
    const Bytes secret = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    // The points of order 1, 2, 4 and 8 (and their non-canonical encodings) on Curve25519:
    // each makes the shared secret all zero, whatever our secret.
    for (const char* point : {
             "0000000000000000000000000000000000000000000000000000000000000000",
             "0100000000000000000000000000000000000000000000000000000000000000",
             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
             "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
             "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
             "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
         }) {
        INFO(point);
        auto shared = x25519_shared(secret, public_of(point));
        REQUIRE_FALSE(shared);
        CHECK_THAT(shared.error().message, Catch::Contains("low-order X25519 public key"));
    }
}

TEST_CASE("derived keys: one per direction and lane, mirrored between the two roles") {
    const Bytes shared(32, 0x42);
    KxHash transcript{};
    transcript.fill(0x17);
    const NativeKeys initiator = derive_native_keys({.role = KxRole::initiator,
                                                     .suite = Suite::aes_256_gcm,
                                                     .local_index = 11,
                                                     .remote_index = 22,
                                                     .local_lanes = 3,
                                                     .remote_lanes = 2},
                                                    shared, transcript);
    const NativeKeys responder = derive_native_keys({.role = KxRole::responder,
                                                     .suite = Suite::aes_256_gcm,
                                                     .local_index = 22,
                                                     .remote_index = 11,
                                                     .local_lanes = 2,
                                                     .remote_lanes = 3},
                                                    shared, transcript);
    REQUIRE(initiator.send_keys.size() == 3);
    REQUIRE(initiator.receive_keys.size() == 2);
    REQUIRE(responder.send_keys.size() == 2);
    REQUIRE(responder.receive_keys.size() == 3);
    std::set<Bytes> distinct;
    for (std::size_t lane = 0; lane < 3; ++lane) {
        CHECK(initiator.send_keys[lane].equals(responder.receive_keys[lane].span()));
        distinct.insert(bytes_of(initiator.send_keys[lane].span()));
    }
    for (std::size_t lane = 0; lane < 2; ++lane) {
        CHECK(responder.send_keys[lane].equals(initiator.receive_keys[lane].span()));
        distinct.insert(bytes_of(responder.send_keys[lane].span()));
    }
    CHECK(distinct.size() == 5);  // no two (direction, lane) pairs share a key

    // The key is HKDF-Expand(PRK, "sluice v1" || direction || lane_be16, 32), byte for byte.
    const auto prk = hkdf_extract(transcript, shared);
    Bytes info = {'s', 'l', 'u', 'i', 'c', 'e', ' ', 'v', '1', 0x02, 0x00, 0x01};
    CHECK(bytes_of(hkdf_expand(prk.span(), info, 32).span()) == bytes_of(responder.send_keys[1].span()));

    // Another transcript gives other keys.
    KxHash other = transcript;
    other[0] ^= 1;
    const NativeKeys changed = derive_native_keys({.role = KxRole::initiator,
                                                   .suite = Suite::aes_256_gcm,
                                                   .local_index = 11,
                                                   .remote_index = 22,
                                                   .local_lanes = 3,
                                                   .remote_lanes = 2},
                                                  shared, other);
    CHECK_FALSE(changed.send_keys[0].equals(initiator.send_keys[0].span()));
}
