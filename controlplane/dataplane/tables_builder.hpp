// What the data plane must know, derived from the mesh: one NodeInput per node (where its
// packets go, its UDP endpoint, the legacy keys in both directions) and every subnet. Pure:
// the link (link.hpp) encodes the result into a snapshot slot and publishes it.
//
// The builder also owns two numbering schemes the data plane relies on:
//  - node ids: stable for a node's whole life in the region (the data plane's caches and the
//    event rings use them; indexes change whenever a node is added);
//  - key ids: a new id whenever a key's bytes or parameters change, never reused, so a
//    worker's cached cipher state is valid exactly while its id is published;
//  - native session ids, likewise for the native sessions (docs/protocol.md), whose send
//    counters live in the workers' caches: a reused id would reuse nonces.
// A restarted sluiced seeds both from the tables the previous one published (adopt()), so the
// numbering continues instead of colliding with ids the workers still hold.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "controlplane/mesh/mesh.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::dataplane_link {

struct BuilderSettings {
    std::uint32_t own_options = 0;  // this node's ACK options (TCPOnly applies to every path)
    std::uint16_t default_mtu = 1518;
    // How long a node that had a working UDP path (reachable, both keys, an endpoint) keeps
    // its data-plane record after the mesh loses it. A sluiced that crashes takes its meta
    // connections with it, but its sluice-dp keeps forwarding; the peers keep sending to it
    // for this long, so traffic survives a control-plane restart. A node that really went
    // away costs this long of blackholed packets instead of ICMP unreachable.
    Duration linger = seconds(30);
};

class TablesBuilder {
public:
    explicit TablesBuilder(BuilderSettings settings) : settings_(settings) {}

    [[nodiscard]] tables::TablesInput build(const mesh::Mesh& mesh, TimePoint now);

    // A pmtu_result from the data plane: a probe of `came_back` bytes returned from the node,
    // or one of `too_big` + 1 bytes could not be sent (0: no news of that kind).
    void pmtu_result(const std::string& name, std::uint16_t came_back, std::uint16_t too_big, TimePoint now);

    // Continue the numbering of tables published by an earlier control plane, and keep the
    // path MTUs it had discovered.
    void adopt(const tables::TablesView& published);

    // The next id of each numbering scheme. sluiced keeps them in the region header after every
    // build (abi::RegionHeader::next_node_id...), and a restarted one continues from there:
    // the published tables alone (adopt) do not name nodes, keys and sessions that came and
    // went before the last publication.
    struct Numbering {
        std::uint64_t next_node_id = 1;
        std::uint64_t next_key_id = 1;
        std::uint64_t next_session_id = 1;
    };
    [[nodiscard]] Numbering numbering() const { return {next_node_id_, next_key_id_, next_session_id_}; }
    // Never goes back: each id continues from the larger of its current and the given value.
    void continue_numbering(const Numbering& from);

    void set_own_options(std::uint32_t options) { settings_.own_options = options; }

    // The node's name for a node id from an event ring, or empty.
    [[nodiscard]] std::string name_of(std::uint32_t node_id) const;

private:
    struct KeyState {
        std::uint64_t id = 0;
        tables::LegacyKeyRecord record{};
    };
    std::uint32_t node_id(const std::string& name);
    tables::LegacyKeyRecord key_record(const std::optional<meta::LegacyKey>& key, KeyState& state);

    struct Remembered {
        tables::NodeInput node;
        std::vector<net::Subnet> subnets;
        // Its native sessions: the peer's data plane keeps sealing with them while this
        // node lingers (a crashed sluiced on either side).
        std::vector<tables::NativeSessionInput> native;
        TimePoint until{};  // lingering only
    };

    // Path MTU discovery per node (spec 5.6), restarted when the node's endpoint changes or it
    // becomes unreachable. Fixed once no probe has raised min for a while.
    struct Pmtu {
        std::uint16_t min = 0;
        std::uint16_t max = 0;
        bool fixed = false;
        TimePoint last_change{};
        tables::Endpoint endpoint{};
    };
    void update_pmtu(const std::string& name, tables::NodeInput& n, TimePoint now);

    BuilderSettings settings_;
    std::map<std::string, Pmtu, std::less<>> pmtu_;
    // Nodes with a working UDP path in the last build, and nodes lingering after losing it.
    std::map<std::string, Remembered, std::less<>> usable_;
    std::map<std::string, Remembered, std::less<>> lingering_;
    std::map<std::string, std::uint32_t, std::less<>> node_ids_;
    std::map<std::uint32_t, std::string> names_;
    std::uint32_t next_node_id_ = 1;
    std::map<std::string, KeyState, std::less<>> inbound_;
    std::map<std::string, KeyState, std::less<>> outbound_;
    std::uint64_t next_key_id_ = 1;
    // Native sessions by (node, local index, creation time): a session keeps its id while it
    // is published; ids are never reused in the region.
    void add_native_sessions(
        const mesh::Mesh& mesh, const std::string& name, tables::TablesInput& in,
        std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, std::uint64_t>& seen);
    std::map<std::tuple<std::string, std::uint32_t, std::int64_t>, std::uint64_t> session_ids_;
    std::uint64_t next_session_id_ = 1;
};

// A numeric address and port as sluice's endpoint; family none if either is not numeric.
[[nodiscard]] tables::Endpoint parse_endpoint(const std::string& address, const std::string& port);

}  // namespace sluice::dataplane_link
