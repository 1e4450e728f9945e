#include "controlplane/meta/legacy_key.hpp"

#include <utility>

#include "controlplane/meta/algorithms.hpp"
#include "shared/crypto/hex.hpp"

namespace sluice::meta {

namespace {

Status check_compression(int compression) {
    if (compression < 0 || compression > protocol::max_compression_level) {
        return fail("compression level {} out of range 0..{}", compression, protocol::max_compression_level);
    }
    return {};
}

// tinc has no key material to speak of with cipher none, but still sends one random byte
// and (since the CVE-2018-16758 fix) insists on exactly one.
std::size_t material_length(const CipherInfo& cipher) {
    return cipher.is_none() ? 1 : cipher.key_length + cipher.iv_length;
}

}  // namespace

// Checks every parameter and wraps material; shared by generation and ANS_KEY reception so
// the two cannot drift apart. Reason order follows tinc's ans_key_h.
Result<LegacyKey> make_legacy_key(int cipher_nid, int digest_nid, int mac_length, int compression,
                                  crypto::SecretBuffer material) {
    auto cipher = cipher_by_nid(cipher_nid);
    if (!cipher) return fail(std::move(cipher.error()));
    const std::size_t need = material_length(*cipher);
    if (material.size() != need) {
        if (cipher->is_none()) {
            return fail("wrong key length: got {} bytes, cipher none needs exactly 1 (CVE-2018-16758)",
                        material.size());
        }
        return fail("wrong key length: got {} bytes, {} needs {} ({}-byte key + {}-byte IV)", material.size(),
                    cipher->name, need, cipher->key_length, cipher->iv_length);
    }
    auto digest = digest_by_nid(digest_nid);
    if (!digest) return fail(std::move(digest.error()));
    if (!digest->is_none() && (mac_length < 0 || static_cast<std::size_t>(mac_length) > digest->size)) {
        return fail("maclength {} out of range 0..{} for {}", mac_length, digest->size, digest->name);
    }
    if (auto ok = check_compression(compression); !ok) return fail(std::move(ok.error()));
    return LegacyKey(cipher->nid, digest->nid, mac_length, compression, cipher->key_length, cipher->iv_length,
                     std::move(material));
}

Result<LegacyKeySettings> make_legacy_key_settings(std::string_view cipher_name, std::string_view digest_name,
                                                   int mac_length, int compression) {
    auto cipher = cipher_by_name(cipher_name);
    if (!cipher) return fail(cipher.error().with_context("Cipher"));
    auto digest = digest_by_name(digest_name);
    if (!digest) return fail(digest.error().with_context("Digest"));
    if (mac_length < 0) return fail("MACLength {} is negative", mac_length);
    if (!digest->is_none() && static_cast<std::size_t>(mac_length) > digest->size) {
        return fail("MACLength {} exceeds the {}-byte size of digest {}", mac_length, digest->size,
                    digest->name);
    }
    if (auto ok = check_compression(compression); !ok) return fail(ok.error().with_context("Compression"));
    return LegacyKeySettings{
        .cipher_nid = cipher->nid,
        .digest_nid = digest->nid,
        .mac_length = mac_length,
        .compression = compression,
    };
}

Result<LegacyKey> generate_legacy_key(const LegacyKeySettings& settings, crypto::Random& random) {
    auto cipher = cipher_by_nid(settings.cipher_nid);
    if (!cipher) return fail(std::move(cipher.error()));
    crypto::SecretBuffer material(material_length(*cipher));
    random.fill(material.span());
    return make_legacy_key(settings.cipher_nid, settings.digest_nid, settings.mac_length,
                           settings.compression, std::move(material));
}

protocol::AnsKeyRequest make_ans_key_request(const LegacyKey& key, std::string from, std::string to) {
    return protocol::AnsKeyRequest{
        .from = std::move(from),
        .to = std::move(to),
        .key_hex = crypto::to_hex_upper(key.material()),
        .cipher_nid = key.cipher_nid(),
        .digest_nid = key.digest_nid(),
        .mac_length = key.mac_length(),
        .compression = key.compression(),
        .address = std::nullopt,
        .port = std::nullopt,
    };
}

Result<LegacyKey> accept_ans_key(const protocol::AnsKeyRequest& request) {
    auto material = crypto::from_hex_secret(request.key_hex);
    if (!material) return fail(material.error().with_context("invalid key"));
    return make_legacy_key(request.cipher_nid, request.digest_nid, request.mac_length, request.compression,
                           std::move(*material));
}

}  // namespace sluice::meta
