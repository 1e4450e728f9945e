// tinc 1.0 UDP session keys (spec 4.3, 4.4): every node X makes a separate INBOUND key for
// each peer Y ("what Y must use when sending to X") and announces it in ANS_KEY
// "16 X Y <HEXKEY> <cipher> <digest> <maclength> <compression>". The parameters are the ones
// X wants to RECEIVE, from X's own configuration; Y's host file is never consulted.
//
// Key layout K, unlike the meta key (metakey.cpp), is key FIRST, then IV:
//   K = [ cipher key (keylen) | IV (ivlen) ]      HMAC key = all of K
// For aes-256-cbc that is 48 bytes, key K[0..32), IV K[32..48). With "Cipher = none" K is a
// single random byte that only keys the HMAC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "controlplane/protocol/constants.hpp"
#include "controlplane/protocol/request.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::meta {

// tinc 1.0.36's defaults (spec 6.1), also what sluice uses when the option is not set.
inline constexpr std::string_view default_udp_cipher_name = "aes-256-cbc";
inline constexpr std::string_view default_udp_digest_name = "sha256";
inline constexpr int default_mac_length = 4;
inline constexpr int default_compression = 0;

// What this node asks its peers to send it with. NIDs are 0 for "none".
struct LegacyKeySettings {
    int cipher_nid = protocol::nid_aes_256_cbc;
    int digest_nid = protocol::nid_sha256;
    // Bytes of HMAC appended per packet, 0..digest size. With digest none tinc still
    // announces its MACLength (4 by default) and nobody uses it.
    int mac_length = default_mac_length;
    int compression = default_compression;  // 0..11

    bool operator==(const LegacyKeySettings&) const = default;
};

// From the Cipher, Digest, MACLength and Compression options (pass the defaults above for
// options that are not set). Refuses ciphers and digests the loaded OpenSSL providers
// cannot run, naming them: tinc 1.0.36 starts with them and then silently sends all
// traffic over TCP (spec 6.2).
[[nodiscard]] Result<LegacyKeySettings> make_legacy_key_settings(std::string_view cipher_name,
                                                                 std::string_view digest_name, int mac_length,
                                                                 int compression);

class LegacyKey {
public:
    [[nodiscard]] int cipher_nid() const noexcept { return cipher_nid_; }
    [[nodiscard]] int digest_nid() const noexcept { return digest_nid_; }
    // As announced on the wire; see effective_mac_length() for what goes on packets.
    [[nodiscard]] int mac_length() const noexcept { return mac_length_; }
    [[nodiscard]] int compression() const noexcept { return compression_; }
    [[nodiscard]] std::size_t key_length() const noexcept { return key_length_; }
    [[nodiscard]] std::size_t iv_length() const noexcept { return iv_length_; }

    // All of K, as carried (hex) in ANS_KEY: key_length + iv_length bytes, or 1 for none.
    [[nodiscard]] std::span<const std::uint8_t> material() const noexcept { return material_.span(); }
    // K[0 .. keylen): the cipher key. Empty for cipher none.
    [[nodiscard]] std::span<const std::uint8_t> cipher_key() const noexcept {
        return material_.span().first(key_length_);
    }
    // K[keylen .. keylen+ivlen): the IV, reset for every packet. Empty for cipher none.
    [[nodiscard]] std::span<const std::uint8_t> iv() const noexcept {
        return material_.span().subspan(key_length_, iv_length_);
    }
    // The HMAC key is all of K (48 bytes for aes-256-cbc), not just the cipher key.
    [[nodiscard]] std::span<const std::uint8_t> hmac_key() const noexcept { return material_.span(); }
    // MAC bytes per packet: mac_length with a digest, 0 without one (tinc ignores
    // maclength when the digest is none).
    [[nodiscard]] std::size_t effective_mac_length() const noexcept {
        return digest_nid_ != 0 ? static_cast<std::size_t>(mac_length_) : 0;
    }

private:
    friend Result<LegacyKey> make_legacy_key(int, int, int, int, crypto::SecretBuffer);

    LegacyKey(int cipher_nid, int digest_nid, int mac_length, int compression, std::size_t key_length,
              std::size_t iv_length, crypto::SecretBuffer material) noexcept
        : cipher_nid_(cipher_nid),
          digest_nid_(digest_nid),
          mac_length_(mac_length),
          compression_(compression),
          key_length_(key_length),
          iv_length_(iv_length),
          material_(std::move(material)) {}

    int cipher_nid_ = 0;
    int digest_nid_ = 0;
    int mac_length_ = 0;
    int compression_ = 0;
    std::size_t key_length_ = 0;
    std::size_t iv_length_ = 0;
    crypto::SecretBuffer material_;
};

// A fresh inbound key for one peer, as send_ans_key makes it: new random K every time
// (tinc sends a new key on every REQ_KEY, and the caller must then reset that peer's
// receive sequence number and replay window).
[[nodiscard]] Result<LegacyKey> generate_legacy_key(const LegacyKeySettings& settings,
                                                    crypto::Random& random);

// The ANS_KEY announcing key from `from` (us) to `to`: uppercase hex, no reflexive address.
[[nodiscard]] protocol::AnsKeyRequest make_ans_key_request(const LegacyKey& key, std::string from,
                                                           std::string to);

// Validates an ANS_KEY addressed to us, exactly as tinc's ans_key_h: hex, known and usable
// cipher, key length = keylen + ivlen (exactly 1 for cipher 0, the CVE-2018-16758 fix),
// known and usable digest, maclength 0..digest size (unchecked for digest 0), compression
// 0..11. Each failure has its own reason.
//
// These failures are NOT connection errors: tinc logs them, leaves the peer's key invalid
// and keeps the meta connection (and keeps sending REQ_KEY). The caller must do the same,
// never close the link over an ANS_KEY that parsed but did not validate.
[[nodiscard]] Result<LegacyKey> accept_ans_key(const protocol::AnsKeyRequest& request);

}  // namespace sluice::meta
