// Helpers shared by the graph module's unit tests (not linked into sluiced): node names,
// their UDP addresses on 198.18.0.0/24, and one-line edge and subnet builders.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "controlplane/graph/graph.hpp"
#include "shared/net/subnet.hpp"

namespace sluice::graph {

// Lets Catch print edges in failed comparisons.
inline std::ostream& operator<<(std::ostream& out, const EdgeKey& key) {
    return out << key.from << "->" << key.to;
}

}  // namespace sluice::graph

namespace sluice::graph::testing {

inline constexpr std::array<std::string_view, 12> names = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"};

// alpha is 198.18.0.1, beta 198.18.0.2, ...; any other name 198.18.0.200.
inline std::string address_of(std::string_view name) {
    const auto it = std::find(names.begin(), names.end(), name);
    const auto host = it == names.end() ? 200 : 1 + (it - names.begin());
    return fmt::format("198.18.0.{}", host);
}

// The edge from->to as `from` would announce it: to's address, port 655.
inline Edge edge(std::string_view from, std::string_view to, int weight = 10, std::uint32_t options = 0) {
    return Edge{std::string(from), std::string(to), address_of(to), "655", options, weight};
}

inline void one_way(Graph& graph, std::string_view from, std::string_view to, int weight = 10,
                    std::uint32_t options = 0) {
    if (!graph.add_edge(edge(from, to, weight, options))) {
        throw std::logic_error(fmt::format("test topology: edge {}->{} not added", from, to));
    }
}

// Both directions, as a meta connection produces them.
inline void link(Graph& graph, std::string_view a, std::string_view b, int weight = 10,
                 std::uint32_t options_ab = 0, std::uint32_t options_ba = 0) {
    one_way(graph, a, b, weight, options_ab);
    one_way(graph, b, a, weight, options_ba);
}

inline net::Subnet subnet(std::string_view text) {
    auto parsed = net::Subnet::parse(text);
    if (!parsed) throw std::logic_error(fmt::format("test subnet {}: {}", text, parsed.error().message));
    return *parsed;
}

}  // namespace sluice::graph::testing
