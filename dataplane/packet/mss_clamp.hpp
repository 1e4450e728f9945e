// tinc's ClampMSS (spec 5.7): lower the MSS option of TCP SYNs passing through so that the
// two ends never send segments that do not fit the tunnel, even when the ICMP
// "fragmentation needed" that would tell them is filtered somewhere. On by default in tinc
// (option bit 0x8); the caller decides whether it applies to a path.
//
//   limit = mtu - (14 + IP header length) - 20
//
// with mtu the frame MTU of the path (tinc: the smaller of the source node's and the via
// node's MTU) and 20 the TCP header without options. Only a larger MSS is lowered; the TCP
// checksum is patched incrementally (RFC 1624), not recomputed.
//
// Scope, and where we are stricter than tinc:
//   * IPv4 with any header length; IPv6 only when the TCP header follows the fixed header
//     directly (next header 6). Segments behind IPv6 extension headers pass unchanged, as
//     in tinc; hosts do not put extension headers on SYNs in practice.
//   * Only SYNs (SYN flag set, with or without ACK): the MSS option means nothing elsewhere.
//     tinc rewrites an MSS option in any TCP segment.
//   * IPv4 non-first fragments are left alone: their payload is not a TCP header.
//   * Options are walked with every length checked against the header (EOL ends the list,
//     NOP is one byte, a length below 2 or past the end stops the walk without changes). An
//     MSS option must have length 4. Every MSS option in the list is clamped (a receiver may
//     honour any of them); tinc looks at the first only.
//   * The MSS value may sit at an odd offset (after a NOP); the checksum patch accounts for
//     it. The IPv4 header checksum is untouched: nothing in the IP header changes.
//   * A limit that would be zero or negative (an absurdly small MTU) changes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sluice::dataplane::packet {

// The MSS limit for a frame MTU and an IP header length, or nothing if it would not be
// positive. Example from spec 5.7: frame MTU 1451, IPv4 (20) -> 1397.
[[nodiscard]] std::optional<std::uint16_t> mss_limit(std::uint32_t frame_mtu,
                                                     std::size_t ip_header_length) noexcept;

// Clamps the MSS option(s) of a TCP SYN in ip_packet (a bare IP packet, not a frame).
// Returns true if it changed the packet.
[[nodiscard]] bool clamp_mss(std::span<std::uint8_t> ip_packet, std::uint32_t frame_mtu) noexcept;

}  // namespace sluice::dataplane::packet
