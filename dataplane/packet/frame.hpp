// tinc's "router mode" frames (spec 3.6). tinc 1.0.36 carries an Ethernet frame in every
// packet even in router mode: 12 zero MAC bytes, the Ethertype, then the IP packet. A
// 1.0.36 peer routes on the Ethertype and the IP header behind it and ignores the MACs.
//
// sluice-dp reads raw IP packets from its TUN device (IFF_NO_PI) into a buffer at offset 14,
// so the 14 bytes in front are headroom: writing the header there turns the read into a
// frame without moving the packet. The other way, a frame's IP packet is simply the bytes
// after offset 14.
//
// Classification is what routing needs and nothing more: which family, the destination,
// and whether the destination takes the broadcast path. It checks what the route lookup
// and the later helpers rely on (length, version, header length); it does not verify the
// IPv4 header checksum or the total-length field, which the kernel already did for packets
// from the TUN device and which tinc does not check either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "shared/net/address.hpp"

namespace sluice::dataplane::packet {

inline constexpr std::size_t ethernet_header_length = 14;
inline constexpr std::size_t ethertype_offset = 12;
inline constexpr std::size_t ipv4_min_header_length = 20;
inline constexpr std::size_t ipv6_header_length = 40;

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
// tinc's PMTU probes (spec 5.6) are frames with Ethertype 0.
inline constexpr std::uint16_t ethertype_pmtu_probe = 0x0000;

enum class FrameKind : std::uint8_t {
    ipv4,
    ipv6,
    pmtu_probe,     // Ethertype 0: only meaningful for frames that arrived over UDP
    unsupported,    // any other Ethertype (tinc drops these as "unknown type", ARP included)
    too_short,      // shorter than the Ethernet header, or than the IP header behind it
    bad_ip_header,  // wrong version nibble (for a frame: not the one its Ethertype names),
                    // or an IPv4 header length below 20 or beyond the packet
};

[[nodiscard]] std::string_view name(FrameKind kind) noexcept;

struct FrameClass {
    FrameKind kind = FrameKind::too_short;
    // Only the member matching kind is set; the other stays all-zero.
    net::Ipv4Address ipv4_destination{};
    net::Ipv6Address ipv6_destination{};
    // IPv4 224.0.0.0/4 or 255.255.255.255, IPv6 ff00::/8: tinc sends these down the
    // broadcast path instead of looking the destination up. A subnet-directed broadcast
    // cannot be recognised without the subnet, so it is unicast here, as in tinc.
    bool broadcast_or_multicast = false;

    [[nodiscard]] bool is_ip() const noexcept { return kind == FrameKind::ipv4 || kind == FrameKind::ipv6; }
};

// A bare IP packet, as read from the TUN device; the version nibble picks the family.
[[nodiscard]] FrameClass classify_ip(std::span<const std::uint8_t> ip_packet) noexcept;

// A frame: Ethertype at bytes 12..13, the IP header from byte 14. The IP version must
// match the Ethertype.
[[nodiscard]] FrameClass classify_frame(std::span<const std::uint8_t> frame) noexcept;

// Writes tinc's router-mode header into the first 14 bytes: 12 zero bytes and the
// Ethertype. Returns false (and writes nothing) if frame is shorter than 14 bytes.
[[nodiscard]] bool write_ethernet_header(std::span<std::uint8_t> frame, std::uint16_t ethertype) noexcept;

// The TUN read path in one call: frame is the 14 bytes of headroom followed by the IP
// packet. Classifies the packet and, if it is IPv4 or IPv6, writes the matching header into
// the headroom; otherwise the headroom is left as it was and the caller drops the packet
// by the returned kind.
[[nodiscard]] FrameClass frame_ip_packet(std::span<std::uint8_t> frame) noexcept;

// The IP packet inside a frame (everything after the header); empty if the frame is too
// short to have one. What goes to the TUN device when a frame is delivered locally.
[[nodiscard]] constexpr std::span<const std::uint8_t> ip_packet_of(
    std::span<const std::uint8_t> frame) noexcept {
    return frame.size() > ethernet_header_length ? frame.subspan(ethernet_header_length)
                                                 : std::span<const std::uint8_t>{};
}
[[nodiscard]] constexpr std::span<std::uint8_t> ip_packet_of(std::span<std::uint8_t> frame) noexcept {
    return frame.size() > ethernet_header_length ? frame.subspan(ethernet_header_length)
                                                 : std::span<std::uint8_t>{};
}

}  // namespace sluice::dataplane::packet
