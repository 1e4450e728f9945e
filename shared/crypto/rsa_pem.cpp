// RsaKey's PEM side: finding tinc's key blocks in a file's text, decoding them with
// OSSL_DECODER and encoding the PKCS#1 forms tinc writes with OSSL_ENCODER.
#include <initializer_list>
#include <optional>
#include <utility>

#include <openssl/err.h>

#include "shared/crypto/openssl_util.hpp"
#include "shared/crypto/pem.hpp"
#include "shared/crypto/rsa_key.hpp"

namespace sluice::crypto {

using detail::take_openssl_errors;

namespace {

constexpr std::string_view kPkcs1Private = "RSA PRIVATE KEY";
constexpr std::string_view kPkcs8Private = "PRIVATE KEY";
constexpr std::string_view kPkcs8Encrypted = "ENCRYPTED PRIVATE KEY";
constexpr std::string_view kPkcs1Public = "RSA PUBLIC KEY";
constexpr std::string_view kSpkiPublic = "PUBLIC KEY";

// Decodes one PEM block into an RSA EVP_PKEY. The decoder reads the caller's text in
// place: sluice makes no copy of a private key that it would then have to wipe.
Result<EVP_PKEY*> decode_block(const PemBlock& block, std::string_view label, int selection) {
    ERR_clear_error();
    EVP_PKEY* raw = nullptr;
    // Structure nullptr: the PEM label already says which structure follows.
    detail::DecoderCtxPtr ctx(
        OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, "RSA", selection, nullptr, nullptr));
    if (!ctx) return fail("cannot set up the PEM decoder: {}", take_openssl_errors());
    const auto* data = reinterpret_cast<const unsigned char*>(block.text.data());
    std::size_t len = block.text.size();
    if (OSSL_DECODER_from_data(ctx.get(), &data, &len) != 1 || raw == nullptr) {
        EVP_PKEY_free(raw);
        return fail("line {}: cannot decode the \"{}\" block (malformed, or not an RSA key): {}", block.line,
                    label, take_openssl_errors());
    }
    return raw;
}

// The first block with any of the given labels (earliest in the text wins), with its label.
Result<std::optional<std::pair<PemBlock, std::string_view>>> first_block(
    std::string_view text, std::initializer_list<std::string_view> labels) {
    std::optional<std::pair<PemBlock, std::string_view>> best;
    for (std::string_view label : labels) {
        auto found = find_pem_block(text, label);
        if (!found) return fail(std::move(found.error()));
        if (*found && (!best || (*found)->line < best->first.line)) best.emplace(**found, label);
    }
    return best;
}

// The OSSL_ENCODER output for the given selection, structure "type-specific" (PKCS#1).
// OpenSSL allocates the output; it is copied into a SecretBuffer and wiped at once.
Result<SecretBuffer> encode_pkcs1(EVP_PKEY* pkey, int selection) {
    ERR_clear_error();
    detail::EncoderCtxPtr ctx(
        OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", "type-specific", nullptr));
    unsigned char* data = nullptr;
    std::size_t len = 0;
    if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0 ||
        OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1) {
        return fail("{}", take_openssl_errors());
    }
    SecretBuffer out = SecretBuffer::copy_of(std::span<const std::uint8_t>(data, len));
    OPENSSL_clear_free(data, len);
    return out;
}

}  // namespace

Result<RsaKey> RsaKey::parse_private_pem(std::string_view text) {
    auto found = first_block(text, {kPkcs1Private, kPkcs8Private});
    if (!found) return fail(std::move(found.error()));
    if (!*found) {
        auto encrypted = find_pem_block(text, kPkcs8Encrypted);
        if (encrypted && *encrypted) {
            return fail("line {}: the private key is encrypted; sluice needs an unencrypted key",
                        (*encrypted)->line);
        }
        return fail("no \"-----BEGIN {}-----\" block found", kPkcs1Private);
    }
    const auto& [block, label] = **found;
    // A traditional PEM with "Proc-Type: 4,ENCRYPTED" would make OpenSSL ask for a
    // passphrase; say what is wrong instead of reporting a decoder failure.
    // Only the header is looked for: ':' and '-' cannot occur in base64.
    if (block.body.find("Proc-Type:") != std::string_view::npos) {
        return fail("line {}: the private key is encrypted; sluice needs an unencrypted key", block.line);
    }
    auto raw = decode_block(block, label, EVP_PKEY_KEYPAIR);
    if (!raw) return fail(std::move(raw.error()));
    auto key = adopt(*raw, true);
    if (!key) return fail(key.error().with_context(fmt::format("line {}", block.line)));
    // Catches a corrupted file whose numbers still parse; decrypting the METAKEY with a
    // wrong d would fail later in a much less obvious way.
    if (auto ok = key->self_test(); !ok) {
        return fail("line {}: the private key is inconsistent: {}", block.line, ok.error().message);
    }
    return key;
}

Result<RsaKey> RsaKey::parse_public_pem(std::string_view text) {
    // Like tinc (PEM_read_RSAPublicKey first, then PEM_read_RSA_PUBKEY on the rewound
    // file), a PKCS#1 block anywhere in the file takes precedence over an SPKI block, and
    // the SPKI block is still tried when the PKCS#1 one cannot be decoded.
    auto pkcs1 = find_pem_block(text, kPkcs1Public);
    auto spki = find_pem_block(text, kSpkiPublic);
    std::optional<Error> pkcs1_error;
    if (!pkcs1) {
        pkcs1_error = pkcs1.error();
    } else if (*pkcs1) {
        auto raw = decode_block(**pkcs1, kPkcs1Public, EVP_PKEY_PUBLIC_KEY);
        if (raw) {
            auto key = adopt(*raw, false);
            if (key) return key;
            pkcs1_error = key.error().with_context(fmt::format("line {}", (*pkcs1)->line));
        } else {
            pkcs1_error = raw.error();
        }
    }
    if (!spki) return fail(pkcs1_error.value_or(spki.error()));
    if (!*spki) {
        if (pkcs1_error) return fail(*pkcs1_error);
        return fail("no \"-----BEGIN {}-----\" or \"-----BEGIN {}-----\" block found", kPkcs1Public,
                    kSpkiPublic);
    }
    auto raw = decode_block(**spki, kSpkiPublic, EVP_PKEY_PUBLIC_KEY);
    if (!raw) return fail(pkcs1_error.value_or(raw.error()));
    auto key = adopt(*raw, false);
    if (!key)
        return fail(pkcs1_error.value_or(key.error().with_context(fmt::format("line {}", (*spki)->line))));
    return key;
}

Result<SecretBuffer> RsaKey::private_pem() const {
    if (!has_private_) return fail("cannot write a private key file from a public key");
    auto pem = encode_pkcs1(pkey_.get(), EVP_PKEY_KEYPAIR);
    if (!pem) {
        // The usual cause: a key from the obsolete "PrivateKey = <hex>" form has no prime
        // factors, and PKCS#1 requires them.
        return fail(
            "cannot encode the RSA private key as PEM (a key from the obsolete PrivateKey form "
            "cannot be written): {}",
            pem.error().message);
    }
    return pem;
}

Result<std::string> RsaKey::public_pem() const {
    auto pem = encode_pkcs1(pkey_.get(), EVP_PKEY_PUBLIC_KEY);
    if (!pem) return fail("cannot encode the RSA public key as PEM: {}", pem.error().message);
    return std::string(pem->view());
}

}  // namespace sluice::crypto
