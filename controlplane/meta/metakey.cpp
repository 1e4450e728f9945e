#include "controlplane/meta/metakey.hpp"

#include <cstdint>
#include <span>
#include <utility>

#include "controlplane/meta/algorithms.hpp"
#include "shared/crypto/secret.hpp"

namespace sluice::meta {

namespace {

struct KeyAndIv {
    std::span<const std::uint8_t> key;
    std::span<const std::uint8_t> iv;
};

// The meta key layout, taken from the END of the RSA plaintext S (len bytes):
//   S = [ unused ... | IV (ivlen) | key (keylen) ]
//   key = S[len-keylen .. len),  IV = S[len-keylen-ivlen .. len-keylen)
// For aes-256-cfb and a 2048-bit key: IV = S[208..224), key = S[224..256). The front of S
// (whose top bit is forced to zero to keep S below the modulus) never becomes key material.
// This is the reverse of the UDP key layout (key first, then IV; legacy_key.hpp).
Result<KeyAndIv> meta_key_and_iv(std::span<const std::uint8_t> s, const CipherInfo& cipher) {
    const std::size_t need = cipher.key_length + cipher.iv_length;
    if (s.size() < need) {
        return fail("RSA key too small for cipher {}: {} bytes of meta key material, {} needed", cipher.name,
                    s.size(), need);
    }
    const std::size_t key_at = s.size() - cipher.key_length;
    return KeyAndIv{.key = s.subspan(key_at), .iv = s.subspan(key_at - cipher.iv_length, cipher.iv_length)};
}

// Top byte of S: tinc clears bit 7 (S[0] &= 0x7F), which for a modulus of a multiple of 8
// bits keeps S < 2^(bits-1) <= n. For other sizes only the bits below the modulus' top bit
// may be set; that is the same mask for every key tinc -K makes, and the receiver never
// looks at S[0] anyway.
std::uint8_t top_byte_mask(int modulus_bits) {
    const int usable = (modulus_bits - 1) % 8;  // value bits allowed in S[0]
    return static_cast<std::uint8_t>((1u << usable) - 1u);
}

// bf-ofb: what tinc up to 1.0.29 sends in METAKEY. OpenSSL 3 keeps Blowfish in the legacy
// provider, so such a peer cannot connect to Debian's 1.0.36 either (spec 6.2).
constexpr int pre_1_0_30_meta_cipher_nid = 94;

}  // namespace

Result<OutgoingMetakey> make_metakey(const crypto::RsaKey& peer_public, std::size_t udp_cipher_key_length,
                                     crypto::Random& random) {
    const int cipher_nid = meta_cipher_nid_for_udp_key_length(udp_cipher_key_length);
    auto cipher = cipher_by_nid(cipher_nid);
    if (!cipher) return fail(std::move(cipher.error()));

    const std::size_t len = peer_public.modulus_bytes();
    crypto::SecretBuffer s(len);
    random.fill(s.span());
    s.data()[0] &= top_byte_mask(peer_public.modulus_bits());

    auto slices = meta_key_and_iv(s.span(), *cipher);
    if (!slices) return fail(std::move(slices.error()));
    // Raw RSA without padding is safe here only because S is uniformly random and as long
    // as the modulus; it is what every tinc 1.0 peer expects.
    auto encrypted = peer_public.raw_encrypt_public(s.span());
    if (!encrypted) return fail(encrypted.error().with_context("cannot encrypt meta key"));
    auto stream =
        MetaCipherStream::create(cipher_nid, MetaCipherStream::Direction::encrypt, slices->key, slices->iv);
    if (!stream) return fail(std::move(stream.error()));

    return OutgoingMetakey{
        .request =
            protocol::MetakeyRequest{
                .cipher_nid = cipher_nid,
                .digest_nid = own_meta_digest_nid,
                .mac_length = 0,
                .compression = 0,
                .encrypted_key = std::move(*encrypted),
            },
        .outbound = std::move(*stream),
    };
}

Result<IncomingMetakey> accept_metakey(const crypto::RsaKey& own_private,
                                       const protocol::MetakeyRequest& request) {
    const std::size_t len = own_private.modulus_bytes();
    if (request.encrypted_key.size() != len) {
        return fail("wrong keylength: got {} bytes, expected {}", request.encrypted_key.size(), len);
    }
    // Parameters are checked before the (comparatively expensive) RSA private operation, so
    // a bogus METAKEY costs nothing; tinc decrypts first, but every failure ends the same way.
    if (request.cipher_nid == 0) return fail("uses null cipher");
    auto cipher = cipher_by_nid(request.cipher_nid);
    if (!cipher && request.cipher_nid == pre_1_0_30_meta_cipher_nid) {
        return fail("{} (bf-ofb is the meta cipher of tinc before 1.0.30: upgrade that peer)",
                    cipher.error().message);
    }
    if (!cipher) return fail(std::move(cipher.error()));
    if (request.digest_nid == 0) return fail("uses null digest");
    auto digest = digest_by_nid(request.digest_nid);
    if (!digest) return fail(std::move(digest.error()));
    if (request.mac_length < 0 || static_cast<std::size_t>(request.mac_length) > digest->size) {
        return fail("maclength {} out of range 0..{}", request.mac_length, digest->size);
    }

    auto s = own_private.raw_decrypt_private(request.encrypted_key);
    if (!s) return fail(s.error().with_context("cannot decrypt meta key"));
    auto slices = meta_key_and_iv(s->span(), *cipher);
    if (!slices) return fail(std::move(slices.error()));
    auto stream =
        MetaCipherStream::create(cipher->nid, MetaCipherStream::Direction::decrypt, slices->key, slices->iv);
    if (!stream) return fail(std::move(stream.error()));

    return IncomingMetakey{
        .inbound = std::move(*stream),
        .cipher_nid = cipher->nid,
        .digest_nid = digest->nid,
        .mac_length = request.mac_length,
        .compression = request.compression,
    };
}

}  // namespace sluice::meta
