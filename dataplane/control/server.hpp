// sluice-dp's main thread: the handover socket and the process's lifecycle. The engine's
// workers run on their own threads; this thread only waits for a control plane to attach,
// for its connection to end, and for signals.
//
//   no region yet   a control plane connects and sends ATTACH with a fresh region: the engine
//                   starts (TUN device, UDP sockets, workers) and READY goes back.
//   attached        the connection ending means the control plane is gone. Without STOP the
//                   engine keeps forwarding with the tables it has and waits for the next one.
//   reattach        a new control plane connects; HELLO offers it the region, it answers
//                   ATTACH with a new doorbell, READY goes back: the TUN device, the sockets
//                   and every session survive.
//   STOP / SIGTERM  the engine stops, the device goes away with the last queue, the process
//                   exits 0.
#pragma once

#include <string>

namespace sluice::dataplane::control {

struct ServerOptions {
    std::string socket_path;
};

// Runs until STOP or SIGTERM/SIGINT; returns the exit code. Errors before the first attach
// (the socket cannot be made, the engine cannot start) are logged and end the process with 1.
int run_server(const ServerOptions& options);

}  // namespace sluice::dataplane::control
