// The byte layout of a serialised RouteTable and the bit arithmetic on trie keys. Internal to
// shared/route (the builder writes this layout, the view validates and reads it, the tests
// corrupt it on purpose); everyone else goes through route_table.hpp.
//
// Layout, all fields uint32 in host byte order (the blob never leaves the host: the control
// plane writes it into a shared-memory snapshot that the data plane on the same machine maps):
//
//   Header                       40 bytes
//   Node<1>[ipv4_nodes]          24 bytes each, root at index 0 when ipv4_nodes > 0
//   Node<4>[ipv6_nodes]          36 bytes each, root at index 0 when ipv6_nodes > 0
//
// Every field is a 4-byte word and every offset a multiple of 4, but readers still load
// fields with memcpy, so a blob at any address (a snapshot payload, a std::vector) is readable
// without alignment or aliasing assumptions.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "shared/net/address.hpp"

namespace sluice::route::format {

// "SLRT" when read as a little-endian word; a byte-swapped value means a foreign byte order.
inline constexpr std::uint32_t magic = 0x54524c53;
inline constexpr std::uint32_t version = 1;
// Marks an absent child, and an absent route/fallback in a node.
inline constexpr std::uint32_t no_index = 0xffffffff;

struct Header {
    std::uint32_t magic;
    std::uint32_t version;
    // Every node_index stored in the table is below this (max node_index + 1, 0 if none), so
    // a consumer can check once, at load, that its peer array is large enough.
    std::uint32_t node_limit;
    std::uint32_t ipv4_prefixes;  // distinct (network, length) pairs: informational
    std::uint32_t ipv6_prefixes;
    std::uint32_t ipv4_nodes;
    std::uint32_t ipv6_nodes;
    std::uint32_t reserved[3];  // zero
};
static_assert(sizeof(Header) == 40);

// One node of a path-compressed binary trie over W 32-bit words (W = 1: IPv4, W = 4: IPv6):
// a prefix of the table, or a branching point that path compression created where two
// prefixes diverge. `route` and `fallback` are already resolved against the ancestors at build
// time, which is what lets a lookup simply remember the values of the deepest node whose
// prefix matches the address:
//   route    - node_index of the first reachable owner in tinc's order among all prefixes on
//              the path from the root to this node (deepest prefix with a reachable owner,
//              then its best entry), or no_index;
//   fallback - node_index of the last entry of the shortest prefix on that path (the last
//              match in tinc's order, used for net-unreachable), or no_index.
template <std::size_t W>
struct Node {
    std::array<std::uint32_t, W> key;  // most significant word first; bits past length zero
    std::uint32_t length;              // 0..32*W
    std::array<std::uint32_t, 2> child;
    std::uint32_t route;
    std::uint32_t fallback;
};
static_assert(sizeof(Node<1>) == 24);
static_assert(sizeof(Node<4>) == 36);

template <std::size_t W>
using Key = std::array<std::uint32_t, W>;

inline Key<1> to_key(const net::Ipv4Address& address) noexcept {
    const auto& b = address.bytes;
    return {(std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
            std::uint32_t{b[3]}};
}

inline Key<4> to_key(const net::Ipv6Address& address) noexcept {
    Key<4> key{};
    for (std::size_t w = 0; w < 4; ++w) {
        const auto* b = &address.bytes[4 * w];
        key[w] = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
                 std::uint32_t{b[3]};
    }
    return key;
}

// The top `bits` (clamped to 0..32) bits of a word set. Shifting a 64-bit all-ones value by
// 0..32 has no undefined case, and the clamp compiles to conditional moves: no branch in the
// lookup's inner loop depends on a prefix length.
constexpr std::uint32_t word_mask(int bits) noexcept {
    const int clamped = bits < 0 ? 0 : (bits > 32 ? 32 : bits);
    return static_cast<std::uint32_t>(~std::uint64_t{0} << (32 - clamped));
}

// Bit `position` counted from the most significant bit of word 0. position < 32*W.
template <std::size_t W>
constexpr unsigned bit_at(const Key<W>& key, std::uint32_t position) noexcept {
    return (key[position / 32] >> (31 - position % 32)) & 1u;
}

// True when the first `length` bits of a and b agree. Branch-free over all W words.
template <std::size_t W>
constexpr bool prefix_equal(const Key<W>& a, const Key<W>& b, std::uint32_t length) noexcept {
    std::uint32_t diff = 0;
    for (std::size_t w = 0; w < W; ++w) {
        diff |= (a[w] ^ b[w]) & word_mask(static_cast<int>(length) - static_cast<int>(32 * w));
    }
    return diff == 0;
}

// Number of leading bits on which a and b agree, 0..32*W.
template <std::size_t W>
constexpr std::uint32_t common_prefix_length(const Key<W>& a, const Key<W>& b) noexcept {
    for (std::size_t w = 0; w < W; ++w) {
        if (const std::uint32_t diff = a[w] ^ b[w]; diff != 0) {
            return static_cast<std::uint32_t>(32 * w + std::countl_zero(diff));
        }
    }
    return 32 * W;
}

// `key` with every bit past `length` cleared.
template <std::size_t W>
constexpr Key<W> masked(Key<W> key, std::uint32_t length) noexcept {
    for (std::size_t w = 0; w < W; ++w) {
        key[w] &= word_mask(static_cast<int>(length) - static_cast<int>(32 * w));
    }
    return key;
}

}  // namespace sluice::route::format
