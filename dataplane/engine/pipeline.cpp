#include "dataplane/engine/pipeline.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "dataplane/crypto/probe.hpp"
#include "dataplane/packet/frame.hpp"
#include "dataplane/packet/mss_clamp.hpp"
#include "shared/abi/events.hpp"

namespace sluice::dataplane::engine {

namespace {

using abi::DropReason;
using tables::kNoIndex;
namespace flags = tables::peer_flags;

constexpr std::size_t kEth = packet::ethernet_header_length;
// unknown_source events per second per worker: enough for the control plane to learn a
// roaming peer's address, too few for a flood of junk to crowd out the other events.
constexpr std::uint32_t kUnknownSourceReportsPerSecond = 8;

route::Verdict lookup(const tables::TablesView& tables, const packet::FrameClass& c) noexcept {
    return c.kind == packet::FrameKind::ipv4 ? tables.routes().lookup(c.ipv4_destination)
                                             : tables.routes().lookup(c.ipv6_destination);
}

DropReason open_drop_reason(crypto::OpenDrop drop) noexcept {
    return drop == crypto::OpenDrop::too_short ? DropReason::too_short : DropReason::bad_mac;
}

}  // namespace

namespace {

std::uint32_t native_frame_limit(const tables::PeerRecord& dest) noexcept {
    // The path MTU is known in legacy terms: a probe frame of min_mtu bytes passed, sealed as
    // at least min_mtu + 4 (seqno) + 1 (CBC padding) + MAC bytes. A native datagram is the IP
    // packet (the frame without its 14-byte Ethernet header) + 32 bytes.
    const std::uint32_t passed = std::uint32_t{dest.min_mtu} + 5U + dest.out_key.mac_length;
    const std::uint32_t overhead = static_cast<std::uint32_t>(crypto::native_overhead - kEth);
    return passed > overhead ? passed - overhead : 0;
}

}  // namespace

Decision Pipeline::from_tun(std::span<std::uint8_t> buffer, std::uint32_t offset,
                            std::uint32_t length) noexcept {
    if (tables_ == nullptr) return drop(DropReason::no_route);
    const std::uint32_t frame_offset = offset - static_cast<std::uint32_t>(kEth);
    const std::span<std::uint8_t> frame = buffer.subspan(frame_offset, length + kEth);
    const packet::FrameClass c = packet::frame_ip_packet(frame);
    if (c.kind == packet::FrameKind::too_short) return drop(DropReason::too_short);
    if (!c.is_ip()) return drop(DropReason::not_ipv4_or_ipv6);
    if (c.broadcast_or_multicast)
        return to_control_plane(abi::EventType::broadcast_frame, abi::kLocalNode, frame);
    const route::Verdict v = lookup(*tables_, c);
    if (v.kind != route::VerdictKind::route) {
        return icmp_reply(buffer, offset, length, false, 0,
                          v.kind == route::VerdictKind::unknown ? packet::Unreachable::net_unknown
                                                                : packet::Unreachable::net_unreachable);
    }
    if (v.node_index == tables_->self_index()) return drop(DropReason::looped_back);
    return route_frame(buffer, frame_offset, length + static_cast<std::uint32_t>(kEth), v.node_index);
}

Decision Pipeline::route_frame(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                               std::uint32_t node_index) noexcept {
    const tables::PeerRecord& dest = tables_->peer(node_index);
    if ((dest.flags & flags::reachable) == 0) {
        return icmp_reply(buffer, offset + static_cast<std::uint32_t>(kEth),
                          length - static_cast<std::uint32_t>(kEth), false, 0,
                          packet::Unreachable::net_unreachable, dest.node_id);
    }
    // tinc's send_packet: UDP goes to via, or to the next hop when via is this node.
    std::uint32_t via_index = dest.via_index;
    if (via_index == tables_->self_index()) via_index = dest.nexthop_index;
    const tables::PeerRecord& via = tables_->peer(via_index);
    const std::span<std::uint8_t> frame = buffer.subspan(offset, length);
    const std::span<std::uint8_t> ip = frame.subspan(kEth);

    // The path MTU rules come first and use via's MTU, as in tinc's route_ipv4_unicast: only
    // then does the send path pick a hop by min_mtu. The other way round, a fixed MTU (where
    // mtu == min_mtu) would send every DF packet above it as PACKET instead of answering.
    std::uint32_t mtu = via.mtu;
    // A via without any confirmed UDP path is reached through the next hop: that hop's MTU
    // bounds the frames (tinc ends up at 590 here once its probes to via give up).
    if ((via.flags & flags::pmtu_discovery) != 0 && via.min_mtu == 0 && dest.nexthop_index != via_index) {
        const std::uint32_t relay_mtu = tables_->peer(dest.nexthop_index).mtu;
        if (relay_mtu != 0 && (mtu == 0 || relay_mtu < mtu)) mtu = relay_mtu;
    }
    // A direct path that carries native packets: their 32 bytes of overhead on the IP packet
    // exceed the legacy format's on the Ethernet frame, so the largest frame is smaller than
    // the legacy MTU (native_frame_limit); ICMP and MSS clamping use that limit, so that
    // TCP sizes its segments to the native format instead of falling back to legacy. Only
    // once discovery fixed the MTU (min == max): while it runs, min_mtu is a lower bound, and
    // frames above the native limit go in the legacy format as before.
    if (via_index == node_index && (dest.flags & flags::pmtu_discovery) != 0 && dest.min_mtu != 0 &&
        dest.min_mtu >= dest.max_mtu && native_.find_send(dest.node_id) != nullptr) {
        const std::uint32_t limit = native_frame_limit(dest);
        if (mtu == 0 || limit < mtu) mtu = limit;
    }
    if (mtu != 0) {
        switch (packet::check_path_mtu(ip, mtu)) {
            case packet::PathFit::too_big:
                return icmp_reply(buffer, offset + static_cast<std::uint32_t>(kEth),
                                  length - static_cast<std::uint32_t>(kEth), true, mtu,
                                  packet::Unreachable::net_unreachable, dest.node_id);
            case packet::PathFit::under_floor:
            case packet::PathFit::fragment:
                // Larger than the path but not answerable with ICMP: the meta connection
                // carries it whole, as tinc does for frames above the path MTU.
                return tcp_frame(dest.node_id, frame);
            case packet::PathFit::fits:
                break;
        }
    }
    if ((via.flags & flags::clamp_mss) != 0 && mtu != 0) (void)packet::clamp_mss(ip, mtu);

    // Which node the datagram goes to: via if it has a UDP path for a frame this long, else
    // the next hop (which relays it), else the meta connection (tinc's send_udppacket).
    auto udp_fits = [&](const tables::PeerRecord& p) {
        if ((p.flags & flags::tcp_only) != 0 || !p.endpoint.valid()) return false;
        return (p.flags & flags::pmtu_discovery) == 0 || length <= p.min_mtu;
    };
    const tables::PeerRecord* target = &via;
    if (!udp_fits(via)) {
        const tables::PeerRecord& nexthop = tables_->peer(dest.nexthop_index);
        if (dest.nexthop_index == via_index || !udp_fits(nexthop)) {
            return tcp_frame(dest.node_id, frame);
        }
        target = &nexthop;
    }

    // Native between two sluice nodes, end to end: only when the datagram goes to the
    // destination itself (relays forward legacy packets hop by hop, as tinc does).
    if (target == &dest || target->node_id == dest.node_id) {
        Decision native;
        if (seal_native(buffer, offset, length, dest, native)) return native;
    }
    PeerCacheEntry* entry = cache_.find(target->node_id);
    if (entry == nullptr || !entry->out) {
        // No key yet: ask for one, and meanwhile the frame goes over TCP (spec 4.5).
        request_key(*target, entry);
        return tcp_frame(dest.node_id, frame);
    }
    if (target->out_key.compression != 0) {
        // The peer asked for compressed packets; sluice-dp does not compress, so the frame
        // goes uncompressed over the meta connection (PACKET is never compressed).
        return tcp_frame(dest.node_id, frame);
    }
    if (target->node_id >= sequences_.size()) return drop_for(dest.node_id, DropReason::no_key);
    const std::uint32_t seqno = sequences_.next(target->node_id, target->out_key.key_id);
    const crypto::SealVerdict sealed = entry->out->seal(seqno, buffer, offset, length);
    if (!sealed.ok()) return drop_for(dest.node_id, DropReason::too_big);
    return {Action::send_udp, static_cast<std::uint32_t>(sealed.offset),
            static_cast<std::uint32_t>(sealed.length), target->endpoint, target->node_id};
}

bool Pipeline::seal_native(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                           const tables::PeerRecord& dest, Decision& out) noexcept {
    NativeSendEntry* entry = native_.find_send(dest.node_id);
    if (entry == nullptr) return false;
    if ((dest.flags & flags::pmtu_discovery) != 0 && length > native_frame_limit(dest)) return false;
    const crypto::NativeSealVerdict sealed =
        entry->lane->seal(crypto::NativeType::data, buffer, offset + kEth, length - kEth);
    if (!sealed.ok()) return false;  // counter exhausted (a rekey is due): legacy meanwhile
    abi::add_owned(counters_.native_tx_packets, 1);
    peers_.sealed_native(dest.node_id);
    out = {Action::send_udp, static_cast<std::uint32_t>(sealed.offset),
           static_cast<std::uint32_t>(sealed.length), dest.endpoint, dest.node_id};
    return true;
}

Decision Pipeline::keepalive(std::span<std::uint8_t> buffer, std::uint32_t node_index) noexcept {
    if (tables_ == nullptr || node_index >= tables_->node_count()) return {};
    const tables::PeerRecord& peer = tables_->peer(node_index);
    NativeSendEntry* entry = native_.find_send(peer.node_id);
    if (entry == nullptr || !peer.endpoint.valid() || (peer.flags & flags::reachable) == 0) return {};
    const crypto::NativeSealVerdict sealed =
        entry->lane->seal(crypto::NativeType::keepalive, buffer, kHeadroom, 0);
    if (!sealed.ok()) return {};
    abi::add_owned(counters_.native_tx_packets, 1);
    peers_.sealed_native(peer.node_id);
    return {Action::send_udp, static_cast<std::uint32_t>(sealed.offset),
            static_cast<std::uint32_t>(sealed.length), peer.endpoint, peer.node_id};
}

bool Pipeline::from_native(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                           Decision& out) noexcept {
    const std::span<std::uint8_t> datagram = buffer.subspan(offset, length);
    crypto::NativeHeader header;
    if (!crypto::parse_native_header(datagram, header)) return false;
    NativeReceiveEntry* entry = native_.find_receive(header.receiver_index);
    // No session: most likely a legacy datagram whose first bytes happen to look native.
    if (entry == nullptr) return false;
    const std::uint32_t from = entry->node_id;
    if (!native_.owns_lane(header.lane)) {
        out = drop_for(from, DropReason::native_wrong_worker);
        return true;
    }
    const crypto::NativeOpenVerdict opened = entry->session->open(header, datagram);
    switch (opened.drop) {
        case crypto::NativeOpenDrop::none:
            break;
        case crypto::NativeOpenDrop::replay:
            out = drop_for(from, DropReason::replay);
            return true;
        case crypto::NativeOpenDrop::too_short:
            out = drop_for(from, DropReason::too_short);
            return true;
        default:  // bad lane, bad counter, bad tag: not authentic
            out = drop_for(from, DropReason::bad_mac);
            return true;
    }
    abi::add_owned(counters_.native_rx_packets, 1);
    peers_.received(from, length, true, now_boottime_ns_);
    if ((entry->flags & tables::native_flags::confirm) != 0 && !entry->confirm_reported) {
        const abi::NativeConfirmed confirmed{header.receiver_index, 0};
        std::array<std::uint8_t, sizeof confirmed> bytes;
        std::memcpy(bytes.data(), &confirmed, sizeof confirmed);
        if (events_.try_push(bytes, abi::type_code(abi::EventType::native_confirmed), entry->node_id)) {
            entry->confirm_reported = true;
            abi::add_owned(counters_.events_pushed, 1);
            events_pushed_ = true;
        }
    }
    out = {};
    if (header.type != crypto::NativeType::data) return true;  // keepalive (probes are legacy)
    // The IP packet follows the 16-byte header; tinc's 14-byte Ethernet header is rebuilt in
    // the header's last bytes so that the routing code sees a frame as from the legacy path.
    const std::uint32_t ip_offset = offset + static_cast<std::uint32_t>(opened.payload_offset);
    const std::uint32_t ip_length = static_cast<std::uint32_t>(opened.payload_length);
    const std::uint32_t frame_offset = ip_offset - static_cast<std::uint32_t>(kEth);
    const std::span<std::uint8_t> frame = buffer.subspan(frame_offset, ip_length + kEth);
    const packet::FrameClass c = packet::frame_ip_packet(frame);
    if (c.kind == packet::FrameKind::too_short) {
        out = drop_for(from, DropReason::too_short);
        return true;
    }
    if (!c.is_ip()) {
        out = drop_for(from, DropReason::not_ipv4_or_ipv6);
        return true;
    }
    if (c.broadcast_or_multicast) {
        (void)to_control_plane(abi::EventType::broadcast_frame, entry->node_id, frame);
        out = {Action::write_tun, ip_offset, ip_length, {}};
        return true;
    }
    const route::Verdict v = lookup(*tables_, c);
    if (v.kind != route::VerdictKind::route) {
        out = drop_for(from, DropReason::no_route);
    } else if (v.node_index == tables_->self_index()) {
        out = {Action::write_tun, ip_offset, ip_length, {}};
    } else {
        out = route_frame(buffer, frame_offset, ip_length + static_cast<std::uint32_t>(kEth), v.node_index);
    }
    return true;
}

Decision Pipeline::from_udp(std::span<std::uint8_t> buffer, std::uint32_t offset, std::uint32_t length,
                            const tables::Endpoint& source) noexcept {
    const std::span<std::uint8_t> datagram = buffer.subspan(offset, length);
    if (tables_ == nullptr) return drop(DropReason::unknown_peer);
    // Native packets are found by their receiver index, wherever they come from (the AEAD
    // authenticates the sender); a datagram that only looks native goes on to the legacy path.
    bool native_looking = false;
    if (crypto::looks_native(datagram)) {
        Decision native;
        if (from_native(buffer, offset, length, native)) return native;
        native_looking = true;
    }
    // A native-looking datagram that fails here too was a native packet for a session this
    // node no longer has (or never had): counted as such, not as a legacy failure.
    const std::uint32_t index = tables_->find_endpoint(source);
    if (index == kNoIndex)
        return native_looking ? drop(DropReason::native_unknown_session) : unknown_source(datagram, source);
    const tables::PeerRecord& from = tables_->peer(index);
    PeerCacheEntry* entry = cache_.find(from.node_id);
    if (entry == nullptr || !entry->in)
        return drop_for(from.node_id,
                        native_looking ? DropReason::native_unknown_session : DropReason::no_key);
    const crypto::OpenVerdict opened = entry->in->open(datagram);
    if (!opened.ok())
        return drop_for(from.node_id,
                        native_looking ? DropReason::native_unknown_session : open_drop_reason(opened.drop));
    if (entry->replay.check_and_update(opened.seqno) != crypto::TincReplayVerdict::accept) {
        return drop_for(from.node_id, DropReason::replay);
    }
    peers_.received(from.node_id, length, false, now_boottime_ns_);
    // Our inbound keys never ask for compression: sluiced refuses Compression != 0 while a
    // data plane is attached, so the payload is the frame itself.
    const std::uint32_t frame_offset = offset + static_cast<std::uint32_t>(opened.payload_offset);
    const std::uint32_t frame_length = static_cast<std::uint32_t>(opened.payload_length);
    const std::span<std::uint8_t> frame = buffer.subspan(frame_offset, frame_length);

    if (crypto::is_probe(frame)) {
        if (crypto::is_reply(frame)) {
            pmtu_event(from.node_id,
                       static_cast<std::uint16_t>(std::min<std::uint32_t>(frame_length, 0xffff)), 0);
            return {};
        }
        // Reflect it (spec 5.6): same frame, byte 0 = 1, sealed for the prober.
        if (!entry->out) {
            request_key(from, entry);
            return drop_for(from.node_id, DropReason::no_key);
        }
        // A peer that asked for compressed packets would misread an uncompressed reply, and
        // sluice-dp does not compress; its traffic goes as PACKET anyway.
        if (from.out_key.compression != 0) return drop_for(from.node_id, DropReason::no_key);
        crypto::make_reply(frame);
        const std::uint32_t seqno = sequences_.next(from.node_id, from.out_key.key_id);
        const crypto::SealVerdict sealed = entry->out->seal(seqno, buffer, frame_offset, frame_length);
        if (!sealed.ok()) return drop_for(from.node_id, DropReason::too_big);
        return {Action::send_udp, static_cast<std::uint32_t>(sealed.offset),
                static_cast<std::uint32_t>(sealed.length), source, from.node_id};
    }
    const packet::FrameClass c = packet::classify_frame(frame);
    if (c.kind == packet::FrameKind::too_short) return drop_for(from.node_id, DropReason::too_short);
    if (!c.is_ip()) return drop_for(from.node_id, DropReason::not_ipv4_or_ipv6);
    if (c.broadcast_or_multicast) {
        // Delivered here, and the control plane passes it on along the spanning tree.
        (void)to_control_plane(abi::EventType::broadcast_frame, from.node_id, frame);
        return {Action::write_tun,
                frame_offset + static_cast<std::uint32_t>(kEth),
                frame_length - static_cast<std::uint32_t>(kEth),
                {}};
    }
    const route::Verdict v = lookup(*tables_, c);
    if (v.kind != route::VerdictKind::route) return drop_for(from.node_id, DropReason::no_route);
    if (v.node_index == tables_->self_index()) {
        return {Action::write_tun,
                frame_offset + static_cast<std::uint32_t>(kEth),
                frame_length - static_cast<std::uint32_t>(kEth),
                {}};
    }
    // For another node: relay it, hop by hop as tinc does (each hop seals for the next).
    return route_frame(buffer, frame_offset, frame_length, v.node_index);
}

Decision Pipeline::from_injection(std::span<std::uint8_t> buffer, std::uint32_t offset,
                                  std::uint32_t length) noexcept {
    if (length <= kEth) return drop(DropReason::too_short);
    (void)buffer;
    return {Action::write_tun,
            offset + static_cast<std::uint32_t>(kEth),
            length - static_cast<std::uint32_t>(kEth),
            {}};
}

void Pipeline::pmtu_event(std::uint32_t node_id, std::uint16_t min_mtu, std::uint16_t max_mtu) noexcept {
    const abi::PmtuResult result{0, min_mtu, max_mtu, 0};
    std::array<std::uint8_t, sizeof result> bytes;
    std::memcpy(bytes.data(), &result, sizeof result);
    if (events_.try_push(bytes, abi::type_code(abi::EventType::pmtu_result), node_id)) {
        abi::add_owned(counters_.events_pushed, 1);
        events_pushed_ = true;
    } else {
        abi::add_owned(counters_.drop(DropReason::ring_full), 1);
    }
}

void Pipeline::probe_too_big(std::uint32_t node_id, std::uint32_t length) noexcept {
    pmtu_event(node_id, 0, static_cast<std::uint16_t>(std::min<std::uint32_t>(length - 1, 0xffff)));
}

Decision Pipeline::probe(std::span<std::uint8_t> buffer, std::uint32_t node_index, std::uint32_t length,
                         std::uint64_t& random_state) noexcept {
    if (tables_ == nullptr || node_index >= tables_->node_count()) return {};
    const tables::PeerRecord& peer = tables_->peer(node_index);
    PeerCacheEntry* entry = cache_.find(peer.node_id);
    if (entry == nullptr || !entry->out || !peer.endpoint.valid() || peer.out_key.compression != 0) return {};
    if (length < kEth || kHeadroom + length + 1024 > buffer.size()) return {};
    const std::span<std::uint8_t> frame = buffer.subspan(kHeadroom, length);
    std::memset(frame.data(), 0, kEth);
    // Filler: xorshift64, enough to keep probes from compressing or repeating.
    for (std::size_t i = kEth; i < length; i += 8) {
        random_state ^= random_state << 13;
        random_state ^= random_state >> 7;
        random_state ^= random_state << 17;
        std::memcpy(frame.data() + i, &random_state, std::min<std::size_t>(8, length - i));
    }
    const std::uint32_t seqno = sequences_.next(peer.node_id, peer.out_key.key_id);
    const crypto::SealVerdict sealed = entry->out->seal(seqno, buffer, kHeadroom, length);
    if (!sealed.ok()) return {};
    return {Action::send_udp, static_cast<std::uint32_t>(sealed.offset),
            static_cast<std::uint32_t>(sealed.length), peer.endpoint, peer.node_id};
}

Decision Pipeline::to_control_plane(abi::EventType type, std::uint64_t aux,
                                    std::span<const std::uint8_t> frame) noexcept {
    if (!abi::RingProducer::fits(frame.size())) return drop(DropReason::too_big);
    if (!events_.try_push(frame, abi::type_code(type), aux)) return drop(DropReason::ring_full);
    abi::add_owned(counters_.events_pushed, 1);
    events_pushed_ = true;
    return {};
}

Decision Pipeline::tcp_frame(std::uint32_t node_id, std::span<const std::uint8_t> frame) noexcept {
    if (!abi::RingProducer::fits(frame.size())) return drop_for(node_id, DropReason::too_big);
    if (!events_.try_push(frame, abi::type_code(abi::EventType::tcp_frame), node_id))
        return drop_for(node_id, DropReason::ring_full);
    abi::add_owned(counters_.events_pushed, 1);
    peers_.tcp_frame(node_id);
    events_pushed_ = true;
    return {};
}

void Pipeline::request_key(const tables::PeerRecord& peer, PeerCacheEntry* entry) noexcept {
    if (entry != nullptr) {
        if (entry->key_requested_generation == generation_) return;
        entry->key_requested_generation = generation_;
    }
    if (events_.try_push({}, abi::type_code(abi::EventType::key_needed), peer.node_id)) {
        abi::add_owned(counters_.events_pushed, 1);
        events_pushed_ = true;
    } else {
        abi::add_owned(counters_.drop(DropReason::ring_full), 1);
    }
}

Decision Pipeline::unknown_source(std::span<const std::uint8_t> datagram,
                                  const tables::Endpoint& source) noexcept {
    if (unknown_source_second_ != now_seconds_) {
        unknown_source_second_ = now_seconds_;
        unknown_source_reports_ = 0;
    }
    if (unknown_source_reports_ < kUnknownSourceReportsPerSecond) {
        const std::span<std::uint8_t> area = events_.try_reserve();
        if (!area.empty()) {
            ++unknown_source_reports_;
            abi::UnknownSource head{};
            head.family = source.family == tables::EndpointFamily::ipv4 ? abi::AddressFamily::ipv4
                                                                        : abi::AddressFamily::ipv6;
            head.port = source.port;
            head.address = source.address;
            std::memcpy(area.data(), &head, sizeof head);
            const std::size_t n = std::min(datagram.size(), abi::kUnknownSourceDatagramMax);
            std::memcpy(area.data() + sizeof head, datagram.data(), n);
            events_.commit(abi::type_code(abi::EventType::unknown_source),
                           static_cast<std::uint32_t>(sizeof head + n), 0);
            abi::add_owned(counters_.events_pushed, 1);
            events_pushed_ = true;
        }
    }
    return drop(DropReason::unknown_peer);
}

Decision Pipeline::icmp_reply(std::span<std::uint8_t> buffer, std::uint32_t ip_offset,
                              std::uint32_t ip_length, bool too_big, std::uint32_t mtu,
                              packet::Unreachable reason, std::uint32_t node_id) noexcept {
    const DropReason why = too_big ? DropReason::too_big : DropReason::no_route;
    abi::add_owned(counters_.drop(why), 1);
    if (node_id != 0) peers_.dropped(node_id, why);
    if (!icmp_limit_.allow(now_seconds_)) return {};
    // The reply is built after the original packet in the same buffer, then written to our
    // own TUN device toward the sender.
    const std::uint32_t reply_offset = ip_offset + ip_length + 64;
    if (reply_offset + packet::icmp_reply_buffer_length > buffer.size()) return {};
    const std::span<const std::uint8_t> original = buffer.subspan(ip_offset, ip_length);
    const std::span<std::uint8_t> out = buffer.subspan(reply_offset, packet::icmp_reply_buffer_length);
    const packet::IcmpReply reply = too_big ? packet::build_packet_too_big(original, mtu, out)
                                            : packet::build_unreachable(original, reason, out);
    if (reply.verdict != packet::IcmpVerdict::reply) return {};
    return {Action::write_tun, reply_offset, static_cast<std::uint32_t>(reply.length), {}};
}

}  // namespace sluice::dataplane::engine
