// The per-packet pipeline between in-memory nodes: alpha, beta and gamma each have their own
// encoded tables, key cache, send sequences and event ring, and the tests carry datagrams
// from one node's decision to the next node's input by hand, as the workers' sockets would.
//
// Every buffer handed to the pipeline is the front of a larger one filled with a canary, and
// every call checks that no byte changed outside the span the packet occupies plus what the
// pipeline may legitimately write (Ethernet header and seqno in front, padding and MAC or an
// ICMP reply behind), and that the decision's bytes lie inside the buffer it was given.
//
// Topology (underlay 198.18.0.0/16, overlay 198.19.0.0/16 and 2001:db8::/32):
//
//   alpha 198.18.0.1:655    beta 198.18.0.2:655    gamma 198.18.0.3:655
//   198.19.1.0/24           198.19.2.0/24          198.19.3.0/24
//   2001:db8:1::/48         2001:db8:2::/48        2001:db8:3::/48
#include "dataplane/engine/pipeline.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/crypto/legacy_cipher.hpp"
#include "dataplane/packet/test_packets.hpp"
#include "shared/abi/events.hpp"
#include "shared/abi/region.hpp"

using namespace sluice;
namespace dpc = sluice::dataplane::crypto;
namespace engine = sluice::dataplane::engine;
using abi::DropReason;
using engine::Action;
using engine::Decision;
using engine::kHeadroom;
using tables::Endpoint;
namespace packet = sluice::dataplane::packet;
namespace pt = sluice::dataplane::packet::testing;
namespace flags = sluice::tables::peer_flags;
using Bytes = pt::Bytes;

namespace {

constexpr std::uint32_t kAlpha = 11;
constexpr std::uint32_t kBeta = 12;
constexpr std::uint32_t kGamma = 13;

constexpr int kAes256Cbc = 427;
constexpr int kSha256 = 672;
constexpr std::uint16_t kMacLength = 4;
constexpr std::size_t kKeyLength = 48;

// tinc 1.0's Ethernet header in router mode plus the seqno sealed in front of it.
constexpr std::uint32_t kFrontWrite = 14 + 4;

struct NodeDef {
    const char* name;
    std::uint32_t id;
    std::uint8_t host;  // 198.18.0.<host> underlay, 198.19.<host>.0/24 and 2001:db8:<host>::/48
};
constexpr std::array<NodeDef, 3> kNodes{{{"alpha", kAlpha, 1}, {"beta", kBeta, 2}, {"gamma", kGamma, 3}}};

const NodeDef& def(std::uint32_t id) {
    for (const auto& d : kNodes)
        if (d.id == id) return d;
    FAIL("no node " << id);
    return kNodes[0];
}

Endpoint v4_endpoint(std::uint8_t host, std::uint16_t port = 655) {
    Endpoint e{};
    e.family = tables::EndpointFamily::ipv4;
    e.port = port;
    e.address[0] = 198;
    e.address[1] = 18;
    e.address[2] = 0;
    e.address[3] = host;
    return e;
}

Endpoint endpoint_of(std::uint32_t id) {
    return v4_endpoint(def(id).host);
}

pt::V4 overlay4(std::uint8_t net, std::uint8_t host) {
    return {198, 19, net, host};
}
pt::V6 overlay6(std::uint8_t net, std::uint8_t host) {
    return {0x20, 0x01, 0x0d, 0xb8, 0, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, host};
}

Bytes udp4(pt::V4 source, pt::V4 destination, std::size_t payload, std::uint16_t flags_fragment = 0x4000) {
    return pt::ipv4_packet({.source = source,
                            .destination = destination,
                            .protocol = 17,
                            .flags_fragment = flags_fragment,
                            .options = {},
                            .payload = pt::filler(payload)});
}

Bytes udp6(pt::V6 source, pt::V6 destination, std::size_t payload) {
    return pt::ipv6_packet(
        {.source = source, .destination = destination, .next_header = 17, .payload = pt::filler(payload)});
}

// tinc's router-mode frame around an IP packet.
Bytes frame_of(const Bytes& ip) {
    Bytes f(14, 0);
    f[12] = (ip[0] >> 4) == 4 ? 0x08 : 0x86;
    f[13] = (ip[0] >> 4) == 4 ? 0x00 : 0xdd;
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
}

// The legacy key for packets from `from` to `to`: 48 random bytes (seeded, so a failure can
// be reproduced) and an id unique to the direction.
tables::LegacyKeyRecord key_for(std::uint32_t from, std::uint32_t to) {
    static std::map<std::pair<std::uint32_t, std::uint32_t>, tables::LegacyKeyRecord> keys;
    auto [it, inserted] = keys.try_emplace({from, to});
    if (inserted) {
        std::mt19937 rng(from * 1000 + to);
        tables::LegacyKeyRecord& k = it->second;
        k = {};
        k.key_id = 1000 + from * 100 + to;
        k.cipher_nid = kAes256Cbc;
        k.digest_nid = kSha256;
        k.mac_length = kMacLength;
        k.key_length = kKeyLength;
        for (std::size_t i = 0; i < kKeyLength; ++i) k.key[i] = static_cast<std::uint8_t>(rng());
    }
    return it->second;
}

dpc::LegacyCipherState cipher_for(std::uint32_t from, std::uint32_t to) {
    const auto key = key_for(from, to);
    auto state = dpc::LegacyCipherState::create(key.cipher_nid, key.digest_nid, key.mac_length,
                                                std::span(key.key.data(), key.key_length));
    REQUIRE(state);
    return std::move(*state);
}

struct Opened {
    std::uint32_t seqno = 0;
    Bytes frame;
};

// Opens a datagram from `from` to `to` with a cipher state of the test's own, independent
// of every node's cache.
Opened open_as(std::uint32_t from, std::uint32_t to, Bytes datagram) {
    auto state = cipher_for(from, to);
    const dpc::OpenVerdict v = state.open(datagram);
    REQUIRE(v.ok());
    const auto payload = v.payload(datagram);
    return {v.seqno, Bytes(payload.begin(), payload.end())};
}

// Seals a frame from `from` to `to` the way a tinc peer would, with a chosen seqno.
Bytes seal_as(std::uint32_t from, std::uint32_t to, std::uint32_t seqno, const Bytes& frame) {
    auto state = cipher_for(from, to);
    Bytes buffer(kHeadroom + frame.size() + 256, 0);
    std::copy(frame.begin(), frame.end(), buffer.begin() + kHeadroom);
    const dpc::SealVerdict v = state.seal(seqno, buffer, kHeadroom, frame.size());
    REQUIRE(v.ok());
    const auto d = v.datagram(buffer);
    return Bytes(d.begin(), d.end());
}

// The tables `self` publishes: all three nodes reachable and direct, each with its endpoint,
// MTU 1518 and the keys of both directions. Tests adjust the result before building a Node.
tables::TablesInput mesh_view(std::uint32_t self) {
    tables::TablesInput in;
    in.self_name = def(self).name;
    for (const auto& d : kNodes) {
        tables::NodeInput n;
        n.name = d.name;
        n.node_id = d.id;
        n.flags = flags::reachable;
        n.mtu = 1518;
        if (d.id != self) {
            n.endpoint = v4_endpoint(d.host);
            n.in_key = key_for(d.id, self);
            n.out_key = key_for(self, d.id);
        }
        in.nodes.push_back(n);
        const std::string v4 = "198.19." + std::to_string(d.host) + ".0/24";
        const std::string v6 = "2001:db8:" + std::to_string(d.host) + "::/48";
        in.subnets.push_back({net::Subnet::parse(v4).value(), d.name});
        in.subnets.push_back({net::Subnet::parse(v6).value(), d.name});
    }
    return in;
}

tables::NodeInput& node_in(tables::TablesInput& in, std::uint32_t id) {
    for (auto& n : in.nodes)
        if (n.node_id == id) return n;
    FAIL("no node " << id);
    return in.nodes[0];
}

abi::Region make_region() {
    auto layout =
        abi::compute_layout({.worker_count = 1, .snapshot_payload_capacity = 4096, .ring_capacity = 64});
    REQUIRE(layout);
    auto region = abi::create_region(*layout);
    REQUIRE(region);
    return std::move(*region);
}

struct Event {
    std::uint16_t type = 0;
    std::uint64_t aux = 0;
    Bytes payload;
};

// One node as a worker sees it: published tables, a key cache refreshed from them, the send
// sequences, and worker 0's event ring and counters in a shared region.
class Node {
public:
    explicit Node(const tables::TablesInput& input)
        : region_(make_region()),
          producer_(region_.event_ring(0)),
          consumer_(region_.event_ring(0)),
          pipeline_(cache_, native_, sequences_, producer_, region_.worker(0).counters,
                    engine::PeerCounterTable(region_.peer_counters(0))) {
        publish(input, 1);
        pipeline_.set_now_seconds(1000);
    }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // New tables as snapshot generation `generation`, as a worker takes them between batches.
    void publish(const tables::TablesInput& input, std::uint64_t generation) {
        bytes_.assign(1 << 16, 0);
        const auto used = tables::encode_tables(input, bytes_);
        if (!used) FAIL(used.error().message);
        auto view = tables::TablesView::open(std::span(bytes_).first(*used));
        if (!view) FAIL(view.error().message);
        view_ = *view;
        const engine::RefreshStats stats = cache_.refresh(view_);
        REQUIRE(stats.keys_refused == 0);
        REQUIRE(native_.refresh(view_).sessions_refused == 0);
        pipeline_.use_tables(&view_, generation);
    }

    engine::Pipeline& pipeline() { return pipeline_; }
    std::uint32_t index_of(std::uint32_t id) const { return view_.find_name(def(id).name); }

    std::uint64_t drops(DropReason reason) const { return region_.worker(0).counters.drop(reason).load(); }
    std::uint64_t total_drops() const {
        std::uint64_t n = 0;
        for (const auto& d : region_.worker(0).counters.drops) n += d.load();
        return n;
    }
    std::uint64_t events_pushed() const { return region_.worker(0).counters.events_pushed.load(); }
    std::uint64_t native_rx() const { return region_.worker(0).counters.native_rx_packets.load(); }
    std::uint64_t native_tx() const { return region_.worker(0).counters.native_tx_packets.load(); }
    const abi::PeerCounters& peer(std::uint32_t node_id) const {
        return region_.peer_counters(
            0)[abi::peer_counter_slot(node_id, region_.layout().params.peer_capacity)];
    }

    // Everything on the event ring, oldest first; the ring is empty afterwards.
    std::vector<Event> events() {
        std::vector<Event> out;
        auto message = std::make_unique<abi::RingMessage>();
        while (consumer_.try_pop(*message)) {
            const auto p = message->payload();
            out.push_back({message->type, message->aux, Bytes(p.begin(), p.end())});
        }
        return out;
    }

private:
    std::vector<std::uint8_t> bytes_;
    tables::TablesView view_;
    engine::PeerCache cache_{dpc::tinc_default_replay_window};
    engine::NativeCache native_{0, 1, dpc::AeadBackend::openssl};
    engine::SendSequences sequences_{256};
    abi::Region region_;
    abi::RingProducer producer_;
    abi::RingConsumer consumer_;
    engine::Pipeline pipeline_;
};

constexpr std::size_t kBufferSize = 8192;  // what the pipeline is given
constexpr std::size_t kGuardSize = 4096;   // behind it: must never change
constexpr std::uint8_t kCanary = 0xA5;

class Buffer {
public:
    Buffer() : bytes_(kBufferSize + kGuardSize, kCanary) {}

    [[nodiscard]] std::span<std::uint8_t> span() { return {bytes_.data(), kBufferSize}; }
    void put(std::size_t at, const Bytes& data) {
        REQUIRE(at + data.size() <= kBufferSize);
        std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(at));
    }
    [[nodiscard]] Bytes slice(std::size_t at, std::size_t length) const {
        return Bytes(bytes_.begin() + static_cast<std::ptrdiff_t>(at),
                     bytes_.begin() + static_cast<std::ptrdiff_t>(at + length));
    }
    [[nodiscard]] Bytes slice(const Decision& d) const { return slice(d.offset, d.length); }

    // The first byte outside [lo, hi) that is no longer the canary, or npos.
    [[nodiscard]] std::size_t first_changed_outside(std::size_t lo, std::size_t hi) const {
        for (std::size_t i = 0; i < bytes_.size(); ++i)
            if ((i < lo || i >= hi) && bytes_[i] != kCanary) return i;
        return npos;
    }
    static constexpr std::size_t npos = ~std::size_t{0};

private:
    Bytes bytes_;
};

// The decision's bytes lie inside the buffer, and nothing changed outside [lo, hi) widened
// by those bytes.
void check_bounds(const Decision& d, const Buffer& b, std::size_t lo, std::size_t hi) {
    if (d.action != Action::none) {
        CHECK(d.length > 0);
        REQUIRE(std::size_t{d.offset} + d.length <= kBufferSize);
        lo = std::min<std::size_t>(lo, d.offset);
        hi = std::max<std::size_t>(hi, std::size_t{d.offset} + d.length);
    }
    CHECK(b.first_changed_outside(lo, hi) == Buffer::npos);
}

Decision from_tun(Node& n, Buffer& b, const Bytes& ip) {
    b.put(kHeadroom, ip);
    const Decision d = n.pipeline().from_tun(b.span(), kHeadroom, static_cast<std::uint32_t>(ip.size()));
    check_bounds(d, b, kHeadroom - kFrontWrite, kHeadroom + ip.size());
    return d;
}

Decision from_udp(Node& n, Buffer& b, const Bytes& datagram, const Endpoint& source) {
    b.put(kHeadroom, datagram);
    const Decision d =
        n.pipeline().from_udp(b.span(), kHeadroom, static_cast<std::uint32_t>(datagram.size()), source);
    check_bounds(d, b, kHeadroom, kHeadroom + datagram.size());
    return d;
}

Decision from_injection(Node& n, Buffer& b, const Bytes& frame) {
    b.put(kHeadroom, frame);
    const Decision d =
        n.pipeline().from_injection(b.span(), kHeadroom, static_cast<std::uint32_t>(frame.size()));
    check_bounds(d, b, kHeadroom, kHeadroom + frame.size());
    return d;
}

// A datagram from alpha's TUN for beta's subnet, as it leaves alpha.
Bytes sealed_by(Node& from_node, const Bytes& ip, const Endpoint& expected_to) {
    Buffer b;
    const Decision d = from_tun(from_node, b, ip);
    REQUIRE(d.action == Action::send_udp);
    CHECK(d.to == expected_to);
    return b.slice(d);
}

std::uint16_t be16(const Bytes& b, std::size_t at) {
    return pt::be16(b, at);
}

abi::PmtuResult pmtu_of(const Event& e) {
    abi::PmtuResult r{};
    REQUIRE(e.payload.size() == sizeof r);
    std::memcpy(&r, e.payload.data(), sizeof r);
    return r;
}

// A bare IPv4 TCP SYN carrying one MSS option.
Bytes syn4(pt::V4 source, pt::V4 destination, std::uint16_t mss) {
    pt::Ipv4Spec ip;
    ip.source = source;
    ip.destination = destination;
    return pt::tcp_ipv4({.flags = 0x02, .options = pt::mss_option(mss), .data = {}}, ip);
}

// The MSS option value of a bare IPv4 TCP SYN from pt::tcp_segment with a single MSS option.
std::uint16_t mss_of(const Bytes& ip) {
    return be16(ip, pt::ip_header_length(ip) + 20 + 2);
}

}  // namespace

TEST_CASE("pipeline: IPv4 and IPv6 packets cross from alpha's TUN to beta's TUN unchanged") {
    Node alpha(mesh_view(kAlpha));
    Node beta(mesh_view(kBeta));
    const Bytes ip4 = udp4(overlay4(1, 10), overlay4(2, 20), 100);
    const Bytes ip6 = udp6(overlay6(1, 0x10), overlay6(2, 0x20), 300);
    const Bytes tiny4 = udp4(overlay4(1, 10), overlay4(2, 20), 0);

    std::uint32_t seqno = 1;
    for (const Bytes* ip : {&ip4, &ip6, &tiny4, &ip4}) {
        const Bytes datagram = sealed_by(alpha, *ip, endpoint_of(kBeta));
        const Opened opened = open_as(kAlpha, kBeta, datagram);
        CHECK(opened.seqno == seqno++);  // alpha's one counter for beta's key: 1, 2, 3, ...
        CHECK(opened.frame == frame_of(*ip));
        CHECK(datagram.size() == cipher_for(kAlpha, kBeta).datagram_length(ip->size() + 14));

        Buffer b;
        const Decision d = from_udp(beta, b, datagram, endpoint_of(kAlpha));
        REQUIRE(d.action == Action::write_tun);
        CHECK(b.slice(d) == *ip);
    }
    // And back: beta's counter for alpha is its own and starts at 1.
    const Bytes reply = udp4(overlay4(2, 20), overlay4(1, 10), 50);
    const Bytes datagram = sealed_by(beta, reply, endpoint_of(kAlpha));
    CHECK(open_as(kBeta, kAlpha, datagram).seqno == 1);
    Buffer b;
    const Decision d = from_udp(alpha, b, datagram, endpoint_of(kBeta));
    REQUIRE(d.action == Action::write_tun);
    CHECK(b.slice(d) == reply);

    CHECK(alpha.total_drops() == 0);
    CHECK(beta.total_drops() == 0);
    CHECK(alpha.events().empty());
    CHECK(beta.events().empty());
}

TEST_CASE("pipeline: a replayed datagram is dropped as replay, a late one is still accepted") {
    Node alpha(mesh_view(kAlpha));
    Node beta(mesh_view(kBeta));
    const Bytes ip = udp4(overlay4(1, 10), overlay4(2, 20), 64);
    const Bytes first = sealed_by(alpha, ip, endpoint_of(kBeta));
    const Bytes second = sealed_by(alpha, ip, endpoint_of(kBeta));

    struct Step {
        const Bytes* datagram;
        Action expected;
        std::uint64_t replays;
    };
    const Step steps[] = {
        {&second, Action::write_tun, 0}, {&second, Action::none, 1},  // the same datagram again
        {&first, Action::write_tun, 1},  // late but inside the window, never seen
        {&first, Action::none, 2},       {&second, Action::none, 3},
    };
    for (const Step& s : steps) {
        Buffer b;
        const Decision d = from_udp(beta, b, *s.datagram, endpoint_of(kAlpha));
        CHECK(d.action == s.expected);
        if (d.action == Action::write_tun) CHECK(b.slice(d) == ip);
        CHECK(beta.drops(DropReason::replay) == s.replays);
    }
    CHECK(beta.total_drops() == 3);
}

TEST_CASE("pipeline: tampered and truncated datagrams are dropped with their reason") {
    Node alpha(mesh_view(kAlpha));
    Node beta(mesh_view(kBeta));
    const Bytes ip = udp4(overlay4(1, 10), overlay4(2, 20), 64);
    const Bytes genuine = sealed_by(alpha, ip, endpoint_of(kBeta));
    REQUIRE(genuine.size() > 16);

    struct Case {
        const char* label;
        Bytes datagram;
        DropReason reason;
    };
    std::vector<Case> cases;
    for (const std::size_t at :
         {std::size_t{0}, std::size_t{5}, genuine.size() / 2, genuine.size() - 5, genuine.size() - 1}) {
        Bytes d = genuine;
        d[at] ^= 0x01;
        cases.push_back({"flipped byte", d, DropReason::bad_mac});
    }
    cases.push_back({"one byte short", pt::slice(genuine, 0, genuine.size() - 1), DropReason::bad_mac});
    cases.push_back({"seqno + MAC - 1", pt::slice(genuine, 0, 7), DropReason::too_short});
    cases.push_back({"3 bytes", pt::slice(genuine, 0, 3), DropReason::too_short});
    cases.push_back({"empty", Bytes{}, DropReason::too_short});

    std::uint64_t bad_mac = 0;
    std::uint64_t too_short = 0;
    for (const Case& c : cases) {
        INFO(c.label << " (" << c.datagram.size() << " bytes)");
        Buffer b;
        const Decision d = from_udp(beta, b, c.datagram, endpoint_of(kAlpha));
        CHECK(d.action == Action::none);
        (c.reason == DropReason::bad_mac ? bad_mac : too_short) += 1;
        CHECK(beta.drops(DropReason::bad_mac) == bad_mac);
        CHECK(beta.drops(DropReason::too_short) == too_short);
    }
    // None of them moved the replay window: the genuine datagram still goes through.
    Buffer b;
    const Decision d = from_udp(beta, b, genuine, endpoint_of(kAlpha));
    REQUIRE(d.action == Action::write_tun);
    CHECK(b.slice(d) == ip);
    CHECK(beta.events().empty());
}

TEST_CASE(
    "pipeline: without a key the frame goes to the control plane and the key is asked for once per "
    "generation") {
    auto view = mesh_view(kAlpha);
    node_in(view, kBeta).out_key = {};
    Node alpha(view);
    const Bytes ip = udp4(overlay4(1, 10), overlay4(2, 20), 80);

    for (int i = 0; i < 3; ++i) {
        Buffer b;
        CHECK(from_tun(alpha, b, ip).action == Action::none);
    }
    CHECK(alpha.pipeline().take_events_pushed());
    CHECK_FALSE(alpha.pipeline().take_events_pushed());
    auto events = alpha.events();
    REQUIRE(events.size() == 4);
    CHECK(events[0].type == abi::type_code(abi::EventType::key_needed));
    CHECK(events[0].aux == kBeta);
    CHECK(events[0].payload.empty());
    for (std::size_t i = 1; i < 4; ++i) {
        CHECK(events[i].type == abi::type_code(abi::EventType::tcp_frame));
        CHECK(events[i].aux == kBeta);
        CHECK(events[i].payload == frame_of(ip));
    }
    CHECK(alpha.events_pushed() == 4);
    CHECK(alpha.total_drops() == 0);

    // A new generation (still without the key): one more request, then none again.
    alpha.publish(view, 2);
    for (int i = 0; i < 2; ++i) {
        Buffer b;
        CHECK(from_tun(alpha, b, ip).action == Action::none);
    }
    events = alpha.events();
    REQUIRE(events.size() == 3);
    CHECK(events[0].type == abi::type_code(abi::EventType::key_needed));
    CHECK(events[0].aux == kBeta);
    CHECK(events[1].type == abi::type_code(abi::EventType::tcp_frame));
    CHECK(events[2].type == abi::type_code(abi::EventType::tcp_frame));

    // The key arrives: UDP from now on, starting at seqno 1.
    alpha.publish(mesh_view(kAlpha), 3);
    const Bytes datagram = sealed_by(alpha, ip, endpoint_of(kBeta));
    CHECK(open_as(kAlpha, kBeta, datagram).seqno == 1);
    CHECK(alpha.events().empty());
}

TEST_CASE("pipeline: frames for a TCPOnly node go to the control plane, nothing is sent") {
    auto view = mesh_view(kAlpha);
    node_in(view, kBeta).flags |= flags::tcp_only;
    Node alpha(view);
    for (const Bytes& ip :
         {udp4(overlay4(1, 10), overlay4(2, 20), 80), udp6(overlay6(1, 1), overlay6(2, 2), 80)}) {
        Buffer b;
        CHECK(from_tun(alpha, b, ip).action == Action::none);
        const auto events = alpha.events();
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == abi::type_code(abi::EventType::tcp_frame));
        CHECK(events[0].aux == kBeta);
        CHECK(events[0].payload == frame_of(ip));
    }
    CHECK(alpha.total_drops() == 0);
}

TEST_CASE("pipeline: no route from the TUN device is answered with ICMP, at most 3 per second") {
    auto view = mesh_view(kAlpha);
    node_in(view, kGamma).flags = 0;  // gamma unreachable: its subnets give net-unreachable
    Node alpha(view);
    alpha.pipeline().set_now_seconds(2000);

    struct Case {
        const char* label;
        Bytes ip;
        std::uint8_t type;
        std::uint8_t code;
    };
    const Case cases[] = {
        {"IPv4 unknown", udp4(overlay4(1, 10), overlay4(200, 1), 40), 3, 6},
        {"IPv6 unknown", udp6(overlay6(1, 0x10), overlay6(0xff, 1), 40), 1, 3},
        {"IPv4 unreachable", udp4(overlay4(1, 10), overlay4(3, 30), 40), 3, 0},
    };
    for (const Case& c : cases) {
        INFO(c.label);
        Buffer b;
        const Decision d = from_tun(alpha, b, c.ip);
        REQUIRE(d.action == Action::write_tun);
        const Bytes reply = b.slice(d);
        if ((c.ip[0] >> 4) == 4) {
            REQUIRE(reply.size() == 20 + 8 + c.ip.size());
            CHECK(reply[9] == 1);
            CHECK(pt::slice(reply, 16, 4) == pt::slice(c.ip, 12, 4));  // back to the sender
            CHECK(pt::ipv4_header_checksum_ok(reply));
            CHECK(reply[20] == c.type);
            CHECK(reply[21] == c.code);
            CHECK(pt::slice(reply, 28, c.ip.size()) == c.ip);
        } else {
            REQUIRE(reply.size() == 40 + 8 + c.ip.size());
            CHECK(reply[6] == 58);
            CHECK(pt::slice(reply, 24, 16) == pt::slice(c.ip, 8, 16));
            CHECK(reply[40] == c.type);
            CHECK(reply[41] == c.code);
        }
    }
    CHECK(alpha.drops(DropReason::no_route) == 3);

    // The fourth in the same second is counted but not answered; the next second answers again.
    Buffer b;
    CHECK(from_tun(alpha, b, cases[0].ip).action == Action::none);
    CHECK(alpha.drops(DropReason::no_route) == 4);
    alpha.pipeline().set_now_seconds(2001);
    Buffer again;
    CHECK(from_tun(alpha, again, cases[0].ip).action == Action::write_tun);
    CHECK(alpha.drops(DropReason::no_route) == 5);

    // The reply is built 64 bytes behind the packet in a 1280-byte area: in a buffer one byte
    // short of that the packet is dropped unanswered and nothing past the buffer is touched.
    alpha.pipeline().set_now_seconds(2002);
    const Bytes& ip = cases[0].ip;
    for (const std::size_t spare : {std::size_t{0}, std::size_t{1}}) {
        INFO("buffer with " << spare << " spare bytes");
        Buffer tight;
        tight.put(kHeadroom, ip);
        const std::size_t size = kHeadroom + ip.size() + 64 + packet::icmp_reply_buffer_length - 1 + spare;
        const Decision d = alpha.pipeline().from_tun(tight.span().first(size), kHeadroom,
                                                     static_cast<std::uint32_t>(ip.size()));
        CHECK(d.action == (spare == 0 ? Action::none : Action::write_tun));
        if (d.action != Action::none) CHECK(std::size_t{d.offset} + d.length <= size);
        CHECK(tight.first_changed_outside(kHeadroom - kFrontWrite,
                                          spare == 0 ? kHeadroom + ip.size() : size) == Buffer::npos);
    }
    CHECK(alpha.drops(DropReason::no_route) == 7);
    CHECK(alpha.total_drops() == 7);
    CHECK(alpha.events().empty());
}

TEST_CASE("pipeline: a packet for our own subnet from the TUN device is dropped as looped back") {
    Node alpha(mesh_view(kAlpha));
    for (const Bytes& ip :
         {udp4(overlay4(1, 10), overlay4(1, 5), 20), udp6(overlay6(1, 0x10), overlay6(1, 5), 20)}) {
        Buffer b;
        CHECK(from_tun(alpha, b, ip).action == Action::none);
    }
    CHECK(alpha.drops(DropReason::looped_back) == 2);
    CHECK(alpha.total_drops() == 2);
    CHECK(alpha.events().empty());
}

TEST_CASE("pipeline: a datagram from an unknown address is reported with its source, at most 8 per second") {
    Node beta(mesh_view(kBeta));
    Endpoint stranger4 = v4_endpoint(99, 4242);
    Endpoint stranger6{};
    stranger6.family = tables::EndpointFamily::ipv6;
    stranger6.port = 655;
    const pt::V6 address6 = overlay6(0, 0x99);
    std::copy(address6.begin(), address6.end(), stranger6.address.begin());
    Endpoint alpha_other_port = endpoint_of(kAlpha);
    alpha_other_port.port = 656;

    struct Case {
        Endpoint source;
        abi::AddressFamily family;
        std::size_t length;
    };
    const Case cases[] = {
        {stranger4, abi::AddressFamily::ipv4, 100},
        {stranger6, abi::AddressFamily::ipv6, 40},
        {alpha_other_port, abi::AddressFamily::ipv4, 60},
        {stranger4, abi::AddressFamily::ipv4, 3000},  // more than a slot holds: the front of it
    };
    std::uint64_t n = 0;
    for (const Case& c : cases) {
        const Bytes datagram = pt::filler(c.length, static_cast<std::uint8_t>(c.length));
        Buffer b;
        CHECK(from_udp(beta, b, datagram, c.source).action == Action::none);
        CHECK(beta.drops(DropReason::unknown_peer) == ++n);
        const auto events = beta.events();
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == abi::type_code(abi::EventType::unknown_source));
        CHECK(events[0].aux == 0);
        abi::UnknownSource head{};
        REQUIRE(events[0].payload.size() >= sizeof head);
        std::memcpy(&head, events[0].payload.data(), sizeof head);
        CHECK(head.family == c.family);
        CHECK(head.port == c.source.port);
        CHECK(head.address == c.source.address);
        const std::size_t kept = std::min(c.length, abi::kUnknownSourceDatagramMax);
        CHECK(pt::slice(events[0].payload, sizeof head, events[0].payload.size() - sizeof head) ==
              pt::slice(datagram, 0, kept));
    }

    // A flood: 8 reports per second, every datagram counted.
    beta.pipeline().set_now_seconds(3000);
    for (int i = 0; i < 20; ++i) {
        Buffer b;
        CHECK(from_udp(beta, b, pt::filler(50), stranger4).action == Action::none);
    }
    CHECK(beta.events().size() == 8);
    CHECK(beta.drops(DropReason::unknown_peer) == n + 20);
    beta.pipeline().set_now_seconds(3001);
    Buffer b;
    (void)from_udp(beta, b, pt::filler(50), stranger4);
    CHECK(beta.events().size() == 1);
}

TEST_CASE("pipeline: PMTU probes are reflected and their replies reported") {
    Node alpha(mesh_view(kAlpha));
    Node beta(mesh_view(kBeta));
    std::uint64_t random_state = 0x9e3779b97f4a7c15ULL;

    for (const std::uint32_t length : {64U, 200U, 1001U, 1518U}) {
        INFO("probe of " << length);
        Buffer pb;
        const Decision probe = alpha.pipeline().probe(pb.span(), alpha.index_of(kBeta), length, random_state);
        REQUIRE(probe.action == Action::send_udp);
        check_bounds(probe, pb, kHeadroom - 4, kHeadroom + length);
        CHECK(probe.to == endpoint_of(kBeta));
        const Bytes request = pb.slice(probe);
        const Opened asked = open_as(kAlpha, kBeta, request);
        REQUIRE(asked.frame.size() == length);
        CHECK(asked.frame[0] == 0);
        CHECK(asked.frame[12] == 0);
        CHECK(asked.frame[13] == 0);

        Buffer rb;
        const Decision reflected = from_udp(beta, rb, request, endpoint_of(kAlpha));
        REQUIRE(reflected.action == Action::send_udp);
        CHECK(reflected.to == endpoint_of(kAlpha));
        CHECK(reflected.length == probe.length);
        const Bytes reply = rb.slice(reflected);
        Bytes expected = asked.frame;
        expected[0] = 1;
        CHECK(open_as(kBeta, kAlpha, reply).frame == expected);

        Buffer ab;
        CHECK(from_udp(alpha, ab, reply, endpoint_of(kBeta)).action == Action::none);
        const auto events = alpha.events();
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == abi::type_code(abi::EventType::pmtu_result));
        CHECK(events[0].aux == kBeta);
        const abi::PmtuResult r = pmtu_of(events[0]);
        CHECK(r.min_mtu == length);
        CHECK(r.max_mtu == 0);
        CHECK(r.mtu == 0);
    }
    CHECK(beta.events().empty());

    // A probe that could not be sent: max_mtu is one below it.
    alpha.pipeline().probe_too_big(kBeta, 1400);
    auto events = alpha.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].aux == kBeta);
    CHECK(pmtu_of(events[0]).max_mtu == 1399);
    CHECK(pmtu_of(events[0]).min_mtu == 0);

    // Nothing to probe without a key or an endpoint, or in a buffer too small.
    auto view = mesh_view(kAlpha);
    node_in(view, kBeta).out_key = {};
    node_in(view, kGamma).endpoint = {};
    Node keyless(view);
    Buffer b;
    CHECK(keyless.pipeline().probe(b.span(), keyless.index_of(kBeta), 200, random_state).action ==
          Action::none);
    CHECK(keyless.pipeline().probe(b.span(), keyless.index_of(kGamma), 200, random_state).action ==
          Action::none);
    CHECK(alpha.pipeline().probe(b.span().first(1000), alpha.index_of(kBeta), 200, random_state).action ==
          Action::none);
    CHECK(b.first_changed_outside(0, 0) == Buffer::npos);
}

TEST_CASE("pipeline: while the path MTU is open, large frames go to the next hop or as PACKET") {
    const Bytes small = udp4(overlay4(1, 10), overlay4(2, 20), 40);  // 82-byte frame
    const Bytes large = udp4(overlay4(1, 10), overlay4(2, 20), 400);

    SECTION("next hop gamma relays it") {
        auto view = mesh_view(kAlpha);
        auto& b_in = node_in(view, kBeta);
        b_in.flags |= flags::pmtu_discovery;
        b_in.min_mtu = 100;
        b_in.max_mtu = 1518;
        b_in.nexthop = "gamma";
        Node alpha(view);
        Node gamma(mesh_view(kGamma));
        Node beta(mesh_view(kBeta));

        // At most min_mtu: straight to beta.
        const Bytes direct = sealed_by(alpha, small, endpoint_of(kBeta));
        CHECK(open_as(kAlpha, kBeta, direct).frame == frame_of(small));

        const Bytes via_gamma = sealed_by(alpha, large, endpoint_of(kGamma));
        const Opened at_gamma = open_as(kAlpha, kGamma, via_gamma);
        CHECK(at_gamma.seqno == 1);
        CHECK(at_gamma.frame == frame_of(large));

        Buffer gb;
        const Decision relayed = from_udp(gamma, gb, via_gamma, endpoint_of(kAlpha));
        REQUIRE(relayed.action == Action::send_udp);
        CHECK(relayed.to == endpoint_of(kBeta));
        Buffer bb;
        const Decision delivered = from_udp(beta, bb, gb.slice(relayed), endpoint_of(kGamma));
        REQUIRE(delivered.action == Action::write_tun);
        CHECK(bb.slice(delivered) == large);
        CHECK(alpha.events().empty());
    }
    SECTION("the next hop is the node itself: PACKET") {
        auto view = mesh_view(kAlpha);
        auto& b_in = node_in(view, kBeta);
        b_in.flags |= flags::pmtu_discovery;
        b_in.min_mtu = 0;  // no probe came back yet
        b_in.max_mtu = 1518;
        Node alpha(view);
        Buffer b;
        CHECK(from_tun(alpha, b, large).action == Action::none);
        const auto events = alpha.events();
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == abi::type_code(abi::EventType::tcp_frame));
        CHECK(events[0].aux == kBeta);
        CHECK(events[0].payload == frame_of(large));
        CHECK(alpha.total_drops() == 0);
    }
}

TEST_CASE("pipeline: a fixed path MTU answers DF packets above it with ICMP and clamps the MSS") {
    // What sluiced publishes once discovery fixed beta's MTU at 1000 (tables_builder):
    // pmtu_discovery still set, mtu = min_mtu = max_mtu.
    auto view = mesh_view(kAlpha);
    auto& b_in = node_in(view, kBeta);
    b_in.flags |= flags::pmtu_discovery | flags::clamp_mss;
    b_in.mtu = b_in.min_mtu = b_in.max_mtu = 1000;
    Node alpha(view);
    Node beta(mesh_view(kBeta));

    struct Case {
        const char* label;
        Bytes ip;
        std::uint8_t type;
        std::uint8_t code;
        std::uint32_t reported_mtu;
    };
    const Case cases[] = {
        {"IPv4 DF", udp4(overlay4(1, 10), overlay4(2, 20), 1200), 3, 4, 986},
        {"IPv6 (floor 1280)", udp6(overlay6(1, 0x10), overlay6(2, 0x20), 1400), 2, 0, 1280},
    };
    std::uint64_t too_big = 0;
    for (const Case& c : cases) {
        INFO(c.label);
        Buffer b;
        const Decision d = from_tun(alpha, b, c.ip);
        CHECK(alpha.drops(DropReason::too_big) == ++too_big);
        // Answered with ICMP, and counted for beta, the peer it was for.
        CHECK(alpha.peer(kBeta).drop(DropReason::too_big).load() == too_big);
        CHECK(alpha.events().empty());  // not handed to the meta connection
        REQUIRE(d.action == Action::write_tun);
        const Bytes reply = b.slice(d);
        if ((c.ip[0] >> 4) == 4) {
            CHECK(pt::slice(reply, 16, 4) == pt::slice(c.ip, 12, 4));
            CHECK(reply[20] == c.type);
            CHECK(reply[21] == c.code);
            CHECK(be16(reply, 26) == c.reported_mtu);
        } else {
            CHECK(pt::slice(reply, 24, 16) == pt::slice(c.ip, 8, 16));
            CHECK(reply[40] == c.type);
            CHECK(reply[41] == c.code);
            CHECK(be16(reply, 46) == c.reported_mtu);
        }
    }

    // Without DF the packet is not answered: it goes whole over the meta connection.
    Buffer nb;
    const Bytes no_df = udp4(overlay4(1, 10), overlay4(2, 20), 1200, 0);
    CHECK(from_tun(alpha, nb, no_df).action == Action::none);
    auto events = alpha.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == abi::type_code(abi::EventType::tcp_frame));
    CHECK(events[0].payload == frame_of(no_df));

    // A frame of exactly the MTU goes by UDP.
    const Bytes fits = udp4(overlay4(1, 10), overlay4(2, 20), 1000 - 14 - 28);
    CHECK(open_as(kAlpha, kBeta, sealed_by(alpha, fits, endpoint_of(kBeta))).frame == frame_of(fits));

    // A SYN's MSS is lowered to 1000 - 14 - 20 - 20, the checksum patched.
    const Bytes syn = syn4(overlay4(1, 10), overlay4(2, 20), 1460);
    Buffer bb;
    const Decision d = from_udp(beta, bb, sealed_by(alpha, syn, endpoint_of(kBeta)), endpoint_of(kAlpha));
    REQUIRE(d.action == Action::write_tun);
    const Bytes clamped = bb.slice(d);
    REQUIRE(clamped.size() == syn.size());
    CHECK(mss_of(clamped) == 946);
    CHECK(pt::tcp_checksum_ok(clamped));
    Bytes expected = syn;
    pt::put16(expected, pt::ip_header_length(syn) + 22, 946);
    pt::fix_tcp_checksum(expected);
    CHECK(clamped == expected);
    CHECK(alpha.drops(DropReason::too_big) == too_big);
}

TEST_CASE("pipeline: without clamp_mss the MSS passes unchanged") {
    auto view = mesh_view(kAlpha);
    node_in(view, kBeta).mtu = 1000;
    Node alpha(view);
    const Bytes syn = syn4(overlay4(1, 10), overlay4(2, 20), 1460);
    CHECK(open_as(kAlpha, kBeta, sealed_by(alpha, syn, endpoint_of(kBeta))).frame == frame_of(syn));
}

TEST_CASE("pipeline: beta relays alpha's frame for gamma, re-sealed with gamma's key") {
    auto view = mesh_view(kAlpha);
    auto& g_in = node_in(view, kGamma);
    g_in.flags |= flags::indirect;
    g_in.via = "beta";
    g_in.nexthop = "beta";
    Node alpha(view);
    Node beta(mesh_view(kBeta));
    Node gamma(mesh_view(kGamma));

    for (const Bytes& ip :
         {udp4(overlay4(1, 10), overlay4(3, 30), 120), udp6(overlay6(1, 1), overlay6(3, 3), 120)}) {
        const Bytes to_beta = sealed_by(alpha, ip, endpoint_of(kBeta));
        Buffer bb;
        const Decision relayed = from_udp(beta, bb, to_beta, endpoint_of(kAlpha));
        REQUIRE(relayed.action == Action::send_udp);
        CHECK(relayed.to == endpoint_of(kGamma));
        const Bytes to_gamma = bb.slice(relayed);
        CHECK(open_as(kBeta, kGamma, to_gamma).frame == frame_of(ip));

        Buffer gb;
        const Decision delivered = from_udp(gamma, gb, to_gamma, endpoint_of(kBeta));
        REQUIRE(delivered.action == Action::write_tun);
        CHECK(gb.slice(delivered) == ip);
    }
    for (Node* n : {&alpha, &beta, &gamma}) {
        CHECK(n->total_drops() == 0);
        CHECK(n->events().empty());
    }
}

TEST_CASE("pipeline: broadcasts go to the control plane, and are delivered when they arrive") {
    Node alpha(mesh_view(kAlpha));
    Node beta(mesh_view(kBeta));
    const Bytes ip = udp4(overlay4(1, 10), {224, 0, 0, 1}, 30);

    Buffer b;
    CHECK(from_tun(alpha, b, ip).action == Action::none);
    auto events = alpha.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == abi::type_code(abi::EventType::broadcast_frame));
    CHECK(events[0].aux == abi::kLocalNode);
    CHECK(events[0].payload == frame_of(ip));

    // The same frame from alpha over UDP: written to beta's TUN and passed on.
    Buffer bb;
    const Decision d = from_udp(beta, bb, seal_as(kAlpha, kBeta, 1, frame_of(ip)), endpoint_of(kAlpha));
    REQUIRE(d.action == Action::write_tun);
    CHECK(bb.slice(d) == ip);
    events = beta.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == abi::type_code(abi::EventType::broadcast_frame));
    CHECK(events[0].aux == kAlpha);
    CHECK(events[0].payload == frame_of(ip));
}

TEST_CASE("pipeline: injected frames are written to the TUN device") {
    Node beta(mesh_view(kBeta));
    for (const Bytes& ip :
         {udp4(overlay4(1, 10), overlay4(2, 20), 60), udp6(overlay6(1, 1), overlay6(2, 2), 60)}) {
        Buffer b;
        const Decision d = from_injection(beta, b, frame_of(ip));
        REQUIRE(d.action == Action::write_tun);
        CHECK(d.offset == kHeadroom + 14);
        CHECK(b.slice(d) == ip);
    }
    Buffer b;
    CHECK(from_injection(beta, b, Bytes(14, 0)).action == Action::none);
    CHECK(beta.drops(DropReason::too_short) == 1);
}

TEST_CASE("pipeline: before any tables every packet is dropped") {
    Node alpha(mesh_view(kAlpha));
    alpha.pipeline().use_tables(nullptr, 0);
    Buffer t;
    CHECK(from_tun(alpha, t, udp4(overlay4(1, 10), overlay4(2, 20), 20)).action == Action::none);
    Buffer u;
    CHECK(from_udp(alpha, u, pt::filler(80), endpoint_of(kBeta)).action == Action::none);
    std::uint64_t random_state = 1;
    CHECK(alpha.pipeline().probe(t.span(), 0, 100, random_state).action == Action::none);
    CHECK(alpha.drops(DropReason::no_route) == 1);
    CHECK(alpha.drops(DropReason::unknown_peer) == 1);
    CHECK(alpha.events().empty());
}

TEST_CASE("pipeline: packets from the TUN device that are not IP are dropped by kind") {
    Node alpha(mesh_view(kAlpha));
    struct Case {
        const char* label;
        Bytes packet;
        DropReason reason;
    };
    Bytes bad_version = udp4(overlay4(1, 10), overlay4(2, 20), 20);
    bad_version[0] = 0x55;
    const Case cases[] = {
        {"empty", Bytes{}, DropReason::too_short},
        {"short IPv4", pt::slice(udp4(overlay4(1, 10), overlay4(2, 20), 20), 0, 19), DropReason::too_short},
        {"version 5", bad_version, DropReason::not_ipv4_or_ipv6},
    };
    for (const Case& c : cases) {
        INFO(c.label);
        const std::uint64_t before = alpha.drops(c.reason);
        Buffer b;
        CHECK(from_tun(alpha, b, c.packet).action == Action::none);
        CHECK(alpha.drops(c.reason) == before + 1);
    }
    CHECK(alpha.events().empty());
}

namespace {

// A native session between `self` and `peer` as each side publishes it: the initiator's send
// keys are the responder's receive keys and the other way round; indexes likewise.
tables::NativeSessionInput native_session(std::uint32_t self, std::uint32_t peer, std::uint8_t flags,
                                          std::uint64_t id = 1) {
    auto key = [](std::uint32_t from, std::uint32_t to, std::size_t lane) {
        std::array<std::uint8_t, tables::kNativeKeyBytes> k{};
        for (std::size_t i = 0; i < k.size(); ++i)
            k[i] = static_cast<std::uint8_t>(from * 31 + to * 7 + lane + i);
        return k;
    };
    tables::NativeSessionInput s;
    s.node = def(peer).name;
    s.session_id = id;
    s.local_index = 0x1000 + self;
    s.remote_index = 0x1000 + peer;
    s.suite = static_cast<std::uint8_t>(dpc::AeadAlgorithm::chacha20_poly1305);
    s.flags = flags;
    s.send_keys = {key(self, peer, 0)};
    s.receive_keys = {key(peer, self, 0)};
    return s;
}

}  // namespace

TEST_CASE("pipeline: between sluice nodes with a native session, packets go native both ways") {
    tables::TablesInput beta_view = mesh_view(kBeta);
    beta_view.native_sessions = {native_session(kBeta, kGamma, tables::native_flags::send)};
    tables::TablesInput gamma_view = mesh_view(kGamma);
    gamma_view.native_sessions = {native_session(kGamma, kBeta, tables::native_flags::send)};
    Node beta(beta_view);
    Node gamma(gamma_view);
    Node alpha(mesh_view(kAlpha));

    const Bytes ip4 = udp4(overlay4(2, 20), overlay4(3, 30), 700);
    const Bytes ip6 = udp6(overlay6(2, 0x20), overlay6(3, 0x30), 900);
    for (const Bytes* ip : {&ip4, &ip6}) {
        const Bytes datagram = sealed_by(beta, *ip, endpoint_of(kGamma));
        REQUIRE(dpc::looks_native(datagram));
        CHECK(datagram.size() == ip->size() + dpc::native_overhead);  // no Ethernet header inside
        Buffer b;
        const Decision d = from_udp(gamma, b, datagram, endpoint_of(kBeta));
        REQUIRE(d.action == Action::write_tun);
        CHECK(b.slice(d) == *ip);
        // The same datagram again: the replay window (one per sender lane) refuses it.
        Buffer again;
        CHECK(from_udp(gamma, again, datagram, endpoint_of(kBeta)).action == Action::none);
    }
    CHECK(gamma.drops(DropReason::replay) == 2);
    CHECK(beta.native_tx() == 2);
    CHECK(gamma.native_rx() == 2);
    // The native packet is authenticated by its session, not by where it came from.
    const Bytes roamed = sealed_by(beta, ip4, endpoint_of(kGamma));
    Buffer b;
    CHECK(from_udp(gamma, b, roamed, v4_endpoint(99, 4242)).action == Action::write_tun);

    // To tincd (alpha, no session) beta still speaks the legacy format.
    const Bytes to_alpha = sealed_by(beta, udp4(overlay4(2, 20), overlay4(1, 10), 100), endpoint_of(kAlpha));
    CHECK_FALSE(dpc::looks_native(to_alpha));
    CHECK(open_as(kBeta, kAlpha, to_alpha).frame.size() == 14 + 20 + 100);
    CHECK(beta.total_drops() == 0);
}

TEST_CASE("pipeline: native packets for an unknown session are dropped by name, legacy ones still pass") {
    tables::TablesInput beta_view = mesh_view(kBeta);
    beta_view.native_sessions = {native_session(kBeta, kGamma, tables::native_flags::send)};
    Node beta(beta_view);
    Node gamma(mesh_view(kGamma));  // gamma lost its sessions (a restarted data plane)
    const Bytes ip = udp4(overlay4(2, 20), overlay4(3, 30), 100);
    const Bytes datagram = sealed_by(beta, ip, endpoint_of(kGamma));
    Buffer b;
    CHECK(from_udp(gamma, b, datagram, endpoint_of(kBeta)).action == Action::none);
    CHECK(gamma.drops(DropReason::native_unknown_session) == 1);
    CHECK(gamma.total_drops() == 1);
    // A legacy datagram from beta to gamma opens as before.
    const Bytes legacy = seal_as(kBeta, kGamma, 1, frame_of(ip));
    Buffer l;
    const Decision d = from_udp(gamma, l, legacy, endpoint_of(kBeta));
    REQUIRE(d.action == Action::write_tun);
    CHECK(l.slice(d) == ip);
}

TEST_CASE("pipeline: the first packet on a session awaiting confirmation is reported once") {
    tables::TablesInput beta_view = mesh_view(kBeta);
    beta_view.native_sessions = {
        native_session(kBeta, kGamma, tables::native_flags::send | tables::native_flags::initiator)};
    tables::TablesInput gamma_view = mesh_view(kGamma);
    // gamma answered the exchange: it receives on the session but does not send on it yet.
    gamma_view.native_sessions = {native_session(kGamma, kBeta, tables::native_flags::confirm)};
    Node beta(beta_view);
    Node gamma(gamma_view);

    // beta's keepalive (worker 0 sends a few on a session it started).
    Buffer k;
    const Decision keepalive = beta.pipeline().keepalive(k.span(), beta.index_of(kGamma));
    REQUIRE(keepalive.action == Action::send_udp);
    CHECK(keepalive.length == dpc::native_overhead);
    Buffer r;
    CHECK(from_udp(gamma, r, k.slice(keepalive), endpoint_of(kBeta)).action == Action::none);
    for (int i = 0; i < 3; ++i) {
        Buffer b;
        const Decision d = from_udp(
            gamma, b, sealed_by(beta, udp4(overlay4(2, 20), overlay4(3, 30), 10), endpoint_of(kGamma)),
            endpoint_of(kBeta));
        CHECK(d.action == Action::write_tun);
    }
    const auto events = gamma.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == abi::type_code(abi::EventType::native_confirmed));
    CHECK(events[0].aux == kBeta);
    abi::NativeConfirmed c{};
    REQUIRE(events[0].payload.size() == sizeof c);
    std::memcpy(&c, events[0].payload.data(), sizeof c);
    CHECK(c.local_index == 0x1000 + kGamma);
    // Until sluiced promotes it, gamma answers in the legacy format.
    const Bytes back = sealed_by(gamma, udp4(overlay4(3, 30), overlay4(2, 20), 10), endpoint_of(kBeta));
    CHECK_FALSE(dpc::looks_native(back));
    CHECK(gamma.total_drops() == 0);
}

TEST_CASE("pipeline: a native path lowers the MTU the ICMP and MSS rules use by the format's overhead") {
    tables::TablesInput beta_view = mesh_view(kBeta);
    beta_view.native_sessions = {native_session(kBeta, kGamma, tables::native_flags::send)};
    auto& g = node_in(beta_view, kGamma);
    g.flags |= flags::pmtu_discovery | flags::clamp_mss;
    g.min_mtu = g.max_mtu = g.mtu = 1451;  // fixed, as tinc finds it behind a 1500-byte underlay
    Node beta(beta_view);
    // Legacy datagram of a 1451-byte frame: 1460 bytes; a native one may be as large: a frame
    // of 1460 - 32 + 14 = 1442 bytes, an IP packet of 1428.
    const Bytes fits = udp4(overlay4(2, 20), overlay4(3, 30), 1428 - 20);
    const Bytes datagram = sealed_by(beta, fits, endpoint_of(kGamma));
    CHECK(dpc::looks_native(datagram));
    CHECK(datagram.size() == 1460);
    Buffer b;
    const Decision d = from_tun(beta, b, udp4(overlay4(2, 20), overlay4(3, 30), 1429 - 20));
    REQUIRE(d.action == Action::write_tun);  // ICMP fragmentation needed, toward the sender
    const Bytes icmp = b.slice(d);
    CHECK(icmp[20] == 3);
    CHECK(icmp[21] == 4);
    CHECK(be16(icmp, 26) == 1428);
    // A SYN's MSS is lowered to fit the native limit: 1442 - 14 - 20 - 20.
    tables::TablesInput gamma_view = mesh_view(kGamma);
    gamma_view.native_sessions = {native_session(kGamma, kBeta, tables::native_flags::send)};
    Node gamma(gamma_view);
    const Bytes syn = syn4(overlay4(2, 20), overlay4(3, 30), 1460);
    const Bytes sealed = sealed_by(beta, syn, endpoint_of(kGamma));
    CHECK(dpc::looks_native(sealed));
    Buffer sb;
    const Decision opened = from_udp(gamma, sb, sealed, endpoint_of(kBeta));
    REQUIRE(opened.action == Action::write_tun);
    CHECK(mss_of(sb.slice(opened)) == 1388);
    CHECK(pt::tcp_checksum_ok(sb.slice(opened)));
}

TEST_CASE("pipeline: per-peer counters follow the authenticated sender, the UDP hop and the drop") {
    auto view = mesh_view(kAlpha);
    auto& g_in = node_in(view, kGamma);
    g_in.flags |= flags::indirect;
    g_in.via = "beta";
    g_in.nexthop = "beta";
    Node alpha(view);
    Node beta(mesh_view(kBeta));
    beta.pipeline().set_now_boottime_ns(123'456'789);

    const Bytes ip = udp4(overlay4(1, 10), overlay4(3, 30), 120);
    const Bytes to_beta = sealed_by(alpha, ip, endpoint_of(kBeta));
    Buffer b;
    const Decision relayed = from_udp(beta, b, to_beta, endpoint_of(kAlpha));
    REQUIRE(relayed.action == Action::send_udp);
    // The pipeline names the hop; the worker counts tx for it when it queues the send.
    CHECK(relayed.node_id == kGamma);
    const abi::PeerCounters& from_alpha = beta.peer(kAlpha);
    CHECK(from_alpha.rx_packets.load() == 1);
    CHECK(from_alpha.rx_bytes.load() == to_beta.size());
    CHECK(from_alpha.native_rx_packets.load() == 0);
    CHECK(from_alpha.last_rx_boottime_ns.load() == 123'456'789);
    CHECK(beta.peer(kGamma).rx_packets.load() == 0);

    // A replay is the sender's drop, and does not count as received.
    Buffer again;
    CHECK(from_udp(beta, again, to_beta, endpoint_of(kAlpha)).action == Action::none);
    CHECK(from_alpha.drop(DropReason::replay).load() == 1);
    CHECK(from_alpha.rx_packets.load() == 1);
    // alpha sealed for beta: the Decision names beta.
    Buffer ab;
    const Decision sent = from_tun(alpha, ab, udp4(overlay4(1, 10), overlay4(2, 20), 10));
    CHECK(sent.node_id == kBeta);
}

TEST_CASE("pipeline: native packets count per peer on both ends, frames over TCP too") {
    tables::TablesInput beta_view = mesh_view(kBeta);
    beta_view.native_sessions = {native_session(kBeta, kGamma, tables::native_flags::send)};
    tables::TablesInput gamma_view = mesh_view(kGamma);
    gamma_view.native_sessions = {native_session(kGamma, kBeta, tables::native_flags::send)};
    Node beta(beta_view);
    Node gamma(gamma_view);
    gamma.pipeline().set_now_boottime_ns(5);

    const Bytes datagram = sealed_by(beta, udp4(overlay4(2, 20), overlay4(3, 30), 700), endpoint_of(kGamma));
    CHECK(beta.peer(kGamma).native_tx_packets.load() == 1);
    Buffer b;
    REQUIRE(from_udp(gamma, b, datagram, endpoint_of(kBeta)).action == Action::write_tun);
    CHECK(gamma.peer(kBeta).rx_packets.load() == 1);
    CHECK(gamma.peer(kBeta).native_rx_packets.load() == 1);
    CHECK(gamma.peer(kBeta).rx_bytes.load() == datagram.size());
    CHECK(gamma.peer(kBeta).last_rx_boottime_ns.load() == 5);

    auto tcp_view = mesh_view(kAlpha);
    node_in(tcp_view, kBeta).flags |= flags::tcp_only;
    Node alpha(tcp_view);
    Buffer t;
    CHECK(from_tun(alpha, t, udp4(overlay4(1, 10), overlay4(2, 20), 10)).action == Action::none);
    CHECK(alpha.peer(kBeta).tcp_frames.load() == 1);
    CHECK(alpha.peer(kBeta).tx_packets.load() == 0);
}
