#include "shared/crypto/ed25519_key.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <sodium.h>

#include "shared/crypto/pem.hpp"
#include "shared/crypto/sodium_init.hpp"
#include "shared/util/text.hpp"

namespace sluice::crypto {

static_assert(kEd25519PublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kEd25519SeedBytes == crypto_sign_SEEDBYTES);
static_assert(kEd25519SignatureBytes == crypto_sign_BYTES);
static_assert(kEd25519Base64Chars + 1 ==
              sodium_base64_ENCODED_LEN(kEd25519PublicKeyBytes, sodium_base64_VARIANT_ORIGINAL));

namespace {

// tinc 1.1 writes Ed25519PublicKey as 43 characters of its own unpadded base64 variant.
constexpr std::size_t kTinc11Base64Chars = 43;

// Decodes exactly kEd25519Base64Chars characters of padded standard base64 into exactly
// out.size() bytes. libsodium rejects non-canonical encodings (stray bits in the last
// character), so every key has a single valid text form.
Status decode_base64_exact(std::string_view text, std::span<std::uint8_t> out) {
    // libsodium 1.0.18's decoder lets bytes 0x80-0xFF through, so the alphabet is checked here:
    // standard base64 characters, then '=' padding only at the end.
    const std::size_t data_end = text.find_last_not_of('=') + 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                              c == '+' || c == '/';
        if (i < data_end ? !alphabet : c != '=') return fail("is not valid base64 of {} bytes", out.size());
    }
    std::size_t decoded = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size() || decoded != out.size()) {
        return fail("is not valid base64 of {} bytes", out.size());
    }
    return {};
}

// Padded standard base64, written into `out` (which must hold kEd25519Base64Chars + 1).
void encode_base64(std::span<const std::uint8_t> bytes, char* out, std::size_t out_size) {
    sodium_bin2base64(out, out_size, bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
}

}  // namespace

Result<Ed25519PublicKey> Ed25519PublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != kEd25519PublicKeyBytes) {
        return fail("an Ed25519 public key is {} bytes, not {}", kEd25519PublicKeyBytes, bytes.size());
    }
    if (auto ok = ensure_sodium_initialized(); !ok) return fail(std::move(ok.error()));
    if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
        return fail("not a valid Ed25519 public key (not a canonical point of the right order)");
    }
    std::array<std::uint8_t, kEd25519PublicKeyBytes> array{};
    std::copy(bytes.begin(), bytes.end(), array.begin());
    return Ed25519PublicKey(array);
}

Result<Ed25519PublicKey> Ed25519PublicKey::parse_base64(std::string_view text) {
    if (text.size() == kTinc11Base64Chars) {
        return fail(
            "looks like tinc 1.1's Ed25519 key encoding, which sluice does not read; run 'sluicectl "
            "generate-keys' to make a sluice key");
    }
    if (text.size() != kEd25519Base64Chars) {
        return fail("an Ed25519 public key must be {} base64 characters, this one has {}",
                    kEd25519Base64Chars, text.size());
    }
    std::array<std::uint8_t, kEd25519PublicKeyBytes> bytes{};
    if (auto ok = decode_base64_exact(text, bytes); !ok) {
        return fail("Ed25519 public key {} {}", text::quote(text), ok.error().message);
    }
    return from_bytes(bytes);
}

std::string Ed25519PublicKey::to_base64() const {
    char buffer[kEd25519Base64Chars + 1];
    encode_base64(bytes_, buffer, sizeof buffer);
    return std::string(buffer, kEd25519Base64Chars);
}

std::string Ed25519PublicKey::host_file_line() const {
    return fmt::format("{} = {}", kEd25519PublicKeyVariable, to_base64());
}

bool Ed25519PublicKey::verify(std::span<const std::uint8_t> message,
                              std::span<const std::uint8_t> signature) const {
    if (signature.size() != kEd25519SignatureBytes) return false;
    if (!ensure_sodium_initialized()) return false;
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), bytes_.data()) == 0;
}

Result<Ed25519KeyPair> Ed25519KeyPair::generate() {
    if (auto ok = ensure_sodium_initialized(); !ok) return fail(std::move(ok.error()));
    SecretBuffer seed(kEd25519SeedBytes);
    randombytes_buf(seed.data(), seed.size());
    return from_seed(seed.span());
}

Result<Ed25519KeyPair> Ed25519KeyPair::from_seed(std::span<const std::uint8_t> seed) {
    if (seed.size() != kEd25519SeedBytes) {
        return fail("an Ed25519 seed is {} bytes, not {}", kEd25519SeedBytes, seed.size());
    }
    if (auto ok = ensure_sodium_initialized(); !ok) return fail(std::move(ok.error()));
    SecretBuffer secret_key(crypto_sign_SECRETKEYBYTES);
    std::array<std::uint8_t, kEd25519PublicKeyBytes> public_key{};
    if (crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data()) != 0) {
        return fail("Ed25519 key derivation failed");
    }
    return Ed25519KeyPair(std::move(secret_key), Ed25519PublicKey(public_key));
}

Result<Ed25519KeyPair> Ed25519KeyPair::parse_private_pem(std::string_view text) {
    auto found = find_pem_block(text, kEd25519PrivateKeyLabel);
    if (!found) return fail(std::move(found.error()));
    if (!*found) return fail("no \"-----BEGIN {}-----\" block found", kEd25519PrivateKeyLabel);
    const PemBlock& block = **found;
    // The body is one line in the files sluice writes; surrounding blank lines and CR
    // line ends are tolerated.
    std::string_view body = text::trim(block.body);
    if (body.find('\n') != std::string_view::npos) {
        return fail("line {}: the Ed25519 private key block must hold one line of base64", block.line);
    }
    if (body.size() != kEd25519Base64Chars) {
        return fail("line {}: the Ed25519 private key must be {} base64 characters, this one has {}",
                    block.line, kEd25519Base64Chars, body.size());
    }
    SecretBuffer seed(kEd25519SeedBytes);
    if (auto ok = decode_base64_exact(body, seed.span()); !ok) {
        // The text itself is never echoed: it is the secret.
        return fail("line {}: the Ed25519 private key {}", block.line, ok.error().message);
    }
    return from_seed(seed.span());
}

SecretBuffer Ed25519KeyPair::private_pem() const {
    const std::string begin = fmt::format("-----BEGIN {}-----\n", kEd25519PrivateKeyLabel);
    const std::string end = fmt::format("-----END {}-----\n", kEd25519PrivateKeyLabel);
    // Assembled in place so the base64 seed never passes through a std::string.
    SecretBuffer out(begin.size() + kEd25519Base64Chars + 1 + end.size());
    char* p = reinterpret_cast<char*>(out.data());
    std::memcpy(p, begin.data(), begin.size());
    p += begin.size();
    SecretBuffer encoded(kEd25519Base64Chars + 1);
    encode_base64(secret_key_.span().first(kEd25519SeedBytes), reinterpret_cast<char*>(encoded.data()),
                  encoded.size());
    std::memcpy(p, encoded.data(), kEd25519Base64Chars);
    p += kEd25519Base64Chars;
    *p++ = '\n';
    std::memcpy(p, end.data(), end.size());
    return out;
}

Ed25519Signature Ed25519KeyPair::sign(std::span<const std::uint8_t> message) const {
    Ed25519Signature signature{};
    // Cannot fail for a well-formed secret key, which the constructor guarantees.
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key_.data());
    return signature;
}

}  // namespace sluice::crypto
