// Ed25519 keys (libsodium) and their sluice text formats.
//
// Public key, one line in hosts/NAME:
//     Ed25519PublicKey = <standard base64 of the 32-byte key, with padding: 44 chars>
// tinc 1.1 uses the same variable name with its own 43-character encoding; those values
// are recognised and refused with a hint instead of being misread.
//
// Private key file (sluice's own format; tinc 1.0 has no Ed25519):
//     -----BEGIN SLUICE ED25519 PRIVATE KEY-----
//     <standard base64 of the 32-byte seed, with padding: 44 chars>
//     -----END SLUICE ED25519 PRIVATE KEY-----
// Only the seed is stored; the public key is derived from it (crypto_sign_seed_keypair),
// so the file cannot hold a mismatched pair. Text outside the block is ignored.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::crypto {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;
// Base64 with padding of 32 bytes.
inline constexpr std::size_t kEd25519Base64Chars = 44;
inline constexpr std::string_view kEd25519PublicKeyVariable = "Ed25519PublicKey";
inline constexpr std::string_view kEd25519PrivateKeyLabel = "SLUICE ED25519 PRIVATE KEY";

using Ed25519Signature = std::array<std::uint8_t, kEd25519SignatureBytes>;

class Ed25519PublicKey {
public:
    // Refuses byte strings that are not a valid, canonical point of the main subgroup:
    // such a "key" could never verify an honest signature.
    [[nodiscard]] static Result<Ed25519PublicKey> from_bytes(std::span<const std::uint8_t> bytes);
    // The value of an Ed25519PublicKey line (without the variable name), 44 characters.
    [[nodiscard]] static Result<Ed25519PublicKey> parse_base64(std::string_view text);

    [[nodiscard]] std::string to_base64() const;
    // "Ed25519PublicKey = <base64>", without a newline: the line for hosts/NAME.
    [[nodiscard]] std::string host_file_line() const;

    [[nodiscard]] const std::array<std::uint8_t, kEd25519PublicKeyBytes>& bytes() const noexcept {
        return bytes_;
    }
    [[nodiscard]] bool verify(std::span<const std::uint8_t> message,
                              std::span<const std::uint8_t> signature) const;

    [[nodiscard]] bool operator==(const Ed25519PublicKey&) const = default;

private:
    friend class Ed25519KeyPair;
    explicit Ed25519PublicKey(const std::array<std::uint8_t, kEd25519PublicKeyBytes>& bytes)
        : bytes_(bytes) {}
    std::array<std::uint8_t, kEd25519PublicKeyBytes> bytes_{};
};

class Ed25519KeyPair {
public:
    [[nodiscard]] static Result<Ed25519KeyPair> generate();
    [[nodiscard]] static Result<Ed25519KeyPair> from_seed(std::span<const std::uint8_t> seed);
    // Finds the SLUICE ED25519 PRIVATE KEY block in a file's text.
    [[nodiscard]] static Result<Ed25519KeyPair> parse_private_pem(std::string_view text);

    // The whole private key file, newline-terminated.
    [[nodiscard]] SecretBuffer private_pem() const;
    [[nodiscard]] const Ed25519PublicKey& public_key() const noexcept { return public_; }
    [[nodiscard]] Ed25519Signature sign(std::span<const std::uint8_t> message) const;

private:
    Ed25519KeyPair(SecretBuffer secret_key, const Ed25519PublicKey& public_key)
        : secret_key_(std::move(secret_key)), public_(public_key) {}

    // libsodium's 64-byte secret key: seed followed by the public key.
    SecretBuffer secret_key_;
    Ed25519PublicKey public_;
};

}  // namespace sluice::crypto
