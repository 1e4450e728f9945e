#include "controlplane/daemon/service_status.hpp"

#include <fmt/format.h>

namespace sluice::daemon {

namespace {

std::string count(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string running_status(const ServiceFacts& facts) {
    std::string text = fmt::format("{} of {} reachable, {}", facts.nodes_reachable,
                                   count(facts.nodes_known, "node", "nodes"),
                                   count(facts.meta_connections, "meta connection", "meta connections"));
    switch (facts.data_plane) {
        case DataPlaneState::none:
            text += ", no data plane (packets go over the meta connections)";
            break;
        case DataPlaneState::attached:
            text += ", interface " + facts.interface;
            break;
        case DataPlaneState::down:
            text += ", data plane down (waiting for sluice-dp to come back)";
            break;
    }
    if (!facts.last_reload_error.empty())
        text += "; reload refused, running the previous configuration: " + facts.last_reload_error;
    return text;
}

}  // namespace sluice::daemon
