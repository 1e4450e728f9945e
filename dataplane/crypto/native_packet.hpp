// sluice's native UDP packets between two sluice nodes (docs/protocol.md, "Data packets"),
// sealed and opened in place:
//
//   datagram = header (16) || AEAD(key of (session, direction, sender lane), nonce, AAD = header,
//                                  payload) || tag (16)
//   header   = type u8 | 0x10 (version 1, no flags) | sender lane u16 | receiver index u32 |
//              counter u64, all big-endian
//   nonce    = 00 00 00 00 || counter (big-endian)
//
// Each sending worker (lane) has its own key and its own counter from 0, so no counter is
// shared between cores and a (key, nonce) pair never repeats. The receiver keeps one RFC 6479
// window per (session, sender lane): checked BEFORE the AEAD so a replayed or stale packet
// costs no decryption, updated only AFTER authentication so a forgery never moves it.
//
// Telling native from legacy: a tinc 1.0 datagram is random-looking ciphertext (or, with
// cipher none, a clear 32-bit seqno). looks_native() is two byte compares and a length check;
// random data passes it with probability 4/65536, and then fails the session-index lookup or,
// at worst, the tag. On any native drop the receive path may still try the legacy open for a
// peer that also has a legacy key, so a collision can never lose a tinc packet.
//
// Hot path: every function here is noexcept, allocates nothing, never throws or logs, and
// reports drops by name. Buffers are up to 64 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/crypto/aead.hpp"
#include "dataplane/crypto/replay_window.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane::crypto {

// Byte 0. 0xA1..0xA4: never 0x00 (the first byte of a clear tinc seqno for its first 16 M
// packets) and a small set, so random ciphertext rarely matches.
enum class NativeType : std::uint8_t {
    data = 0xA1,         // an IP packet (no Ethernet header)
    probe = 0xA2,        // PMTU probe request: padding bytes, the receiver reflects the length
    probe_reply = 0xA3,  // PMTU probe reply: same length as the request
    keepalive = 0xA4,    // empty; confirms a new session to the responder (kx_session)
};
// Byte 1: version 1 in the high nibble, flags (none defined) in the low nibble. A receiver
// refuses any other value, so new flags need a new version.
inline constexpr std::uint8_t native_version_byte = 0x10;

inline constexpr std::size_t native_header_length = 16;
inline constexpr std::size_t native_tag_length = aead_tag_length;
// Room a buffer needs around the payload so that seal works in place.
inline constexpr std::size_t native_headroom = native_header_length;
inline constexpr std::size_t native_tailroom = native_tag_length;
inline constexpr std::size_t native_overhead = native_header_length + native_tag_length;
inline constexpr std::size_t native_max_datagram = 65535;
inline constexpr std::size_t native_max_payload = native_max_datagram - native_overhead;
// A lane's key carries at most this many packets (counters 0 .. limit-1): 2^64 - 2^13, so
// that the receiver's window arithmetic never wraps (WireGuard's REJECT_AFTER_MESSAGES).
inline constexpr std::uint64_t native_reject_after_messages = 0 - (std::uint64_t{1} << 13);
// The most lanes (sending workers) a node may announce.
inline constexpr std::uint16_t native_max_lanes = 64;

struct NativeHeader {
    NativeType type = NativeType::data;
    std::uint16_t lane = 0;            // the sender's lane, < the sender's lane count
    std::uint32_t receiver_index = 0;  // chosen by the receiver in the key exchange
    std::uint64_t counter = 0;         // per (session, direction, lane), from 0

    bool operator==(const NativeHeader&) const = default;
};

void encode_native_header(const NativeHeader& header,
                          std::span<std::uint8_t, native_header_length> out) noexcept;

// The cheap classifier: long enough for header and tag, a known type in byte 0 and exactly
// native_version_byte in byte 1. Says nothing about authenticity.
[[nodiscard]] bool looks_native(std::span<const std::uint8_t> datagram) noexcept;

// looks_native() plus decoding; false leaves `out` unchanged.
[[nodiscard]] bool parse_native_header(std::span<const std::uint8_t> datagram, NativeHeader& out) noexcept;

enum class NativeSealDrop : std::uint8_t {
    none,               // sealed
    no_headroom,        // fewer than 16 bytes in front of the payload
    no_tailroom,        // fewer than 16 bytes after it
    too_long,           // the datagram would exceed native_max_datagram
    counter_exhausted,  // the lane used native_reject_after_messages counters: rekey first
    encrypt_failed,     // the AEAD context is broken (moved-from); never the data's fault
};
inline constexpr std::size_t native_seal_drop_count = 6;

enum class NativeOpenDrop : std::uint8_t {
    none,           // opened, authentic and fresh
    too_short,      // shorter than header + tag
    not_native,     // byte 0 or byte 1 is not native: try the legacy path
    too_long,       // longer than native_max_datagram
    unknown_index,  // no session has this receiver index (stale, foreign or a legacy packet)
    bad_lane,       // lane >= the sender's announced lane count
    bad_counter,    // counter >= native_reject_after_messages: no honest sender uses it
    replay,         // already seen, or older than the window
    bad_tag,        // authentication failed: wrong key, corruption or forgery
};
inline constexpr std::size_t native_open_drop_count = 9;

// Stable names for counters and `sluicectl` output.
[[nodiscard]] std::string_view name(NativeSealDrop drop) noexcept;
[[nodiscard]] std::string_view name(NativeOpenDrop drop) noexcept;

struct NativeSealVerdict {
    NativeSealDrop drop = NativeSealDrop::none;
    std::uint64_t counter = 0;  // the counter this datagram carries
    std::size_t offset = 0;     // where the datagram starts in the buffer (payload_offset - 16)
    std::size_t length = 0;     // datagram bytes to send

    [[nodiscard]] bool ok() const noexcept { return drop == NativeSealDrop::none; }
    [[nodiscard]] std::span<std::uint8_t> datagram(std::span<std::uint8_t> buffer) const noexcept {
        return buffer.subspan(offset, length);
    }
};

struct NativeOpenVerdict {
    NativeOpenDrop drop = NativeOpenDrop::none;
    NativeHeader header{};           // valid from unknown_index on (the header parsed)
    std::size_t payload_offset = 0;  // within the datagram: always 16 when ok
    std::size_t payload_length = 0;

    [[nodiscard]] bool ok() const noexcept { return drop == NativeOpenDrop::none; }
    [[nodiscard]] std::span<std::uint8_t> payload(std::span<std::uint8_t> datagram) const noexcept {
        return datagram.subspan(payload_offset, payload_length);
    }
};

// One sending lane of one session: the lane's key and its counter. Owned by the lane's
// worker; never shared between threads.
class NativeSendLane {
public:
    // Not the hot path. `key` is the 32-byte send key of (session, our direction, `lane`);
    // `remote_index` is the index the peer chose, written into every header.
    [[nodiscard]] static Result<NativeSendLane> create(AeadAlgorithm algorithm, AeadBackend backend,
                                                       std::span<const std::uint8_t> key,
                                                       std::uint32_t remote_index, std::uint16_t lane);

    // buffer[payload_offset, +payload_len) holds the payload. Writes the header into the 16
    // bytes before it, encrypts the payload in place and writes the tag into the 16 after it.
    // A counter is consumed only by a successful seal.
    [[nodiscard]] NativeSealVerdict seal(NativeType type, std::span<std::uint8_t> buffer,
                                         std::size_t payload_offset, std::size_t payload_len) noexcept;

    [[nodiscard]] std::uint64_t next_counter() const noexcept { return next_counter_; }
    [[nodiscard]] std::uint16_t lane() const noexcept { return lane_; }
    [[nodiscard]] std::uint32_t remote_index() const noexcept { return remote_index_; }
    // For tests and for resuming a lane: the next seal uses `counter`.
    void set_next_counter(std::uint64_t counter) noexcept { next_counter_ = counter; }

private:
    NativeSendLane(Aead aead, std::uint32_t remote_index, std::uint16_t lane) noexcept
        : aead_(std::move(aead)), remote_index_(remote_index), lane_(lane) {}

    Aead aead_;
    std::uint32_t remote_index_;
    std::uint16_t lane_;
    std::uint64_t next_counter_ = 0;
};

// The receive side of one session: one key and one replay window per sender lane. A lane's
// window must have one owner at a time; the worker pipeline steers each sender lane to one
// worker (or gives each worker its own session object).
class NativeReceiveSession {
public:
    // Not the hot path. `keys` holds one 32-byte key per sender lane (lane i at index i),
    // so its size is the sender's lane count, 1..native_max_lanes.
    [[nodiscard]] static Result<NativeReceiveSession> create(
        AeadAlgorithm algorithm, AeadBackend backend, std::uint32_t local_index,
        std::span<const std::span<const std::uint8_t>> keys);

    // Lane check, window check, AEAD open in place, window update, in that order. The header
    // must be parse_native_header()'s result for this datagram and name this session's index
    // (open_native below does both).
    [[nodiscard]] NativeOpenVerdict open(const NativeHeader& header,
                                         std::span<std::uint8_t> datagram) noexcept;

    [[nodiscard]] std::uint32_t local_index() const noexcept { return local_index_; }
    [[nodiscard]] std::size_t lane_count() const noexcept { return lanes_.size(); }
    [[nodiscard]] const ReplayWindow& window(std::size_t lane) const noexcept { return lanes_[lane].window; }

private:
    struct Lane {
        Aead aead;
        ReplayWindow window;
    };

    explicit NativeReceiveSession(std::uint32_t local_index) noexcept : local_index_(local_index) {}

    std::uint32_t local_index_;
    std::vector<Lane> lanes_;
};

// The whole receive step: classify, parse, find the session by receiver index, open. `find`
// is called as find(std::uint32_t index) and returns NativeReceiveSession* (nullptr if none);
// a template so the lookup inlines into the worker's loop.
template <typename Find>
[[nodiscard]] NativeOpenVerdict open_native(std::span<std::uint8_t> datagram, Find&& find) noexcept {
    if (datagram.size() < native_overhead) return {.drop = NativeOpenDrop::too_short};
    if (datagram.size() > native_max_datagram) return {.drop = NativeOpenDrop::too_long};
    NativeHeader header;
    if (!parse_native_header(datagram, header)) return {.drop = NativeOpenDrop::not_native};
    NativeReceiveSession* session = find(header.receiver_index);
    if (session == nullptr) return {.drop = NativeOpenDrop::unknown_index, .header = header};
    return session->open(header, datagram);
}

}  // namespace sluice::dataplane::crypto
