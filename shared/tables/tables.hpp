// Building the snapshot tables (sluiced) and reading them in place (sluice-dp workers).
// The byte layout is tables_format.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/net/subnet.hpp"
#include "shared/route/route_table.hpp"
#include "shared/tables/tables_format.hpp"
#include "shared/util/result.hpp"

namespace sluice::tables {

// One node as the control plane describes it. Nodes refer to each other by name; the encoder
// turns names into indexes.
struct NodeInput {
    std::string name;
    std::uint32_t node_id = 0;
    std::uint32_t flags = 0;  // peer_flags
    std::string via;          // empty: the node itself
    std::string nexthop;      // empty: the node itself
    std::uint16_t mtu = 0;
    std::uint16_t min_mtu = 0;
    std::uint16_t max_mtu = 0;
    Endpoint endpoint{};
    LegacyKeyRecord in_key{};
    LegacyKeyRecord out_key{};
};

// One native session (docs/protocol.md): the keys of one finished exchange with `node`.
struct NativeSessionInput {
    std::string node;
    std::uint64_t session_id = 0;  // unique for the life of the region, never 0
    std::uint32_t local_index = 0;
    std::uint32_t remote_index = 0;
    std::uint8_t suite = 0;
    std::uint8_t flags = 0;  // native_flags; `send` makes it the node's native_send
    std::vector<std::array<std::uint8_t, kNativeKeyBytes>> send_keys;     // [our lane]
    std::vector<std::array<std::uint8_t, kNativeKeyBytes>> receive_keys;  // [peer's lane]
};

struct SubnetInput {
    net::Subnet subnet;
    std::string owner;
};

struct TablesInput {
    std::string self_name;
    std::vector<NodeInput> nodes;  // any order; must include self
    std::vector<SubnetInput> subnets;
    std::vector<NativeSessionInput> native_sessions;
};

// Encodes input into out and returns the number of bytes used. Fails (naming the culprit) on
// a duplicate node name or id, a via/nexthop/owner that is not a node, no self node, unknown
// flag bits, a key longer than kMaxLegacyKeyBytes, a native session that names no node, has
// a duplicate id or local index, 0 or more than kMaxNativeLanes lanes, or is a second send
// session for its node, or when out is too small.
[[nodiscard]] Result<std::size_t> encode_tables(const TablesInput& input, std::span<std::uint8_t> out);

// A validated window on encoded tables; it does not own the bytes. open() checks every offset,
// length, index and name against the buffer so that workers can then read without checks.
class TablesView {
public:
    TablesView() = default;
    [[nodiscard]] static Result<TablesView> open(std::span<const std::uint8_t> bytes);

    [[nodiscard]] std::uint32_t node_count() const noexcept { return node_count_; }
    [[nodiscard]] std::uint32_t self_index() const noexcept { return self_index_; }
    [[nodiscard]] const PeerRecord& peer(std::uint32_t index) const noexcept { return peers_[index]; }
    [[nodiscard]] std::span<const PeerRecord> peers() const noexcept { return {peers_, node_count_}; }
    [[nodiscard]] std::string_view name(const PeerRecord& peer) const noexcept;
    [[nodiscard]] const route::RouteTableView& routes() const noexcept { return routes_; }

    // The index of the node whose endpoint is exactly e, or kNoIndex.
    [[nodiscard]] std::uint32_t find_endpoint(const Endpoint& e) const noexcept;
    // The index of the node called name, or kNoIndex (binary search: records are in name order).
    [[nodiscard]] std::uint32_t find_name(std::string_view name) const noexcept;

    [[nodiscard]] std::span<const NativeSessionRecord> native_sessions() const noexcept {
        return {sessions_, session_count_};
    }
    // Lane keys of a session (validated by open()).
    [[nodiscard]] std::span<const std::uint8_t, kNativeKeyBytes> native_send_key(
        const NativeSessionRecord& s, std::uint16_t lane) const noexcept {
        return std::span<const std::uint8_t, kNativeKeyBytes>(
            native_keys_ + s.keys_offset + lane * kNativeKeyBytes, kNativeKeyBytes);
    }
    [[nodiscard]] std::span<const std::uint8_t, kNativeKeyBytes> native_receive_key(
        const NativeSessionRecord& s, std::uint16_t lane) const noexcept {
        return std::span<const std::uint8_t, kNativeKeyBytes>(
            native_keys_ + s.keys_offset + (std::size_t{s.local_lanes} + lane) * kNativeKeyBytes,
            kNativeKeyBytes);
    }

private:
    const PeerRecord* peers_ = nullptr;
    const std::uint32_t* endpoint_index_ = nullptr;
    const char* names_ = nullptr;
    const NativeSessionRecord* sessions_ = nullptr;
    const std::uint8_t* native_keys_ = nullptr;
    std::uint32_t session_count_ = 0;
    std::uint32_t node_count_ = 0;
    std::uint32_t self_index_ = kNoIndex;
    std::uint32_t endpoint_mask_ = 0;
    route::RouteTableView routes_;
};

}  // namespace sluice::tables
