// The trie against a naive oracle that does literally what tinc does: walk every entry in
// tinc's order and take the first containing one with a reachable owner, else the last
// containing one. Seeded, so a failure names the table and address to replay.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "shared/route/route_table.hpp"

using namespace sluice;
using namespace sluice::route;

namespace {

// Byte-wise on the address bytes, sharing no code with the trie's 32-bit keys.
template <std::size_t N>
bool contains(const std::array<std::uint8_t, N>& network, int length,
              const std::array<std::uint8_t, N>& address) {
    const auto whole = static_cast<std::size_t>(length / 8);
    if (std::memcmp(network.data(), address.data(), whole) != 0) return false;
    if (length % 8 == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff00 >> (length % 8));
    return ((network[whole] ^ address[whole]) & mask) == 0;
}

template <typename Address>
class Oracle {
public:
    explicit Oracle(const std::vector<RouteEntry>& entries) {
        for (const RouteEntry& e : entries) {
            if (const auto* a = std::get_if<Address>(&e.subnet.address)) {
                rows_.push_back(
                    {a->bytes, e.subnet.prefix_length, e.subnet.weight, e.node_index, e.owner_reachable});
            }
        }
        // tinc's subnet_compare, then the owner (node indexes stand for names in name order).
        std::sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
            return std::tie(b.length, a.bytes, a.weight, a.node) <
                   std::tie(a.length, b.bytes, b.weight, b.node);
        });
    }

    [[nodiscard]] Verdict lookup(const Address& address) const {
        const Row* last = nullptr;
        for (const Row& row : rows_) {
            if (!contains(row.bytes, row.length, address.bytes)) continue;
            if (row.reachable) return {VerdictKind::route, row.node};
            last = &row;
        }
        if (last == nullptr) return {};
        return {VerdictKind::unreachable, last->node};
    }

private:
    struct Row {
        decltype(Address::bytes) bytes;
        int length;
        int weight;
        std::uint32_t node;
        bool reachable;
    };
    std::vector<Row> rows_;
};

using Rng = std::mt19937_64;

template <std::size_t N>
void flip_random_bits(std::array<std::uint8_t, N>& bytes, int from_bit, Rng& rng) {
    const int bits = static_cast<int>(8 * N) - from_bit;
    if (bits <= 0) return;
    const int flips = static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) {
        const int bit = from_bit + static_cast<int>(rng() % static_cast<unsigned>(bits));
        bytes[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    }
}

// A random address inside `base`/`base_length` (198.18.0.0/15 or 2001:db8::/32).
template <typename Address>
Address random_address(Rng& rng, const Address& base, int base_length) {
    Address a = base;
    for (std::size_t i = 0; i < a.bytes.size(); ++i) {
        const auto r = static_cast<std::uint8_t>(rng());
        const int fixed = std::clamp(base_length - static_cast<int>(8 * i), 0, 8);
        const auto keep = static_cast<std::uint8_t>(0xff00 >> fixed);
        a.bytes[i] = static_cast<std::uint8_t>((a.bytes[i] & keep) | (r & ~keep));
    }
    return a;
}

// Everything inside `prefix` of `address`: a random host of that prefix.
template <typename Address>
Address random_host(Rng& rng, const Address& address, int length) {
    return random_address(rng, address, length);
}

template <typename Address>
struct Family {
    Address base;
    int base_length;
    int max_length;
    Address default_route;
};

// Prefixes cluster around a few seed addresses so that they nest and collide; lengths are
// mostly random with some bias to full length; weights and owners come from small sets so
// that equal prefixes tie on them; host bits are sometimes left set.
template <typename Address>
void add_entries(std::vector<RouteEntry>& entries, std::vector<Address>& seeds, const Family<Address>& f,
                 int count, std::uint32_t nodes, const std::vector<bool>& reachable, Rng& rng) {
    seeds.clear();
    const int seed_count = 1 + count / 8;
    for (int i = 0; i < seed_count; ++i) seeds.push_back(random_address(rng, f.base, f.base_length));
    constexpr int weights[] = {10, 10, 10, 5, 0, -1, 20};
    for (int i = 0; i < count; ++i) {
        net::Subnet s;
        Address a = seeds[rng() % seeds.size()];
        int length =
            f.base_length + static_cast<int>(rng() % static_cast<unsigned>(f.max_length - f.base_length + 1));
        if (rng() % 5 == 0) length = f.max_length;
        flip_random_bits(a.bytes, f.base_length, rng);
        if (rng() % 200 == 0) {
            a = f.default_route;
            length = 0;
        }
        if (rng() % 5 != 0) {
            // Clear host bits, as configured subnets normally are.
            for (int bit = length; bit < f.max_length; ++bit) {
                a.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
            }
        }
        s.address = a;
        s.prefix_length = length;
        s.weight = weights[rng() % std::size(weights)];
        const auto node = static_cast<std::uint32_t>(rng() % nodes);
        entries.push_back({s, node, reachable[node]});
    }
}

// Most lookups land inside an inserted prefix; the rest near a seed or anywhere in the range.
template <typename Address>
Address pick_address(const std::vector<RouteEntry>& entries, const std::vector<Address>& seeds,
                     const Family<Address>& f, Rng& rng) {
    const unsigned dice = static_cast<unsigned>(rng() % 10);
    if (dice < 7 && !entries.empty()) {
        for (int attempt = 0; attempt < 4; ++attempt) {
            const RouteEntry& e = entries[rng() % entries.size()];
            if (const auto* a = std::get_if<Address>(&e.subnet.address)) {
                // Stay inside the test range even for the rare /0.
                const int length = std::max(e.subnet.prefix_length, f.base_length);
                return random_host(rng, e.subnet.prefix_length >= f.base_length ? *a : f.base, length);
            }
        }
    }
    if (dice < 9 && !seeds.empty()) {
        Address a = seeds[rng() % seeds.size()];
        flip_random_bits(a.bytes, f.base_length, rng);
        return a;
    }
    return random_address(rng, f.base, f.base_length);
}

std::string describe(Verdict v) {
    return fmt::format("{}:{}", static_cast<int>(v.kind), v.node_index);
}

}  // namespace

TEST_CASE("route table agrees with tinc's linear walk on random tables", "[route][differential]") {
    const Family<net::Ipv4Address> v4{*net::Ipv4Address::parse("198.18.0.0"), 15, 32,
                                      *net::Ipv4Address::parse("0.0.0.0")};
    const Family<net::Ipv6Address> v6{*net::Ipv6Address::parse("2001:db8::"), 32, 128,
                                      *net::Ipv6Address::parse("::")};
    // The sanitized build (CI's second tree) checks memory, not coverage: a fifth of the
    // tables there, 12 times slower per table; the plain build runs them all.
#if defined(__SANITIZE_ADDRESS__)
    constexpr int tables = 100;
#else
    constexpr int tables = 500;
#endif
    constexpr int lookups_per_family = 10'000;
    std::uint64_t checked = 0;
    std::array<std::uint64_t, 3> kinds{};
    for (int t = 0; t < tables; ++t) {
        Rng rng(0x5eed0000u + static_cast<unsigned>(t));
        // Mostly small tables (as real meshes), every tenth one large.
        const int size = t % 10 == 0
                             ? 1500 + static_cast<int>(rng() % 501)
                             : 1 + static_cast<int>(std::exp2(static_cast<double>(rng() % 1100) / 100.0));
        const auto nodes = static_cast<std::uint32_t>(1 + rng() % 40);
        std::vector<bool> reachable(nodes);
        const unsigned reachable_percent = t % 7 == 0 ? 0 : static_cast<unsigned>(rng() % 101);
        for (std::uint32_t n = 0; n < nodes; ++n) reachable[n] = rng() % 100 < reachable_percent;

        std::vector<RouteEntry> entries;
        std::vector<net::Ipv4Address> seeds4;
        std::vector<net::Ipv6Address> seeds6;
        const int ipv4_count = static_cast<int>(rng() % static_cast<unsigned>(size + 1));
        add_entries(entries, seeds4, v4, ipv4_count, nodes, reachable, rng);
        add_entries(entries, seeds6, v6, size - ipv4_count, nodes, reachable, rng);
        std::shuffle(entries.begin(), entries.end(), rng);

        auto table = RouteTable::build(entries);
        REQUIRE(table.has_value());
        const Oracle<net::Ipv4Address> oracle4(entries);
        const Oracle<net::Ipv6Address> oracle6(entries);
        for (int i = 0; i < lookups_per_family; ++i) {
            const auto a4 = pick_address(entries, seeds4, v4, rng);
            const Verdict want4 = oracle4.lookup(a4);
            const Verdict got4 = table->lookup(a4);
            ++kinds[static_cast<std::size_t>(want4.kind)];
            if (got4 != want4) {
                INFO("table " << t << " (" << entries.size() << " entries), address " << a4.to_string());
                REQUIRE(describe(got4) == describe(want4));
            }
            const auto a6 = pick_address(entries, seeds6, v6, rng);
            const Verdict want6 = oracle6.lookup(a6);
            const Verdict got6 = table->lookup(a6);
            ++kinds[static_cast<std::size_t>(want6.kind)];
            if (got6 != want6) {
                INFO("table " << t << " (" << entries.size() << " entries), address " << a6.to_string());
                REQUIRE(describe(got6) == describe(want6));
            }
            checked += 2;
        }
    }
    CHECK(checked == 2ull * tables * lookups_per_family);
    // The generator must exercise all three verdicts, mostly hits.
    INFO("route " << kinds[0] << ", unreachable " << kinds[1] << ", unknown " << kinds[2]);
    CHECK(kinds[0] > checked / 2);
    CHECK(kinds[1] > checked / 50);
    CHECK(kinds[2] > checked / 50);
}
