// The two messages of sluice's native key exchange, INIT and RESP, and their token form
// (docs/protocol.md, "Key exchange"). They ride in tinc's REQ_KEY:
//
//     15 <from> <to> SLUICE-KX1 <token>
//
// because tinc 1.0.36 parses REQ_KEY with sscanf("%*d %s %s"), ignores further tokens and
// forwards the line it received, unchanged, toward <to>; so a tinc node between two sluice
// nodes relays the exchange without knowing it. The caller assembles and splits the line;
// this module only makes and reads <token>.
//
// Token: unpadded base64url (RFC 4648 section 5) of a fixed-layout binary message, 155
// characters for INIT (116 bytes) and 187 for RESP (140 bytes). base64url rather than hex
// because it is a third shorter, and the whole line must stay far below tinc's 2176-byte
// line buffer (with two 255-character names a RESP line is 713 bytes plus its newline).
// Decoding is strict: exact length, no padding, no whitespace, no non-canonical trailing
// bits, so every message has exactly one token.
//
// Node names are not in the token (they are <from> and <to> on the line) but are inside
// every signature, so a message signed for other names never verifies. The signature covers
// a domain-separation label, both names (initiator first, each with a length byte) and every
// byte of the message before the signature.
//
// Parsing checks syntax and field ranges only; the signature, the timestamp and the
// X25519 result need the peer's key and state, and are kx_session's job.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "controlplane/native/native_keys.hpp"
#include "shared/crypto/ed25519_key.hpp"
#include "shared/util/result.hpp"

namespace sluice::native {

// The third token of the REQ_KEY line; its "1" is the protocol version.
inline constexpr std::string_view kx_token_tag = "SLUICE-KX1";
inline constexpr std::uint8_t kx_version = 1;

inline constexpr std::size_t kx_max_suites = 4;
inline constexpr std::uint16_t kx_max_lanes = 64;
inline constexpr std::size_t kx_max_name_length = 255;  // the names' length bytes
inline constexpr std::size_t x25519_key_length = 32;
inline constexpr std::size_t kx_hash_length = 32;  // SHA-256

inline constexpr std::size_t init_length = 116;
inline constexpr std::size_t init_signed_length = 52;  // bytes before the signature
inline constexpr std::size_t resp_length = 140;
inline constexpr std::size_t resp_signed_length = 76;
inline constexpr std::size_t init_token_length = 155;
inline constexpr std::size_t resp_token_length = 187;

// The signatures' domain-separation labels (ASCII, no terminator).
inline constexpr std::string_view init_label = "sluice-kx1 init";
inline constexpr std::string_view resp_label = "sluice-kx1 resp";

enum class KxType : std::uint8_t { init = 1, resp = 2 };

using X25519Public = std::array<std::uint8_t, x25519_key_length>;
using KxHash = std::array<std::uint8_t, kx_hash_length>;

// The names a message is signed for. The initiator is always first, in INIT and in RESP.
struct KxNames {
    std::string_view initiator;
    std::string_view responder;
};

struct InitMessage {
    std::uint16_t lanes = 1;            // the initiator's sending workers, 1..64
    std::uint32_t initiator_index = 0;  // chosen by the initiator, not 0
    std::vector<Suite> suites;          // preference order, 1..4 distinct, unknown ids allowed
    std::uint64_t timestamp_ns = 0;     // the initiator's wall clock; must grow per peer
    X25519Public ephemeral{};           // the initiator's ephemeral public key
    crypto::Ed25519Signature signature{};

    bool operator==(const InitMessage&) const = default;
};

struct RespMessage {
    std::uint16_t lanes = 1;            // the responder's sending workers, 1..64
    std::uint32_t responder_index = 0;  // chosen by the responder, not 0
    Suite suite = Suite::chacha20_poly1305;
    KxHash init_hash{};        // SHA-256 of the 116 bytes of the INIT it answers
    X25519Public ephemeral{};  // the responder's ephemeral public key
    crypto::Ed25519Signature signature{};

    bool operator==(const RespMessage&) const = default;
};

using KxMessage = std::variant<InitMessage, RespMessage>;

// The binary forms, signature included. Fields are written as they are; validity is
// parse_token()'s (and encode_token()'s) business.
[[nodiscard]] std::array<std::uint8_t, init_length> to_bytes(const InitMessage& message);
[[nodiscard]] std::array<std::uint8_t, resp_length> to_bytes(const RespMessage& message);

// What the signature covers: label || len(initiator) || initiator || len(responder) ||
// responder || the message's bytes before the signature. Fails for names that are not
// valid tinc node names or longer than 255 bytes.
[[nodiscard]] Result<std::vector<std::uint8_t>> signed_input(const InitMessage& message, KxNames names);
[[nodiscard]] Result<std::vector<std::uint8_t>> signed_input(const RespMessage& message, KxNames names);

// Sets message.signature with `key` (the sender's long-term key: the initiator's for INIT,
// the responder's for RESP).
[[nodiscard]] Status sign(InitMessage& message, KxNames names, const crypto::Ed25519KeyPair& key);
[[nodiscard]] Status sign(RespMessage& message, KxNames names, const crypto::Ed25519KeyPair& key);

// True if the signature is the sender's (`key`) over these names and fields.
[[nodiscard]] bool verify(const InitMessage& message, KxNames names, const crypto::Ed25519PublicKey& key);
[[nodiscard]] bool verify(const RespMessage& message, KxNames names, const crypto::Ed25519PublicKey& key);

// SHA-256 of the INIT's 116 bytes: what a RESP names in init_hash.
[[nodiscard]] KxHash init_hash(const InitMessage& message);

// The token for a message. Refuses fields parse_token() would refuse, so sluice never sends
// what a peer must drop.
[[nodiscard]] Result<std::string> encode_token(const InitMessage& message);
[[nodiscard]] Result<std::string> encode_token(const RespMessage& message);

// Decodes and checks a token strictly: encoding, length, version, type, field ranges
// (lanes 1..64, index not 0, INIT suites 1..4 distinct non-zero ids followed only by zero
// slots, RESP suite known and reserved bytes zero). Errors say which check failed.
[[nodiscard]] Result<KxMessage> parse_token(std::string_view token);

}  // namespace sluice::native
