// The TUN read side of the offloads: a packet read from a TUN device opened with
// IFF_VNET_HDR and TUNSETOFFLOAD comes with a virtio_net_hdr and may be a TCP or UDP
// super-frame of up to 64 KB whose transport checksum holds only the pseudo-header sum.
// split_super_frame turns it into the complete IP packets a peer receives: each segment gets
// the headers of the super-frame, rewritten as the kernel's own software segmentation would:
//
//   IPv4      total length; identification + segment index (mod 2^16); header checksum
//   IPv6      payload length
//   TCP       sequence number + payload offset (mod 2^32); FIN and PSH on the last segment
//             only, CWR on the first only; full checksum
//   UDP (USO) length; full checksum (0 sent as 0xffff, RFC 768)
//
// Each segment is at most (IP header + transport header + gso_size) bytes. The header
// length comes from the packet, never from hdr_len: for packets the kernel hands out,
// hdr_len is the length of its buffer's linear part, which can be a whole segment longer
// than the headers. hdr_len is only checked to lie within the packet.
//
// Input is treated as untrusted: every length and offset is checked before anything is
// written, and anything that does not add up is refused with a named reason, never
// guessed at. Checksums of segments are computed from scratch, so a wrong partial sum in the
// super-frame cannot leak into them. Supported: gso_type NONE (with or without NEEDS_CSUM),
// TCPV4, TCPV6 (with the ECN bit) and UDP_L4, over IPv4 with any header length (options are
// copied into every segment, as the kernel does) and IPv6 without extension headers.
//
// Pure and allocation-free: output goes to caller buffers, nothing is thrown or logged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/packet/offload_layout.hpp"
#include "dataplane/packet/virtio_net_header.hpp"

namespace sluice::dataplane::packet {

enum class SplitStatus : std::uint8_t {
    ok,
    // The packet (see LayoutError for each).
    too_short,
    bad_version,
    bad_ipv4_header_length,
    bad_ip_length,
    fragment,              // a fragment with NEEDS_CSUM or a GSO type
    unsupported_protocol,  // GSO of something other than TCP/UDP right behind the IP header
    bad_transport_header,
    // The virtio_net_hdr against the packet.
    bad_gso_type,       // unknown type, legacy UFO, or the ECN bit on a non-TCP type
    family_mismatch,    // TCPV4 on an IPv6 packet or TCPV6 on an IPv4 one
    protocol_mismatch,  // a TCP type on UDP or UDP_L4 on TCP
    bad_hdr_len,        // hdr_len beyond the packet
    bad_csum_location,  // NEEDS_CSUM with csum_start/csum_offset outside the packet, inside
                        // the IP header, or (GSO) not at the TCP/UDP checksum field
    zero_gso_size,      // a GSO type with gso_size 0
    empty_payload,      // a GSO type with nothing behind the headers
    bad_tcp_flags,      // SYN, RST or URG on a TCP super-frame
    // The caller's storage: nothing was written; the result says how much is needed.
    too_many_segments,  // spans holds fewer entries than there are segments
    output_too_small,   // out holds fewer bytes than the segments (with room) need
};

[[nodiscard]] std::string_view name(SplitStatus status) noexcept;

// Room the caller wants around each segment in out, e.g. headroom for tinc's frame header
// and tailroom for padding and MAC, so that each segment can be sealed in place.
struct SplitLayout {
    std::size_t headroom = 0;
    std::size_t tailroom = 0;
};

struct SplitResult {
    SplitStatus status = SplitStatus::ok;
    // ok: spans filled. too_many_segments and output_too_small: how many there would be.
    std::size_t segments = 0;
    // ok: bytes of out used (room included). output_too_small and too_many_segments: how
    // many out must hold.
    std::size_t bytes = 0;
};

// Splits ip_packet (the bytes after the virtio_net_hdr) into segments written to out one
// after another: segment i at spans[i].offset (after `room.headroom` bytes) with its length
// in spans[i].length, followed by `room.tailroom` bytes that are left as they were. out must
// not overlap ip_packet.
//
// gso_type NONE: one segment. With NEEDS_CSUM the checksum at csum_start + csum_offset is
// completed over everything from csum_start (any protocol, as the kernel's generic
// checksum offload; 0 becomes 0xffff); without it the packet is copied unchanged, even if
// it is not a valid IP packet (classifying it is the pipeline's job).
[[nodiscard]] SplitResult split_super_frame(const VirtioNetHeader& header,
                                            std::span<const std::uint8_t> ip_packet,
                                            std::span<std::uint8_t> out, std::span<PacketSpan> spans,
                                            SplitLayout room = {}) noexcept;

// gso_type NONE in place, for callers that do not want the copy: completes the partial
// checksum if NEEDS_CSUM is set, with the same checks as split_super_frame. Returns
// bad_gso_type for any GSO type (those need split_super_frame).
[[nodiscard]] SplitStatus complete_checksum(const VirtioNetHeader& header,
                                            std::span<std::uint8_t> ip_packet) noexcept;

}  // namespace sluice::dataplane::packet
