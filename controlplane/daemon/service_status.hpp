// The one-line STATUS that sluiced shows its service manager (`systemctl status`) while it
// runs. Pure: the daemon gathers the facts, this turns them into text.
#pragma once

#include <cstddef>
#include <string>

namespace sluice::daemon {

enum class DataPlaneState { none, attached, down };

struct ServiceFacts {
    std::size_t nodes_known = 0;       // other nodes in the graph
    std::size_t nodes_reachable = 0;   // of those
    std::size_t meta_connections = 0;  // active (authenticated) ones
    DataPlaneState data_plane = DataPlaneState::none;
    std::string interface;          // the data plane's device
    std::string last_reload_error;  // empty unless the last reload was refused
};

// "2 of 3 nodes reachable, 2 meta connections, interface vpn", plus what is wrong, if
// anything: no data plane, a data plane that went away, a refused reload.
[[nodiscard]] std::string running_status(const ServiceFacts& facts);

}  // namespace sluice::daemon
