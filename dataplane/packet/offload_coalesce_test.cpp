// The Coalescer: a flow becomes exactly the super-frame the kernel would have sent, every
// merge rule on its own, flows interleaved and order kept, the size and segment caps, round
// trips split(coalesce(packets)) == packets and coalesce(split(super)) == super, the caller's
// storage, and seeded random batches (valid flows, garbled packets, garbage).
#include "dataplane/packet/offload_coalesce.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/packet/offload_test_packets.hpp"

using namespace sluice::dataplane::packet;
using namespace sluice::dataplane::packet::testing;

namespace {

struct Frame {
    VirtioNetHeader header;
    Bytes packet;
};

std::vector<Frame> coalesce(const std::vector<Bytes>& packets, std::size_t max_segments = 64) {
    Coalescer coalescer(packets.size() + 1, max_segments);
    std::vector<std::span<const std::uint8_t>> in(packets.begin(), packets.end());
    std::size_t bytes = 0;
    for (const Bytes& p : packets) bytes += p.size() + 10;
    Bytes out(bytes);
    std::vector<PacketSpan> frames(packets.size());
    const CoalesceResult r = coalescer.coalesce(in, out, frames);
    REQUIRE(r.status == CoalesceStatus::ok);
    std::vector<Frame> result;
    for (std::size_t i = 0; i < r.frames; ++i) {
        const Bytes f = slice(out, frames[i].offset, frames[i].length);
        result.push_back({*read_virtio_net_header(f), slice(f, 10, f.size() - 10)});
    }
    return result;
}

Bytes concat_payloads(const std::vector<Bytes>& packets) {
    Bytes all;
    for (const Bytes& p : packets) {
        const std::size_t h = headers_of(p, false);
        all.insert(all.end(), p.begin() + static_cast<std::ptrdiff_t>(h), p.end());
    }
    return all;
}

bool is_pass_through(const Frame& f) {
    return f.header == VirtioNetHeader{};
}

// A key for "same TCP flow" as the coalescer sees it, or empty for anything else.
Bytes flow_key(const Bytes& p) {
    const PacketLayout l = parse_transport(p);
    if (l.error != LayoutError::none || l.protocol != 6) return {};
    Bytes key = l.ipv6 ? slice(p, 8, 32) : slice(p, 12, 8);
    const Bytes ports = slice(p, l.ip_header_length, 4);
    key.insert(key.end(), ports.begin(), ports.end());
    return key;
}

}  // namespace

TEST_CASE("coalesce: a flow becomes the super-frame the kernel would have sent, and splits back") {
    struct Case {
        const char* what;
        Spec spec;
        std::size_t count;
        std::size_t mss;
        std::size_t last = 0;
        bool push = false;
    };
    Spec v4;
    Spec v6;
    v6.ipv6 = true;
    v6.tos = 0x28;
    Spec options = v4;
    options.tcp_options = {1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0};
    Spec wrap = v6;
    wrap.seq = 0xffffffff - 3000;
    Spec id_wrap = v4;
    id_wrap.id = 0xfffd;
    const std::vector<Case> cases{
        {"IPv4, two segments", v4, 2, 1380},
        {"IPv4, short last segment with PSH", v4, 5, 1380, 100, true},
        {"IPv6 with traffic class and flow label", v6, 10, 1360},
        {"TCP timestamps", options, 8, 1368, 0, true},
        {"sequence number wraps around 2^32", wrap, 6, 1380},
        {"identification wraps around 2^16", id_wrap, 6, 1380},
        {"exactly 65535 bytes: 45 full segments and a short one", v4, 46, 1448, 65535 - 40 - 45 * 1448},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        std::vector<Bytes> packets = flow(c.spec, c.count, c.mss, c.last);
        if (c.push) {
            packets.back()[ip_header_length(packets.back()) + 13] |= psh;
            fix_tcp_checksum(packets.back());
        }
        const std::vector<Frame> frames = coalesce(packets);
        REQUIRE(frames.size() == 1);
        Spec whole = c.spec;
        whole.flags = static_cast<std::uint8_t>(ack | (c.push ? psh : 0));
        whole.payload = concat_payloads(packets);
        const Super expected = super_frame(whole, static_cast<std::uint16_t>(c.mss));
        CHECK(frames[0].header == expected.header);
        CHECK(frames[0].packet == expected.bytes);
        CHECK(split(frames[0].header, frames[0].packet).packets == packets);
    }
}

TEST_CASE("coalesce: at most max_segments segments and 65535 bytes per super-frame") {
    const std::vector<Bytes> seventy = flow(Spec{}, 70, 500);
    std::vector<Frame> frames = coalesce(seventy);
    REQUIRE(frames.size() == 2);
    CHECK(split(frames[0].header, frames[0].packet).packets.size() == 64);
    CHECK(split(frames[1].header, frames[1].packet).packets.size() == 6);
    CHECK(coalesce(seventy, 8).size() == 9);

    const std::vector<Bytes> over = flow(Spec{}, 46, 1448, 65535 - 40 - 45 * 1448 + 1);
    frames = coalesce(over);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].packet.size() == 40 + 45 * 1448);
    CHECK(is_pass_through(frames[1]));
}

TEST_CASE("coalesce: what does not continue the super-frame stays apart") {
    // Each case changes the second of two segments, in its Spec or in its bytes.
    struct Case {
        const char* what;
        void (*spec)(Spec&);
        void (*bytes)(Bytes&);
    };
    const std::vector<Case> cases{
        {"DF clear", [](Spec& s) { s.fragment = 0; }, nullptr},
        {"IP options",
         [](Spec& s) {
             s.ip_options = {1, 1, 1, 0};
         },
         nullptr},
        {"a first fragment", [](Spec& s) { s.fragment = 0x6000; }, nullptr},
        {"SYN", [](Spec& s) { s.flags |= 0x02; }, nullptr},
        {"FIN", [](Spec& s) { s.flags |= fin; }, nullptr},
        {"RST", [](Spec& s) { s.flags |= 0x04; }, nullptr},
        {"URG", [](Spec& s) { s.flags |= 0x20; }, nullptr},
        {"ECE", [](Spec& s) { s.flags |= ece; }, nullptr},
        {"CWR", [](Spec& s) { s.flags |= cwr; }, nullptr},
        {"no ACK", [](Spec& s) { s.flags = psh; }, nullptr},
        {"TOS", [](Spec& s) { s.tos = 3; }, nullptr},
        {"TTL", [](Spec& s) { s.ttl = 63; }, nullptr},
        {"window", [](Spec& s) { s.window = 513; }, nullptr},
        {"ACK number", [](Spec& s) { s.ack_number = 78; }, nullptr},
        {"TCP options",
         [](Spec& s) {
             s.tcp_options = {1, 1, 1, 1};
         },
         nullptr},
        {"a gap in sequence", [](Spec& s) { s.seq += 1; }, nullptr},
        {"overlapping sequence", [](Spec& s) { s.seq -= 1; }, nullptr},
        {"identification not +1", [](Spec& s) { s.id += 1; }, nullptr},
        {"identification fixed", [](Spec& s) { s.id -= 1; }, nullptr},
        {"longer than the first", [](Spec& s) { s.payload.push_back(1); }, nullptr},
        {"no payload", [](Spec& s) { s.payload.clear(); }, nullptr},
        {"other destination port", nullptr,
         [](Bytes& p) {
             put16(p, 22, 444);
             fix_tcp_checksum(p);
         }},
        {"bad TCP checksum", nullptr, [](Bytes& p) { p[50] ^= 1; }},
        {"bad IPv4 header checksum", nullptr, [](Bytes& p) { p[10] ^= 1; }},
        {"trailing byte after the IP length", nullptr, [](Bytes& p) { p.push_back(0); }},
        {"reserved TCP bits", nullptr,
         [](Bytes& p) {
             p[32] |= 1;
             fix_tcp_checksum(p);
         }},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        Spec s;
        s.payload = filler(1000);
        const Bytes first = packet(s);
        s.seq += 1000;
        s.id += 1;
        s.payload = filler(1000, 9);
        if (c.spec != nullptr) c.spec(s);
        Bytes second = packet(s);
        if (c.bytes != nullptr) c.bytes(second);
        const std::vector<Frame> frames = coalesce({first, second});
        REQUIRE(frames.size() == 2);
        CHECK(is_pass_through(frames[0]));
        CHECK(is_pass_through(frames[1]));
        CHECK(frames[0].packet == first);
        CHECK(frames[1].packet == second);
    }
}

TEST_CASE("coalesce: flows interleave; order within a flow is kept") {
    Spec a;
    Spec b;
    b.ipv6 = true;
    const std::vector<Bytes> fa = flow(a, 4, 1000);
    const std::vector<Bytes> fb = flow(b, 3, 1000);
    Spec udp;
    udp.udp = true;
    udp.payload = filler(50);
    const Bytes datagram = packet(udp);

    std::vector<Frame> frames = coalesce({fa[0], fb[0], fa[1], datagram, fb[1], fa[2], fb[2], fa[3]});
    REQUIRE(frames.size() == 3);
    CHECK(split(frames[0].header, frames[0].packet).packets == fa);
    CHECK(split(frames[1].header, frames[1].packet).packets == fb);
    CHECK(frames[2].packet == datagram);

    // A packet of the flow that cannot join ends the super-frame: nothing may pass it.
    Spec pure_ack = a;
    pure_ack.seq += 2000;
    const Bytes bare_ack = packet(pure_ack);
    frames = coalesce({fa[0], fa[1], bare_ack, fa[2], fa[3]});
    REQUIRE(frames.size() == 3);
    CHECK(split(frames[0].header, frames[0].packet).packets == std::vector<Bytes>{fa[0], fa[1]});
    CHECK(frames[1].packet == bare_ack);
    CHECK(split(frames[2].header, frames[2].packet).packets == std::vector<Bytes>{fa[2], fa[3]});

    // A packet whose flow cannot be told (a fragment, garbage) ends every super-frame.
    Spec fragment = a;
    fragment.fragment = 0x0010;
    fragment.payload = filler(40);
    for (const Bytes& barrier : {packet(fragment), Bytes{0x45, 0, 0}}) {
        frames = coalesce({fa[0], fb[0], barrier, fa[1], fb[1]});
        REQUIRE(frames.size() == 5);
        for (const Frame& f : frames) CHECK(is_pass_through(f));
    }
}

TEST_CASE("coalesce(split(super)) gives the super-frame back") {
    for (const bool ipv6 : {false, true}) {
        for (const std::uint8_t flags : {ack, static_cast<std::uint8_t>(ack | psh)}) {
            Spec s;
            s.ipv6 = ipv6;
            s.flags = flags;
            s.seq = 0xfffff000;
            s.payload = filler(20000);
            const Super super = super_frame(s, 1368);
            const Split g = split(super.header, super.bytes);
            REQUIRE(g.result.status == SplitStatus::ok);
            const std::vector<Frame> frames = coalesce(g.packets);
            REQUIRE(frames.size() == 1);
            CHECK(frames[0].header == super.header);
            CHECK(frames[0].packet == super.bytes);
        }
    }
    // FIN stays on the last segment, which then does not join: the kernel takes it alone.
    Spec s;
    s.flags = ack | fin;
    s.payload = filler(5000);
    const Split g = split(super_frame(s, 1000).header, super_frame(s, 1000).bytes);
    const std::vector<Frame> frames = coalesce(g.packets);
    REQUIRE(frames.size() == 2);
    CHECK(split(frames[0].header, frames[0].packet).packets.size() == 4);
    CHECK(frames[1].packet == g.packets.back());
}

TEST_CASE("coalesce: caller storage and batch size") {
    const std::vector<Bytes> packets = flow(Spec{}, 3, 1000);
    std::vector<std::span<const std::uint8_t>> in(packets.begin(), packets.end());
    Coalescer small(2);
    CHECK(small.max_batch() == 2);
    Bytes out(4000, 0xaa);
    std::vector<PacketSpan> frames(3);
    CHECK(small.coalesce(in, out, frames).status == CoalesceStatus::batch_too_large);

    Coalescer coalescer(3);
    const std::size_t needed = 10 + 40 + 3000;
    CoalesceResult r = coalescer.coalesce(in, out, std::span(frames).first(0));
    CHECK(r.status == CoalesceStatus::too_many_frames);
    CHECK(r.frames == 1);
    r = coalescer.coalesce(in, std::span(out).first(needed - 1), frames);
    CHECK(r.status == CoalesceStatus::output_too_small);
    CHECK(r.bytes == needed);
    CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xaa; }));
    r = coalescer.coalesce(in, out, frames);
    CHECK(r.status == CoalesceStatus::ok);
    CHECK(r.frames == 1);
    CHECK(r.merged == 3);
    CHECK(frames[0] == PacketSpan{0, needed});
    CHECK(coalescer.coalesce({}, out, frames).frames == 0);
}

TEST_CASE("coalesce: random batches keep every packet and the order within each flow") {
    std::mt19937 rng(0x6f0);
    Coalescer coalescer(128, 64);
    std::size_t merged = 0;
    for (int round = 0; round < 300; ++round) {
        // A few flows, their segments interleaved; some mutated, dropped or duplicated,
        // plus UDP and garbage.
        std::vector<std::vector<Bytes>> flows;
        const std::size_t flow_count = 1 + rng() % 4;
        for (std::size_t f = 0; f < flow_count; ++f) {
            Spec s;
            s.ipv6 = rng() % 2;
            s.seq = static_cast<std::uint32_t>(rng());
            s.id = static_cast<std::uint16_t>(rng());
            s.source_port = static_cast<std::uint16_t>(40000 + f);
            if (rng() % 3 == 0) s.tcp_options = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
            flows.push_back(flow(s, 1 + rng() % 40, 1 + rng() % 1500, rng() % 2 ? 0 : 1 + rng() % 200));
        }
        std::vector<Bytes> batch;
        std::vector<std::size_t> next(flows.size(), 0);
        while (batch.size() < 128) {
            const std::size_t f = rng() % (flows.size() + 1);
            if (f == flows.size()) {
                if (rng() % 4 != 0) continue;
                Bytes junk(rng() % 100);
                for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
                batch.push_back(junk);
                continue;
            }
            if (next[f] == flows[f].size()) {
                if (std::all_of(next.begin(), next.end(), [&](std::size_t n) { return n > 0; })) break;
                continue;
            }
            Bytes p = flows[f][next[f]];
            if (rng() % 20 == 0) mutate(rng, p);
            if (rng() % 30 != 0) ++next[f];  // else the same segment again
            if (rng() % 30 != 0) batch.push_back(p);
        }

        std::vector<std::span<const std::uint8_t>> in(batch.begin(), batch.end());
        std::size_t bytes = 0;
        for (const Bytes& p : batch) bytes += p.size() + 10;
        Bytes out(bytes);
        std::vector<PacketSpan> frames(batch.size());
        const CoalesceResult r = coalescer.coalesce(in, out, frames);
        REQUIRE(r.status == CoalesceStatus::ok);
        merged += r.merged;

        std::vector<Bytes> back;
        for (std::size_t i = 0; i < r.frames; ++i) {
            const Bytes f = slice(out, frames[i].offset, frames[i].length);
            const VirtioNetHeader h = *read_virtio_net_header(f);
            const Split g = split(h, slice(f, 10, f.size() - 10));
            REQUIRE(g.result.status == SplitStatus::ok);
            back.insert(back.end(), g.packets.begin(), g.packets.end());
        }
        // The same packets, byte for byte, and per flow in the same order.
        REQUIRE(back.size() == batch.size());
        std::map<Bytes, std::vector<Bytes>> before, after;
        for (const Bytes& p : batch) before[flow_key(p)].push_back(p);
        for (const Bytes& p : back) after[flow_key(p)].push_back(p);
        for (auto& [key, packets] : before) {
            if (key.empty()) {
                std::sort(packets.begin(), packets.end());
                std::sort(after[key].begin(), after[key].end());
            }
            REQUIRE(packets == after[key]);
        }
    }
    CHECK(merged > 1000);
}

TEST_CASE("coalesce: random bytes in random batches never crash") {
    std::mt19937 rng(77);
    Coalescer coalescer(64, 64);
    Bytes out(64 * 1600);
    std::vector<PacketSpan> frames(64);
    for (int round = 0; round < 2000; ++round) {
        std::vector<Bytes> batch(rng() % 65);
        Spec s;
        s.payload = filler(rng() % 1400);
        const Bytes valid = packet(s);
        for (Bytes& p : batch) {
            p = valid;
            mutate(rng, p);
            mutate(rng, p);
        }
        std::vector<std::span<const std::uint8_t>> in(batch.begin(), batch.end());
        const CoalesceResult r = coalescer.coalesce(in, out, frames);
        CHECK(r.status == CoalesceStatus::ok);
        CHECK(r.frames <= batch.size());
    }
}
