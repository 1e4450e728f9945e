#include "controlplane/daemon/graph_dot.hpp"

#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "controlplane/daemon/view_test_support.hpp"
#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/graph/sssp.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice;
using namespace sluice::daemon;
using graph::testing::link;
using graph::testing::one_way;
namespace pf = tables::peer_flags;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

bool has_line(const std::string& dot, const std::string& line) {
    const auto lines = lines_of(dot);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// alpha - beta - gamma, and delta known only from a one-way edge.
graph::Graph three_nodes() {
    graph::Graph g("alpha");
    link(g, "alpha", "beta");
    link(g, "beta", "gamma", 20);
    one_way(g, "gamma", "delta", 5);
    (void)graph::run_sssp(g);
    return g;
}

}  // namespace

TEST_CASE("graph_dot: nodes marked by how they are reached, edges with weights") {
    const graph::Graph g = three_nodes();
    const std::string dot = graph_dot(g, 0, nullptr);
    INFO(dot);
    CHECK(dot.starts_with("digraph \"sluice\" {\n"));
    CHECK(dot.ends_with("}\n"));
    CHECK(
        has_line(dot, "  \"alpha\" [label=\"alpha\\nthis node\", peripheries=2, fillcolor=\"lightblue\"];"));
    CHECK(has_line(dot, "  \"beta\" [label=\"beta\\nudp\", fillcolor=\"palegreen\"];"));
    CHECK(has_line(dot,
                   "  \"delta\" [label=\"delta\\nunreachable\", style=\"rounded,dashed\", "
                   "color=\"gray50\", fontcolor=\"gray50\"];"));
    // Both directions with the same weight: one arrow, drawn from the lower name.
    CHECK(has_line(dot, "  \"alpha\" -> \"beta\" [dir=both, label=\"10\"];"));
    CHECK(has_line(dot, "  \"beta\" -> \"gamma\" [dir=both, label=\"20\"];"));
    CHECK_THAT(dot,
               !Catch::Contains("\"beta\" -> \"alpha\"") && !Catch::Contains("\"gamma\" -> \"beta\" [dir"));
    CHECK(has_line(
        dot, "  \"gamma\" -> \"delta\" [label=\"5 (one way)\", color=\"gray50\", fontcolor=\"gray50\"];"));
    // Everything reached directly: no path arrows.
    CHECK_THAT(dot, !Catch::Contains("constraint=false"));
}

TEST_CASE("graph_dot: directions that disagree are drawn apart, with their options") {
    graph::Graph g("alpha");
    link(g, "alpha", "beta", 10);
    g.update_edge(graph::testing::edge("beta", "alpha", 30));
    link(g, "beta", "gamma", 10, protocol::option_indirect, 0);
    (void)graph::run_sssp(g);
    const std::string dot = graph_dot(g, 0, nullptr);
    INFO(dot);
    CHECK(has_line(dot, "  \"alpha\" -> \"beta\" [label=\"10\"];"));
    CHECK(has_line(dot, "  \"beta\" -> \"alpha\" [label=\"30\"];"));
    CHECK(has_line(dot, "  \"beta\" -> \"gamma\" [label=\"10 indirect\"];"));
    CHECK(has_line(dot, "  \"gamma\" -> \"beta\" [label=\"10\"];"));
    // gamma's UDP goes to beta (the INDIRECT edge): a dashed relay arrow, yellow node.
    CHECK(has_line(dot, "  \"gamma\" [label=\"gamma\\nudp via beta\", fillcolor=\"khaki\"];"));
    CHECK(has_line(dot,
                   "  \"gamma\" -> \"beta\" [style=dashed, color=\"blue\", fontcolor=\"blue\", "
                   "label=\"udp via\", constraint=false];"));
}

TEST_CASE("graph_dot: TCP paths from TCPOnly and from the published tables") {
    const graph::Graph g = three_nodes();
    SECTION("TCPOnly here: every node by TCP, a dotted arrow where the meta connection is another's") {
        const std::string dot = graph_dot(g, protocol::option_tcponly, nullptr);
        INFO(dot);
        CHECK(has_line(dot, "  \"beta\" [label=\"beta\\ntcp via beta\", fillcolor=\"lightsalmon\"];"));
        CHECK(has_line(dot, "  \"gamma\" [label=\"gamma\\ntcp via beta\", fillcolor=\"lightsalmon\"];"));
        CHECK(
            has_line(dot,
                     "  \"gamma\" -> \"beta\" [style=dotted, color=\"darkorange\", fontcolor=\"darkorange\", "
                     "label=\"tcp via\", constraint=false];"));
        CHECK_THAT(dot, !Catch::Contains("\"beta\" -> \"beta\""));
    }
    SECTION("the tables relay gamma through beta while its probes go unanswered") {
        const testing::Published published(
            testing::tables_input("alpha", {
                                               {.name = "alpha", .flags = pf::reachable},
                                               {.name = "beta", .flags = pf::reachable, .host = 2},
                                               {.name = "gamma",
                                                .flags = pf::reachable | pf::pmtu_discovery,
                                                .nexthop = "beta",
                                                .max_mtu = 1518,
                                                .host = 3},
                                               {.name = "delta"},
                                           }));
        const std::string dot = graph_dot(g, 0, &published.view());
        INFO(dot);
        CHECK(has_line(dot,
                       "  \"gamma\" [label=\"gamma\\nudp via beta (probing gamma)\", fillcolor=\"khaki\"];"));
        CHECK(has_line(dot,
                       "  \"gamma\" -> \"beta\" [style=dashed, color=\"blue\", fontcolor=\"blue\", "
                       "label=\"udp via\", constraint=false];"));
    }
}

TEST_CASE("dot_id quotes and escapes") {
    CHECK(dot_id("alpha_1") == "\"alpha_1\"");
    CHECK(dot_id("a\"b\\c") == "\"a\\\"b\\\\c\"");
}
