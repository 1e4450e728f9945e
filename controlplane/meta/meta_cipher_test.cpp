#include "controlplane/meta/meta_cipher.hpp"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/obj_mac.h>

#include "controlplane/meta/algorithms.hpp"
#include "shared/crypto/hex.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice::meta;
using sluice::crypto::DeterministicRandom;
using Direction = MetaCipherStream::Direction;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes hex(std::string_view text) {
    auto bytes = sluice::crypto::from_hex(text);
    REQUIRE(bytes);
    return *bytes;
}

// NIST SP 800-38A, F.3.17 CFB128-AES256.Encrypt (F.3.18 is the same vector decrypted).
const char* const kKey = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const char* const kIv = "000102030405060708090a0b0c0d0e0f";
const char* const kPlain =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const char* const kCipher =
    "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407b"
    "df10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471";

MetaCipherStream nist_stream(Direction direction) {
    auto stream = MetaCipherStream::create(NID_aes_256_cfb128, direction, hex(kKey), hex(kIv));
    REQUIRE(stream);
    return std::move(*stream);
}

// Runs data through the stream in chunks of 1..max_chunk bytes (including empty ones).
Bytes apply_chunked(MetaCipherStream& stream, const Bytes& data, std::uint64_t seed,
                    std::uint32_t max_chunk) {
    DeterministicRandom random(seed);
    Bytes out(data.size());
    std::size_t at = 0;
    while (at < data.size()) {
        const std::size_t n = std::min<std::size_t>(random.uniform(max_chunk + 1), data.size() - at);
        REQUIRE(stream.apply(std::span(data).subspan(at, n), std::span(out).subspan(at, n)));
        at += n;
    }
    return out;
}

}  // namespace

TEST_CASE("the meta stream is standard CFB-128 (NIST SP 800-38A F.3.17/F.3.18)") {
    const Bytes plain = hex(kPlain);
    const Bytes cipher = hex(kCipher);

    SECTION("one call") {
        auto enc = nist_stream(Direction::encrypt);
        Bytes out(plain.size());
        REQUIRE(enc.apply(plain, out));
        CHECK(out == cipher);
        auto dec = nist_stream(Direction::decrypt);
        REQUIRE(dec.apply(cipher, out));
        CHECK(out == plain);
    }
    SECTION("byte by byte, the stream carries over between calls") {
        auto enc = nist_stream(Direction::encrypt);
        CHECK(apply_chunked(enc, plain, 1, 1) == cipher);
        auto dec = nist_stream(Direction::decrypt);
        CHECK(apply_chunked(dec, cipher, 2, 1) == plain);
    }
    SECTION("in place") {
        auto enc = nist_stream(Direction::encrypt);
        Bytes buffer = plain;
        REQUIRE(enc.apply(std::span(buffer).first(5), std::span(buffer).first(5)));
        REQUIRE(enc.apply(std::span(buffer).subspan(5), std::span(buffer).subspan(5)));
        CHECK(buffer == cipher);
    }
}

TEST_CASE("random chunkings give the same stream") {
    DeterministicRandom random(7);
    Bytes plain(5000);
    random.fill(plain);
    auto whole = nist_stream(Direction::encrypt);
    Bytes expected(plain.size());
    REQUIRE(whole.apply(plain, expected));
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        auto enc = nist_stream(Direction::encrypt);
        const Bytes cipher = apply_chunked(enc, plain, seed, 1 + static_cast<std::uint32_t>(seed * 37));
        CHECK(cipher == expected);
        auto dec = nist_stream(Direction::decrypt);
        CHECK(apply_chunked(dec, cipher, seed + 100, 300) == plain);
    }
}

TEST_CASE("the byte budget arithmetic matches tinc's byte_budget") {
    CHECK(meta_byte_budget(1, 16) == (std::uint64_t{1} << 63));   // AES-CFB: IV length decides
    CHECK(meta_byte_budget(16, 16) == (std::uint64_t{1} << 63));  // AES-CBC
    CHECK(meta_byte_budget(8, 8) == (std::uint64_t{1} << 31));    // Blowfish/3DES CBC: Sweet32
    CHECK(meta_byte_budget(1, 8) == (std::uint64_t{1} << 31));    // bf-ofb, des-ede3-cfb
    CHECK(meta_byte_budget(1, 0) == (std::uint64_t{1} << 31));    // stream cipher without IV: 8
    CHECK(meta_byte_budget(1, 1) == (std::uint64_t{1} << 31));
    CHECK(meta_byte_budget(0, 0) == (std::uint64_t{1} << 31));
    CHECK(meta_byte_budget(4, 4) == (std::uint64_t{1} << 15));
    CHECK(meta_byte_budget(17, 0) == UINT64_MAX);
    CHECK(meta_byte_budget(1, 32) == UINT64_MAX);
}

TEST_CASE("streams start with tinc's budget for their cipher") {
    CHECK(nist_stream(Direction::encrypt).bytes_remaining() == (std::uint64_t{1} << 63));
    // A 64-bit-block stream mode the default provider still has.
    auto info = cipher_by_nid(NID_des_ede3_cfb64);
    if (!info) {
        WARN("des-ede3-cfb is not usable here: " << info.error().message);
        return;
    }
    const Bytes key(info->key_length, 0x11), iv(info->iv_length, 0x22);
    auto stream = MetaCipherStream::create(NID_des_ede3_cfb64, Direction::encrypt, key, iv);
    REQUIRE(stream);
    CHECK(stream->bytes_remaining() == (std::uint64_t{1} << 31));
}

TEST_CASE("the byte limit is enforced") {
    auto stream = nist_stream(Direction::encrypt);
    stream.lower_byte_limit(100);
    stream.lower_byte_limit(1000);  // never raises it
    CHECK(stream.bytes_remaining() == 100);
    Bytes buffer(100);
    REQUIRE(stream.apply(std::span(buffer).first(60), std::span(buffer).first(60)));
    CHECK(stream.bytes_remaining() == 40);
    REQUIRE(stream.apply(std::span(buffer).first(40), std::span(buffer).first(40)));  // exactly at the limit
    CHECK(stream.bytes_remaining() == 0);
    REQUIRE(stream.apply({}, {}));
    auto over = stream.apply(std::span(buffer).first(1), std::span(buffer).first(1));
    REQUIRE_FALSE(over);
    CHECK_THAT(over.error().message, Catch::StartsWith("byte limit exceeded"));
    // Dead from now on: the connection must close.
    auto after = stream.apply({}, {});
    REQUIRE_FALSE(after);
    CHECK_THAT(after.error().message, Catch::Contains("earlier failure"));
}

TEST_CASE("an oversized chunk is refused before anything is processed") {
    auto stream = nist_stream(Direction::encrypt);
    stream.lower_byte_limit(10);
    Bytes in(11, 0xAA), out(11, 0x55);
    auto result = stream.apply(in, out);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("11 more bytes, only 10 left"));
    CHECK(out == Bytes(11, 0x55));
}

TEST_CASE("stream creation is refused for bad parameters") {
    const Bytes key32(32), iv16(16);
    struct Row {
        int nid;
        std::size_t key, iv;
        const char* reason;
    };
    const Row rows[] = {
        {0, 32, 16, "the meta connection cannot run without a cipher"},
        {4242, 32, 16, "unknown cipher NID 4242"},
        {NID_aes_256_cbc, 32, 16, "cipher aes-256-cbc (NID 427) is not a stream mode"},
        {NID_aes_256_gcm, 32, 12, "cipher aes-256-gcm (NID 901) is not a stream mode"},
        {NID_aes_256_cfb128, 31, 16, "cipher aes-256-cfb needs a 32-byte key and 16-byte IV, got 31 and 16"},
        {NID_aes_256_cfb128, 32, 15, "cipher aes-256-cfb needs a 32-byte key and 16-byte IV, got 32 and 15"},
        {NID_aes_128_cfb128, 32, 16, "cipher aes-128-cfb needs a 16-byte key and 16-byte IV, got 32 and 16"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.nid, row.key, row.iv);
        const Bytes key(row.key), iv(row.iv);
        auto stream = MetaCipherStream::create(row.nid, Direction::encrypt, key, iv);
        REQUIRE_FALSE(stream);
        CHECK_THAT(stream.error().message, Catch::StartsWith(row.reason));
    }
}

TEST_CASE("apply refuses mismatched and partly overlapping buffers") {
    auto stream = nist_stream(Direction::encrypt);
    Bytes buffer(64);
    auto mismatch = stream.apply(std::span(buffer).first(10), std::span(buffer).subspan(20, 11));
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().message == "meta cipher output is 11 bytes for 10 bytes of input");

    auto other = nist_stream(Direction::encrypt);
    auto overlap = other.apply(std::span(buffer).first(16), std::span(buffer).subspan(8, 16));
    REQUIRE_FALSE(overlap);
    CHECK(overlap.error().message == "meta cipher input and output partly overlap");
}

TEST_CASE("the two directions are different transforms, and streams move") {
    const Bytes plain = hex(kPlain);
    auto dec = nist_stream(Direction::decrypt);
    Bytes out(plain.size());
    REQUIRE(dec.apply(plain, out));
    CHECK(out != hex(kCipher));  // CFB decryption feeds back the input, not the output

    auto first = nist_stream(Direction::encrypt);
    REQUIRE(first.apply(std::span(plain).first(16), std::span(out).first(16)));
    MetaCipherStream second = std::move(first);
    CHECK(second.cipher_nid() == NID_aes_256_cfb128);
    CHECK(second.direction() == Direction::encrypt);
    REQUIRE(second.apply(std::span(plain).subspan(16), std::span(out).subspan(16)));
    CHECK(out == hex(kCipher));
    auto moved_from =
        first.apply(std::span(plain).first(1), std::span(out).first(1));  // NOLINT(bugprone-use-after-move)
    REQUIRE_FALSE(moved_from);
}
