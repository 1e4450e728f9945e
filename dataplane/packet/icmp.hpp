// The ICMP errors a tinc 1.0.36 node answers with when it cannot route a packet its own
// device handed it (spec 3.6, tinc's route.c), rebuilt as pure functions over spans. The
// reply is a bare IP packet for our own TUN device, addressed to the original sender:
//
//   situation (router mode)             IPv4                        IPv6
//   no subnet matches the destination   3/6  net unknown            1/3  address unreachable
//   the subnet's owner is unreachable   3/0  net unreachable        1/0  no route
//   Forwarding = off, or DirectOnly     3/9  net prohibited         1/1  administratively
//   frame longer than the path MTU      3/4  fragmentation needed   2/0  packet too big
//
// What tinc does and we keep: the source of the reply is the original packet's destination
// (tinc only looks up a local interface address for "time exceeded", which we do not
// generate; for these errors it uses the destination too, and so do we, which also keeps
// this module free of sockets). TTL / hop limit 255, IPv4 ID 0 and DF clear, flow label 0.
// The reported MTU is the frame MTU minus the 14-byte Ethernet header, never below the
// family's minimum (576 + 14 = 590 for IPv4, 1280 + 14 = 1294 for IPv6): tinc does not
// answer "too big" for a frame under that floor, it forwards it and the send path falls
// back to TCP. tinc rate-limits these replies to 3 per second (IcmpRateLimiter).
//
// What we add, because tinc answers everything: the rules of RFC 1122 3.2.2, RFC 1812
// 4.3.2.7 and RFC 4443 2.4(e). No error about an ICMP error; none about a non-first
// fragment (it says nothing about which packet it came from); none for a source that is not
// one host (unspecified, loopback, multicast, broadcast) since nobody would receive it; none
// for a destination that is not unicast, since the reply's source would then be a multicast
// or broadcast address. RFC 4443 lets "packet too big" answer multicast, but only with a
// unicast source we do not have, so we stay silent there too.
//
// How much is quoted: as much of the original packet as fits in a reply of 576 bytes for
// IPv4 (tinc's limit, also RFC 1812's) and 1280 bytes for IPv6 (RFC 4443's; tinc caps
// IPv6 replies at 576 as well, which only costs the sender context).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace sluice::dataplane::packet {

inline constexpr std::size_t icmpv4_reply_max_length = 576;
inline constexpr std::size_t icmpv6_reply_max_length = 1280;
// An output buffer of this size always suffices.
inline constexpr std::size_t icmp_reply_buffer_length = icmpv6_reply_max_length;

// tinc's floors for "too big", in frame bytes: the minimum IP MTUs plus the Ethernet header.
inline constexpr std::uint32_t ipv4_min_frame_mtu = 576 + 14;
inline constexpr std::uint32_t ipv6_min_frame_mtu = 1280 + 14;

// tinc's ratelimit(3): at most this many ICMP replies per wall-clock second.
inline constexpr std::uint32_t tinc_icmp_replies_per_second = 3;

enum class Unreachable : std::uint8_t {
    net_unknown,      // no subnet matches the destination
    net_unreachable,  // the owning node is unreachable
    prohibited,       // local policy (Forwarding = off, DirectOnly) refuses to forward
};

enum class IcmpVerdict : std::uint8_t {
    reply,                    // the reply is in the output buffer
    malformed,                // no complete IP header, or IPv6 extension headers that do not parse
    icmp_error,               // the packet is an ICMP error (or too short to tell)
    not_first_fragment,       // IPv4 or IPv6 fragment with a non-zero offset
    bad_source,               // unspecified, loopback, multicast or broadcast source
    non_unicast_destination,  // multicast, broadcast or unspecified destination
    fragmentable,             // "too big" asked for an IPv4 packet without DF: fragment it instead
    buffer_too_small,         // out cannot hold the whole reply; nothing written
};

[[nodiscard]] std::string_view name(IcmpVerdict verdict) noexcept;

struct IcmpReply {
    IcmpVerdict verdict = IcmpVerdict::malformed;
    std::size_t length = 0;  // bytes of the reply at the start of the output buffer
};

// Whether an ICMP error about this IP packet may be sent at all (the rules above). reply
// means yes. Cheap: call it, then the rate limiter, then a builder.
[[nodiscard]] IcmpVerdict icmp_error_allowed(std::span<const std::uint8_t> ip_packet) noexcept;

// Destination unreachable (ICMP type 3 / ICMPv6 type 1) about ip_packet, written to out as a
// complete IP packet. out must not overlap ip_packet and must hold the whole reply
// (icmp_reply_buffer_length always does).
[[nodiscard]] IcmpReply build_unreachable(std::span<const std::uint8_t> ip_packet, Unreachable reason,
                                          std::span<std::uint8_t> out) noexcept;

// Fragmentation needed (ICMP 3/4, IPv4 with DF only) or packet too big (ICMPv6 2/0), reporting
// reported_mtu(frame_mtu). frame_mtu is the path's frame MTU (tinc's via->mtu).
[[nodiscard]] IcmpReply build_packet_too_big(std::span<const std::uint8_t> ip_packet, std::uint32_t frame_mtu,
                                             std::span<std::uint8_t> out) noexcept;

// The IP MTU a "too big" reply reports for a path whose frame MTU is frame_mtu.
[[nodiscard]] constexpr std::uint32_t reported_mtu(bool ipv6, std::uint32_t frame_mtu) noexcept {
    const std::uint32_t floor = ipv6 ? ipv6_min_frame_mtu : ipv4_min_frame_mtu;
    return (frame_mtu > floor ? frame_mtu : floor) - 14;
}

enum class PathFit : std::uint8_t {
    fits,         // frame length <= frame MTU (also: not an IP packet at all)
    under_floor,  // longer than the path allows but not than 590/1294: tinc forwards it
                  // unchanged and lets the send path choose TCP
    fragment,     // IPv4 without DF: tinc fragments it to the path MTU
    too_big,      // answer with build_packet_too_big and drop
};

// tinc's size check before forwarding an IP packet to a node through `via`, whose frame MTU
// is frame_mtu; the frame is the packet plus the 14-byte header. Not for packets to
// ourselves (tinc skips it when via is this node).
[[nodiscard]] PathFit check_path_mtu(std::span<const std::uint8_t> ip_packet,
                                     std::uint32_t frame_mtu) noexcept;

// tinc's limiter: a budget per wall-clock second, shared by every kind of reply. One per
// worker (not thread-safe), so N workers send up to N times the budget. The clock is passed
// in so that tests need no sleeping.
class IcmpRateLimiter {
public:
    explicit constexpr IcmpRateLimiter(std::uint32_t per_second = tinc_icmp_replies_per_second) noexcept
        : per_second_(per_second) {}

    // Consumes one reply from the budget of second now_seconds if any is left.
    [[nodiscard]] constexpr bool allow(std::uint64_t now_seconds) noexcept {
        if (now_seconds != second_) {
            second_ = now_seconds;
            sent_ = 0;
        }
        if (sent_ >= per_second_) return false;
        ++sent_;
        return true;
    }

private:
    std::uint32_t per_second_;
    std::uint32_t sent_ = 0;
    std::uint64_t second_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace sluice::dataplane::packet
