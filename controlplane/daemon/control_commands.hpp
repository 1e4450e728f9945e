// The read-only control-socket commands ("dump nodes|edges|subnets|connections|peers|
// workers|graph", "metrics"; "info" is info.hpp) answered from the mesh's state. Pure: the daemon
// passes what it has.
//
// Answer format (all but graph, which is DOT text): tab-separated records, the first payload line naming the
// columns, so that sluicectl can print a table or JSON without the daemon knowing which. Values never contain
// tabs or newlines (the codec refuses control characters in every field).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/io/unix_socket.hpp"
#include "controlplane/mesh/mesh.hpp"
#include "shared/abi/region.hpp"

namespace sluice::daemon {

// One row per node of the tables last published to the data plane: how its packets travel
// (udp, udp via NODE, tcp via NODE), its UDP endpoint, path MTU state and key ids.
[[nodiscard]] io::ControlResponse dump_peers(std::span<const std::uint8_t> published_tables);

// The mesh in Graphviz DOT (graph_dot.hpp), one payload line per DOT line. Paths come from
// the published tables when there are any (empty span: none).
[[nodiscard]] io::ControlResponse dump_graph(const graph::Graph& graph, std::uint32_t own_options,
                                             std::span<const std::uint8_t> published_tables);

// One row per data-plane worker: its counters from the shared region, drops by reason.
[[nodiscard]] io::ControlResponse dump_workers(abi::Region& region);
// `dump traffic`: per peer in the published tables, its traffic counters summed over the
// data plane's workers (the per-peer part of `stats`, as a table for scripts and `top`).
[[nodiscard]] io::ControlResponse dump_traffic(std::span<const std::uint8_t> published_tables,
                                               const abi::Region& region);

// `metrics`: the Prometheus exposition text, one payload line per line, unchanged.
[[nodiscard]] io::ControlResponse metrics_response(std::string_view exposition);

struct ConnectionView {
    std::string name;  // empty before the peer's ID
    std::string address;
    std::string port;
    std::string status;  // "connecting", "authenticating", "active"
};

[[nodiscard]] io::ControlResponse dump(std::string_view what, const mesh::Mesh& mesh,
                                       const std::vector<ConnectionView>& connections);

}  // namespace sluice::daemon
