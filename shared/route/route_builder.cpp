// Building a RouteTable: tinc's order is resolved per prefix, the prefixes go into a
// path-compressed binary trie, and the trie is written out depth-first with every node's
// answer already combined with its ancestors' (see route_format.hpp).
#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "shared/route/route_format.hpp"
#include "shared/route/route_table.hpp"

namespace sluice::route {

namespace {

using format::Key;
using format::no_index;
using format::Node;

template <std::size_t W>
struct Item {
    Key<W> network;  // the address with host bits cleared: where the prefix sits in the trie
    Key<W> address;  // as configured, host bits included: tinc orders by it
    std::uint32_t length;
    int weight;
    std::uint32_t node_index;
    bool reachable;
};

// Within one (length, network) group this is exactly tinc's order; across groups it only
// has to keep each group contiguous.
template <std::size_t W>
bool item_before(const Item<W>& a, const Item<W>& b) noexcept {
    return std::tie(a.length, a.network, a.address, a.weight, a.node_index) <
           std::tie(b.length, b.network, b.address, b.weight, b.node_index);
}

// The trie while it is being built: Node<W> with the prefix's own answer in route/fallback
// (not yet combined with the ancestors) and indexes into `nodes`.
template <std::size_t W>
class TrieBuilder {
public:
    void insert(const Key<W>& network, std::uint32_t length, std::uint32_t route, std::uint32_t fallback) {
        std::uint32_t parent = no_index;
        unsigned side = 0;
        std::uint32_t current = root_;
        const Node<W> leaf{network, length, {no_index, no_index}, route, fallback};
        for (;;) {
            if (current == no_index) return link(parent, side, add(leaf));
            const Node<W> here = nodes_[current];  // a copy: add() may reallocate nodes_
            const std::uint32_t common =
                std::min({format::common_prefix_length<W>(network, here.key), length, here.length});
            if (common == here.length) {
                if (here.length == length) {
                    // Callers insert each (network, length) once; a repeat keeps the first.
                    return;
                }
                parent = current;
                side = format::bit_at<W>(network, here.length);
                current = here.child[side];
                continue;
            }
            // `here` diverges from the new prefix (or extends it) after `common` bits, so a node
            // of that length goes between `here` and its parent.
            if (common == length) {
                Node<W> above = leaf;
                above.child[format::bit_at<W>(here.key, length)] = current;
                return link(parent, side, add(above));
            }
            Node<W> branch{
                format::masked<W>(network, common), common, {no_index, no_index}, no_index, no_index};
            branch.child[format::bit_at<W>(here.key, common)] = current;
            branch.child[format::bit_at<W>(network, common)] = add(leaf);
            return link(parent, side, add(branch));
        }
    }

    // Depth-first, 0-side first, so a node's 0-child directly follows it. Each node's route is
    // its own (the deepest prefix with a reachable owner wins) or else its parent's; its
    // fallback is the parent's (the shortest prefix's last entry wins) or else its own.
    [[nodiscard]] std::vector<Node<W>> flatten() const {
        std::vector<Node<W>> out;
        if (root_ == no_index) return out;
        out.reserve(nodes_.size());
        struct Pending {
            std::uint32_t index;
            std::uint32_t parent_out;  // position of the parent in `out`, or no_index
            unsigned side;
        };
        std::vector<Pending> stack{{root_, no_index, 0}};
        while (!stack.empty()) {
            const Pending p = stack.back();
            stack.pop_back();
            Node<W> node = nodes_[p.index];
            const auto position = static_cast<std::uint32_t>(out.size());
            if (p.parent_out != no_index) {
                Node<W>& parent = out[p.parent_out];
                parent.child[p.side] = position;
                if (node.route == no_index) node.route = parent.route;
                if (parent.fallback != no_index) node.fallback = parent.fallback;
            }
            for (unsigned side : {1u, 0u}) {
                if (node.child[side] != no_index) stack.push_back({node.child[side], position, side});
                node.child[side] = no_index;  // patched when the child is emitted
            }
            out.push_back(node);
        }
        return out;
    }

private:
    std::uint32_t add(const Node<W>& node) {
        nodes_.push_back(node);
        return static_cast<std::uint32_t>(nodes_.size() - 1);
    }
    void link(std::uint32_t parent, unsigned side, std::uint32_t child) {
        (parent == no_index ? root_ : nodes_[parent].child[side]) = child;
    }

    std::vector<Node<W>> nodes_;
    std::uint32_t root_ = no_index;
};

struct Family {
    std::vector<std::uint8_t> bytes;
    std::uint32_t prefixes = 0;
    std::uint32_t nodes = 0;
};

template <std::size_t W>
Family build_family(std::vector<Item<W>> items) {
    std::sort(items.begin(), items.end(), item_before<W>);
    TrieBuilder<W> trie;
    Family family;
    for (std::size_t begin = 0; begin < items.size();) {
        std::size_t end = begin;
        std::uint32_t route = no_index;
        while (end < items.size() && items[end].length == items[begin].length &&
               items[end].network == items[begin].network) {
            if (route == no_index && items[end].reachable) route = items[end].node_index;
            ++end;
        }
        trie.insert(items[begin].network, items[begin].length, route, items[end - 1].node_index);
        ++family.prefixes;
        begin = end;
    }
    const std::vector<Node<W>> nodes = trie.flatten();
    family.nodes = static_cast<std::uint32_t>(nodes.size());
    family.bytes.resize(nodes.size() * sizeof(Node<W>));
    if (!nodes.empty()) std::memcpy(family.bytes.data(), nodes.data(), family.bytes.size());
    return family;
}

template <std::size_t W>
Item<W> make_item(const Key<W>& address, const RouteEntry& entry) {
    const auto length = static_cast<std::uint32_t>(entry.subnet.prefix_length);
    return {format::masked<W>(address, length),
            address,
            length,
            entry.subnet.weight,
            entry.node_index,
            entry.owner_reachable};
}

}  // namespace

Result<RouteTable> RouteTable::build(std::span<const RouteEntry> entries) {
    std::vector<Item<1>> ipv4;
    std::vector<Item<4>> ipv6;
    std::uint32_t node_limit = 0;
    for (const RouteEntry& entry : entries) {
        const int length = entry.subnet.prefix_length;
        if (const auto* v4 = std::get_if<net::Ipv4Address>(&entry.subnet.address)) {
            if (length < 0 || length > 32) return fail("IPv4 prefix length {} out of range", length);
            ipv4.push_back(make_item<1>(format::to_key(*v4), entry));
        } else if (const auto* v6 = std::get_if<net::Ipv6Address>(&entry.subnet.address)) {
            if (length < 0 || length > 128) return fail("IPv6 prefix length {} out of range", length);
            ipv6.push_back(make_item<4>(format::to_key(*v6), entry));
        } else {
            continue;  // MAC: switch mode is not routed by prefix
        }
        if (entry.node_index == no_node) return fail("node index {:#x} is reserved", entry.node_index);
        node_limit = std::max(node_limit, entry.node_index + 1);
    }
    // Each family has at most 2*prefixes-1 nodes; keep that below the 32-bit index space.
    constexpr std::size_t max_items = std::numeric_limits<std::uint32_t>::max() / 4;
    if (ipv4.size() > max_items || ipv6.size() > max_items) return fail("too many route entries");

    const Family v4 = build_family<1>(std::move(ipv4));
    const Family v6 = build_family<4>(std::move(ipv6));
    format::Header header{};
    header.magic = format::magic;
    header.version = format::version;
    header.node_limit = node_limit;
    header.ipv4_prefixes = v4.prefixes;
    header.ipv6_prefixes = v6.prefixes;
    header.ipv4_nodes = v4.nodes;
    header.ipv6_nodes = v6.nodes;

    RouteTable table;
    table.blob_.resize(sizeof(header) + v4.bytes.size() + v6.bytes.size());
    std::memcpy(table.blob_.data(), &header, sizeof(header));
    std::copy(v4.bytes.begin(), v4.bytes.end(), table.blob_.begin() + sizeof(header));
    std::copy(v6.bytes.begin(), v6.bytes.end(), table.blob_.begin() + sizeof(header) + v4.bytes.size());
    // Validating our own output costs O(nodes) once per snapshot and keeps a single reader.
    auto view = RouteTableView::open(table.blob_);
    if (!view) return fail(view.error().with_context("internal error: built route table is invalid"));
    table.view_ = *view;
    return table;
}

}  // namespace sluice::route
