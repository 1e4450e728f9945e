#include "controlplane/graph/graph.hpp"

#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/graph/graph_test_support.hpp"

using namespace sluice::graph;
using sluice::graph::testing::edge;
using sluice::graph::testing::link;
using sluice::graph::testing::one_way;
using sluice::graph::testing::subnet;

TEST_CASE("a new graph holds only myself, reachable and its own next hop") {
    Graph graph("alpha");
    REQUIRE(graph.nodes().size() == 1);
    const Node& me = graph.self();
    CHECK(me.name == "alpha");
    CHECK(me.reachable);
    CHECK(me.nexthop == "alpha");
    CHECK(me.via == "alpha");
    CHECK_FALSE(me.prevedge.has_value());
    CHECK(graph.find_node("alpha") == &me);
    CHECK(graph.find_node("beta") == nullptr);
}

TEST_CASE("ensure_node creates a node once, unreachable") {
    Graph graph("alpha");
    Node& beta = graph.ensure_node("beta");
    CHECK(beta.name == "beta");
    CHECK_FALSE(beta.reachable);
    CHECK(&graph.ensure_node("beta") == &beta);
    CHECK(graph.nodes().size() == 2);
}

TEST_CASE("add_edge creates endpoints and refuses duplicates and loops") {
    Graph graph("alpha");
    CHECK(graph.add_edge(edge("beta", "gamma")));
    CHECK(graph.find_node("beta") != nullptr);
    CHECK(graph.find_node("gamma") != nullptr);
    CHECK_FALSE(graph.add_edge(edge("beta", "gamma", 99)));
    CHECK(graph.find_edge("beta", "gamma")->weight == 10);  // the duplicate changed nothing
    CHECK_FALSE(graph.add_edge(edge("beta", "beta")));
    CHECK_FALSE(graph.add_edge(edge("", "beta")));
    CHECK(graph.edge_count() == 1);

    const Edge& bg = *graph.find_edge("beta", "gamma");
    CHECK(bg.address == "198.18.0.3");
    CHECK(bg.port == "655");
    CHECK(graph.reverse_of(bg) == nullptr);
    one_way(graph, "gamma", "beta");
    CHECK(graph.reverse_of(bg) == graph.find_edge("gamma", "beta"));
}

TEST_CASE("a node's edges are ordered by destination name") {
    Graph graph("alpha");
    for (const char* to : {"zeta", "beta", "mu", "delta", "Zulu"}) one_way(graph, "alpha", to);
    std::vector<std::string> order;
    for (const auto& [to, e] : graph.edges_of("alpha")) order.push_back(e.to);
    // strcmp order: upper case sorts before lower case.
    CHECK(order == std::vector<std::string>{"Zulu", "beta", "delta", "mu", "zeta"});
    CHECK(graph.edges_of("nobody").empty());
}

TEST_CASE("all edges are ordered by weight, then from name, then to name") {
    Graph graph("alpha");
    one_way(graph, "gamma", "alpha", 5);
    one_way(graph, "beta", "gamma", 5);
    one_way(graph, "beta", "alpha", 5);
    one_way(graph, "alpha", "gamma", 7);
    one_way(graph, "delta", "alpha", -3);
    one_way(graph, "alpha", "beta", 100);
    std::vector<EdgeKey> order;
    for (const Edge* e : graph.edges_by_weight()) order.push_back(e->key());
    const std::vector<EdgeKey> expected{{"delta", "alpha"}, {"beta", "alpha"},  {"beta", "gamma"},
                                        {"gamma", "alpha"}, {"alpha", "gamma"}, {"alpha", "beta"}};
    CHECK(order == expected);
}

TEST_CASE("update_edge changes an edge in place and re-sorts it by weight") {
    Graph graph("alpha");
    one_way(graph, "alpha", "beta", 10);
    one_way(graph, "alpha", "gamma", 20);
    const Edge* before = graph.find_edge("alpha", "gamma");

    Edge changed = edge("alpha", "gamma", 1, 0x1);
    changed.address = "198.18.1.3";
    changed.port = "1655";
    REQUIRE(graph.update_edge(changed));
    CHECK(graph.find_edge("alpha", "gamma") == before);
    CHECK(*before == changed);
    CHECK((*graph.edges_by_weight().begin())->key() == EdgeKey{"alpha", "gamma"});
    CHECK(graph.edge_count() == 2);

    CHECK_FALSE(graph.update_edge(edge("gamma", "alpha")));
    CHECK(graph.find_edge("gamma", "alpha") == nullptr);
}

TEST_CASE("remove_edge deletes one direction only") {
    Graph graph("alpha");
    link(graph, "alpha", "beta");
    CHECK(graph.remove_edge("alpha", "beta"));
    CHECK_FALSE(graph.remove_edge("alpha", "beta"));
    CHECK(graph.find_edge("alpha", "beta") == nullptr);
    CHECK(graph.find_edge("beta", "alpha") != nullptr);
    CHECK(graph.edge_count() == 1);
    CHECK(graph.edges_of("alpha").empty());
}

TEST_CASE("subnet identity is owner, type, address as sent, prefix and weight") {
    Graph graph("alpha");
    CHECK(graph.add_subnet("beta", subnet("198.19.0.0/24")));
    CHECK(graph.find_node("beta") != nullptr);  // ADD_SUBNET creates unknown owners

    struct Case {
        const char* text;
        bool is_new;
    };
    const Case cases[] = {
        {"198.19.0.0/24#10", false},  // the default weight is written out
        {"198.19.0.0/24#5", true},    // another weight is another subnet
        {"198.19.0.1/24", true},      // host bits count as sent
        {"198.19.0.0/25", true},     {"2001:db8::/32", true},         {"2001:db8:0:0:0:0:0:0/32#10", false},
        {"2:0:0:0:0:a", true},       {"02:00:00:00:00:0a#10", false},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        CHECK(graph.add_subnet("beta", subnet(c.text)) == c.is_new);
        CHECK(graph.has_subnet("beta", subnet(c.text)));
    }
    CHECK(graph.subnets_of("beta").size() == 6);
    CHECK(graph.subnets().size() == 6);

    // Another owner may claim the same subnet.
    CHECK(graph.add_subnet("gamma", subnet("198.19.0.0/24")));
    CHECK_FALSE(graph.has_subnet("delta", subnet("198.19.0.0/24")));
    CHECK(graph.subnets().size() == 7);
    CHECK_FALSE(graph.add_subnet("", subnet("198.19.0.0/24")));
}

TEST_CASE("a node's subnets are in tinc's order: type, longest prefix, address, weight") {
    Graph graph("alpha");
    for (const char* text : {"2001:db8::/32", "198.19.0.0/16", "198.19.0.7#3", "198.19.0.7", "198.19.0.5",
                             "198.18.0.0/15", "2:0:0:0:0:b", "2:0:0:0:0:a#20", "2:0:0:0:0:a#1"}) {
        REQUIRE(graph.add_subnet("beta", subnet(text)));
    }
    std::vector<std::string> order;
    for (const auto& s : graph.subnets_of("beta")) order.push_back(s.to_string());
    CHECK(order == std::vector<std::string>{"2:0:0:0:0:a#1", "2:0:0:0:0:a#20", "2:0:0:0:0:b#10",
                                            "198.19.0.5/32#10", "198.19.0.7/32#3", "198.19.0.7/32#10",
                                            "198.19.0.0/16#10", "198.18.0.0/15#10",
                                            "2001:db8:0:0:0:0:0:0/32#10"});
}

TEST_CASE("remove_subnet removes one owner's subnet") {
    Graph graph("alpha");
    graph.add_subnet("beta", subnet("198.19.0.0/24"));
    graph.add_subnet("gamma", subnet("198.19.0.0/24"));
    CHECK_FALSE(graph.remove_subnet("beta", subnet("198.19.0.0/24#5")));
    CHECK_FALSE(graph.remove_subnet("delta", subnet("198.19.0.0/24")));
    CHECK(graph.remove_subnet("beta", subnet("198.19.0.0/24")));
    CHECK_FALSE(graph.has_subnet("beta", subnet("198.19.0.0/24")));
    CHECK(graph.has_subnet("gamma", subnet("198.19.0.0/24")));
    CHECK(graph.subnets_of("beta").empty());
    CHECK(graph.subnets().size() == 1);
}

TEST_CASE("remove_node only deletes nodes nothing refers to") {
    Graph graph("alpha");
    one_way(graph, "beta", "gamma");
    graph.add_subnet("delta", subnet("198.19.0.4"));
    graph.ensure_node("epsilon");

    CHECK_FALSE(graph.remove_node("alpha"));   // myself
    CHECK_FALSE(graph.remove_node("nobody"));  // unknown
    CHECK_FALSE(graph.remove_node("beta"));    // has an outgoing edge
    CHECK_FALSE(graph.remove_node("gamma"));   // an edge points at it
    CHECK_FALSE(graph.remove_node("delta"));   // owns a subnet
    CHECK(graph.remove_node("epsilon"));
    CHECK(graph.find_node("epsilon") == nullptr);

    graph.remove_edge("beta", "gamma");
    graph.remove_subnet("delta", subnet("198.19.0.4"));
    CHECK(graph.remove_node("beta"));
    CHECK(graph.remove_node("gamma"));
    CHECK(graph.remove_node("delta"));
    CHECK(graph.nodes().size() == 1);
}

TEST_CASE("an edge address is numeric only for IP literals with a decimal port") {
    struct Case {
        const char* address;
        const char* port;
        bool numeric;
    };
    const Case cases[] = {
        {"198.18.0.2", "655", true},     {"2001:db8::2", "655", true},   {"198.18.0.2", "65535", true},
        {"198.18.0.2", "65536", false},  {"198.18.0.2", "", false},      {"198.18.0.2", "http", false},
        {"gamma.example", "655", false}, {"fe80::1%eth0", "655", false}, {"", "655", false},
        {"unknown", "unknown", false},
    };
    for (const Case& c : cases) {
        INFO(c.address << " port " << c.port);
        const Edge e{"alpha", "beta", c.address, c.port, 0, 10};
        CHECK(e.has_numeric_address() == c.numeric);
    }
}

TEST_CASE("moving a graph keeps subnets, edges and their order intact") {
    Graph original("alpha");
    link(original, "alpha", "beta", 3);
    original.add_subnet("beta", subnet("198.19.0.2"));
    Graph moved(std::move(original));
    CHECK(moved.find_edge("alpha", "beta") != nullptr);
    CHECK((*moved.edges_by_weight().begin())->key() == EdgeKey{"alpha", "beta"});
    const auto& entries = moved.subnets().entries(sluice::net::SubnetType::ipv4);
    REQUIRE(entries.size() == 1);
    CHECK(entries.begin()->owner == moved.find_node("beta"));
}
