// The 10-byte header in front of every packet on a TUN device opened with IFF_VNET_HDR
// (struct virtio_net_hdr of linux/virtio_net.h, without the mergeable-buffers count): how
// the packet behind it is to be segmented (gso_type, gso_size) and whether its transport
// checksum is still partial (flags NEEDS_CSUM, csum_start, csum_offset).
//
// Byte order: the kernel uses the legacy virtio convention for TUN, which is the host's
// own order unless TUNSETVNETLE/TUNSETVNETBE asks otherwise, and sluice-dp never asks. So
// the 16-bit fields are read and written in native order here.
//
// Debian 12's headers predate UDP segmentation offload (kernel 6.2), so the constants are
// defined here rather than taken from <linux/virtio_net.h> (which C++ cannot include anyway:
// a struct there has a member named `class`).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sluice::dataplane::packet {

inline constexpr std::size_t virtio_net_header_length = 10;

inline constexpr std::uint8_t virtio_net_flag_needs_csum = 0x01;

inline constexpr std::uint8_t virtio_gso_none = 0;
inline constexpr std::uint8_t virtio_gso_tcpv4 = 1;
inline constexpr std::uint8_t virtio_gso_tcpv6 = 4;
inline constexpr std::uint8_t virtio_gso_udp_l4 = 5;
// Or'ed into a TCP gso_type: the super-frame has CWR set, which only its first segment keeps.
inline constexpr std::uint8_t virtio_gso_ecn = 0x80;

struct VirtioNetHeader {
    std::uint8_t flags = 0;
    std::uint8_t gso_type = virtio_gso_none;
    // For packets the kernel hands out this is only a hint (the length of the linear part
    // of its buffer, possibly the whole first segment and more); the splitter derives the
    // header length from the packet itself.
    std::uint16_t hdr_len = 0;
    std::uint16_t gso_size = 0;
    std::uint16_t csum_start = 0;
    std::uint16_t csum_offset = 0;

    friend constexpr bool operator==(const VirtioNetHeader&, const VirtioNetHeader&) = default;
};

namespace virtio_detail {

[[nodiscard]] constexpr std::uint16_t load_native16(std::span<const std::uint8_t> b,
                                                    std::size_t at) noexcept {
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
    else
        return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

constexpr void store_native16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        b[at] = static_cast<std::uint8_t>(v);
        b[at + 1] = static_cast<std::uint8_t>(v >> 8);
    } else {
        b[at] = static_cast<std::uint8_t>(v >> 8);
        b[at + 1] = static_cast<std::uint8_t>(v);
    }
}

}  // namespace virtio_detail

// The header at the start of bytes (a TUN read); nothing if fewer than 10 bytes. The
// packet is bytes.subspan(virtio_net_header_length).
[[nodiscard]] constexpr std::optional<VirtioNetHeader> read_virtio_net_header(
    std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() < virtio_net_header_length) return std::nullopt;
    using virtio_detail::load_native16;
    return VirtioNetHeader{bytes[0],
                           bytes[1],
                           load_native16(bytes, 2),
                           load_native16(bytes, 4),
                           load_native16(bytes, 6),
                           load_native16(bytes, 8)};
}

// Writes the header into the first 10 bytes of out; false (nothing written) if out is shorter.
[[nodiscard]] constexpr bool write_virtio_net_header(std::span<std::uint8_t> out,
                                                     const VirtioNetHeader& header) noexcept {
    if (out.size() < virtio_net_header_length) return false;
    using virtio_detail::store_native16;
    out[0] = header.flags;
    out[1] = header.gso_type;
    store_native16(out, 2, header.hdr_len);
    store_native16(out, 4, header.gso_size);
    store_native16(out, 6, header.csum_start);
    store_native16(out, 8, header.csum_offset);
    return true;
}

}  // namespace sluice::dataplane::packet
