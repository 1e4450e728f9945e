// Reading a serialised table: validation at open, and the per-packet lookup.
#include "shared/route/route_table.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "shared/route/route_format.hpp"

namespace sluice::route {

namespace {

using format::Header;
using format::Key;
using format::no_index;
using format::Node;

template <std::size_t W>
Node<W> load_node(const std::uint8_t* nodes, std::uint32_t index) noexcept {
    Node<W> node;
    std::memcpy(&node, nodes + std::size_t{index} * sizeof(Node<W>), sizeof(Node<W>));
    return node;
}

std::uint32_t load_word(const std::uint8_t* at) noexcept {
    std::uint32_t word;
    std::memcpy(&word, at, sizeof(word));
    return word;
}

// The walk needs no bounds checks: open() proved every child index in range and every child
// longer than its parent, so it ends after at most 32*W+1 nodes. Fields are loaded one by one
// straight from the blob (not by copying the node) so that the chain from one node to the
// next is just two dependent loads: length, then the child slot it selects.
template <std::size_t W>
Verdict walk(const std::uint8_t* nodes, std::uint32_t count, const Key<W>& address) noexcept {
    std::uint32_t route = no_index;
    std::uint32_t fallback = no_index;
    std::uint32_t index = count == 0 ? no_index : 0;
    while (index != no_index) {
        const std::uint8_t* node = nodes + std::size_t{index} * sizeof(Node<W>);
        Key<W> key;
        std::memcpy(&key, node + offsetof(Node<W>, key), sizeof(key));
        const std::uint32_t length = load_word(node + offsetof(Node<W>, length));
        // Ancestors' prefixes are prefixes of this one, so once a node fails to match, no
        // deeper node can match either.
        if (!format::prefix_equal<W>(address, key, length)) break;
        route = load_word(node + offsetof(Node<W>, route));
        fallback = load_word(node + offsetof(Node<W>, fallback));
        // A full-length node has no children; clamping the bit position keeps it in range.
        const std::uint32_t position = std::min<std::uint32_t>(length, 32 * W - 1);
        index = load_word(node + offsetof(Node<W>, child) + 4 * format::bit_at<W>(address, position));
    }
    if (route != no_index) return {VerdictKind::route, route};
    if (fallback != no_index) return {VerdictKind::unreachable, fallback};
    return {};
}

template <std::size_t W>
Status validate_nodes(const std::uint8_t* nodes, std::uint32_t count, std::uint32_t node_limit,
                      const char* family) {
    const auto valid_owner = [&](std::uint32_t value) { return value == no_index || value < node_limit; };
    for (std::uint32_t i = 0; i < count; ++i) {
        const Node<W> node = load_node<W>(nodes, i);
        if (node.length > 32 * W) {
            return fail("{} node {}: prefix length {} longer than {}", family, i, node.length, 32 * W);
        }
        if (format::masked<W>(node.key, node.length) != node.key) {
            return fail("{} node {}: key has bits set past its prefix length", family, i);
        }
        if (!valid_owner(node.route) || !valid_owner(node.fallback)) {
            return fail("{} node {}: node index not below the table's node limit {}", family, i, node_limit);
        }
        if (node.route != no_index && node.fallback == no_index) {
            return fail("{} node {}: route without a fallback", family, i);
        }
    }
    // A second pass, so that a node's own defects are reported as such rather than as a
    // defect of its parent's link.
    for (std::uint32_t i = 0; i < count; ++i) {
        const Node<W> node = load_node<W>(nodes, i);
        for (unsigned side = 0; side < 2; ++side) {
            const std::uint32_t c = node.child[side];
            if (c == no_index) continue;
            if (c >= count)
                return fail("{} node {}: child index {} out of range ({} nodes)", family, i, c, count);
            const Node<W> child = load_node<W>(nodes, c);
            if (child.length <= node.length || !format::prefix_equal<W>(child.key, node.key, node.length) ||
                format::bit_at<W>(child.key, node.length) != side) {
                return fail("{} node {}: child {} does not extend its prefix", family, i, c);
            }
        }
    }
    return {};
}

}  // namespace

Result<RouteTableView> RouteTableView::open(std::span<const std::uint8_t> blob) {
    Header header;
    if (blob.size() < sizeof(header)) {
        return fail("route table of {} bytes is shorter than its {}-byte header", blob.size(),
                    sizeof(header));
    }
    std::memcpy(&header, blob.data(), sizeof(header));
    if (header.magic != format::magic) {
        if (header.magic == std::byteswap(format::magic)) return fail("route table has the wrong byte order");
        return fail("not a route table (magic {:#010x})", header.magic);
    }
    if (header.version != format::version) {
        return fail("route table version {} is not the supported version {}", header.version,
                    format::version);
    }
    if (header.reserved[0] != 0 || header.reserved[1] != 0 || header.reserved[2] != 0) {
        return fail("route table reserved header words are not zero");
    }
    // 64-bit arithmetic: two 32-bit counts times a node size cannot overflow it.
    const std::uint64_t ipv4_bytes = std::uint64_t{header.ipv4_nodes} * sizeof(Node<1>);
    const std::uint64_t ipv6_bytes = std::uint64_t{header.ipv6_nodes} * sizeof(Node<4>);
    const std::uint64_t expected = sizeof(header) + ipv4_bytes + ipv6_bytes;
    if (expected != blob.size()) {
        return fail("route table is {} bytes but its header describes {} ({} IPv4 + {} IPv6 nodes)",
                    blob.size(), expected, header.ipv4_nodes, header.ipv6_nodes);
    }
    RouteTableView view;
    view.blob_ = blob;
    view.ipv4_nodes_ = blob.data() + sizeof(header);
    view.ipv6_nodes_ = view.ipv4_nodes_ + ipv4_bytes;
    view.ipv4_count_ = header.ipv4_nodes;
    view.ipv6_count_ = header.ipv6_nodes;
    if (auto ok = validate_nodes<1>(view.ipv4_nodes_, view.ipv4_count_, header.node_limit, "IPv4"); !ok) {
        return fail(ok.error());
    }
    if (auto ok = validate_nodes<4>(view.ipv6_nodes_, view.ipv6_count_, header.node_limit, "IPv6"); !ok) {
        return fail(ok.error());
    }
    return view;
}

Verdict RouteTableView::lookup(const net::Ipv4Address& destination) const noexcept {
    return walk<1>(ipv4_nodes_, ipv4_count_, format::to_key(destination));
}

Verdict RouteTableView::lookup(const net::Ipv6Address& destination) const noexcept {
    return walk<4>(ipv6_nodes_, ipv6_count_, format::to_key(destination));
}

RouteTableStats RouteTableView::stats() const noexcept {
    if (blob_.empty()) return {};
    Header header;
    std::memcpy(&header, blob_.data(), sizeof(header));
    return {header.ipv4_prefixes, header.ipv6_prefixes, header.ipv4_nodes,
            header.ipv6_nodes,    header.node_limit,    blob_.size()};
}

// A moved vector keeps its heap buffer, so the view stays valid in the destination; the source
// is reset so that it cannot read a buffer it no longer owns.
RouteTable::RouteTable(RouteTable&& other) noexcept
    : blob_(std::move(other.blob_)), view_(std::exchange(other.view_, RouteTableView{})) {}

RouteTable& RouteTable::operator=(RouteTable&& other) noexcept {
    if (this != &other) {
        blob_ = std::move(other.blob_);
        view_ = std::exchange(other.view_, RouteTableView{});
    }
    return *this;
}

std::vector<std::uint8_t> RouteTable::serialise() const {
    if (blob_.empty()) return build({})->serialise();
    return blob_;
}

Result<RouteTable> RouteTable::load(std::span<const std::uint8_t> blob) {
    RouteTable table;
    table.blob_.assign(blob.begin(), blob.end());
    auto view = RouteTableView::open(table.blob_);
    if (!view) return fail(view.error());
    table.view_ = *view;
    return table;
}

}  // namespace sluice::route
