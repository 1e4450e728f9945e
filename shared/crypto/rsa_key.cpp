// RsaKey construction, the obsolete hex forms, comparison and raw RSA. The PEM encoders
// and decoders are in rsa_pem.cpp.
#include "shared/crypto/rsa_key.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "shared/crypto/hex.hpp"
#include "shared/crypto/openssl_util.hpp"

namespace sluice::crypto {

using detail::BignumPtr;
using detail::take_openssl_errors;

void RsaKey::PkeyFree::operator()(EVP_PKEY* pkey) const noexcept {
    EVP_PKEY_free(pkey);
}

namespace {

// Hex as tinc's BN_hex2bn reads it: either case, and an odd number of digits is fine (a
// leading zero nibble is implied). The digits may be a private exponent, so every copy
// lives in a SecretBuffer and the BIGNUM is allocated in OpenSSL's secure heap.
Result<BignumPtr> bignum_from_hex(std::string_view hex, std::string_view what) {
    if (hex.empty()) return fail("{} is empty", what);
    // Far above any usable key (kMaxBits / 4 digits); keeps the int conversion below safe.
    if (hex.size() > 4 * static_cast<std::size_t>(RsaKey::kMaxBits)) {
        return fail("{} is too long ({} hex digits)", what, hex.size());
    }
    // Checked here rather than by from_hex_secret so positions refer to the user's text,
    // not to the zero-padded copy.
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return fail("{} is not valid hex (bad character at position {})", what, i);
        }
    }
    const std::size_t pad = hex.size() % 2;
    SecretBuffer padded(hex.size() + pad);
    padded.data()[0] = '0';
    std::memcpy(padded.data() + pad, hex.data(), hex.size());
    auto bytes = from_hex_secret(padded.view());
    if (!bytes) return fail("{}: {}", what, bytes.error().message);
    BignumPtr bn(BN_secure_new());
    if (!bn || BN_bin2bn(bytes->data(), static_cast<int>(bytes->size()), bn.get()) == nullptr) {
        return fail("cannot convert {}: {}", what, take_openssl_errors());
    }
    return bn;
}

// Imports (n, e[, d]) into an EVP_PKEY. d, when present, must be a secure BIGNUM so that
// OSSL_PARAM_free wipes its copy.
Result<detail::PkeyPtr> import_rsa(const BIGNUM* n, unsigned e, const BIGNUM* d) {
    ERR_clear_error();
    BignumPtr e_bn(BN_new());
    detail::ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!e_bn || !bld || BN_set_word(e_bn.get(), e) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1 ||
        (d != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d) != 1)) {
        return fail("cannot build RSA key parameters: {}", take_openssl_errors());
    }
    detail::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, d != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1) {
        return fail("cannot import RSA key: {}", take_openssl_errors());
    }
    return detail::PkeyPtr(raw);
}

// Sets up an encrypt or decrypt context for raw RSA. RSA_NO_PADDING on an EVP_PKEY_CTX
// is the OpenSSL 3 way to do what tinc does with RSA_public_encrypt/RSA_private_decrypt.
Result<detail::PkeyCtxPtr> raw_rsa_ctx(EVP_PKEY* pkey, bool encrypt) {
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx || (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
        return fail("cannot set up raw RSA: {}", take_openssl_errors());
    }
    return ctx;
}

// Moves the first `produced` bytes of out to its end, zero-filling the front: OpenSSL
// already pads to the modulus size for RSA_NO_PADDING, but the wire format depends on it,
// so it is not left to chance.
void left_pad(std::span<std::uint8_t> out, std::size_t produced) {
    if (produced >= out.size()) return;
    std::copy_backward(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(produced), out.end());
    std::fill(out.begin(), out.end() - static_cast<std::ptrdiff_t>(produced), std::uint8_t{0});
}

}  // namespace

Result<RsaKey> RsaKey::generate(int bits) {
    if (bits < kMinGenerateBits) {
        return fail("RSA key size {} is too small: sluice refuses keys under {} bits, they can be factored",
                    bits, kMinGenerateBits);
    }
    if (bits > kMaxBits) {
        return fail(
            "RSA key size {} is too large: tinc peers cannot take keys over {} bits "
            "(the METAKEY line would overflow their buffer)",
            bits, kMaxBits);
    }
    if (bits % 8 != 0) return fail("RSA key size {} is not a multiple of 8", bits);

    ERR_clear_error();
    std::size_t bits_param = static_cast<std::size_t>(bits);
    unsigned e_param = kGenerateExponent;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits_param),
        OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e_param),
        OSSL_PARAM_construct_end(),
    };
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
        EVP_PKEY_generate(ctx.get(), &raw) != 1) {
        return fail("RSA key generation failed: {}", take_openssl_errors());
    }
    return adopt(raw, true);
}

Result<RsaKey> RsaKey::adopt(EVP_PKEY* raw, bool has_private) {
    detail::PkeyPtr pkey(raw);
    if (!pkey) return fail("no key");
    if (EVP_PKEY_is_a(pkey.get(), "RSA") != 1) return fail("not an RSA key");
    const int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits < kMinParseBits)
        return fail("RSA key of {} bits is too small (minimum {})", bits, kMinParseBits);
    if (bits > kMaxBits) {
        return fail("RSA key of {} bits is too large: tinc's METAKEY limits keys to {} bits", bits, kMaxBits);
    }
    return RsaKey(Pkey(pkey.release()), has_private, bits);
}

Result<RsaKey> RsaKey::from_public_hex(std::string_view modulus_hex) {
    auto n = bignum_from_hex(modulus_hex, "PublicKey modulus");
    if (!n) return fail(std::move(n.error()));
    auto pkey = import_rsa(n->get(), kObsoleteHexExponent, nullptr);
    if (!pkey) return fail(std::move(pkey.error()));
    return adopt(pkey->release(), false);
}

Result<RsaKey> RsaKey::from_private_hex(std::string_view modulus_hex, std::string_view d_hex) {
    auto n = bignum_from_hex(modulus_hex, "PublicKey modulus");
    if (!n) return fail(std::move(n.error()));
    auto d = bignum_from_hex(d_hex, "PrivateKey exponent");
    if (!d) return fail(std::move(d.error()));
    if (BN_is_zero(d->get()) || BN_cmp(d->get(), n->get()) >= 0) {
        return fail("PrivateKey exponent is not between 0 and the PublicKey modulus");
    }
    auto pkey = import_rsa(n->get(), kObsoleteHexExponent, d->get());
    if (!pkey) return fail(std::move(pkey.error()));
    auto key = adopt(pkey->release(), true);
    if (!key) return key;
    if (auto ok = key->self_test(); !ok) {
        return fail("PrivateKey does not belong to PublicKey ({})", ok.error().message);
    }
    return key;
}

Status RsaKey::self_test() const {
    // Any value below n works; 0x00 followed by a fixed pattern is below n for every
    // modulus length and exercises all bytes.
    std::vector<std::uint8_t> probe(modulus_bytes(), 0xA5);
    probe[0] = 0;
    auto encrypted = raw_encrypt_public(probe);
    if (!encrypted) return fail(std::move(encrypted.error()));
    auto decrypted = raw_decrypt_private(*encrypted);
    if (!decrypted) return fail(std::move(decrypted.error()));
    if (!decrypted->equals(probe)) return fail("a test decryption gave the wrong result");
    return {};
}

bool RsaKey::matches(const RsaKey& other) const {
    auto get = [](EVP_PKEY* pkey, const char* name) {
        BIGNUM* raw = nullptr;
        EVP_PKEY_get_bn_param(pkey, name, &raw);
        return BignumPtr(raw);
    };
    // Compared explicitly on (n, e): the public half is all that has to agree, whatever
    // else (d, factors) either key holds.
    BignumPtr n1 = get(pkey_.get(), OSSL_PKEY_PARAM_RSA_N),
              n2 = get(other.pkey_.get(), OSSL_PKEY_PARAM_RSA_N);
    BignumPtr e1 = get(pkey_.get(), OSSL_PKEY_PARAM_RSA_E),
              e2 = get(other.pkey_.get(), OSSL_PKEY_PARAM_RSA_E);
    ERR_clear_error();
    return n1 && n2 && e1 && e2 && BN_cmp(n1.get(), n2.get()) == 0 && BN_cmp(e1.get(), e2.get()) == 0;
}

Result<std::vector<std::uint8_t>> RsaKey::raw_encrypt_public(std::span<const std::uint8_t> input) const {
    const std::size_t len = modulus_bytes();
    if (input.size() != len) {
        return fail("raw RSA input is {} bytes, but this {}-bit key needs exactly {}", input.size(), bits_,
                    len);
    }
    ERR_clear_error();
    auto ctx = raw_rsa_ctx(pkey_.get(), true);
    if (!ctx) return fail(std::move(ctx.error()));
    std::vector<std::uint8_t> out(len);
    std::size_t produced = out.size();
    if (EVP_PKEY_encrypt(ctx->get(), out.data(), &produced, input.data(), input.size()) != 1) {
        return fail("raw RSA encryption failed: {}", take_openssl_errors());
    }
    left_pad(out, produced);
    return out;
}

Result<SecretBuffer> RsaKey::raw_decrypt_private(std::span<const std::uint8_t> input) const {
    if (!has_private_) return fail("raw RSA decryption needs a private key, this is a public key");
    const std::size_t len = modulus_bytes();
    if (input.size() != len) {
        return fail("raw RSA input is {} bytes, but this {}-bit key needs exactly {}", input.size(), bits_,
                    len);
    }
    ERR_clear_error();
    auto ctx = raw_rsa_ctx(pkey_.get(), false);
    if (!ctx) return fail(std::move(ctx.error()));
    SecretBuffer out(len);
    std::size_t produced = out.size();
    if (EVP_PKEY_decrypt(ctx->get(), out.data(), &produced, input.data(), input.size()) != 1) {
        return fail("raw RSA decryption failed: {}", take_openssl_errors());
    }
    left_pad(out.span(), produced);
    return out;
}

}  // namespace sluice::crypto
