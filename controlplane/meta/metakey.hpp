// METAKEY (spec 2.3): each side of a tinc 1.0 meta connection draws a random string S as
// long as the PEER's RSA modulus, sends it raw-RSA-encrypted to the peer's public key, and
// from the byte after that line encrypts everything it sends with a cipher keyed from the
// tail of S. The two directions are independent: each has its own S, cipher and key, and
// each side decrypts inbound with the cipher the PEER named.
//
// Which digest is used where (the asymmetry that is easy to get backwards): the digest NID
// in a METAKEY line is the one its SENDER wants challenge replies in. So
//   * our CHAL_REPLY to the peer's CHALLENGE hashes with IncomingMetakey::digest_nid (the
//     peer's METAKEY), and
//   * we verify the peer's CHAL_REPLY to our CHALLENGE with OutgoingMetakey's
//     request.digest_nid (our own METAKEY, always sha256).
// tinc 1.0.36 always names sha256 (672), so the two agree in practice, but a peer may name
// any digest and then only this assignment interoperates.
#pragma once

#include <cstddef>

#include "controlplane/meta/meta_cipher.hpp"
#include "controlplane/protocol/constants.hpp"
#include "controlplane/protocol/request.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/rsa_key.hpp"
#include "shared/util/result.hpp"

namespace sluice::meta {

// The digest sluice names in its METAKEY, as tinc 1.0.30+ does: sha256.
inline constexpr int own_meta_digest_nid = protocol::nid_sha256;

struct OutgoingMetakey {
    // To send as "1 <cipher> 672 0 0 <HEX>": cipher 421/425/429 by the UDP key length,
    // maclength and compression 0 (tinc parses them and ignores them for the meta link).
    protocol::MetakeyRequest request;
    // Encrypts every byte sent after the METAKEY line, starting with the very next one.
    MetaCipherStream outbound;
};

// udp_cipher_key_length is the key length of this node's own UDP Cipher (0 for "none"); it
// picks the meta cipher as tinc does (meta_cipher_nid_for_udp_key_length). S comes from
// random; with a DeterministicRandom the whole exchange is reproducible in tests.
[[nodiscard]] Result<OutgoingMetakey> make_metakey(const crypto::RsaKey& peer_public,
                                                   std::size_t udp_cipher_key_length, crypto::Random& random);

struct IncomingMetakey {
    // Decrypts every byte received after the peer's METAKEY line; that byte may already be
    // in the buffer that held the line.
    MetaCipherStream inbound;
    int cipher_nid = 0;  // canonical NIDs as resolved by OpenSSL
    // The challenger's digest: hash OUR reply to the PEER's CHALLENGE with this one.
    int digest_nid = 0;
    // Checked (0..digest size) and otherwise unused: the meta stream has no MAC.
    int mac_length = 0;
    // Not checked and unused, exactly as in tinc: meta traffic is never compressed.
    int compression = 0;
};

// Validates a received METAKEY and opens the inbound stream. Every failure is a protocol
// violation that closes (tarpits) the connection. Reasons: "wrong keylength: got N bytes,
// expected M", "uses null cipher", "unknown cipher NID n" (or the cipher needing the
// legacy provider, or not being a stream mode), "uses null digest", "unknown digest NID
// n", "maclength X out of range 0..Y", "cannot decrypt meta key: ...".
[[nodiscard]] Result<IncomingMetakey> accept_metakey(const crypto::RsaKey& own_private,
                                                     const protocol::MetakeyRequest& request);

}  // namespace sluice::meta
