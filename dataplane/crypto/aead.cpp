#include "dataplane/crypto/aead.hpp"

#include <climits>
#include <new>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "shared/crypto/sodium_init.hpp"

namespace sluice::dataplane::crypto {

static_assert(aead_key_length == crypto_aead_aes256gcm_KEYBYTES);
static_assert(aead_key_length == crypto_aead_chacha20poly1305_ietf_KEYBYTES);
static_assert(aead_nonce_length == crypto_aead_aes256gcm_NPUBBYTES);
static_assert(aead_nonce_length == crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
static_assert(aead_tag_length == crypto_aead_aes256gcm_ABYTES);
static_assert(aead_tag_length == crypto_aead_chacha20poly1305_ietf_ABYTES);
static_assert(aead_max_text <= crypto_aead_aes256gcm_MESSAGEBYTES_MAX);
static_assert(aead_max_text <= crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX);
static_assert(aead_max_text + aead_max_aad < static_cast<std::size_t>(INT_MAX));

struct Aead::SodiumAesState {
    crypto_aead_aes256gcm_state state;
};

void Aead::SodiumAesStateDeleter::operator()(SodiumAesState* state) const noexcept {
    // The expanded AES key schedule is as secret as the key.
    sodium_memzero(state, sizeof *state);
    delete state;
}

namespace {

const char* openssl_name(AeadAlgorithm algorithm) noexcept {
    return algorithm == AeadAlgorithm::aes_256_gcm ? "AES-256-GCM" : "ChaCha20-Poly1305";
}

bool known(AeadAlgorithm algorithm) noexcept {
    return algorithm == AeadAlgorithm::aes_256_gcm || algorithm == AeadAlgorithm::chacha20_poly1305;
}

}  // namespace

std::string_view name(AeadAlgorithm algorithm) noexcept {
    switch (algorithm) {
        case AeadAlgorithm::aes_256_gcm:
            return "aes-256-gcm";
        case AeadAlgorithm::chacha20_poly1305:
            return "chacha20-poly1305";
    }
    return "unknown";
}

std::string_view name(AeadBackend backend) noexcept {
    switch (backend) {
        case AeadBackend::openssl:
            return "openssl";
        case AeadBackend::libsodium:
            return "libsodium";
    }
    return "unknown";
}

bool aes_gcm_hardware_available() {
    if (!sluice::crypto::ensure_sodium_initialized()) return false;
    // libsodium checks exactly the two instructions a constant-time, fast GCM needs.
    return crypto_aead_aes256gcm_is_available() == 1;
}

bool aead_available(AeadAlgorithm algorithm, AeadBackend backend) {
    if (!known(algorithm)) return false;
    if (backend == AeadBackend::libsodium) {
        if (!sluice::crypto::ensure_sodium_initialized()) return false;
        return algorithm == AeadAlgorithm::chacha20_poly1305 || crypto_aead_aes256gcm_is_available() == 1;
    }
    sluice::crypto::EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, openssl_name(algorithm), nullptr));
    ERR_clear_error();
    return cipher != nullptr;
}

Result<Aead> Aead::create(AeadAlgorithm algorithm, AeadBackend backend, std::span<const std::uint8_t> key) {
    if (!known(algorithm)) return fail("unknown AEAD algorithm {}", static_cast<int>(algorithm));
    if (key.size() != aead_key_length) {
        return fail("{} needs a {}-byte key, not {}", name(algorithm), aead_key_length, key.size());
    }
    Aead aead(algorithm, backend);
    switch (backend) {
        case AeadBackend::openssl: {
            ERR_clear_error();
            sluice::crypto::EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, openssl_name(algorithm), nullptr));
            aead.evp_.reset(EVP_CIPHER_CTX_new());
            // The key is set once; each call re-initialises with the nonce only, which keeps the
            // key schedule (and for GCM the GHASH table) instead of recomputing it per packet.
            if (!cipher || !aead.evp_ ||
                EVP_CipherInit_ex(aead.evp_.get(), cipher.get(), nullptr, key.data(), nullptr, 1) != 1) {
                ERR_clear_error();
                return fail("OpenSSL cannot key {}", name(algorithm));
            }
            // 12 bytes is the default for both ciphers; set it anyway so that a provider with
            // another default cannot silently change the nonce construction.
            if (EVP_CIPHER_CTX_ctrl(aead.evp_.get(), EVP_CTRL_AEAD_SET_IVLEN,
                                    static_cast<int>(aead_nonce_length), nullptr) != 1) {
                ERR_clear_error();
                return fail("OpenSSL refuses a {}-byte nonce for {}", aead_nonce_length, name(algorithm));
            }
            return aead;
        }
        case AeadBackend::libsodium: {
            if (auto ok = sluice::crypto::ensure_sodium_initialized(); !ok)
                return fail(std::move(ok.error()));
            if (algorithm == AeadAlgorithm::chacha20_poly1305) {
                aead.chacha_key_ = sluice::crypto::SecretBuffer::copy_of(key);
                return aead;
            }
            if (crypto_aead_aes256gcm_is_available() != 1) {
                return fail("libsodium's aes-256-gcm needs AES-NI and PCLMUL, which this CPU lacks");
            }
            aead.aes_.reset(new SodiumAesState);
            if (crypto_aead_aes256gcm_beforenm(&aead.aes_->state, key.data()) != 0) {
                return fail("libsodium cannot key aes-256-gcm");
            }
            return aead;
        }
    }
    return fail("unknown AEAD backend {}", static_cast<int>(backend));
}

Aead::Aead(Aead&& other) noexcept
    : algorithm_(other.algorithm_),
      backend_(other.backend_),
      evp_(std::move(other.evp_)),
      aes_(std::move(other.aes_)),
      chacha_key_(std::move(other.chacha_key_)) {}

Aead& Aead::operator=(Aead&& other) noexcept {
    if (this != &other) {
        algorithm_ = other.algorithm_;
        backend_ = other.backend_;
        evp_ = std::move(other.evp_);
        aes_ = std::move(other.aes_);
        chacha_key_ = std::move(other.chacha_key_);
    }
    return *this;
}

// The members wipe themselves: EVP_CIPHER_CTX_free cleanses the key schedule, the deleter
// above the libsodium state, SecretBuffer the ChaCha key.
Aead::~Aead() = default;

bool Aead::evp_crypt(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                     std::uint8_t* tag, bool encrypt) noexcept {
    EVP_CIPHER_CTX* ctx = evp_.get();
    const int enc = encrypt ? 1 : 0;
    int n = 0;
    // cipher and key NULL: only the nonce and the direction change; the key schedule stays.
    if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data(), enc) != 1) {
        ERR_clear_error();
        return false;
    }
    // Both providers accept the expected tag any time before Final.
    if (!encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(aead_tag_length), tag) != 1) {
        ERR_clear_error();
        return false;
    }
    if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
        ERR_clear_error();
        return false;
    }
    if (!text.empty() &&
        (EVP_CipherUpdate(ctx, text.data(), &n, text.data(), static_cast<int>(text.size())) != 1 ||
         static_cast<std::size_t>(n) != text.size())) {
        ERR_clear_error();
        return false;
    }
    // Stream modes: Final writes nothing; for decryption it is where the tag is compared.
    if (EVP_CipherFinal_ex(ctx, text.data() + text.size(), &n) != 1 || n != 0) {
        ERR_clear_error();
        return false;
    }
    if (encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aead_tag_length), tag) != 1) {
        ERR_clear_error();
        return false;
    }
    return true;
}

bool Aead::seal(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                std::span<std::uint8_t, aead_tag_length> tag) noexcept {
    if (text.size() > aead_max_text || aad.size() > aead_max_aad) return false;
    // An empty span may carry a null pointer; neither library promises to accept one.
    std::uint8_t none = 0;
    if (text.empty()) text = {&none, 0};
    if (evp_) return evp_crypt(nonce, aad, text, tag.data(), true);
    unsigned long long tag_length = 0;
    // libsodium allows the output to be the input (same address) in detached mode.
    if (aes_) {
        return crypto_aead_aes256gcm_encrypt_detached_afternm(
                   text.data(), tag.data(), &tag_length, text.data(), text.size(), aad.data(), aad.size(),
                   nullptr, nonce.data(), &aes_->state) == 0 &&
               tag_length == aead_tag_length;
    }
    if (!chacha_key_.empty()) {
        return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                   text.data(), tag.data(), &tag_length, text.data(), text.size(), aad.data(), aad.size(),
                   nullptr, nonce.data(), chacha_key_.data()) == 0 &&
               tag_length == aead_tag_length;
    }
    return false;
}

bool Aead::open(Nonce nonce, std::span<const std::uint8_t> aad, std::span<std::uint8_t> text,
                std::span<const std::uint8_t, aead_tag_length> tag) noexcept {
    if (text.size() > aead_max_text || aad.size() > aead_max_aad) return false;
    std::uint8_t none = 0;
    if (text.empty()) text = {&none, 0};
    if (evp_) {
        // EVP's SET_TAG ctrl takes a non-const pointer but only copies from it.
        return evp_crypt(nonce, aad, text, const_cast<std::uint8_t*>(tag.data()), false);
    }
    if (aes_) {
        return crypto_aead_aes256gcm_decrypt_detached_afternm(text.data(), nullptr, text.data(), text.size(),
                                                              tag.data(), aad.data(), aad.size(),
                                                              nonce.data(), &aes_->state) == 0;
    }
    if (!chacha_key_.empty()) {
        return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                   text.data(), nullptr, text.data(), text.size(), tag.data(), aad.data(), aad.size(),
                   nonce.data(), chacha_key_.data()) == 0;
    }
    return false;
}

}  // namespace sluice::dataplane::crypto
