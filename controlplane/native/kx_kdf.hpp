// Key derivation of sluice's native key exchange (docs/protocol.md, "Keys"):
//
//   shared  = X25519(own ephemeral secret, peer's ephemeral public)     refused if all zero
//   salt    = SHA-256("sluice-kx1 transcript" || len(I) || I || len(R) || R || INIT || RESP)
//   PRK     = HKDF-Extract(salt, shared)                                  (RFC 5869, SHA-256)
//   key(d, lane) = HKDF-Expand(PRK, "sluice v1" || d || lane_be16, 32)
//   d = 0x01 for initiator -> responder, 0x02 for responder -> initiator; lane = the SENDER's
//
// HKDF is built here on libsodium's HMAC-SHA-256 rather than OpenSSL's EVP_KDF: the rest of
// the exchange (X25519, Ed25519, SHA-256) is libsodium already, the construction is two HMAC
// calls for a 32-byte output, every intermediate stays in a wiping SecretBuffer, and no
// provider lookup or configuration (a FIPS provider without HKDF, say) can make it fail at
// run time. kx_kdf_test checks it against RFC 5869's test vectors.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "controlplane/native/kx_message.hpp"
#include "controlplane/native/native_keys.hpp"
#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::native {

inline constexpr std::string_view transcript_label = "sluice-kx1 transcript";
inline constexpr std::string_view key_info_label = "sluice v1";

enum class KxDirection : std::uint8_t {
    initiator_to_responder = 1,
    responder_to_initiator = 2,
};

// RFC 5869 with SHA-256. extract: PRK (32 bytes). expand: `length` bytes, 1..255*32.
[[nodiscard]] crypto::SecretBuffer hkdf_extract(std::span<const std::uint8_t> salt,
                                                std::span<const std::uint8_t> ikm);
[[nodiscard]] crypto::SecretBuffer hkdf_expand(std::span<const std::uint8_t> prk,
                                               std::span<const std::uint8_t> info, std::size_t length);

// A fresh X25519 key pair from `secret` (32 random bytes, clamped by X25519 itself).
[[nodiscard]] X25519Public x25519_public(std::span<const std::uint8_t> secret);

// The shared secret; refuses a low-order or otherwise degenerate peer key (all-zero result),
// which would make the session key independent of our ephemeral.
[[nodiscard]] Result<crypto::SecretBuffer> x25519_shared(std::span<const std::uint8_t> secret,
                                                         const X25519Public& peer_public);

[[nodiscard]] KxHash transcript_hash(KxNames names, const InitMessage& init, const RespMessage& resp);

// One lane's 32-byte key.
[[nodiscard]] crypto::SecretBuffer lane_key(std::span<const std::uint8_t> prk, KxDirection direction,
                                            std::uint16_t lane);

struct DeriveInput {
    KxRole role = KxRole::initiator;
    Suite suite = Suite::chacha20_poly1305;
    std::uint32_t local_index = 0;
    std::uint32_t remote_index = 0;
    std::uint16_t local_lanes = 1;
    std::uint16_t remote_lanes = 1;
    TimePoint created{};
};

// Everything the data plane needs, from the shared secret and the transcript hash. The PRK
// lives only inside this call.
[[nodiscard]] NativeKeys derive_native_keys(const DeriveInput& input, std::span<const std::uint8_t> shared,
                                            const KxHash& transcript);

}  // namespace sluice::native
