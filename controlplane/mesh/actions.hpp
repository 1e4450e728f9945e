// What the mesh asks its owner (the daemon) to do. The mesh itself does no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::mesh {

using ConnectionId = std::uint64_t;

struct SendLine {
    ConnectionId to = 0;
    std::string line;  // without '\n'
};

struct SendPacket {
    ConnectionId to = 0;
    std::vector<std::uint8_t> frame;
};

struct CloseConnection {
    ConnectionId id = 0;
    std::string reason;
};

// A tinc script: "host-up", "host-down", "hosts/beta-up", "subnet-up", ... The owner adds
// NETNAME, DEVICE, INTERFACE and NAME and runs it from the configuration directory.
struct RunScript {
    std::string script;
    std::vector<std::pair<std::string, std::string>> environment;
};

// A frame for this node's own device (the data plane, once attached).
struct DeliverFrame {
    std::vector<std::uint8_t> frame;
};

using Action = std::variant<SendLine, SendPacket, CloseConnection, RunScript, DeliverFrame>;
using Actions = std::vector<Action>;

}  // namespace sluice::mesh
