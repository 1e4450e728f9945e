// `info SUBNET` and `info ADDRESS` (info.hpp).
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "controlplane/daemon/info.hpp"
#include "controlplane/daemon/node_path.hpp"
#include "controlplane/daemon/view_text.hpp"

namespace sluice::daemon {

namespace {

// `candidate` covers all of `query`: a MAC only itself; an IP prefix that is no longer than
// the query's and contains its address.
bool covers(const net::Subnet& candidate, const net::Subnet& query) {
    if (candidate.type() != query.type()) return false;
    if (const auto* mac = std::get_if<net::MacAddress>(&query.address))
        return std::get<net::MacAddress>(candidate.address) == *mac;
    if (candidate.prefix_length > query.prefix_length) return false;
    return std::visit(
        [&](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, net::MacAddress>) {
                return false;
            } else {
                return candidate.contains(a);
            }
        },
        query.address);
}

std::string entry_text(const graph::SubnetEntry& e) {
    return fmt::format("{} weight {} owner {}", subnet_text(e.subnet), e.subnet.weight, e.owner->name);
}

}  // namespace

std::vector<std::string> subnet_info(const net::Subnet& query, bool address, const InfoSources& sources) {
    const graph::Graph& g = sources.graph;
    std::vector<std::string> out;
    if (query.type() == net::SubnetType::mac) {
        out.push_back("mac: " + subnet_text(query));
    } else if (address) {
        out.push_back("address: " + std::visit([](const auto& a) { return a.to_string(); }, query.address));
    } else {
        out.push_back("subnet: " + subnet_text(query));
    }
    // The table's order is the routing order: the first covering subnet whose owner is
    // reachable wins, exactly as SubnetTable::lookup and the data plane's trie decide.
    const graph::SubnetEntry* winner = nullptr;
    const graph::SubnetEntry* last = nullptr;
    for (const auto& e : g.subnets().entries(query.type())) {
        if (!covers(e.subnet, query)) continue;
        out.push_back(
            fmt::format("match: {} ({})", entry_text(e), e.owner->reachable ? "reachable" : "unreachable"));
        last = &e;
        if (winner == nullptr && e.owner->reachable) winner = &e;
    }
    if (last == nullptr) {
        out.push_back("match: none");
        out.push_back("route: none (no subnet covers it: packets get ICMP net unknown)");
        return out;
    }
    if (winner == nullptr) {
        out.push_back(
            fmt::format("route: none (no owner is reachable, the last match is {}: packets get ICMP "
                        "net unreachable)",
                        entry_text(*last)));
        return out;
    }
    out.push_back("route: " + entry_text(*winner));
    const std::string& owner = winner->owner->name;
    out.push_back("owner: " + owner);
    out.push_back("path: " +
                  describe_path(node_path(g, owner, sources.own_options, sources.published), owner));
    return out;
}

}  // namespace sluice::daemon
