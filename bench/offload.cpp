// Segments per second through the TUN offloads at a 1420-byte tunnel MTU: split_super_frame
// on a 64 KB TCP super-frame as a TUN read delivers it (47 segments of 1380 bytes, partial
// checksum), and Coalescer::coalesce on the 47 segments back into one super-frame. The
// baseline, measured in the same run, is a plain memcpy of the same bytes segment by
// segment: what moving the data costs with no header work and no checksums. Both offloads
// must also pass every byte through the Internet checksum once (split computes each
// segment's, coalesce verifies each segment's before trusting it), so the ratio to memcpy
// is mostly the cost of that checksum pass.
//
// Usage: bench_offload [seconds per measurement, default 0.5]
// Gbit/s counts IP bytes of the segments.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dataplane/packet/checksum.hpp"
#include "dataplane/packet/offload_coalesce.hpp"
#include "dataplane/packet/offload_split.hpp"

using namespace sluice::dataplane::packet;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t mtu = 1420;
constexpr std::size_t segments = 47;

struct Rate {
    double segments_per_second = 0;
    double gbit_per_second = 0;
};

// Runs `step` (one super-frame's worth of segments) until `seconds` have passed; `step`
// returns a value summed into a sink so the work cannot be optimised away.
template <typename Step>
Rate measure(double seconds, std::size_t bytes_per_step, Step&& step) {
    std::uint64_t steps = 0;
    std::uint64_t sink = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    auto now = start;
    do {
        for (int i = 0; i < 16; ++i) sink += step();
        steps += 16;
        now = Clock::now();
    } while (now < deadline);
    volatile std::uint64_t keep = sink;
    static_cast<void>(keep);
    const double per_second = static_cast<double>(steps) / std::chrono::duration<double>(now - start).count();
    return {per_second * segments, per_second * static_cast<double>(bytes_per_step) * 8.0 / 1e9};
}

// A TCP super-frame as the kernel hands it to a TUN reader: headers of the whole, the
// pseudo-header sum in the checksum field, and the header asking for segmentation.
struct Super {
    VirtioNetHeader header;
    std::vector<std::uint8_t> bytes;
};

Super make_super(bool ipv6) {
    const std::size_t ip = ipv6 ? 40 : 20;
    const std::size_t mss = mtu - ip - 20;
    Super s;
    s.bytes.resize(ip + 20 + segments * mss);
    std::span<std::uint8_t> p(s.bytes);
    for (std::size_t i = ip + 20; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 131 + 7);
    if (ipv6) {
        p[0] = 0x60;
        store_be16(p, 4, static_cast<std::uint16_t>(p.size() - ip));
        p[6] = 6;
        p[7] = 64;
        const std::uint8_t source[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
        const std::uint8_t destination[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};
        std::memcpy(p.data() + 8, source, 16);
        std::memcpy(p.data() + 24, destination, 16);
    } else {
        p[0] = 0x45;
        store_be16(p, 2, static_cast<std::uint16_t>(p.size()));
        store_be16(p, 4, 0x4242);
        store_be16(p, 6, 0x4000);
        p[8] = 64;
        p[9] = 6;
        const std::uint8_t addresses[8] = {198, 18, 0, 10, 198, 19, 7, 20};
        std::memcpy(p.data() + 12, addresses, 8);
        store_be16(p, 10, internet_checksum(p.first(20)));
    }
    const std::span<std::uint8_t> tcp = p.subspan(ip);
    store_be16(tcp, 0, 40000);
    store_be16(tcp, 2, 5201);
    store_be32(tcp, 4, 0x10000000);
    store_be32(tcp, 8, 0x20000000);
    tcp[12] = 0x50;
    tcp[13] = 0x18;  // ACK PSH
    store_be16(tcp, 14, 502);
    const std::uint64_t pseudo = pseudo_header_sum(p, ipv6, 6, tcp.size());
    store_be16(tcp, 16, checksum_fold(pseudo));
    s.header =
        VirtioNetHeader{virtio_net_flag_needs_csum,          ipv6 ? virtio_gso_tcpv6 : virtio_gso_tcpv4,
                        static_cast<std::uint16_t>(ip + 20), static_cast<std::uint16_t>(mss),
                        static_cast<std::uint16_t>(ip),      16};
    return s;
}

int run_family(double seconds, bool ipv6) {
    const Super super = make_super(ipv6);
    std::vector<std::uint8_t> out(segments * mtu + 4096);
    std::vector<PacketSpan> spans(segments);
    const SplitResult first = split_super_frame(super.header, super.bytes, out, spans);
    if (first.status != SplitStatus::ok || first.segments != segments) {
        fmt::print(stderr, "bench_offload: split failed: {}\n", name(first.status));
        return 1;
    }
    const std::size_t bytes = first.bytes;

    // The segments, kept apart from `out` so that both loops below read the same input.
    std::vector<std::uint8_t> split_bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(bytes));
    std::vector<std::span<const std::uint8_t>> packets;
    for (const PacketSpan& s : spans) packets.emplace_back(split_bytes.data() + s.offset, s.length);

    const Rate copy = measure(seconds, bytes, [&] {
        for (const PacketSpan& s : spans)
            std::memcpy(out.data() + s.offset, split_bytes.data() + s.offset, s.length);
        return out[bytes - 1];
    });
    const Rate split = measure(
        seconds, bytes, [&] { return split_super_frame(super.header, super.bytes, out, spans).segments; });

    Coalescer coalescer(segments);
    std::vector<PacketSpan> frames(segments);
    const CoalesceResult merged = coalescer.coalesce(packets, out, frames);
    if (merged.status != CoalesceStatus::ok || merged.frames != 1 ||
        std::memcmp(out.data() + virtio_net_header_length, super.bytes.data(), super.bytes.size()) != 0) {
        fmt::print(stderr, "bench_offload: coalesce did not rebuild the super-frame\n");
        return 1;
    }
    const Rate coalesce =
        measure(seconds, bytes, [&] { return coalescer.coalesce(packets, out, frames).merged; });

    const char* family = ipv6 ? "IPv6" : "IPv4";
    for (const auto& [what, rate] :
         {std::pair{"memcpy", copy}, std::pair{"split", split}, std::pair{"coalesce", coalesce}}) {
        fmt::print("{:<5} {:<9} | {:>12.2f} {:>8.1f} | {:>9.2f}x\n", family, what,
                   rate.segments_per_second / 1e6, rate.gbit_per_second,
                   rate.segments_per_second / copy.segments_per_second);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
    if (seconds <= 0) {
        fmt::print(stderr, "usage: bench_offload [seconds per measurement]\n");
        return 2;
    }
    fmt::print("TUN offloads, TCP at MTU {}: one super-frame of {} segments, {:.2f} s per cell, one core\n",
               mtu, segments, seconds);
    fmt::print("{:<15} | {:>12} {:>8} | {:>10}\n", "", "Msegments/s", "Gbit/s", "vs memcpy");
    fmt::print("{:-<15}-+-{:-<21}-+-{:-<10}\n", "", "", "");
    if (run_family(seconds, false) != 0) return 1;
    return run_family(seconds, true);
}
