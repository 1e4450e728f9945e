// tinc 1.0.36 PMTU probes (spec 5.6) seen on decrypted, decompressed frames. A probe is an
// ordinary legacy UDP packet whose Ethernet frame has Ethertype 0 (14 zero header bytes, then
// random bytes, 64..1518 long). The receiver of a request sends the same frame back, same
// length, with byte 0 set to 1, sealed with the prober's key and its own next seqno.
//
// Reflecting probes is mandatory in practice: while a 1.0.36 peer has PMTU discovery on and
// no probe has come back, it sends every larger packet over TCP.
//
// Only frames that arrived over UDP are probes: tinc routes a probe-shaped PACKET from the
// meta connection like any frame (and drops it as unknown type 0), so callers must not ask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::dataplane::crypto {

inline constexpr std::size_t ethernet_header_length = 14;
// The probe lengths tinc sends; informative, a receiver reflects any length.
inline constexpr std::size_t probe_min_length = 64;
inline constexpr std::size_t probe_max_length = 1518;

// Ethertype (bytes 12-13) is 0. A frame too short to have an Ethertype is not a probe.
[[nodiscard]] constexpr bool is_probe(std::span<const std::uint8_t> frame) noexcept {
    return frame.size() >= ethernet_header_length && frame[12] == 0 && frame[13] == 0;
}

// For a probe: a request has byte 0 zero, a reply non-zero (tinc sets it to 1).
[[nodiscard]] constexpr bool is_reply(std::span<const std::uint8_t> probe) noexcept {
    return !probe.empty() && probe[0] != 0;
}

// Turns a received request into its reply in place: same bytes, same length, byte 0 = 1.
constexpr void make_reply(std::span<std::uint8_t> probe) noexcept {
    if (!probe.empty()) probe[0] = 1;
}

}  // namespace sluice::dataplane::crypto
