// Route lookups per second for the data plane's RouteTable, IPv4 and IPv6, at 100, 1k and
// 10k prefixes, against a naive linear walk in tinc's order (what tinc itself does) on 100
// prefixes as the baseline. Also prints the table size for 10k IPv4 + 10k IPv6 prefixes.
// Seeded: every run measures the same tables and addresses. A benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "shared/net/subnet.hpp"
#include "shared/route/route_table.hpp"

using namespace sluice;
using namespace sluice::route;

namespace {

using Clock = std::chrono::steady_clock;
using Rng = std::mt19937_64;

constexpr std::size_t address_count = 1 << 16;  // a power of two: the index wraps with a mask

template <typename Address>
Address random_under(Rng& rng, Address base, int fixed_bits) {
    for (std::size_t i = 0; i < base.bytes.size(); ++i) {
        const int fixed = std::clamp(fixed_bits - static_cast<int>(8 * i), 0, 8);
        const auto keep = static_cast<std::uint8_t>(0xff00 >> fixed);
        base.bytes[i] =
            static_cast<std::uint8_t>((base.bytes[i] & keep) | (static_cast<std::uint8_t>(rng()) & ~keep));
    }
    return base;
}

template <typename Address>
struct Family {
    const char* name;
    Address base;  // 198.18.0.0/15 or 2001:db8::/32
    int base_length;
    int max_length;
};

// `count` distinct random prefixes inside the family's range, one in five a host route, owned
// by 64 nodes of which seven in eight are reachable.
template <typename Address>
std::vector<RouteEntry> make_entries(const Family<Address>& f, std::size_t count, Rng& rng) {
    std::vector<RouteEntry> entries;
    std::set<std::pair<Address, int>> seen;
    while (entries.size() < count) {
        int length =
            f.base_length + static_cast<int>(rng() % static_cast<unsigned>(f.max_length - f.base_length + 1));
        if (rng() % 5 == 0) length = f.max_length;
        Address a = random_under(rng, f.base, f.base_length);
        for (int bit = length; bit < f.max_length; ++bit) {
            a.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));  // host bits
        }
        if (!seen.insert({a, length}).second) continue;
        net::Subnet s;
        s.address = a;
        s.prefix_length = length;
        const auto node = static_cast<std::uint32_t>(rng() % 64);
        entries.push_back({s, node, node % 8 != 0});
    }
    return entries;
}

// Nine in ten addresses fall inside a random inserted prefix, the rest anywhere in the range.
template <typename Address>
std::vector<Address> make_addresses(const Family<Address>& f, const std::vector<RouteEntry>& entries,
                                    Rng& rng) {
    std::vector<Address> out;
    out.reserve(address_count);
    while (out.size() < address_count) {
        if (rng() % 10 != 0) {
            const RouteEntry& e = entries[rng() % entries.size()];
            out.push_back(random_under(rng, std::get<Address>(e.subnet.address), e.subnet.prefix_length));
        } else {
            out.push_back(random_under(rng, f.base, f.base_length));
        }
    }
    return out;
}

// tinc's lookup_subnet_ipv4/6: every subnet in order, the first containing one with a reachable
// owner, else the last containing one.
class LinearWalk {
public:
    explicit LinearWalk(std::vector<RouteEntry> entries) : entries_(std::move(entries)) {
        std::sort(entries_.begin(), entries_.end(), [](const RouteEntry& a, const RouteEntry& b) {
            return std::tie(b.subnet.prefix_length, a.subnet.address, a.subnet.weight, a.node_index) <
                   std::tie(a.subnet.prefix_length, b.subnet.address, b.subnet.weight, b.node_index);
        });
    }
    template <typename Address>
    Verdict lookup(const Address& address) const noexcept {
        const RouteEntry* last = nullptr;
        for (const RouteEntry& e : entries_) {
            if (!e.subnet.contains(address)) continue;
            if (e.owner_reachable) return {VerdictKind::route, e.node_index};
            last = &e;
        }
        return last == nullptr ? Verdict{} : Verdict{VerdictKind::unreachable, last->node_index};
    }

private:
    std::vector<RouteEntry> entries_;
};

// Runs lookups for at least a second. Chained: the next address depends on the previous
// verdict, so lookups cannot overlap and the figure is one lookup's latency. Independent: the
// addresses are known in advance, as in a worker's batch, so the CPU overlaps lookups; the
// verdicts still feed `sink`, so none can be dropped.
enum class Mode { chained, independent };

template <Mode mode, typename Table, typename Address>
double lookups_per_second(const Table& table, const std::vector<Address>& addresses, std::uint64_t& sink) {
    std::uint64_t done = 0;
    std::size_t index = 0;
    const auto start = Clock::now();
    auto elapsed = Clock::duration{};
    do {
        for (int i = 0; i < 4096; ++i) {
            const Verdict v = table.lookup(addresses[index]);
            sink += v.node_index;
            const std::size_t step = mode == Mode::chained ? 1 + (v.node_index & 1) : 1;
            index = (index + step) & (address_count - 1);
        }
        done += 4096;
        elapsed = Clock::now() - start;
    } while (elapsed < std::chrono::seconds(1));
    return static_cast<double>(done) / std::chrono::duration<double>(elapsed).count();
}

template <typename Table, typename Address>
double print_row(const char* name, const char* what, std::uint32_t prefixes, const RouteTableStats* stats,
                 const Table& table, const std::vector<Address>& addresses, std::uint64_t& sink) {
    const double chained = lookups_per_second<Mode::chained>(table, addresses, sink);
    const double independent = lookups_per_second<Mode::independent>(table, addresses, sink);
    char nodes[16] = "-";
    char bytes[24] = "-";
    if (stats != nullptr) {
        std::snprintf(nodes, sizeof nodes, "%u", stats->ipv4_nodes + stats->ipv6_nodes);
        std::snprintf(bytes, sizeof bytes, "%zu", stats->bytes);
    }
    std::printf("%-5s %-6s %7u %7s %9s %9.1f %7.1f %9.1f %7.1f\n", name, what, prefixes, nodes, bytes,
                chained / 1e6, 1e9 / chained, independent / 1e6, 1e9 / independent);
    return chained;
}

template <typename Address>
void bench_family(const Family<Address>& f, std::uint64_t& sink) {
    for (std::size_t count : {100, 1000, 10000}) {
        Rng rng(0xbe9c400 + static_cast<unsigned>(count));
        const auto entries = make_entries(f, count, rng);
        const auto addresses = make_addresses(f, entries, rng);
        const auto table = RouteTable::build(entries);
        if (!table) {
            std::fprintf(stderr, "build failed: %s\n", table.error().message.c_str());
            return;
        }
        const RouteTableStats stats = table->stats();
        const std::uint32_t prefixes = stats.ipv4_prefixes + stats.ipv6_prefixes;
        const double trie = print_row(f.name, "trie", prefixes, &stats, *table, addresses, sink);
        if (count == 100) {
            const double naive =
                print_row(f.name, "naive", prefixes, nullptr, LinearWalk(entries), addresses, sink);
            std::printf("%-5s trie/naive at %u prefixes, chained: %.1fx\n", f.name, prefixes, trie / naive);
        }
    }
}

}  // namespace

int main() {
    const Family<net::Ipv4Address> v4{"IPv4", *net::Ipv4Address::parse("198.18.0.0"), 15, 32};
    const Family<net::Ipv6Address> v6{"IPv6", *net::Ipv6Address::parse("2001:db8::"), 32, 128};
    std::uint64_t sink = 0;

    // Distinct prefixes: random ones of a short length can coincide.
    std::printf("%-12s %7s %7s %9s %17s %17s\n", "", "", "", "", "chained", "independent");
    std::printf("%-12s %7s %7s %9s %9s %7s %9s %7s\n", "", "prefixes", "nodes", "bytes", "Mlookup/s", "ns",
                "Mlookup/s", "ns");
    bench_family(v4, sink);
    bench_family(v6, sink);

    Rng rng(0x5123);
    auto entries = make_entries(v4, 10000, rng);
    const auto more = make_entries(v6, 10000, rng);
    entries.insert(entries.end(), more.begin(), more.end());
    if (const auto both = RouteTable::build(entries)) {
        const RouteTableStats s = both->stats();
        std::printf(
            "\n10k IPv4 + 10k IPv6 entries: %u + %u distinct prefixes, %u + %u nodes, %zu bytes (%.2f MiB)\n",
            s.ipv4_prefixes, s.ipv6_prefixes, s.ipv4_nodes, s.ipv6_nodes, s.bytes,
            static_cast<double>(s.bytes) / (1024.0 * 1024.0));
    }
    std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
    return 0;
}
