// tinc 1.0.36's legacy UDP packet format (spec 5.1, 5.2), sealed and opened in place:
//
//   datagram = C || T
//   C = CBC-encrypt(key = K[0:keylen], IV = K[keylen:keylen+ivlen], PKCS#7, seqno_be32 || F')
//   T = first mac_length bytes of HMAC-<digest>(key = all of K, message = C)
//
// F' is the frame AFTER compression. Compression (spec 5.5) is a separate stage that is not
// done here: seal() takes an already-compressed payload, and the payload open() returns is
// still compressed with the level the receiver advertised. Keeping it out of this class keeps
// the crypto byte-exact and testable on its own; the worker pipeline inserts the
// (de)compression step between this and the replay check / the TUN device.
//
// Key layout (spec 4.3): the UDP key K is cipher key FIRST, then IV, and the HMAC key is ALL
// of K. The meta-connection key is the other way round (IV first, from the end of the RSA
// plaintext); the two must not be confused. With cipher none K is one random byte that only
// keys the HMAC.
//
// Threading: a LegacyCipherState holds mutable OpenSSL contexts, so it belongs to exactly one
// worker. Make one per (peer, key generation) per worker and never share it between threads;
// it is movable so it can live in a per-worker table.
//
// Hot path: seal() and open() are noexcept, work in place, allocate nothing themselves and
// never throw or log. One caveat outside sluice's control: restarting a keyed HMAC in
// OpenSSL before 3.5 duplicates the digest context (EVP_MD_CTX_copy_ex -> dupctx, openssl
// issue #25703), i.e. one malloc/free pair at MAC init and one at MAC final inside OpenSSL.
// The cipher path allocates nothing. legacy_packet_test pins both facts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <openssl/evp.h>

#include "shared/crypto/openssl_ptr.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane::crypto {

// Bytes seal() writes in front of the payload: the 32-bit sequence number.
inline constexpr std::size_t legacy_seqno_length = 4;
// The largest tailroom any supported suite needs (a cipher block of padding plus a full
// digest), so that buffer pools can be sized before any key is known.
inline constexpr std::size_t legacy_max_tailroom = EVP_MAX_BLOCK_LENGTH + EVP_MAX_MD_SIZE;
// Above this a datagram cannot be sent over UDP anyway; the bound also keeps every length
// that is handed to OpenSSL well inside an int.
inline constexpr std::size_t legacy_max_datagram = 65535;

enum class SealDrop : std::uint8_t {
    none,            // sealed
    no_headroom,     // fewer than 4 bytes in front of the payload for the seqno
    no_tailroom,     // no room after the payload for padding and MAC
    too_long,        // the datagram would exceed legacy_max_datagram
    encrypt_failed,  // OpenSSL refused the CBC encryption
    mac_failed,      // OpenSSL refused the HMAC computation
};
inline constexpr std::size_t seal_drop_count = 6;

enum class OpenDrop : std::uint8_t {
    none,            // opened
    too_short,       // shorter than seqno + MAC, or decrypted to less than a seqno
    bad_mac,         // truncated HMAC mismatch: wrong key, corruption or forgery
    bad_padding,     // decrypted, but the PKCS#7 padding is invalid
    decrypt_failed,  // ciphertext not a whole number of blocks, or OpenSSL refused
    mac_failed,      // OpenSSL refused the HMAC computation (never the peer's fault)
};
inline constexpr std::size_t open_drop_count = 6;

// Stable names for counters and `sluicectl` output.
[[nodiscard]] std::string_view name(SealDrop drop) noexcept;
[[nodiscard]] std::string_view name(OpenDrop drop) noexcept;

struct SealVerdict {
    SealDrop drop = SealDrop::none;
    std::size_t offset = 0;  // where the datagram starts in the buffer (payload_offset - 4)
    std::size_t length = 0;  // datagram bytes to send

    [[nodiscard]] bool ok() const noexcept { return drop == SealDrop::none; }
    [[nodiscard]] std::span<std::uint8_t> datagram(std::span<std::uint8_t> buffer) const noexcept {
        return buffer.subspan(offset, length);
    }
};

struct OpenVerdict {
    OpenDrop drop = OpenDrop::none;
    std::uint32_t seqno = 0;
    std::size_t payload_offset = 0;  // within the datagram; the payload is still compressed
    std::size_t payload_length = 0;

    [[nodiscard]] bool ok() const noexcept { return drop == OpenDrop::none; }
    [[nodiscard]] std::span<std::uint8_t> payload(std::span<std::uint8_t> datagram) const noexcept {
        return datagram.subspan(payload_offset, payload_length);
    }
};

class LegacyCipherState {
public:
    // Not the hot path: fetches the algorithms and keys both contexts once.
    // cipher_nid 0 = no encryption; otherwise a CBC-mode cipher the loaded providers implement.
    // digest_nid 0 = no MAC; otherwise 0 <= mac_length <= digest size, and mac_length 0 also
    // means no MAC. Pass the ANNOUNCED length (meta::LegacyKey::mac_length(), not
    // effective_mac_length()): with digest none tinc sends no MAC yet still drops datagrams
    // shorter than 4 + MACLength, and so does open().
    // key_material is K exactly as announced in ANS_KEY: keylen + ivlen bytes, or exactly 1
    // byte with cipher none. It is copied into the OpenSSL contexts; the caller keeps its own.
    [[nodiscard]] static Result<LegacyCipherState> create(int cipher_nid, int digest_nid, int mac_length,
                                                          std::span<const std::uint8_t> key_material);

    LegacyCipherState(LegacyCipherState&&) noexcept;
    LegacyCipherState& operator=(LegacyCipherState&&) noexcept;
    LegacyCipherState(const LegacyCipherState&) = delete;
    LegacyCipherState& operator=(const LegacyCipherState&) = delete;
    ~LegacyCipherState();

    // buffer[payload_offset, +payload_len) holds the (compressed) frame. Writes the seqno in
    // the 4 bytes before it, encrypts seqno || payload in place, and appends padding and the
    // truncated MAC into the tailroom, which must be at least tailroom() bytes.
    [[nodiscard]] SealVerdict seal(std::uint32_t seqno, std::span<std::uint8_t> buffer,
                                   std::size_t payload_offset, std::size_t payload_len) noexcept;

    // Authenticates, then decrypts the datagram in place (spec 5.2 steps 3-4). The replay
    // check on the returned seqno is the caller's next step, never done here: the window
    // belongs to the receive path and is reset by key changes this class knows nothing of.
    [[nodiscard]] OpenVerdict open(std::span<std::uint8_t> datagram) noexcept;

    // Bytes needed after the payload: one cipher block (PKCS#7 always pads) plus the MAC.
    [[nodiscard]] std::size_t tailroom() const noexcept {
        return (encrypts_ ? block_size_ : 0) + mac_length_;
    }
    // |datagram| for a payload of `payload_len` bytes: 16*floor((4+len)/16) + 16 + maclen for
    // AES, which is what PMTU arithmetic (spec 5.6) needs.
    [[nodiscard]] std::size_t datagram_length(std::size_t payload_len) const noexcept;
    [[nodiscard]] std::size_t mac_length() const noexcept { return mac_length_; }
    [[nodiscard]] bool encrypts() const noexcept { return encrypts_; }

private:
    using CipherCtxPtr = sluice::crypto::EvpCipherCtxPtr;
    using MacCtxPtr = sluice::crypto::EvpMacCtxPtr;

    LegacyCipherState() noexcept = default;

    // Writes the truncated MAC over `message` to `tag` (mac_length_ bytes).
    [[nodiscard]] bool compute_mac(std::span<const std::uint8_t> message, std::uint8_t* tag) noexcept;
    void wipe_iv() noexcept;

    // Two cipher contexts because AES keeps separate encryption and decryption key schedules:
    // re-initialising one context between directions without the key would run the wrong
    // schedule, and re-keying per packet is what this class exists to avoid.
    CipherCtxPtr encrypt_;
    CipherCtxPtr decrypt_;
    MacCtxPtr mac_;
    bool encrypts_ = false;  // false for cipher none: seqno and payload travel in clear
    std::size_t block_size_ = 1;
    std::size_t mac_length_ = 0;
    // open()'s length floor, 4 + the ANNOUNCED MAC length: tinc checks it even with digest
    // none, where no MAC is sent or verified (spec 5.2 step 3).
    std::size_t min_datagram_ = legacy_seqno_length;
    // The per-key IV. tinc re-initialises its context with the same IV for every packet
    // (spec 5.1); the seqno in the first block is the only thing that varies the CBC chain.
    // Passing it explicitly instead of relying on EVP's "NULL IV restores the original IV"
    // keeps the behaviour independent of the OpenSSL version's reset semantics.
    std::array<std::uint8_t, EVP_MAX_IV_LENGTH> iv_{};
};

}  // namespace sluice::dataplane::crypto
