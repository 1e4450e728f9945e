#include "controlplane/graph/subnet_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <variant>

#include "controlplane/graph/graph.hpp"

namespace sluice::graph {

namespace {

template <std::size_t N>
int compare_bytes(const std::array<std::uint8_t, N>& a, const std::array<std::uint8_t, N>& b) noexcept {
    // memcmp order: unsigned bytes, first difference wins.
    const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin());
    if (ia == a.end()) return 0;
    return *ia < *ib ? -1 : 1;
}

int compare_int(int a, int b) noexcept {
    return a < b ? -1 : (a > b ? 1 : 0);
}

int compare_address(const net::Subnet& a, const net::Subnet& b) noexcept {
    if (const auto* mac = std::get_if<net::MacAddress>(&a.address)) {
        return compare_bytes(mac->bytes, std::get<net::MacAddress>(b.address).bytes);
    }
    if (const auto* v4 = std::get_if<net::Ipv4Address>(&a.address)) {
        return compare_bytes(v4->bytes, std::get<net::Ipv4Address>(b.address).bytes);
    }
    return compare_bytes(std::get<net::Ipv6Address>(a.address).bytes,
                         std::get<net::Ipv6Address>(b.address).bytes);
}

// Walks one type's entries in tinc's order: the first containing subnet with a reachable
// owner wins, otherwise the last containing one.
template <typename Contains>
std::optional<SubnetMatch> first_reachable_or_last(const SubnetEntrySet& entries,
                                                   Contains contains) noexcept {
    const SubnetEntry* last = nullptr;
    for (const SubnetEntry& entry : entries) {
        if (!contains(entry)) continue;
        if (entry.owner->reachable) return SubnetMatch{&entry.subnet, entry.owner, true};
        last = &entry;
    }
    if (last == nullptr) return std::nullopt;
    return SubnetMatch{&last->subnet, last->owner, false};
}

}  // namespace

int compare_subnets(const net::Subnet& a, const net::Subnet& b) noexcept {
    // The variant index is tinc's subnet type number: MAC 0, IPv4 1, IPv6 2.
    if (a.address.index() != b.address.index()) {
        return a.address.index() < b.address.index() ? -1 : 1;
    }
    if (a.type() != net::SubnetType::mac) {
        // Longest prefix first.
        if (const int c = compare_int(b.prefix_length, a.prefix_length); c != 0) return c;
    }
    if (const int c = compare_address(a, b); c != 0) return c;
    return compare_int(a.weight, b.weight);
}

bool SubnetEntryOrder::operator()(const SubnetEntry& a, const SubnetEntry& b) const noexcept {
    if (const int c = compare_subnets(a.subnet, b.subnet); c != 0) return c < 0;
    return a.owner->name < b.owner->name;
}

SubnetEntrySet& SubnetTable::set_for(net::SubnetType type) noexcept {
    // One switch for both: the non-const view of the set entries() picks.
    return const_cast<SubnetEntrySet&>(std::as_const(*this).entries(type));
}

const SubnetEntrySet& SubnetTable::entries(net::SubnetType type) const noexcept {
    switch (type) {
        case net::SubnetType::mac:
            return mac_;
        case net::SubnetType::ipv4:
            return ipv4_;
        case net::SubnetType::ipv6:
            break;
    }
    return ipv6_;
}

bool SubnetTable::insert(const net::Subnet& subnet, const Node& owner) {
    return set_for(subnet.type()).insert(SubnetEntry{subnet, &owner}).second;
}

bool SubnetTable::erase(const net::Subnet& subnet, const Node& owner) {
    return set_for(subnet.type()).erase(SubnetEntry{subnet, &owner}) > 0;
}

bool SubnetTable::contains(const net::Subnet& subnet, const Node& owner) const {
    return entries(subnet.type()).contains(SubnetEntry{subnet, &owner});
}

std::size_t SubnetTable::size() const noexcept {
    return mac_.size() + ipv4_.size() + ipv6_.size();
}

std::optional<SubnetMatch> SubnetTable::lookup(const net::Ipv4Address& address) const noexcept {
    return first_reachable_or_last(ipv4_, [&](const SubnetEntry& e) { return e.subnet.contains(address); });
}

std::optional<SubnetMatch> SubnetTable::lookup(const net::Ipv6Address& address) const noexcept {
    return first_reachable_or_last(ipv6_, [&](const SubnetEntry& e) { return e.subnet.contains(address); });
}

std::optional<SubnetMatch> SubnetTable::lookup(const net::MacAddress& address,
                                               const Node* only_owner) const noexcept {
    return first_reachable_or_last(mac_, [&](const SubnetEntry& e) {
        if (only_owner != nullptr && e.owner != only_owner) return false;
        return std::get<net::MacAddress>(e.subnet.address) == address;
    });
}

}  // namespace sluice::graph
