// The AEAD facade: published known-answer vectors through every backend, byte-identical output
// across backends (seal with one, open with the other), tampering, every size up to 64 KiB, and
// no allocation per call.
#include "dataplane/crypto/aead.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/crypto.h>

#include "shared/crypto/hex.hpp"

using namespace sluice::dataplane::crypto;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Counts OpenSSL's own allocations; installed by a static initialiser, before OpenSSL
// allocates anything, as legacy_packet_test does.
std::uint64_t openssl_allocations = 0;
void* counting_malloc(std::size_t n, const char*, int) {
    ++openssl_allocations;
    return std::malloc(n);
}
void* counting_realloc(void* p, std::size_t n, const char*, int) {
    ++openssl_allocations;
    return std::realloc(p, n);
}
void counting_free(void* p, const char*, int) {
    std::free(p);
}
const bool counting_openssl_allocations =
    CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;

Bytes hex(std::string_view text) {
    auto bytes = sluice::crypto::from_hex(text);
    REQUIRE(bytes);
    return *bytes;
}

Bytes text_bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

struct Vector {
    const char* label;
    AeadAlgorithm algorithm;
    Bytes key, nonce, aad, plain, cipher, tag;
};

std::vector<Vector> vectors() {
    return {
        // RFC 8439 section 2.8.2.
        {"RFC 8439 2.8.2", AeadAlgorithm::chacha20_poly1305,
         hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
         hex("070000004041424344454647"), hex("50515253c0c1c2c3c4c5c6c7"),
         text_bytes(
             "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
             "sunscreen would be it."),
         hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728"
             "b"
             "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7b"
             "c"
             "3ff4def08e4b7a9de576d26586cec64b6116"),
         hex("1ae10b594f09e26a7e902ecbd0600691")},
        // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256).
        {"GCM spec test case 16", AeadAlgorithm::aes_256_gcm,
         hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
         hex("cafebabefacedbaddecaf888"), hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
         hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b52"
             "5"
             "b16aedf5aa0de657ba637b39"),
         hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b105682883"
             "8"
             "c5f61e6393ba7a0abcc9f662"),
         hex("76fc6ece0f4e1768cddf8853bb2d551b")},
        // Test case 13: empty plaintext and AAD, all-zero key and nonce.
        {"GCM spec test case 13",
         AeadAlgorithm::aes_256_gcm,
         Bytes(32, 0),
         Bytes(12, 0),
         {},
         {},
         {},
         hex("530f8afbc74536b9a963b4f1c4cb738b")},
    };
}

constexpr std::array<AeadBackend, 2> backends = {AeadBackend::openssl, AeadBackend::libsodium};
constexpr std::array<AeadAlgorithm, 2> algorithms = {AeadAlgorithm::aes_256_gcm,
                                                     AeadAlgorithm::chacha20_poly1305};

Aead make(AeadAlgorithm algorithm, AeadBackend backend, const Bytes& key) {
    auto aead = Aead::create(algorithm, backend, key);
    REQUIRE(aead);
    return std::move(*aead);
}

Aead::Nonce nonce_of(const Bytes& nonce) {
    REQUIRE(nonce.size() == aead_nonce_length);
    return Aead::Nonce(nonce.data(), aead_nonce_length);
}

Bytes pattern(std::size_t size, std::uint8_t seed) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + seed + (i >> 8));
    return out;
}

// Ciphertext || tag.
Bytes seal_copy(Aead& aead, const Bytes& nonce, const Bytes& aad, const Bytes& plain) {
    Bytes out(plain.size() + aead_tag_length);
    std::copy(plain.begin(), plain.end(), out.begin());
    std::span<std::uint8_t> all(out);
    REQUIRE(aead.seal(nonce_of(nonce), aad, all.first(plain.size()),
                      all.subspan(plain.size()).first<aead_tag_length>()));
    return out;
}

// Opens ciphertext || tag; empty optional-like result via ok flag.
bool open_copy(Aead& aead, const Bytes& nonce, const Bytes& aad, Bytes sealed, Bytes* plain = nullptr) {
    if (sealed.size() < aead_tag_length) return false;
    const std::size_t text = sealed.size() - aead_tag_length;
    std::span<std::uint8_t> all(sealed);
    const bool ok = aead.open(nonce_of(nonce), aad, all.first(text),
                              std::span<const std::uint8_t>(all).subspan(text).first<aead_tag_length>());
    if (ok && plain != nullptr)
        *plain = Bytes(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(text));
    return ok;
}

bool runs(AeadAlgorithm algorithm, AeadBackend backend) {
    if (aead_available(algorithm, backend)) return true;
    WARN(name(algorithm) << " is not available through " << name(backend) << " here; not tested");
    return false;
}

}  // namespace

TEST_CASE("aead: published vectors through every backend") {
    for (const Vector& v : vectors()) {
        for (AeadBackend backend : backends) {
            if (!runs(v.algorithm, backend)) continue;
            INFO(v.label << " via " << name(backend));
            Aead aead = make(v.algorithm, backend, v.key);
            Bytes expected = v.cipher;
            expected.insert(expected.end(), v.tag.begin(), v.tag.end());
            CHECK(seal_copy(aead, v.nonce, v.aad, v.plain) == expected);
            Bytes plain;
            REQUIRE(open_copy(aead, v.nonce, v.aad, expected, &plain));
            CHECK(plain == v.plain);
            // Twice more, so a context that kept state from the previous call would show.
            CHECK(seal_copy(aead, v.nonce, v.aad, v.plain) == expected);
            CHECK(open_copy(aead, v.nonce, v.aad, expected));
        }
    }
}

TEST_CASE("aead: sealed by one backend, opened by the other, every size to 64 KiB") {
    std::vector<std::size_t> sizes;
    for (std::size_t s = 0; s <= 80; ++s) sizes.push_back(s);
    for (std::size_t s : {127u, 128u, 129u, 255u, 256u, 1419u, 1420u, 1500u, 4096u, 9000u, 16383u, 65000u,
                          65503u, 65535u, 65536u})
        sizes.push_back(s);
    const Bytes key = pattern(32, 3);
    const Bytes aad = pattern(16, 9);
    for (AeadAlgorithm algorithm : algorithms) {
        if (!runs(algorithm, AeadBackend::openssl) || !runs(algorithm, AeadBackend::libsodium)) continue;
        Aead a = make(algorithm, AeadBackend::openssl, key);
        Aead b = make(algorithm, AeadBackend::libsodium, key);
        std::uint64_t counter = 0;
        for (std::size_t size : sizes) {
            INFO(name(algorithm) << ", " << size << " bytes");
            Bytes nonce(12, 0);
            nonce[11] = static_cast<std::uint8_t>(++counter);
            nonce[10] = static_cast<std::uint8_t>(counter >> 8);
            const Bytes plain = pattern(size, static_cast<std::uint8_t>(size));
            const Bytes by_a = seal_copy(a, nonce, aad, plain);
            const Bytes by_b = seal_copy(b, nonce, aad, plain);
            REQUIRE(by_a == by_b);
            Bytes got;
            REQUIRE(open_copy(b, nonce, aad, by_a, &got));
            CHECK(got == plain);
            REQUIRE(open_copy(a, nonce, aad, by_b, &got));
            CHECK(got == plain);
        }
    }
}

TEST_CASE("aead: tampering is refused by every backend") {
    const Bytes key = pattern(32, 1);
    const Bytes nonce = pattern(12, 2);
    const Bytes aad = pattern(16, 3);
    const Bytes plain = pattern(200, 4);
    for (AeadAlgorithm algorithm : algorithms) {
        for (AeadBackend backend : backends) {
            if (!runs(algorithm, backend)) continue;
            INFO(name(algorithm) << " via " << name(backend));
            Aead aead = make(algorithm, backend, key);
            const Bytes sealed = seal_copy(aead, nonce, aad, plain);
            REQUIRE(open_copy(aead, nonce, aad, sealed));

            SECTION("flipped tag bit") {
                for (std::size_t i = sealed.size() - aead_tag_length; i < sealed.size(); ++i) {
                    Bytes bad = sealed;
                    bad[i] ^= 0x01;
                    CHECK_FALSE(open_copy(aead, nonce, aad, bad));
                }
            }
            SECTION("flipped ciphertext bit") {
                for (std::size_t i : {std::size_t{0}, std::size_t{77}, plain.size() - 1}) {
                    Bytes bad = sealed;
                    bad[i] ^= 0x80;
                    CHECK_FALSE(open_copy(aead, nonce, aad, bad));
                }
            }
            SECTION("changed AAD") {
                for (std::size_t i = 0; i < aad.size(); ++i) {
                    Bytes other = aad;
                    other[i] ^= 0x10;
                    CHECK_FALSE(open_copy(aead, nonce, other, sealed));
                }
                CHECK_FALSE(open_copy(aead, nonce, Bytes(aad.begin(), aad.end() - 1), sealed));
                CHECK_FALSE(open_copy(aead, nonce, {}, sealed));
            }
            SECTION("other nonce") {
                Bytes other = nonce;
                other[11] ^= 1;
                CHECK_FALSE(open_copy(aead, other, aad, sealed));
            }
            SECTION("truncated") {
                CHECK_FALSE(open_copy(aead, nonce, aad, Bytes(sealed.begin(), sealed.end() - 1)));
                CHECK_FALSE(open_copy(aead, nonce, aad, Bytes(sealed.begin() + 1, sealed.end())));
            }
            SECTION("wrong key") {
                Bytes other_key = key;
                other_key[0] ^= 1;
                Aead other = make(algorithm, backend, other_key);
                CHECK_FALSE(open_copy(other, nonce, aad, sealed));
            }
            SECTION("the other algorithm with the same key") {
                const AeadAlgorithm swapped = algorithm == AeadAlgorithm::aes_256_gcm
                                                  ? AeadAlgorithm::chacha20_poly1305
                                                  : AeadAlgorithm::aes_256_gcm;
                if (aead_available(swapped, backend)) {
                    Aead other = make(swapped, backend, key);
                    CHECK_FALSE(open_copy(other, nonce, aad, sealed));
                }
            }
            // A failed open leaves the context usable for the next packet.
            Bytes bad = sealed;
            bad.back() ^= 1;
            CHECK_FALSE(open_copy(aead, nonce, aad, bad));
            CHECK(open_copy(aead, nonce, aad, sealed));
            CHECK(seal_copy(aead, nonce, aad, plain) == sealed);
        }
    }
}

TEST_CASE("aead: one context seals and opens in turn") {
    // EVP switches direction per call on one context; interleaving must not leak state.
    const Bytes key = pattern(32, 5);
    for (AeadAlgorithm algorithm : algorithms) {
        for (AeadBackend backend : backends) {
            if (!runs(algorithm, backend)) continue;
            Aead aead = make(algorithm, backend, key);
            for (std::uint8_t i = 0; i < 20; ++i) {
                const Bytes nonce = pattern(12, i);
                const Bytes plain = pattern(static_cast<std::size_t>(i) * 31, i);
                const Bytes sealed = seal_copy(aead, nonce, {}, plain);
                Bytes got;
                REQUIRE(open_copy(aead, nonce, {}, sealed, &got));
                CHECK(got == plain);
            }
        }
    }
}

TEST_CASE("aead: create refuses bad keys and a moved-from context fails closed") {
    for (AeadAlgorithm algorithm : algorithms) {
        for (AeadBackend backend : backends) {
            if (!runs(algorithm, backend)) continue;
            auto short_key = Aead::create(algorithm, backend, Bytes(31, 1));
            REQUIRE_FALSE(short_key);
            CHECK_THAT(short_key.error().message, Catch::Contains("needs a 32-byte key, not 31"));
            CHECK_FALSE(Aead::create(algorithm, backend, Bytes(33, 1)));

            Aead aead = make(algorithm, backend, Bytes(32, 7));
            Aead moved = std::move(aead);
            const Bytes nonce(12, 0);
            Bytes text(10, 0);
            std::array<std::uint8_t, aead_tag_length> tag{};
            CHECK_FALSE(aead.seal(nonce_of(nonce), {}, text, tag));  // NOLINT(bugprone-use-after-move)
            CHECK_FALSE(aead.open(nonce_of(nonce), {}, text, tag));  // NOLINT(bugprone-use-after-move)
            CHECK(moved.seal(nonce_of(nonce), {}, text, tag));
            CHECK(moved.algorithm() == algorithm);
            CHECK(moved.backend() == backend);
        }
    }
    CHECK_FALSE(Aead::create(static_cast<AeadAlgorithm>(9), AeadBackend::openssl, Bytes(32, 1)));
    CHECK(name(AeadAlgorithm::aes_256_gcm) == "aes-256-gcm");
    CHECK(name(AeadBackend::libsodium) == "libsodium");
}

TEST_CASE("aead: ChaCha20-Poly1305 runs everywhere; libsodium AES-GCM exactly with AES-NI") {
    CHECK(aead_available(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl));
    CHECK(aead_available(AeadAlgorithm::chacha20_poly1305, AeadBackend::libsodium));
    CHECK(aead_available(AeadAlgorithm::aes_256_gcm, AeadBackend::openssl));
    CHECK(aead_available(AeadAlgorithm::aes_256_gcm, AeadBackend::libsodium) == aes_gcm_hardware_available());
}

TEST_CASE("aead: seal and open allocate nothing per call") {
    if (!counting_openssl_allocations) {
        WARN("OpenSSL allocated before the counter was installed; not measured");
        return;
    }
    const Bytes key = pattern(32, 8);
    const Bytes aad = pattern(16, 1);
    for (AeadAlgorithm algorithm : algorithms) {
        for (AeadBackend backend : backends) {
            if (!runs(algorithm, backend)) continue;
            INFO(name(algorithm) << " via " << name(backend));
            Aead aead = make(algorithm, backend, key);
            Bytes nonce(12, 0);
            Bytes text = pattern(1420, 2);
            std::array<std::uint8_t, aead_tag_length> tag{};
            const std::uint64_t before = openssl_allocations;
            for (std::uint8_t i = 0; i < 100; ++i) {
                nonce[11] = i;
                REQUIRE(aead.seal(nonce_of(nonce), aad, text, tag));
                REQUIRE(aead.open(nonce_of(nonce), aad, text, tag));
            }
            CHECK(openssl_allocations == before);
        }
    }
}
