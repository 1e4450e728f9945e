// Every subnet of every node, kept in tinc 1.0.36's order, and the packet lookup over it
// (reference: tinc-1.0.36-protocol.md 3.2 and 3.6; tinc's subnet.c).
//
// Order (tinc's subnet_compare): type (MAC, then IPv4, then IPv6); for IP the prefix length,
// longest first; the address bytes; the weight, lowest first; the owner's name (strcmp).
//
// Lookup (lookup_subnet_ipv4/ipv6/mac): walk that order from the head, remember every subnet
// that contains the address, and stop at the first one whose owner is reachable. When none of
// the containing subnets has a reachable owner the LAST one remembered is returned, and the
// caller answers ICMP net-unreachable; with no containing subnet at all there is no match and
// the caller answers ICMP net-unknown. An IP subnet contains an address when the first
// prefix-length bits agree; the subnet's own host bits are ignored, as tinc's maskcmp does.
// A MAC subnet contains exactly its own address. A MAC lookup may be limited to one owner
// (switch mode asks whether a source MAC is already one of ours).
//
// Identity (tinc's lookup_subnet on the owner's tree, which ADD_SUBNET uses to find
// duplicates): type, address, prefix length and weight, for one owner. So "198.19.0.0/24#10"
// and "198.19.0.0/24#5" are two subnets of the same owner, and the address counts as sent,
// host bits included ("198.19.0.1/24" is not "198.19.0.0/24"). A MAC's prefix length is not
// part of its identity (tinc has none).
//
// Known divergence: tinc compares weights by subtraction (a->weight - b->weight), which
// overflows when two weights are more than INT_MAX apart (say #-2 and #2147483647) and then
// makes its tree order depend on insertion history. sluice compares weights numerically; the
// two agree whenever the difference fits in an int, which covers every weight tinc writes.
//
// Reachability is read from the owning Node each time a lookup runs, so run_sssp() needs no
// table rebuild. Lookups walk the ordered sets and never allocate.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string_view>

#include "shared/net/address.hpp"
#include "shared/net/subnet.hpp"

namespace sluice::graph {

struct Node;

// tinc's subnet_compare without the owner: <0, 0 or >0. Consistent with operator< below.
[[nodiscard]] int compare_subnets(const net::Subnet& a, const net::Subnet& b) noexcept;

// Strict weak order for one owner's subnets (tinc's per-node subnet tree).
struct SubnetOrder {
    bool operator()(const net::Subnet& a, const net::Subnet& b) const noexcept {
        return compare_subnets(a, b) < 0;
    }
};

struct SubnetEntry {
    net::Subnet subnet;
    const Node* owner = nullptr;  // never null; points into the Graph's node map
};

// The global order: compare_subnets, then the owner's name.
struct SubnetEntryOrder {
    bool operator()(const SubnetEntry& a, const SubnetEntry& b) const noexcept;
};

using SubnetEntrySet = std::set<SubnetEntry, SubnetEntryOrder>;

struct SubnetMatch {
    const net::Subnet* subnet = nullptr;
    const Node* owner = nullptr;
    // False when no containing subnet had a reachable owner: this is then the last match in
    // tinc's order, and the packet earns ICMP net-unreachable.
    bool owner_reachable = false;
};

class SubnetTable {
public:
    // False when `owner` already has this subnet (same identity as above).
    bool insert(const net::Subnet& subnet, const Node& owner);
    // False when `owner` has no such subnet.
    bool erase(const net::Subnet& subnet, const Node& owner);
    [[nodiscard]] bool contains(const net::Subnet& subnet, const Node& owner) const;

    [[nodiscard]] std::optional<SubnetMatch> lookup(const net::Ipv4Address& address) const noexcept;
    [[nodiscard]] std::optional<SubnetMatch> lookup(const net::Ipv6Address& address) const noexcept;
    // With `only_owner`, only that node's MAC subnets are considered (tinc passes an owner
    // when learning source MACs in switch mode).
    [[nodiscard]] std::optional<SubnetMatch> lookup(const net::MacAddress& address,
                                                    const Node* only_owner = nullptr) const noexcept;

    // All subnets of one type, in tinc's order.
    [[nodiscard]] const SubnetEntrySet& entries(net::SubnetType type) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept;

private:
    SubnetEntrySet& set_for(net::SubnetType type) noexcept;

    SubnetEntrySet mac_;
    SubnetEntrySet ipv4_;
    SubnetEntrySet ipv6_;
};

}  // namespace sluice::graph
