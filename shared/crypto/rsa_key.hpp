// RSA keys as tinc 1.0 stores and uses them: PKCS#1 PEM files, the obsolete hex forms in
// host files, and the raw (unpadded) RSA that the METAKEY exchange is built on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/types.h>

#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::crypto {

class RsaKey {
public:
    // Generation refuses keys below 1024 bits although tinc accepts 512: such keys can be
    // factored cheaply. Parsing still accepts 512-bit keys so that existing tinc peers keep
    // working; callers can warn using modulus_bits().
    static constexpr int kMinGenerateBits = 1024;
    static constexpr int kMinParseBits = 512;
    // The METAKEY line carries the RSA ciphertext as hex and tinc's line buffer holds 2048
    // hex digits of it, so 8192 bits is the largest key a tinc peer can use.
    static constexpr int kMaxBits = 8192;
    // tinc -K always uses e = 65537.
    static constexpr unsigned kGenerateExponent = 65537;
    // The obsolete "PublicKey = <hex>" form carries only the modulus; tinc 1.0 pairs it
    // with e = 0xFFFF (not 65537), so that is what the other side encrypts with.
    static constexpr unsigned kObsoleteHexExponent = 0xFFFF;

    // A fresh key pair with e = 65537. bits must be a multiple of 8 in [1024, 8192]; tinc
    // silently rounds down, sluice refuses so the user gets exactly the size asked for.
    [[nodiscard]] static Result<RsaKey> generate(int bits);

    // Own key from rsa_key.priv (or PrivateKeyFile). Accepts traditional PKCS#1
    // "RSA PRIVATE KEY" and unencrypted PKCS#8 "PRIVATE KEY" blocks, whichever comes
    // first; anything else in the text (tinc's leading empty line, comments, retired
    // "OLD" blocks) is skipped. Encrypted keys are refused: a daemon cannot prompt.
    [[nodiscard]] static Result<RsaKey> parse_private_pem(std::string_view text);

    // A peer's key from the full text of its host file. Like tinc, uses the first PKCS#1
    // "RSA PUBLIC KEY" block if there is one, and otherwise the first SubjectPublicKeyInfo
    // "PUBLIC KEY" block. "OLD ..." blocks and config lines are ignored.
    [[nodiscard]] static Result<RsaKey> parse_public_pem(std::string_view text);

    // Obsolete host-file form "PublicKey = <hex modulus>", with e = 0xFFFF.
    [[nodiscard]] static Result<RsaKey> from_public_hex(std::string_view modulus_hex);

    // Obsolete "PrivateKey = <hex d>" together with the node's own PublicKey modulus and
    // e = 0xFFFF. There are no prime factors, so the key can decrypt (OpenSSL falls back
    // to plain exponentiation by d) but cannot be written out as PEM. A d that does not
    // belong to n is caught by a test decryption and refused.
    [[nodiscard]] static Result<RsaKey> from_private_hex(std::string_view modulus_hex,
                                                         std::string_view d_hex);

    [[nodiscard]] bool has_private() const noexcept { return has_private_; }
    [[nodiscard]] int modulus_bits() const noexcept { return bits_; }
    // The METAKEY length for this key: 256 for a 2048-bit key.
    [[nodiscard]] std::size_t modulus_bytes() const noexcept {
        return static_cast<std::size_t>(bits_ + 7) / 8;
    }

    // Traditional PKCS#1 "-----BEGIN RSA PRIVATE KEY-----" PEM, the format tinc reads. In
    // a SecretBuffer so the caller can write it to disk without leaving copies behind.
    // Fails for keys without private part or without prime factors (from_private_hex).
    [[nodiscard]] Result<SecretBuffer> private_pem() const;
    // PKCS#1 "-----BEGIN RSA PUBLIC KEY-----" PEM, the format tinc -K puts in hosts/NAME.
    [[nodiscard]] Result<std::string> public_pem() const;

    // True when both keys have the same modulus and public exponent, e.g. rsa_key.priv
    // and the key in our own hosts/NAME.
    [[nodiscard]] bool matches(const RsaKey& other) const;

    // Raw RSA without padding, as the METAKEY uses it: input must be exactly
    // modulus_bytes() long and, read as a big-endian number, smaller than the modulus
    // (tinc clears the top bit of the first byte to ensure that). Output is always
    // modulus_bytes() long, left-padded with zeros.
    [[nodiscard]] Result<std::vector<std::uint8_t>> raw_encrypt_public(
        std::span<const std::uint8_t> input) const;
    [[nodiscard]] Result<SecretBuffer> raw_decrypt_private(std::span<const std::uint8_t> input) const;

private:
    struct PkeyFree {
        void operator()(EVP_PKEY* pkey) const noexcept;
    };
    using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

    RsaKey(Pkey pkey, bool has_private, int bits) noexcept
        : pkey_(std::move(pkey)), has_private_(has_private), bits_(bits) {}

    // Checks type and size of a decoded or imported key and wraps it.
    [[nodiscard]] static Result<RsaKey> adopt(EVP_PKEY* pkey, bool has_private);
    // Encrypts a fixed value and decrypts it again: proves that d belongs to (n, e).
    [[nodiscard]] Status self_test() const;

    Pkey pkey_;
    bool has_private_ = false;
    int bits_ = 0;
};

}  // namespace sluice::crypto
