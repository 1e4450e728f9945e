// The AEAD facade of sluice's native packets: AES-256-GCM or ChaCha20-Poly1305 (IETF, 12-byte
// nonce, 16-byte tag), each through one of two backends, OpenSSL's EVP or libsodium.
//
// Why two backends: neither library is fastest everywhere, and the choice is local (it never
// reaches the wire; aead_test pins that both produce byte-identical output, so a node may
// switch backends between sessions). bench/aead.cpp measures them side by side. On the
// reference machine (AMD EPYC Zen 5, OpenSSL 3.0, libsodium 1.0.18), at 1420-byte packets
// OpenSSL's EVP is about 2x libsodium for ChaCha20-Poly1305 (libsodium 1.0.18 has no AVX-512
// path) and 2.5x for AES-256-GCM (VAES); at 64-byte packets the two are even, because EVP's
// per-call re-initialisation costs about as much as the crypto. OpenSSL is the better
// default there; libsodium stays as the fallback and the cross-check.
//
// Hot path: a context is made once per key (allocation allowed there); seal() and open() are
// noexcept, work in place on the caller's bytes, allocate nothing, never throw or log, and
// report failure as false. The OpenSSL context keeps its key schedule and only the nonce is
// set per call; the libsodium AES-GCM context keeps the `_beforenm` expanded key.
//
// Threading: a context is mutable (EVP keeps per-call state in it), so one context belongs to
// one thread. sluice makes one per (session, direction, lane), which is owned by one worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "shared/crypto/openssl_ptr.hpp"
#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane::crypto {

// The numeric values are the native protocol's suite identifiers (docs/protocol.md), so the
// data-plane glue can map controlplane/native's Suite without a table.
enum class AeadAlgorithm : std::uint8_t {
    aes_256_gcm = 1,
    chacha20_poly1305 = 2,
};

enum class AeadBackend : std::uint8_t {
    openssl,
    libsodium,
};

inline constexpr std::size_t aead_key_length = 32;
inline constexpr std::size_t aead_nonce_length = 12;
inline constexpr std::size_t aead_tag_length = 16;
// Far above any datagram or super-frame (64 KiB); keeps every length handed to OpenSSL, which
// counts in int, and to libsodium's per-message limits comfortably in range.
inline constexpr std::size_t aead_max_text = std::size_t{1} << 24;
inline constexpr std::size_t aead_max_aad = std::size_t{1} << 16;

[[nodiscard]] std::string_view name(AeadAlgorithm algorithm) noexcept;
[[nodiscard]] std::string_view name(AeadBackend backend) noexcept;

// Whether this process can run `algorithm` through `backend`. libsodium's AES-256-GCM needs
// AES-NI and PCLMUL (crypto_aead_aes256gcm_is_available); OpenSSL runs both everywhere its
// providers load.
[[nodiscard]] bool aead_available(AeadAlgorithm algorithm, AeadBackend backend);

// Whether AES-256-GCM is the fast and constant-time choice on this CPU: the native protocol's
// suite test (AES-NI and PCLMUL present), independent of the backend.
[[nodiscard]] bool aes_gcm_hardware_available();

class Aead {
public:
    using Nonce = std::span<const std::uint8_t, aead_nonce_length>;

    // Not the hot path: fetches the algorithm and expands the key once. `key` is 32 bytes;
    // it is copied into the backend's state, the caller keeps (and wipes) its own.
    [[nodiscard]] static Result<Aead> create(AeadAlgorithm algorithm, AeadBackend backend,
                                             std::span<const std::uint8_t> key);

    Aead(Aead&&) noexcept;
    Aead& operator=(Aead&&) noexcept;
    Aead(const Aead&) = delete;
    Aead& operator=(const Aead&) = delete;
    ~Aead();

    // Encrypts `text` in place and writes the 16-byte tag to `tag`, which must not overlap
    // `text` or `aad`. False only on a broken context (moved-from) or lengths above the
    // limits; never for the caller's data otherwise.
    [[nodiscard]] bool seal(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                            std::span<std::uint8_t, aead_tag_length> tag) noexcept;

    // Authenticates and decrypts `text` in place. False on a tag mismatch (wrong key,
    // tampering) and on the failures seal() has. After false the contents of `text` are
    // unspecified (EVP decrypts before it checks the tag): the caller drops the packet.
    [[nodiscard]] bool open(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                            std::span<const std::uint8_t, aead_tag_length> tag) noexcept;

    [[nodiscard]] AeadAlgorithm algorithm() const noexcept { return algorithm_; }
    [[nodiscard]] AeadBackend backend() const noexcept { return backend_; }

private:
    struct SodiumAesState;  // libsodium's 16-byte-aligned, 512-byte precomputed AES-GCM key
    struct SodiumAesStateDeleter {
        void operator()(SodiumAesState* state) const noexcept;
    };

    Aead(AeadAlgorithm algorithm, AeadBackend backend) noexcept : algorithm_(algorithm), backend_(backend) {}

    [[nodiscard]] bool evp_crypt(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                                 std::uint8_t* tag, bool encrypt) noexcept;

    AeadAlgorithm algorithm_;
    AeadBackend backend_;
    // Exactly one of these is set, per backend and algorithm; all empty after a move, which
    // makes seal() and open() fail closed.
    sluice::crypto::EvpCipherCtxPtr evp_;                         // OpenSSL, both algorithms
    std::unique_ptr<SodiumAesState, SodiumAesStateDeleter> aes_;  // libsodium AES-256-GCM
    sluice::crypto::SecretBuffer chacha_key_;                     // libsodium ChaCha20-Poly1305
};

}  // namespace sluice::dataplane::crypto
