#include "dataplane/packet/offload_split.hpp"

#include <cstring>

#include "dataplane/packet/checksum.hpp"

namespace sluice::dataplane::packet {

namespace {

constexpr std::uint8_t gso_type_mask = static_cast<std::uint8_t>(~virtio_gso_ecn);

// Flags that make no sense on a stream of data segments: the kernel never hands them out
// in a super-frame, and copying them to every segment would be wrong (a SYN or RST per
// segment, an urgent pointer relative to the first segment only).
constexpr std::uint8_t tcp_flags_refused = tcp_flag_syn | tcp_flag_rst | tcp_flag_urg;

SplitStatus from_layout(LayoutError error) noexcept {
    switch (error) {
        case LayoutError::none:
            return SplitStatus::ok;
        case LayoutError::too_short:
            return SplitStatus::too_short;
        case LayoutError::bad_version:
            return SplitStatus::bad_version;
        case LayoutError::bad_ipv4_header_length:
            return SplitStatus::bad_ipv4_header_length;
        case LayoutError::bad_ip_length:
            return SplitStatus::bad_ip_length;
        case LayoutError::fragment:
            return SplitStatus::fragment;
        case LayoutError::unsupported_protocol:
            return SplitStatus::unsupported_protocol;
        case LayoutError::bad_transport_header:
            return SplitStatus::bad_transport_header;
    }
    return SplitStatus::too_short;
}

// The checksum value for a UDP datagram: a computed 0 is sent as its other form, 0xffff,
// because 0 means "no checksum" (RFC 768; RFC 8200 forbids it for IPv6). The kernel's
// generic checksum offload does the same for every protocol, and for the Internet checksum
// both forms verify alike.
constexpr std::uint16_t nonzero_checksum(std::uint16_t checksum) noexcept {
    return checksum == 0 ? std::uint16_t{0xffff} : checksum;
}

// Checks a GSO super-frame against its header and returns its layout (error none) or why not.
SplitStatus check_gso(const VirtioNetHeader& header, std::span<const std::uint8_t> ip,
                      PacketLayout& layout) noexcept {
    const std::uint8_t type = header.gso_type & gso_type_mask;
    const bool ecn = (header.gso_type & virtio_gso_ecn) != 0;
    const bool tcp = type == virtio_gso_tcpv4 || type == virtio_gso_tcpv6;
    if (!tcp && type != virtio_gso_udp_l4) return SplitStatus::bad_gso_type;
    if (ecn && !tcp) return SplitStatus::bad_gso_type;

    const PacketLayout ip_only = parse_ip(ip);
    if (ip_only.error != LayoutError::none) return from_layout(ip_only.error);
    if ((type == virtio_gso_tcpv4 && ip_only.ipv6) || (type == virtio_gso_tcpv6 && !ip_only.ipv6))
        return SplitStatus::family_mismatch;
    if (ip_only.protocol != ip_protocol_tcp && ip_only.protocol != ip_protocol_udp)
        return SplitStatus::unsupported_protocol;
    if ((ip_only.protocol == ip_protocol_tcp) != tcp) return SplitStatus::protocol_mismatch;

    layout = parse_transport(ip);
    if (layout.error != LayoutError::none) return from_layout(layout.error);
    if (header.hdr_len > layout.length) return SplitStatus::bad_hdr_len;
    if ((header.flags & virtio_net_flag_needs_csum) != 0) {
        const std::size_t field = tcp ? tcp_checksum_offset : udp_checksum_offset;
        if (header.csum_start != layout.ip_header_length || header.csum_offset != field)
            return SplitStatus::bad_csum_location;
    }
    if (header.gso_size == 0) return SplitStatus::zero_gso_size;
    if (layout.payload_length() == 0) return SplitStatus::empty_payload;
    if (tcp && (ip[layout.ip_header_length + 13] & tcp_flags_refused) != 0) return SplitStatus::bad_tcp_flags;
    return SplitStatus::ok;
}

// Fills in one segment whose headers and payload are already in place: lengths, IPv4
// identification and header checksum, TCP sequence number and flags, and the full transport
// checksum.
void finish_segment(std::span<std::uint8_t> segment, const PacketLayout& layout, std::size_t index,
                    std::size_t payload_offset, bool last) noexcept {
    const std::size_t ip_length = layout.ip_header_length;
    const std::size_t upper_length = segment.size() - ip_length;
    if (layout.ipv6) {
        store_be16(segment, 4, static_cast<std::uint16_t>(upper_length));
    } else {
        store_be16(segment, 2, static_cast<std::uint16_t>(segment.size()));
        store_be16(segment, 4, static_cast<std::uint16_t>(load_be16(segment, 4) + index));
        store_be16(segment, 10, 0);
        store_be16(segment, 10, internet_checksum(segment.first(ip_length)));
    }

    const std::span<std::uint8_t> upper = segment.subspan(ip_length);
    const std::uint64_t pseudo = pseudo_header_sum(segment, layout.ipv6, layout.protocol, upper_length);
    if (layout.protocol == ip_protocol_tcp) {
        store_be32(upper, 4, static_cast<std::uint32_t>(load_be32(upper, 4) + payload_offset));
        std::uint8_t flags = upper[13];
        if (!last) flags &= static_cast<std::uint8_t>(~(tcp_flag_fin | tcp_flag_psh));
        if (index != 0) flags &= static_cast<std::uint8_t>(~tcp_flag_cwr);
        upper[13] = flags;
        store_be16(upper, tcp_checksum_offset, 0);
        store_be16(upper, tcp_checksum_offset, checksum_finish(checksum_add(pseudo, upper)));
    } else {
        store_be16(upper, 4, static_cast<std::uint16_t>(upper_length));
        store_be16(upper, udp_checksum_offset, 0);
        store_be16(upper, udp_checksum_offset,
                   nonzero_checksum(checksum_finish(checksum_add(pseudo, upper))));
    }
}

// gso_type NONE with NEEDS_CSUM: the checksum field must lie in the packet behind the IP
// header; end is where the packet ends by its IP length field.
SplitStatus check_partial_checksum(const VirtioNetHeader& header, std::span<const std::uint8_t> ip,
                                   std::size_t& end) noexcept {
    const PacketLayout layout = parse_ip(ip);
    if (layout.error != LayoutError::none) return from_layout(layout.error);
    if (header.hdr_len > layout.length) return SplitStatus::bad_hdr_len;
    const std::size_t field = std::size_t{header.csum_start} + header.csum_offset;
    if (header.csum_start < layout.ip_header_length || field + 2 > layout.length)
        return SplitStatus::bad_csum_location;
    end = layout.length;
    return SplitStatus::ok;
}

// The field holds the pseudo-header sum (or whatever the sender's stack put there), so
// summing everything from csum_start over it gives the whole checksum. Any protocol, as the
// kernel's generic checksum offload.
void fill_partial_checksum(const VirtioNetHeader& header, std::span<std::uint8_t> ip,
                           std::size_t end) noexcept {
    const std::size_t start = header.csum_start;
    const std::uint64_t sum = checksum_add(0, ip.subspan(start, end - start));
    store_be16(ip, start + header.csum_offset, nonzero_checksum(checksum_finish(sum)));
}

SplitResult split_gso(const VirtioNetHeader& header, std::span<const std::uint8_t> ip,
                      std::span<std::uint8_t> out, std::span<PacketSpan> spans, SplitLayout room) noexcept {
    PacketLayout layout;
    if (const SplitStatus status = check_gso(header, ip, layout); status != SplitStatus::ok) return {status};

    const std::size_t header_length = layout.header_length();
    const std::size_t payload = layout.payload_length();
    const std::size_t gso_size = header.gso_size;
    const std::size_t count = (payload + gso_size - 1) / gso_size;
    const std::size_t bytes = count * (room.headroom + header_length + room.tailroom) + payload;
    if (spans.size() < count) return {SplitStatus::too_many_segments, count, bytes};
    if (out.size() < bytes) return {SplitStatus::output_too_small, count, bytes};

    std::size_t cursor = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t offset = i * gso_size;
        const std::size_t chunk = payload - offset < gso_size ? payload - offset : gso_size;
        const std::span<std::uint8_t> segment = out.subspan(cursor + room.headroom, header_length + chunk);
        std::memcpy(segment.data(), ip.data(), header_length);
        std::memcpy(segment.data() + header_length, ip.data() + header_length + offset, chunk);
        finish_segment(segment, layout, i, offset, i + 1 == count);
        spans[i] = PacketSpan{cursor + room.headroom, segment.size()};
        cursor += room.headroom + segment.size() + room.tailroom;
    }
    return {SplitStatus::ok, count, cursor};
}

}  // namespace

std::string_view name(SplitStatus status) noexcept {
    switch (status) {
        case SplitStatus::ok:
            return "ok";
        case SplitStatus::too_short:
            return "too_short";
        case SplitStatus::bad_version:
            return "bad_version";
        case SplitStatus::bad_ipv4_header_length:
            return "bad_ipv4_header_length";
        case SplitStatus::bad_ip_length:
            return "bad_ip_length";
        case SplitStatus::fragment:
            return "fragment";
        case SplitStatus::unsupported_protocol:
            return "unsupported_protocol";
        case SplitStatus::bad_transport_header:
            return "bad_transport_header";
        case SplitStatus::bad_gso_type:
            return "bad_gso_type";
        case SplitStatus::family_mismatch:
            return "family_mismatch";
        case SplitStatus::protocol_mismatch:
            return "protocol_mismatch";
        case SplitStatus::bad_hdr_len:
            return "bad_hdr_len";
        case SplitStatus::bad_csum_location:
            return "bad_csum_location";
        case SplitStatus::zero_gso_size:
            return "zero_gso_size";
        case SplitStatus::empty_payload:
            return "empty_payload";
        case SplitStatus::bad_tcp_flags:
            return "bad_tcp_flags";
        case SplitStatus::too_many_segments:
            return "too_many_segments";
        case SplitStatus::output_too_small:
            return "output_too_small";
    }
    return "unknown";
}

SplitStatus complete_checksum(const VirtioNetHeader& header, std::span<std::uint8_t> ip_packet) noexcept {
    if (header.gso_type != virtio_gso_none) return SplitStatus::bad_gso_type;
    if ((header.flags & virtio_net_flag_needs_csum) == 0) return SplitStatus::ok;
    std::size_t end = 0;
    if (const SplitStatus status = check_partial_checksum(header, ip_packet, end); status != SplitStatus::ok)
        return status;
    fill_partial_checksum(header, ip_packet, end);
    return SplitStatus::ok;
}

SplitResult split_super_frame(const VirtioNetHeader& header, std::span<const std::uint8_t> ip_packet,
                              std::span<std::uint8_t> out, std::span<PacketSpan> spans,
                              SplitLayout room) noexcept {
    if (header.gso_type != virtio_gso_none) return split_gso(header, ip_packet, out, spans, room);

    const bool needs_checksum = (header.flags & virtio_net_flag_needs_csum) != 0;
    std::size_t end = 0;
    if (needs_checksum) {
        if (const SplitStatus status = check_partial_checksum(header, ip_packet, end);
            status != SplitStatus::ok)
            return {status};
    }
    const std::size_t bytes = room.headroom + ip_packet.size() + room.tailroom;
    if (spans.empty()) return {SplitStatus::too_many_segments, 1, bytes};
    if (out.size() < bytes) return {SplitStatus::output_too_small, 1, bytes};

    const std::span<std::uint8_t> copy = out.subspan(room.headroom, ip_packet.size());
    if (!ip_packet.empty()) std::memcpy(copy.data(), ip_packet.data(), ip_packet.size());
    if (needs_checksum) fill_partial_checksum(header, copy, end);
    spans[0] = PacketSpan{room.headroom, copy.size()};
    return {SplitStatus::ok, 1, bytes};
}

}  // namespace sluice::dataplane::packet
