#include "controlplane/meta/algorithms.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "controlplane/protocol/constants.hpp"

namespace sluice::meta {

namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return out;
}

bool is_none(std::string_view name) {
    return lowercase(name) == "none";
}

// What the user reads: OpenSSL's long name in lowercase, the form tinc.conf uses.
std::string display_name(int nid) {
    const char* ln = OBJ_nid2ln(nid);
    return ln != nullptr ? lowercase(ln) : std::string("nid-") + std::to_string(nid);
}

// OpenSSL 3.0 moved these families into the legacy provider (Debian does not load it).
// Triple DES ("des-ede*") stayed in the default provider, single DES did not. Only used to
// word the error: whether the cipher works is decided by the fetch itself.
bool is_legacy_cipher(std::string_view name) {
    static constexpr std::array<std::string_view, 8> prefixes = {"bf-",  "cast5-", "idea-", "seed-",
                                                                 "rc2-", "rc4",    "rc5-",  "desx-"};
    for (std::string_view prefix : prefixes) {
        if (name.starts_with(prefix)) return true;
    }
    return name.starts_with("des-") && !name.starts_with("des-ede");
}

bool is_legacy_digest(std::string_view name) {
    // ripemd160 was legacy-only in OpenSSL 3.0.0 to 3.0.6.
    return name == "md4" || name == "mdc2" || name == "whirlpool" || name == "ripemd160";
}

std::unexpected<Error> unavailable(const char* kind, int nid, bool legacy, const char* instead) {
    ERR_clear_error();  // the failed fetch left its reason on the queue; the message below says it better
    if (legacy) {
        return fail("{} {} (NID {}) needs OpenSSL's legacy provider, which is not loaded; use {}", kind,
                    display_name(nid), nid, instead);
    }
    return fail("{} {} (NID {}) is known to OpenSSL but no loaded provider implements it; use {}", kind,
                display_name(nid), nid, instead);
}

// The legacy lookup tinc uses: finds every cipher OpenSSL has a NID and name for, whether or
// not a provider implements it. Returns the canonical NID, or 0 if unknown.
int known_cipher_nid(int nid) {
    const char* sn = nid > 0 ? OBJ_nid2sn(nid) : nullptr;
    const EVP_CIPHER* known = sn != nullptr ? EVP_get_cipherbyname(sn) : nullptr;
    ERR_clear_error();
    return known != nullptr ? EVP_CIPHER_get_nid(known) : 0;
}

int known_digest_nid(int nid) {
    const char* sn = nid > 0 ? OBJ_nid2sn(nid) : nullptr;
    const EVP_MD* known = sn != nullptr ? EVP_get_digestbyname(sn) : nullptr;
    ERR_clear_error();
    return known != nullptr ? EVP_MD_get_type(known) : 0;
}

bool mode_streams(const EVP_CIPHER* cipher) {
    if ((EVP_CIPHER_get_flags(cipher) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0) return false;
    if (EVP_CIPHER_get_block_size(cipher) != 1) return false;
    switch (EVP_CIPHER_get_mode(cipher)) {
        case EVP_CIPH_STREAM_CIPHER:
        case EVP_CIPH_CFB_MODE:
        case EVP_CIPH_OFB_MODE:
        case EVP_CIPH_CTR_MODE:
            return true;
        default:
            return false;
    }
}

std::size_t size_of(int openssl_size) {
    return openssl_size > 0 ? static_cast<std::size_t>(openssl_size) : 0;
}

}  // namespace

Result<EvpCipherPtr> fetch_cipher(int nid) {
    const int canonical = known_cipher_nid(nid);
    if (canonical == 0) return fail("unknown cipher NID {}", nid);
    const std::string name = display_name(canonical);
    EvpCipherPtr cipher(EVP_CIPHER_fetch(nullptr, OBJ_nid2sn(canonical), nullptr));
    if (!cipher) return unavailable("cipher", canonical, is_legacy_cipher(name), "aes-256-cbc");
    return cipher;
}

Result<EvpMdPtr> fetch_digest(int nid) {
    const int canonical = known_digest_nid(nid);
    if (canonical == 0) return fail("unknown digest NID {}", nid);
    const std::string name = display_name(canonical);
    EvpMdPtr md(EVP_MD_fetch(nullptr, OBJ_nid2sn(canonical), nullptr));
    if (!md) return unavailable("digest", canonical, is_legacy_digest(name), "sha256");
    return md;
}

Result<CipherInfo> cipher_by_nid(int nid) {
    if (nid == 0) return CipherInfo{.nid = 0, .name = "none"};
    auto cipher = fetch_cipher(nid);
    if (!cipher) return fail(std::move(cipher.error()));
    return describe_cipher(**cipher);
}

CipherInfo describe_cipher(const EVP_CIPHER& cipher) {
    const int nid = EVP_CIPHER_get_nid(&cipher);
    return CipherInfo{
        .nid = nid,
        .name = display_name(nid),
        .key_length = size_of(EVP_CIPHER_get_key_length(&cipher)),
        .iv_length = size_of(EVP_CIPHER_get_iv_length(&cipher)),
        .block_size = std::max<std::size_t>(1, size_of(EVP_CIPHER_get_block_size(&cipher))),
        .stream_mode = mode_streams(&cipher),
    };
}

Result<DigestInfo> digest_by_nid(int nid) {
    if (nid == 0) return DigestInfo{.nid = 0, .name = "none"};
    auto md = fetch_digest(nid);
    if (!md) return fail(std::move(md.error()));
    const int canonical = EVP_MD_get_type(md->get());
    return DigestInfo{
        .nid = canonical,
        .name = display_name(canonical),
        .size = size_of(EVP_MD_get_size(md->get())),
    };
}

Result<CipherInfo> cipher_by_name(std::string_view name) {
    if (name.empty()) return fail("empty cipher name");
    if (is_none(name)) return cipher_by_nid(0);
    const std::string z(name);
    // The legacy table knows tinc-era aliases ("blowfish", "aes256"); a provider fetch also
    // finds algorithms only a provider names. Either way the NID decides, because that is
    // what goes on the wire.
    int nid = NID_undef;
    if (const EVP_CIPHER* known = EVP_get_cipherbyname(z.c_str())) {
        nid = EVP_CIPHER_get_nid(known);
    } else if (EvpCipherPtr fetched{EVP_CIPHER_fetch(nullptr, z.c_str(), nullptr)}) {
        nid = EVP_CIPHER_get_nid(fetched.get());
        if (nid == NID_undef)
            return fail("cipher \"{}\" has no OpenSSL NID, so tinc's protocol cannot name it", name);
    }
    ERR_clear_error();
    if (nid == NID_undef) return fail("unknown cipher \"{}\"", name);
    return cipher_by_nid(nid);
}

Result<DigestInfo> digest_by_name(std::string_view name) {
    if (name.empty()) return fail("empty digest name");
    if (is_none(name)) return digest_by_nid(0);
    const std::string z(name);
    int nid = NID_undef;
    if (const EVP_MD* known = EVP_get_digestbyname(z.c_str())) {
        nid = EVP_MD_get_type(known);
    } else if (EvpMdPtr fetched{EVP_MD_fetch(nullptr, z.c_str(), nullptr)}) {
        nid = EVP_MD_get_type(fetched.get());
        if (nid == NID_undef)
            return fail("digest \"{}\" has no OpenSSL NID, so tinc's protocol cannot name it", name);
    }
    ERR_clear_error();
    if (nid == NID_undef) return fail("unknown digest \"{}\"", name);
    return digest_by_nid(nid);
}

int meta_cipher_nid_for_udp_key_length(std::size_t udp_key_length) noexcept {
    if (udp_key_length <= 16) return protocol::nid_aes_128_cfb;
    if (udp_key_length <= 24) return protocol::nid_aes_192_cfb;
    return protocol::nid_aes_256_cfb;
}

}  // namespace sluice::meta
