#include "dataplane/crypto/legacy_cipher.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/params.h>

namespace sluice::dataplane::crypto {

namespace {

using CipherPtr = sluice::crypto::EvpCipherPtr;
using MdPtr = sluice::crypto::EvpMdPtr;
using MacPtr = sluice::crypto::EvpMacPtr;

// "aes-256-cbc" rather than "AES-256-CBC": the spelling tinc.conf uses, for error messages.
std::string display_name(int nid) {
    const char* ln = OBJ_nid2ln(nid);
    std::string name = ln != nullptr ? ln : "nid-" + std::to_string(nid);
    std::ranges::transform(name, name.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return name;
}

std::size_t positive(int openssl_size) {
    return openssl_size > 0 ? static_cast<std::size_t>(openssl_size) : 0;
}

void put_be32(std::uint8_t* out, std::uint32_t value) noexcept {
    out[0] = static_cast<std::uint8_t>(value >> 24);
    out[1] = static_cast<std::uint8_t>(value >> 16);
    out[2] = static_cast<std::uint8_t>(value >> 8);
    out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t get_be32(const std::uint8_t* in) noexcept {
    return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
           std::uint32_t{in[3]};
}

// The PKCS#7 pad length of a decrypted message, or 0 when the padding is invalid. It reads a
// whole block whatever the pad length so that its timing does not depend on the padding.
// That only matters with MAC disabled: with a MAC, only authenticated ciphertext gets here.
std::size_t pkcs7_pad_length(std::span<const std::uint8_t> plain, std::size_t block) noexcept {
    const unsigned pad = plain.back();
    unsigned bad = static_cast<unsigned>(pad == 0) | static_cast<unsigned>(pad > block);
    for (std::size_t i = 0; i < block; ++i) {
        const unsigned in_pad = static_cast<unsigned>(i < pad);
        bad |= in_pad & static_cast<unsigned>((plain[plain.size() - 1 - i] ^ pad) != 0);
    }
    return bad != 0 ? 0 : pad;
}

}  // namespace

std::string_view name(SealDrop drop) noexcept {
    switch (drop) {
        case SealDrop::none:
            return "none";
        case SealDrop::no_headroom:
            return "no_headroom";
        case SealDrop::no_tailroom:
            return "no_tailroom";
        case SealDrop::too_long:
            return "too_long";
        case SealDrop::encrypt_failed:
            return "encrypt_failed";
        case SealDrop::mac_failed:
            return "mac_failed";
    }
    return "unknown";
}

std::string_view name(OpenDrop drop) noexcept {
    switch (drop) {
        case OpenDrop::none:
            return "none";
        case OpenDrop::too_short:
            return "too_short";
        case OpenDrop::bad_mac:
            return "bad_mac";
        case OpenDrop::bad_padding:
            return "bad_padding";
        case OpenDrop::decrypt_failed:
            return "decrypt_failed";
        case OpenDrop::mac_failed:
            return "mac_failed";
    }
    return "unknown";
}

Result<LegacyCipherState> LegacyCipherState::create(int cipher_nid, int digest_nid, int mac_length,
                                                    std::span<const std::uint8_t> key_material) {
    ERR_clear_error();
    LegacyCipherState state;

    if (cipher_nid == 0) {
        // tinc sends one random byte with cipher none and, since CVE-2018-16758, accepts
        // nothing else; the byte only keys the HMAC.
        if (key_material.size() != 1) {
            return fail("wrong key length: got {} bytes, cipher none needs exactly 1", key_material.size());
        }
    } else {
        const char* short_name = cipher_nid > 0 ? OBJ_nid2sn(cipher_nid) : nullptr;
        if (short_name == nullptr) return fail("unknown cipher NID {}", cipher_nid);
        CipherPtr cipher(EVP_CIPHER_fetch(nullptr, short_name, nullptr));
        if (!cipher) {
            ERR_clear_error();
            return fail("no loaded OpenSSL provider implements cipher {} (NID {})", display_name(cipher_nid),
                        cipher_nid);
        }
        // The IV is fixed for the life of the key (spec 5.1). Under CBC the seqno in the first
        // block still makes every chain different; under a stream mode (CFB, OFB, CTR, GCM)
        // every packet would reuse one keystream, so sluice refuses to run them at all.
        if (EVP_CIPHER_get_mode(cipher.get()) != EVP_CIPH_CBC_MODE) {
            return fail(
                "cipher {} (NID {}) is not a CBC cipher; tinc's UDP packets reuse one IV per key, "
                "which is only safe with CBC",
                display_name(cipher_nid), cipher_nid);
        }
        const std::size_t key_length = positive(EVP_CIPHER_get_key_length(cipher.get()));
        const std::size_t iv_length = positive(EVP_CIPHER_get_iv_length(cipher.get()));
        const std::size_t block = positive(EVP_CIPHER_get_block_size(cipher.get()));
        if (key_material.size() != key_length + iv_length) {
            return fail("wrong key length: got {} bytes, {} needs {} ({}-byte key + {}-byte IV)",
                        key_material.size(), display_name(cipher_nid), key_length + iv_length, key_length,
                        iv_length);
        }
        if (iv_length > state.iv_.size() || block < 2 || block > EVP_MAX_BLOCK_LENGTH) {
            return fail("cipher {} has an unsupported IV or block size", display_name(cipher_nid));
        }

        // Key first, then IV (spec 4.3): the opposite of the meta key's layout.
        const std::uint8_t* key = key_material.data();
        const std::uint8_t* iv = key_material.data() + key_length;
        std::memcpy(state.iv_.data(), iv, iv_length);
        state.encrypt_.reset(EVP_CIPHER_CTX_new());
        state.decrypt_.reset(EVP_CIPHER_CTX_new());
        // Padding is done by hand (seal) and checked by hand (open): one Update call per packet
        // instead of Update+Final, and a bad pad becomes a named drop instead of an error left
        // on OpenSSL's queue. The bytes on the wire are the same PKCS#7.
        if (!state.encrypt_ || !state.decrypt_ ||
            EVP_EncryptInit_ex(state.encrypt_.get(), cipher.get(), nullptr, key, iv) != 1 ||
            EVP_DecryptInit_ex(state.decrypt_.get(), cipher.get(), nullptr, key, iv) != 1 ||
            EVP_CIPHER_CTX_set_padding(state.encrypt_.get(), 0) != 1 ||
            EVP_CIPHER_CTX_set_padding(state.decrypt_.get(), 0) != 1) {
            ERR_clear_error();
            return fail("cannot key cipher {}", display_name(cipher_nid));
        }
        state.encrypts_ = true;
        state.block_size_ = block;
    }

    // tinc's length check uses its MACLength even when the digest is none.
    state.min_datagram_ = legacy_seqno_length + static_cast<std::size_t>(std::max(mac_length, 0));
    if (digest_nid != 0) {
        const char* short_name = digest_nid > 0 ? OBJ_nid2sn(digest_nid) : nullptr;
        if (short_name == nullptr) return fail("unknown digest NID {}", digest_nid);
        MdPtr md(EVP_MD_fetch(nullptr, short_name, nullptr));
        if (!md) {
            ERR_clear_error();
            return fail("no loaded OpenSSL provider implements digest {} (NID {})", display_name(digest_nid),
                        digest_nid);
        }
        const std::size_t digest_size = positive(EVP_MD_get_size(md.get()));
        if (mac_length < 0 || static_cast<std::size_t>(mac_length) > digest_size) {
            return fail("MAC length {} out of range 0..{} for {}", mac_length, digest_size,
                        display_name(digest_nid));
        }
        state.mac_length_ = static_cast<std::size_t>(mac_length);
        // tinc only MACs when both a digest and a non-zero length are set.
        if (state.mac_length_ > 0) {
            MacPtr hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
            if (hmac) state.mac_.reset(EVP_MAC_CTX_new(hmac.get()));
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 const_cast<char*>(EVP_MD_get0_name(md.get())), 0),
                OSSL_PARAM_construct_end(),
            };
            // The HMAC key is all of K, IV bytes included (spec 4.3). Keyed once here; each
            // packet only restarts from the precomputed inner/outer pads.
            if (!state.mac_ ||
                EVP_MAC_init(state.mac_.get(), key_material.data(), key_material.size(), params) != 1) {
                ERR_clear_error();
                return fail("cannot key HMAC-{}", display_name(digest_nid));
            }
        }
    }
    return state;
}

LegacyCipherState::LegacyCipherState(LegacyCipherState&& other) noexcept
    : encrypt_(std::move(other.encrypt_)),
      decrypt_(std::move(other.decrypt_)),
      mac_(std::move(other.mac_)),
      encrypts_(other.encrypts_),
      block_size_(other.block_size_),
      mac_length_(other.mac_length_),
      min_datagram_(other.min_datagram_),
      iv_(other.iv_) {
    // The moved-from state keeps its flags but not its contexts, so it fails closed
    // (encrypt_failed / mac_failed) instead of ever sending in clear.
    other.wipe_iv();
}

LegacyCipherState& LegacyCipherState::operator=(LegacyCipherState&& other) noexcept {
    if (this != &other) {
        encrypt_ = std::move(other.encrypt_);
        decrypt_ = std::move(other.decrypt_);
        mac_ = std::move(other.mac_);
        encrypts_ = other.encrypts_;
        block_size_ = other.block_size_;
        mac_length_ = other.mac_length_;
        min_datagram_ = other.min_datagram_;
        iv_ = other.iv_;
        other.wipe_iv();
    }
    return *this;
}

LegacyCipherState::~LegacyCipherState() {
    wipe_iv();
}

void LegacyCipherState::wipe_iv() noexcept {
    OPENSSL_cleanse(iv_.data(), iv_.size());
}

std::size_t LegacyCipherState::datagram_length(std::size_t payload_len) const noexcept {
    std::size_t body = legacy_seqno_length + payload_len;
    // PKCS#7 always adds 1..block bytes, so a whole block of padding when already aligned.
    if (encrypts_) body = (body / block_size_ + 1) * block_size_;
    return body + mac_length_;
}

bool LegacyCipherState::compute_mac(std::span<const std::uint8_t> message, std::uint8_t* tag) noexcept {
    if (!mac_) return false;
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> full;
    std::size_t full_length = 0;
    // NULL key: restart from the key set in create() instead of re-hashing the key per packet.
    if (EVP_MAC_init(mac_.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(mac_.get(), message.data(), message.size()) != 1 ||
        EVP_MAC_final(mac_.get(), full.data(), &full_length, full.size()) != 1 || full_length < mac_length_) {
        ERR_clear_error();
        return false;
    }
    std::memcpy(tag, full.data(), mac_length_);
    return true;
}

SealVerdict LegacyCipherState::seal(std::uint32_t seqno, std::span<std::uint8_t> buffer,
                                    std::size_t payload_offset, std::size_t payload_len) noexcept {
    if (payload_len > legacy_max_datagram) return {.drop = SealDrop::too_long};
    if (payload_offset < legacy_seqno_length) return {.drop = SealDrop::no_headroom};
    const std::size_t total = datagram_length(payload_len);
    if (total > legacy_max_datagram) return {.drop = SealDrop::too_long};
    const std::size_t start = payload_offset - legacy_seqno_length;
    if (payload_offset > buffer.size() || buffer.size() - start < total)
        return {.drop = SealDrop::no_tailroom};

    std::uint8_t* const datagram = buffer.data() + start;
    put_be32(datagram, seqno);
    const std::size_t plain_length = legacy_seqno_length + payload_len;
    std::size_t body_length = plain_length;
    if (encrypts_) {
        if (!encrypt_) return {.drop = SealDrop::encrypt_failed};
        body_length = total - mac_length_;
        const std::size_t pad = body_length - plain_length;
        std::memset(datagram + plain_length, static_cast<int>(pad), pad);
        // Same IV for every packet, as tinc does (spec 5.1); the key schedule stays.
        int out_length = 0;
        if (EVP_CipherInit_ex(encrypt_.get(), nullptr, nullptr, nullptr, iv_.data(), 1) != 1 ||
            EVP_CipherUpdate(encrypt_.get(), datagram, &out_length, datagram,
                             static_cast<int>(body_length)) != 1 ||
            static_cast<std::size_t>(out_length) != body_length) {
            ERR_clear_error();
            return {.drop = SealDrop::encrypt_failed};
        }
    }
    // Encrypt-then-MAC over the ciphertext only (or over seqno || payload with cipher none).
    if (mac_length_ > 0 && !compute_mac({datagram, body_length}, datagram + body_length)) {
        return {.drop = SealDrop::mac_failed};
    }
    return {.drop = SealDrop::none, .offset = start, .length = total};
}

OpenVerdict LegacyCipherState::open(std::span<std::uint8_t> datagram) noexcept {
    // Spec 5.2 order: length, MAC (before touching the ciphertext), decrypt, padding.
    if (datagram.size() < min_datagram_) return {.drop = OpenDrop::too_short};
    const std::size_t body_length = datagram.size() - mac_length_;
    std::uint8_t* const body = datagram.data();

    if (mac_length_ > 0) {
        std::array<std::uint8_t, EVP_MAX_MD_SIZE> expected;
        if (!compute_mac({body, body_length}, expected.data())) return {.drop = OpenDrop::mac_failed};
        if (CRYPTO_memcmp(expected.data(), body + body_length, mac_length_) != 0) {
            return {.drop = OpenDrop::bad_mac};
        }
    }

    std::size_t plain_length = body_length;
    if (encrypts_) {
        if (!decrypt_ || body_length % block_size_ != 0 || body_length > legacy_max_datagram) {
            return {.drop = OpenDrop::decrypt_failed};
        }
        int out_length = 0;
        if (EVP_CipherInit_ex(decrypt_.get(), nullptr, nullptr, nullptr, iv_.data(), 0) != 1 ||
            EVP_CipherUpdate(decrypt_.get(), body, &out_length, body, static_cast<int>(body_length)) != 1 ||
            static_cast<std::size_t>(out_length) != body_length) {
            ERR_clear_error();
            return {.drop = OpenDrop::decrypt_failed};
        }
        const std::size_t pad = pkcs7_pad_length({body, body_length}, block_size_);
        if (pad == 0) return {.drop = OpenDrop::bad_padding};
        plain_length = body_length - pad;
        // Authentic and well padded, yet no room for a seqno: only a broken or hostile peer
        // holding the key sends this (tinc itself would underflow its length here).
        if (plain_length < legacy_seqno_length) return {.drop = OpenDrop::too_short};
    }
    return {
        .drop = OpenDrop::none,
        .seqno = get_be32(body),
        .payload_offset = legacy_seqno_length,
        .payload_length = plain_length - legacy_seqno_length,
    };
}

}  // namespace sluice::dataplane::crypto
