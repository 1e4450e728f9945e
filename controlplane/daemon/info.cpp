#include "controlplane/daemon/info.hpp"

#include <fmt/format.h>

#include "shared/util/text.hpp"

namespace sluice::daemon {

io::ControlResponse info(std::string_view what, const InfoSources& sources) {
    if (what.empty()) return io::ControlResponse::failure("info needs a node name, a subnet or an address");
    if (text::is_valid_node_name(what)) {
        const graph::Node* node = sources.graph.find_node(what);
        if (node == nullptr)
            return io::ControlResponse::failure(fmt::format("unknown node {}", text::quote(what)));
        return {true, "", node_info(*node, sources)};
    }
    auto subnet = net::Subnet::parse(what);
    if (!subnet) {
        return io::ControlResponse::failure(
            fmt::format("{} is neither a node name, a subnet nor an address ({})", text::quote(what),
                        subnet.error().message));
    }
    const bool address = what.find_first_of("/#") == std::string_view::npos;
    return {true, "", subnet_info(*subnet, address, sources)};
}

}  // namespace sluice::daemon
