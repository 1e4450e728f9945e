// CHALLENGE and CHAL_REPLY (spec 2.4): after the METAKEYs each side sends random bytes
// inside its now-encrypted stream and expects back their digest. Only the holder of the
// private key that recovered our METAKEY's S can decrypt the stream and read the challenge,
// so a correct reply proves the peer owns the key in hosts/NAME.
//
// Digest choice (see metakey.hpp): the reply uses the digest the CHALLENGER named in its
// own METAKEY. Replying: reply_digest(IncomingMetakey::digest_nid, peer's challenge).
// Verifying: verify_reply(our METAKEY's digest_nid, our challenge, peer's reply).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "shared/crypto/random.hpp"
#include "shared/util/result.hpp"

namespace sluice::meta {

// len random bytes. When sending, len is the PEER's modulus size in bytes (256 for 2048
// bits): the peer insists on exactly its own size.
[[nodiscard]] std::vector<std::uint8_t> make_challenge(std::size_t len, crypto::Random& random);

// A received challenge must be exactly as long as our own modulus ("wrong challenge length:
// got N bytes, expected M"); a failure closes the connection.
[[nodiscard]] Status check_challenge_length(std::span<const std::uint8_t> received,
                                            std::size_t own_modulus_bytes);

// The CHAL_REPLY payload: digest_nid(challenge), 32 bytes for sha256. Fails for digest 0
// and digests OpenSSL cannot compute.
[[nodiscard]] Result<std::vector<std::uint8_t>> reply_digest(int digest_nid,
                                                             std::span<const std::uint8_t> challenge);

// Checks a received CHAL_REPLY against the challenge we sent: the length must equal the
// digest size ("wrong challenge reply length: ..."), and the bytes are compared in constant
// time ("wrong challenge reply"). A failure closes the connection.
[[nodiscard]] Status verify_reply(int digest_nid, std::span<const std::uint8_t> sent_challenge,
                                  std::span<const std::uint8_t> received_reply);

}  // namespace sluice::meta
