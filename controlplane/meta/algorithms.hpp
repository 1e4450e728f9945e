// Cipher and digest lookup for tinc 1.0's wire protocol, which names algorithms by OpenSSL
// NID (METAKEY, ANS_KEY) and configuration by OpenSSL name ("Cipher = aes-256-cbc").
//
// OpenSSL 3 trap (spec 6.2): the old lookup functions tinc uses still *find* Blowfish, CAST,
// single DES, IDEA, SEED and RC2/4/5 when only the default provider is loaded; only the
// later key setup fails, and tinc 1.0.36 does not always notice, so its links silently fall
// back to TCP. Every lookup here therefore also fetches an implementation from a loaded
// provider and fails loudly, naming the algorithm, when none exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "shared/crypto/openssl_ptr.hpp"
#include "shared/util/result.hpp"

namespace sluice::meta {

// A cipher that a loaded OpenSSL provider implements. nid 0 is tinc's "none" (no
// encryption): all sizes zero except block_size 1.
struct CipherInfo {
    int nid = 0;
    std::string name;  // OpenSSL's lowercase long name ("aes-256-cbc"), or "none"
    std::size_t key_length = 0;
    std::size_t iv_length = 0;
    std::size_t block_size = 1;
    // True for modes that turn any number of input bytes into as many output bytes at once
    // (CFB, OFB, CTR, stream ciphers). Only those can run the meta connection: tinc feeds
    // arbitrary chunks through EVP_*Update and insists on equal in/out lengths.
    bool stream_mode = false;

    [[nodiscard]] bool is_none() const noexcept { return nid == 0; }
};

// A digest that a loaded provider implements. nid 0 is tinc's "none" (no MAC), size 0.
struct DigestInfo {
    int nid = 0;
    std::string name;  // "sha256", or "none"
    std::size_t size = 0;

    [[nodiscard]] bool is_none() const noexcept { return nid == 0; }
};

// Owning handles for fetched OpenSSL 3 algorithm objects.
using crypto::EvpCipherPtr;
using crypto::EvpMdPtr;

// By NID as it appears on the wire. 0 gives the "none" entry. Errors: "unknown cipher NID
// n" for NIDs OpenSSL does not know as a cipher, and for known but unimplemented ones
// "cipher bf-cbc (NID 91) needs OpenSSL's legacy provider, which is not loaded; use
// aes-256-cbc".
[[nodiscard]] Result<CipherInfo> cipher_by_nid(int nid);
[[nodiscard]] Result<DigestInfo> digest_by_nid(int nid);

// By tinc configuration value. OpenSSL names and aliases in any case ("aes-256-cbc",
// "AES256", "blowfish"); "none" (any case, as tinc's strcasecmp) gives nid 0.
[[nodiscard]] Result<CipherInfo> cipher_by_name(std::string_view name);
[[nodiscard]] Result<DigestInfo> digest_by_name(std::string_view name);

// The implementation behind a non-zero NID, with the same errors as cipher_by_nid.
[[nodiscard]] Result<EvpCipherPtr> fetch_cipher(int nid);
[[nodiscard]] Result<EvpMdPtr> fetch_digest(int nid);

// The sizes and mode of an implementation fetch_cipher returned.
[[nodiscard]] CipherInfo describe_cipher(const EVP_CIPHER& cipher);

// The meta-connection cipher tinc 1.0.30+ picks (spec 2.3): AES in CFB-128 mode, sized by
// the node's own UDP cipher key length: <= 16 bytes -> aes-128-cfb (421), <= 24 ->
// aes-192-cfb (425), otherwise aes-256-cfb (429). "Cipher = none" has key length 0 and so
// gets aes-128-cfb; the default aes-256-cbc gets 429.
[[nodiscard]] int meta_cipher_nid_for_udp_key_length(std::size_t udp_key_length) noexcept;

}  // namespace sluice::meta
