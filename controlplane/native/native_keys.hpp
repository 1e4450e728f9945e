// What a finished native key exchange hands to the data plane: everything sluice-dp needs to
// seal and open one session's packets with one peer, and nothing it does not (no long-term
// key, no ephemeral secret, no transcript).
//
// Why a key per lane: each sending worker ("lane") owns its key and its 64-bit counter, so
// no counter is shared between cores and no core waits for another; the receiver keeps one
// replay window per (session, sender lane) for the same reason (performance.md, "Nonces
// without contention"). Lane counts are announced in the exchange, so the two ends may run
// different numbers of workers.
//
// This header is deliberately free of I/O and of dataplane/ types: the control plane makes
// these values, the (future) key snapshot in shared memory carries them to the workers,
// which build dataplane::crypto::NativeSendLane / NativeReceiveSession from them. Suite's
// numeric values equal dataplane::crypto::AeadAlgorithm's.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "shared/crypto/secret.hpp"
#include "shared/util/clock.hpp"

namespace sluice::native {

// On the wire (docs/protocol.md): one byte per suite.
enum class Suite : std::uint8_t {
    aes_256_gcm = 1,        // only offered by a node whose CPU has AES-NI and PCLMUL
    chacha20_poly1305 = 2,  // IETF variant, 12-byte nonce; every node supports it
};

[[nodiscard]] constexpr std::string_view name(Suite suite) noexcept {
    switch (suite) {
        case Suite::aes_256_gcm:
            return "aes-256-gcm";
        case Suite::chacha20_poly1305:
            return "chacha20-poly1305";
    }
    return "unknown";
}

[[nodiscard]] constexpr bool is_known(Suite suite) noexcept {
    return suite == Suite::aes_256_gcm || suite == Suite::chacha20_poly1305;
}

// Which side of the exchange this node was for this session (it fixes the KDF directions).
enum class KxRole : std::uint8_t { initiator, responder };

inline constexpr std::size_t native_key_length = 32;

struct NativeKeys {
    Suite suite = Suite::chacha20_poly1305;
    KxRole role = KxRole::initiator;
    // The index we chose: it is in the header of every packet the peer sends us, and the
    // data plane finds this session by it.
    std::uint32_t local_index = 0;
    // The index the peer chose: we write it into every packet we send.
    std::uint32_t remote_index = 0;
    std::uint16_t local_lanes = 0;                   // our sending workers: send_keys.size()
    std::uint16_t remote_lanes = 0;                  // the peer's: receive_keys.size()
    std::vector<crypto::SecretBuffer> send_keys;     // [our lane], 32 bytes each
    std::vector<crypto::SecretBuffer> receive_keys;  // [peer's lane], 32 bytes each
    // When this node derived the keys; the rekey and reject limits count from here.
    TimePoint created{};
};

}  // namespace sluice::native
