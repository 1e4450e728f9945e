// Destination address -> node, the data plane's per-packet routing decision, with tinc
// 1.0.36's subnet lookup order (tinc-1.0.36-protocol.md 3.6; controlplane/graph/subnet_table
// is the control plane's ordered-set implementation of the same order).
//
// Order among all IPv4 (or IPv6) prefixes that contain the address: longest prefix first, then
// the subnet's address as configured (host bits included: tinc orders "198.19.0.1/24" after
// "198.19.0.0/24", though both contain the same addresses), then weight (lowest first), then
// owner name. Weights compare numerically, as in subnet_table.hpp (which notes where tinc's
// overflowing subtraction differs). The first entry in that order whose owner is reachable is
// the route. When no containing entry has a reachable owner, the verdict is `unreachable` with
// the owner of the LAST containing entry (tinc routes to it and answers ICMP net-unreachable);
// with no containing entry at all it is `unknown` (ICMP net-unknown).
//
// Owner name order: the table only sees node indexes and compares them numerically, so the
// builder of the entries MUST assign node indexes in tinc's owner-name order (strcmp of the
// names, as the control plane's node map iterates). MAC entries are ignored: switch mode is
// not routed through this table.
//
// Representation: one path-compressed binary trie per family in flat arrays of fixed-size
// nodes with 32-bit indexes (route_format.hpp), laid out in depth-first order so that a
// lookup's first steps share cache lines. Reachability and the tinc order are resolved when
// the table is built: each node carries the answer for "the deepest matching node is this
// one", so a lookup walks down comparing the address with each node's prefix and keeps the
// last answer. At most 33 (IPv4) / 129 (IPv6) nodes are visited, typically a few more than
// log2(prefixes). There are no pointers: the serialised form IS the table, position-
// independent, so it can be copied into a shared-memory snapshot and read in place by every
// worker.
//
// Size: 24 bytes per IPv4 node, 36 per IPv6 node, at most 2*prefixes-1 nodes per family,
// plus a 40-byte header. Measured by bench_route_lookup (distinct random prefixes under
// 198.18.0.0/15 of length 15..32 and under 2001:db8::/32 of length 32..128, a fifth of them
// host routes): 10k IPv4 + 10k IPv6 prefixes take 14,284 + 18,816 nodes = 1,020,232 bytes
// (0.97 MiB), against ~64 MB per copy for DIR-24-8.
//
// Immutable after build: a new snapshot gets a new table; lookups take no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "shared/net/address.hpp"
#include "shared/net/subnet.hpp"
#include "shared/util/result.hpp"

namespace sluice::route {

// Verdict::node_index when there is no node (kind == unknown). Not a valid node index.
inline constexpr std::uint32_t no_node = 0xffffffff;

struct RouteEntry {
    net::Subnet subnet;  // IPv4 or IPv6; MAC entries are skipped
    std::uint32_t node_index = 0;
    bool owner_reachable = false;
};

enum class VerdictKind : std::uint8_t {
    route,        // send to node_index
    unreachable,  // every containing prefix's owner is unreachable: ICMP net-unreachable
    unknown,      // no prefix contains the address: ICMP net-unknown
};

struct Verdict {
    VerdictKind kind = VerdictKind::unknown;
    std::uint32_t node_index = no_node;  // the owner for route/unreachable; no_node for unknown

    bool operator==(const Verdict&) const = default;
};

struct RouteTableStats {
    std::uint32_t ipv4_prefixes = 0;  // distinct (network, length) pairs
    std::uint32_t ipv6_prefixes = 0;
    std::uint32_t ipv4_nodes = 0;
    std::uint32_t ipv6_nodes = 0;
    std::uint32_t node_limit = 0;  // every node_index in a verdict is below this
    std::size_t bytes = 0;         // size of the serialised table
};

// A validated, read-only window on a serialised table. Does not own the bytes: they must
// outlive the view (a snapshot keeps its payload alive while a worker holds its epoch).
// Trivially copyable; the default view is an empty table (every lookup is unknown).
class RouteTableView {
public:
    RouteTableView() = default;

    // Checks everything a lookup relies on, so that a corrupt or foreign blob is refused here
    // rather than read out of bounds later: size, magic, version, every child index in range,
    // every child's prefix strictly longer than and extending its parent's (so a walk ends
    // within 33/129 steps), every node index below node_limit. O(nodes).
    [[nodiscard]] static Result<RouteTableView> open(std::span<const std::uint8_t> blob);

    [[nodiscard]] Verdict lookup(const net::Ipv4Address& destination) const noexcept;
    [[nodiscard]] Verdict lookup(const net::Ipv6Address& destination) const noexcept;

    [[nodiscard]] RouteTableStats stats() const noexcept;
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return blob_; }

private:
    std::span<const std::uint8_t> blob_;
    const std::uint8_t* ipv4_nodes_ = nullptr;
    const std::uint8_t* ipv6_nodes_ = nullptr;
    std::uint32_t ipv4_count_ = 0;
    std::uint32_t ipv6_count_ = 0;
};

// A table that owns its serialised bytes. Move-only: the view points into the owned buffer.
class RouteTable {
public:
    RouteTable() = default;
    RouteTable(const RouteTable&) = delete;
    RouteTable& operator=(const RouteTable&) = delete;
    RouteTable(RouteTable&& other) noexcept;
    RouteTable& operator=(RouteTable&& other) noexcept;
    ~RouteTable() = default;

    // Fails on a node_index equal to no_node or a prefix length out of range for its family.
    // Duplicate entries are harmless. Entries may come in any order.
    [[nodiscard]] static Result<RouteTable> build(std::span<const RouteEntry> entries);

    // Validates (RouteTableView::open) a copy of `blob`.
    [[nodiscard]] static Result<RouteTable> load(std::span<const std::uint8_t> blob);

    [[nodiscard]] Verdict lookup(const net::Ipv4Address& destination) const noexcept {
        return view_.lookup(destination);
    }
    [[nodiscard]] Verdict lookup(const net::Ipv6Address& destination) const noexcept {
        return view_.lookup(destination);
    }

    // The position-independent bytes, ready to be placed in a snapshot payload. A default
    // constructed (or moved-from) table serialises as a valid empty table.
    [[nodiscard]] std::vector<std::uint8_t> serialise() const;
    [[nodiscard]] const RouteTableView& view() const noexcept { return view_; }
    [[nodiscard]] RouteTableStats stats() const noexcept { return view_.stats(); }

private:
    std::vector<std::uint8_t> blob_;
    RouteTableView view_;
};

}  // namespace sluice::route
