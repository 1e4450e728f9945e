// The TUN write side of the offloads (GRO): a batch of complete IP packets, in arrival
// order, becomes a batch of TUN writes, each a virtio_net_hdr followed by a packet. TCP
// segments of one flow that the kernel could have produced by segmenting one super-frame
// are merged back into it, so the kernel's stack handles one packet instead of up to 64:
//
//   virtio_net_hdr   flags NEEDS_CSUM, gso_type TCPV4/TCPV6, gso_size = the first segment's
//                    payload, hdr_len = IP + TCP header, csum_start = IP header length,
//                    csum_offset 16
//   IP header        the first segment's, with the total (IPv4, checksum recomputed) or
//                    payload (IPv6) length of the whole
//   TCP header       the first segment's, PSH taken from the last, the checksum field holding
//                    the pseudo-header sum only (what the kernel expects with NEEDS_CSUM)
//
// A segment joins the open super-frame of its flow (same addresses and ports) when it
// continues it exactly: sequence number right after the previous segment's data, IPv4
// identification one more than the previous, every other IP and TCP header byte identical
// to the first segment's (TOS/traffic class, TTL, flow label, ACK number, window, options),
// flags ACK only (ACK|PSH allowed, and then it ends the super-frame), a payload no longer
// than the first segment's (a shorter one ends it), at most max_segments segments and 65535
// bytes in all. Only segments that are complete and correct on their own are candidates:
// IPv4 with DF set, no fragment bits, no options and a valid header checksum, IPv6 with TCP
// as next header, a valid TCP checksum (merging must not launder a corrupt segment: the
// kernel trusts the checksum it is told to complete), nothing after the IP length.
//
// Everything else passes through unchanged behind a header of gso_type NONE, flags 0, and
// so does a super-frame of one segment. Output order: each super-frame takes the place of its
// first segment; within a flow nothing is reordered, because any packet of the flow that
// does not join closes the open super-frame (and a packet that might be TCP but whose flow
// cannot be told, such as a fragment or garbage, closes all of them). UDP is not coalesced.
//
// Allocation-free per batch: the state is sized at construction for a maximum batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/packet/offload_layout.hpp"

namespace sluice::dataplane::packet {

// What the kernel's GRO merges at most.
inline constexpr std::size_t default_max_coalesced_segments = 64;
inline constexpr std::size_t max_coalesced_length = 65535;

enum class CoalesceStatus : std::uint8_t {
    ok,
    batch_too_large,   // more packets than the coalescer was built for; nothing written
    too_many_frames,   // frames holds fewer entries than needed; nothing written
    output_too_small,  // out holds fewer bytes than needed; nothing written
};

[[nodiscard]] std::string_view name(CoalesceStatus status) noexcept;

struct CoalesceResult {
    CoalesceStatus status = CoalesceStatus::ok;
    std::size_t frames = 0;  // ok: entries of frames filled; otherwise how many are needed
    std::size_t bytes = 0;   // ok: bytes of out used; otherwise how many are needed
    std::size_t merged = 0;  // input packets that went into super-frames of two or more
};

class Coalescer {
public:
    // Allocates the state for batches of up to max_batch packets (the only allocation).
    explicit Coalescer(std::size_t max_batch, std::size_t max_segments = default_max_coalesced_segments);

    // Coalesces packets into out as consecutive TUN writes: frames[i] covers the i-th write
    // (virtio_net_hdr + packet). At most packets.size() frames and (sum of lengths +
    // 10 * packets.size()) bytes are ever needed. out must not overlap the packets.
    [[nodiscard]] CoalesceResult coalesce(std::span<const std::span<const std::uint8_t>> packets,
                                          std::span<std::uint8_t> out, std::span<PacketSpan> frames) noexcept;

    [[nodiscard]] std::size_t max_batch() const noexcept { return entries_.size(); }

private:
    static constexpr std::uint32_t none = 0xffffffff;

    // One input packet. A candidate carries the parsed fields the merge test needs.
    struct Entry {
        std::uint32_t group = none;  // the super-frame it belongs to, if any
        std::uint32_t next = none;   // the next segment of that super-frame
        std::uint32_t sequence = 0;
        std::uint16_t header_length = 0;  // IP + TCP
        std::uint16_t payload_length = 0;
        std::uint8_t ip_header_length = 0;
        bool ipv6 = false;
        bool push = false;
    };

    // A super-frame being built; its first segment is the template for the headers.
    struct Group {
        std::uint32_t first = 0;
        std::uint32_t last = 0;
        std::uint32_t count = 0;
        std::uint32_t barrier = 0;  // the barrier count when it opened
        std::size_t length = 0;     // IP length of the whole
        bool closed = false;
    };

    // Flow table slot, valid in the batch whose generation it carries.
    struct Slot {
        std::uint32_t generation = 0;
        std::uint32_t group = none;
    };

    void classify(std::span<const std::span<const std::uint8_t>> packets) noexcept;
    void add_candidate(std::span<const std::span<const std::uint8_t>> packets, std::uint32_t index) noexcept;
    void close_flow(std::span<const std::span<const std::uint8_t>> packets,
                    std::span<const std::uint8_t> packet, const PacketLayout& layout) noexcept;
    [[nodiscard]] bool joins(std::span<const std::span<const std::uint8_t>> packets, const Group& group,
                             std::uint32_t index) const noexcept;
    [[nodiscard]] Slot* find_slot(std::span<const std::uint8_t> packet, bool ipv6,
                                  std::size_t ip_header_length,
                                  std::span<const std::span<const std::uint8_t>> packets) noexcept;
    [[nodiscard]] bool open(const Group& group) const noexcept;
    std::size_t write_group(std::span<const std::span<const std::uint8_t>> packets, const Group& group,
                            std::span<std::uint8_t> out) const noexcept;

    std::vector<Entry> entries_;
    std::vector<Group> groups_;
    std::vector<Slot> slots_;  // open addressing, a power of two at least twice max_batch
    std::size_t max_segments_;
    std::size_t group_count_ = 0;
    std::uint32_t generation_ = 0;
    std::uint32_t barrier_ = 0;
};

}  // namespace sluice::dataplane::packet
