// `info NODE` (info.hpp).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "controlplane/daemon/info.hpp"
#include "controlplane/daemon/node_path.hpp"
#include "controlplane/daemon/view_text.hpp"

namespace sluice::daemon {

namespace {

std::string yes_no(bool b) {
    return b ? "yes" : "no";
}

// The SSSP's path to the node, from this node, following prevedge back. Empty when the chain
// does not lead to this node (an unreachable node's stale prevedge, say).
std::vector<std::string> hops_to(const graph::Graph& g, const graph::Node& node) {
    std::vector<std::string> hops{node.name};
    const graph::Node* at = &node;
    // A chain longer than the node count would be a loop: give up rather than spin.
    for (std::size_t i = 0; i < g.nodes().size() && at->name != g.self_name(); ++i) {
        if (!at->prevedge) return {};
        at = g.find_node(at->prevedge->from);
        if (at == nullptr) return {};
        hops.insert(hops.begin(), at->name);
    }
    if (at->name != g.self_name()) return {};
    return hops;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += separator;
        out += p;
    }
    return out;
}

void published_lines(const tables::TablesView& view, std::string_view name, std::vector<std::string>& out) {
    const std::uint32_t index = view.find_name(name);
    if (index == tables::kNoIndex) {
        out.push_back("dataplane: not in the published tables");
        return;
    }
    const tables::PeerRecord& p = view.peer(index);
    if ((p.flags & tables::peer_flags::self) != 0) return;
    const std::string endpoint = endpoint_text(p.endpoint);
    out.push_back("endpoint: " + (endpoint.empty() ? std::string("none") : endpoint));
    out.push_back("pmtu: " + pmtu_text(p));
    auto key = [](const tables::LegacyKeyRecord& k) {
        return k.present() ? std::to_string(k.key_id) : "none";
    };
    out.push_back("in_key: " + key(p.in_key));
    out.push_back("out_key: " + key(p.out_key));
    // The native session packets to the node are sealed with (docs/protocol.md), and how many
    // sessions (current, next, previous) packets from it are accepted on.
    std::size_t receiving = 0;
    for (const auto& s : view.native_sessions()) receiving += s.node_index == index ? 1 : 0;
    if (p.native_send != tables::kNoIndex) {
        const tables::NativeSessionRecord& s = view.native_sessions()[p.native_send];
        // Native packets go only straight to the node; relayed ones use the legacy format.
        namespace pf = tables::peer_flags;
        const bool direct = p.via_index == index && p.endpoint.valid() && (p.flags & pf::tcp_only) == 0 &&
                            ((p.flags & pf::pmtu_discovery) == 0 || p.min_mtu != 0);
        out.push_back(fmt::format(
            "native: {}, lanes {} here / {} there, receiving on {} session(s){}",
            s.suite == 1 ? "aes-256-gcm" : "chacha20-poly1305", s.local_lanes, s.remote_lanes, receiving,
            direct ? "" : " (unused: packets to this node are relayed, and relays get the legacy format)"));
    } else {
        out.push_back(receiving != 0
                          ? fmt::format("native: receiving on {} session(s), not sending yet", receiving)
                          : std::string("native: none (legacy format)"));
    }
}

}  // namespace

std::vector<std::string> node_info(const graph::Node& node, const InfoSources& sources) {
    const graph::Graph& g = sources.graph;
    const bool self = node.name == g.self_name();
    std::vector<std::string> out;
    out.push_back("node: " + node.name);
    out.push_back("reachable: " + (self ? std::string("yes (this node)") : yes_no(node.reachable)));
    if (!self) {
        out.push_back("address: " + (node.has_udp_address()
                                         ? fmt::format("{} port {}", node.udp_address, node.udp_port)
                                         : std::string("unknown")));
    }
    const std::uint32_t options = self ? sources.own_options : node.options;
    out.push_back(fmt::format("options: {} ({:#x})", option_names(options), options));
    out.push_back(fmt::format("protocol_minor: {}", option_protocol_minor(options)));
    if (node.reachable && !self) {
        out.push_back("via: " + node.via);
        out.push_back("nexthop: " + node.nexthop);
        out.push_back("indirect: " + yes_no(node.indirect));
    }
    out.push_back("path: " +
                  describe_path(node_path(g, node.name, sources.own_options, sources.published), node.name));
    if (node.reachable) {
        const auto hops = hops_to(g, node);
        if (hops.empty()) {
            out.push_back("distance: unknown");
        } else {
            out.push_back(fmt::format("distance: {}", hops.size() - 1));
            if (!self) out.push_back("hops: " + join(hops, " -> "));
        }
    }
    for (const auto& [to, e] : g.edges_of(node.name)) {
        out.push_back(fmt::format("edge: {} address {} port {} weight {} options {:#x}{}", to, e.address,
                                  e.port, e.weight, e.options,
                                  g.reverse_of(e) == nullptr ? " (one way)" : ""));
    }
    for (const auto& s : g.subnets_of(node.name))
        out.push_back(fmt::format("subnet: {} weight {}", subnet_text(s), s.weight));
    if (!self && sources.key_valid) out.push_back("key_valid: " + yes_no(sources.key_valid(node.name)));
    if (sources.published != nullptr) published_lines(*sources.published, node.name, out);
    return out;
}

}  // namespace sluice::daemon
