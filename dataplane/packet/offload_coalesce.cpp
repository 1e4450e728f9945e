#include "dataplane/packet/offload_coalesce.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/packet/checksum.hpp"
#include "dataplane/packet/frame.hpp"
#include "dataplane/packet/virtio_net_header.hpp"

namespace sluice::dataplane::packet {

namespace {

using Packets = std::span<const std::span<const std::uint8_t>>;

constexpr std::uint8_t ipv6_next_header_icmpv6 = 58;

// Byte ranges [from, to) of the headers that must be identical in every segment of a
// super-frame. Left out: IPv4 total length, identification and header checksum; IPv6
// payload length; TCP sequence number, flags (checked on their own) and checksum.
struct Range {
    std::size_t from;
    std::size_t to;
};
constexpr Range ipv4_same[] = {{0, 2}, {6, 10}, {12, 20}};
constexpr Range ipv6_same[] = {{0, 4}, {6, 40}};
// Ports, ACK number, data offset and reserved bits; window; urgent pointer and options
// (the latter up to the header's end, added at the call).
constexpr Range tcp_same[] = {{0, 4}, {8, 13}, {14, 16}};
constexpr std::size_t tcp_urgent_pointer_offset = 18;

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, std::size_t from,
                std::size_t to) noexcept {
    return std::memcmp(a.data() + from, b.data() + from, to - from) == 0;
}

// A segment that may join a super-frame on its own merits (see the header for why each).
bool is_candidate(std::span<const std::uint8_t> p, const PacketLayout& layout) noexcept {
    if (layout.length != p.size() || layout.payload_length() == 0) return false;
    if (!layout.ipv6) {
        if (layout.ip_header_length != ipv4_min_header_length || !layout.dont_fragment) return false;
        if (checksum_fold(checksum_add(0, p.first(ipv4_min_header_length))) != 0xffff) return false;
    }
    const std::span<const std::uint8_t> tcp = p.subspan(layout.ip_header_length);
    const std::uint8_t flags = tcp[13];
    if (flags != tcp_flag_ack && flags != (tcp_flag_ack | tcp_flag_psh)) return false;
    const std::uint64_t pseudo = pseudo_header_sum(p, layout.ipv6, ip_protocol_tcp, tcp.size());
    return checksum_fold(checksum_add(pseudo, tcp)) == 0xffff;
}

// Whether a packet that is not a TCP segment we can attribute to a flow might still belong
// to one of the flows being coalesced. If so, every open super-frame must close, or a later
// segment of its flow would be moved in front of it.
bool may_hide_tcp(std::span<const std::uint8_t> p, const PacketLayout& layout) noexcept {
    switch (layout.error) {
        case LayoutError::none:
            return false;  // UDP: a different flow by definition
        case LayoutError::fragment:
            return layout.protocol == ip_protocol_tcp;
        case LayoutError::unsupported_protocol:
            // An IPv6 extension header may have TCP behind it; ICMPv6 and IPv4's other
            // protocols cannot.
            return layout.ipv6 && p[6] != ipv6_next_header_icmpv6;
        default:
            return true;  // not even a valid IP header: its flow cannot be told
    }
}

// A flow's hash: addresses and ports. Not keyed: a sender that makes its flows collide only
// lengthens the probe runs of its own batch, which is bounded by the batch size.
std::uint64_t flow_hash(std::span<const std::uint8_t> p, bool ipv6, std::size_t ip_header_length) noexcept {
    const std::size_t from = ipv6 ? 8 : 12;
    const std::size_t to = ipv6 ? 40 : 20;
    std::uint64_t h = 0x9e3779b97f4a7c15u;
    for (std::size_t i = from; i < to; i += 4) h = (h ^ load_be32(p, i)) * 0xff51afd7ed558ccdu;
    h = (h ^ load_be32(p, ip_header_length)) * 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 29);
}

bool same_flow(std::span<const std::uint8_t> a, std::size_t a_ip_header_length,
               std::span<const std::uint8_t> b, std::size_t b_ip_header_length, bool ipv6) noexcept {
    if ((a[0] >> 4) != (b[0] >> 4)) return false;
    const bool addresses = ipv6 ? same_bytes(a, b, 8, 40) : same_bytes(a, b, 12, 20);
    return addresses && std::memcmp(a.data() + a_ip_header_length, b.data() + b_ip_header_length, 4) == 0;
}

void write_pass_through(std::span<const std::uint8_t> p, std::span<std::uint8_t> out) noexcept {
    static_cast<void>(write_virtio_net_header(out, VirtioNetHeader{}));
    if (!p.empty()) std::memcpy(out.data() + virtio_net_header_length, p.data(), p.size());
}

}  // namespace

std::string_view name(CoalesceStatus status) noexcept {
    switch (status) {
        case CoalesceStatus::ok:
            return "ok";
        case CoalesceStatus::batch_too_large:
            return "batch_too_large";
        case CoalesceStatus::too_many_frames:
            return "too_many_frames";
        case CoalesceStatus::output_too_small:
            return "output_too_small";
    }
    return "unknown";
}

Coalescer::Coalescer(std::size_t max_batch, std::size_t max_segments)
    : entries_(max_batch), groups_(max_batch), max_segments_(std::max<std::size_t>(max_segments, 1)) {
    std::size_t slots = 1;
    while (slots < 2 * max_batch) slots *= 2;
    slots_.resize(slots);
}

bool Coalescer::open(const Group& group) const noexcept {
    return !group.closed && group.barrier == barrier_;
}

Coalescer::Slot* Coalescer::find_slot(std::span<const std::uint8_t> packet, bool ipv6,
                                      std::size_t ip_header_length, Packets packets) noexcept {
    const std::size_t mask = slots_.size() - 1;
    // Terminates: at most max_batch flows per batch in at least 2 * max_batch slots.
    for (std::size_t i = flow_hash(packet, ipv6, ip_header_length) & mask;; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.generation != generation_) return &slot;
        const Entry& first = entries_[groups_[slot.group].first];
        if (same_flow(packets[groups_[slot.group].first], first.ip_header_length, packet, ip_header_length,
                      ipv6))
            return &slot;
    }
}

void Coalescer::close_flow(Packets packets, std::span<const std::uint8_t> packet,
                           const PacketLayout& layout) noexcept {
    // Slots only ever name groups of TCP candidates, whose first packet is a valid TCP
    // segment; this packet is one too, so its ports are there to compare.
    const Slot* slot = find_slot(packet, layout.ipv6, layout.ip_header_length, packets);
    if (slot->generation == generation_) groups_[slot->group].closed = true;
}

bool Coalescer::joins(Packets packets, const Group& group, std::uint32_t index) const noexcept {
    if (!open(group) || group.count >= max_segments_) return false;
    const Entry& first = entries_[group.first];
    const Entry& last = entries_[group.last];
    const Entry& entry = entries_[index];
    if (entry.ipv6 != first.ipv6 || entry.header_length != first.header_length) return false;
    if (entry.payload_length > first.payload_length) return false;
    if (entry.sequence != static_cast<std::uint32_t>(last.sequence + last.payload_length)) return false;
    if (group.length + entry.payload_length > max_coalesced_length) return false;

    const std::span<const std::uint8_t> a = packets[group.first];
    const std::span<const std::uint8_t> b = packets[index];
    if (entry.ipv6) {
        for (const Range r : ipv6_same)
            if (!same_bytes(a, b, r.from, r.to)) return false;
    } else {
        for (const Range r : ipv4_same)
            if (!same_bytes(a, b, r.from, r.to)) return false;
        if (load_be16(b, 4) != static_cast<std::uint16_t>(load_be16(a, 4) + group.count)) return false;
    }
    const std::size_t ip = entry.ip_header_length;
    for (const Range r : tcp_same)
        if (!same_bytes(a, b, ip + r.from, ip + r.to)) return false;
    return same_bytes(a, b, ip + tcp_urgent_pointer_offset, entry.header_length);
}

void Coalescer::add_candidate(Packets packets, std::uint32_t index) noexcept {
    const std::span<const std::uint8_t> p = packets[index];
    Entry& entry = entries_[index];
    Slot* slot = find_slot(p, entry.ipv6, entry.ip_header_length, packets);
    if (slot->generation == generation_) {
        Group& group = groups_[slot->group];
        if (joins(packets, group, index)) {
            entries_[group.last].next = index;
            group.last = index;
            ++group.count;
            group.length += entry.payload_length;
            entry.group = slot->group;
            if (entry.push || entry.payload_length < entries_[group.first].payload_length)
                group.closed = true;
            return;
        }
        group.closed = true;
    }
    const auto g = static_cast<std::uint32_t>(group_count_++);
    groups_[g] = Group{index, index, 1, barrier_, p.size(), entry.push};
    *slot = Slot{generation_, g};
    entry.group = g;
}

void Coalescer::classify(Packets packets) noexcept {
    if (++generation_ == 0) {
        // Wrapped: a slot left from 2^32 batches ago would look current.
        std::fill(slots_.begin(), slots_.end(), Slot{});
        generation_ = 1;
    }
    group_count_ = 0;
    barrier_ = 0;
    for (std::uint32_t i = 0; i < packets.size(); ++i) {
        const std::span<const std::uint8_t> p = packets[i];
        entries_[i] = Entry{};
        const PacketLayout layout = parse_transport(p);
        if (layout.error != LayoutError::none || layout.protocol != ip_protocol_tcp) {
            if (may_hide_tcp(p, layout)) ++barrier_;
            continue;
        }
        if (!is_candidate(p, layout)) {
            close_flow(packets, p, layout);
            continue;
        }
        Entry& entry = entries_[i];
        const std::span<const std::uint8_t> tcp = p.subspan(layout.ip_header_length);
        entry.sequence = load_be32(tcp, 4);
        entry.header_length = static_cast<std::uint16_t>(layout.header_length());
        entry.payload_length = static_cast<std::uint16_t>(layout.payload_length());
        entry.ip_header_length = static_cast<std::uint8_t>(layout.ip_header_length);
        entry.ipv6 = layout.ipv6;
        entry.push = (tcp[13] & tcp_flag_psh) != 0;
        add_candidate(packets, i);
    }
}

std::size_t Coalescer::write_group(Packets packets, const Group& group,
                                   std::span<std::uint8_t> out) const noexcept {
    const Entry& first = entries_[group.first];
    const std::span<const std::uint8_t> head = packets[group.first];
    const std::span<std::uint8_t> p = out.subspan(virtio_net_header_length, group.length);
    std::memcpy(p.data(), head.data(), head.size());
    std::size_t at = head.size();
    for (std::uint32_t i = first.next; i != none; i = entries_[i].next) {
        const std::span<const std::uint8_t> segment = packets[i];
        std::memcpy(p.data() + at, segment.data() + first.header_length, entries_[i].payload_length);
        at += entries_[i].payload_length;
    }

    const std::size_t ip = first.ip_header_length;
    if (first.ipv6) {
        store_be16(p, 4, static_cast<std::uint16_t>(group.length - ip));
    } else {
        store_be16(p, 2, static_cast<std::uint16_t>(group.length));
        store_be16(p, 10, 0);
        store_be16(p, 10, internet_checksum(p.first(ip)));
    }
    if (entries_[group.last].push) p[ip + 13] |= tcp_flag_psh;
    const std::uint64_t pseudo = pseudo_header_sum(p, first.ipv6, ip_protocol_tcp, group.length - ip);
    store_be16(p, ip + tcp_checksum_offset, checksum_fold(pseudo));

    VirtioNetHeader header;
    header.flags = virtio_net_flag_needs_csum;
    header.gso_type = first.ipv6 ? virtio_gso_tcpv6 : virtio_gso_tcpv4;
    header.hdr_len = first.header_length;
    header.gso_size = first.payload_length;
    header.csum_start = static_cast<std::uint16_t>(ip);
    header.csum_offset = tcp_checksum_offset;
    static_cast<void>(write_virtio_net_header(out, header));
    return virtio_net_header_length + group.length;
}

CoalesceResult Coalescer::coalesce(Packets packets, std::span<std::uint8_t> out,
                                   std::span<PacketSpan> frames) noexcept {
    if (packets.size() > entries_.size()) return {CoalesceStatus::batch_too_large};
    classify(packets);

    CoalesceResult result;
    for (std::uint32_t i = 0; i < packets.size(); ++i) {
        const Entry& entry = entries_[i];
        if (entry.group == none) {
            ++result.frames;
            result.bytes += virtio_net_header_length + packets[i].size();
            continue;
        }
        const Group& group = groups_[entry.group];
        if (group.first != i) continue;
        ++result.frames;
        result.bytes += virtio_net_header_length + group.length;
        if (group.count > 1) result.merged += group.count;
    }
    if (frames.size() < result.frames) {
        result.status = CoalesceStatus::too_many_frames;
        return result;
    }
    if (out.size() < result.bytes) {
        result.status = CoalesceStatus::output_too_small;
        return result;
    }

    std::size_t cursor = 0;
    std::size_t frame = 0;
    for (std::uint32_t i = 0; i < packets.size(); ++i) {
        const Entry& entry = entries_[i];
        std::size_t length = 0;
        if (entry.group == none || groups_[entry.group].count == 1) {
            write_pass_through(packets[i], out.subspan(cursor));
            length = virtio_net_header_length + packets[i].size();
        } else if (groups_[entry.group].first == i) {
            length = write_group(packets, groups_[entry.group], out.subspan(cursor));
        } else {
            continue;
        }
        frames[frame++] = PacketSpan{cursor, length};
        cursor += length;
    }
    return result;
}

}  // namespace sluice::dataplane::packet
