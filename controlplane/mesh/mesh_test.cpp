// Meshes of several nodes wired together in memory (mesh_test_network.hpp): flooding,
// reachability, legacy keys, PACKET routing, edge and subnet defence, liveness.
#include "controlplane/mesh/mesh.hpp"

#include <catch2/catch.hpp>

#include "controlplane/mesh/mesh_test_network.hpp"

using namespace sluice;
using namespace sluice::mesh;
using sluice::mesh::testing::Network;
using sluice::mesh::testing::subnet;

namespace {

std::vector<std::uint8_t> ipv4_frame_to(std::array<std::uint8_t, 4> dst) {
    std::vector<std::uint8_t> f(14 + 28, 0);
    f[12] = 0x08;
    f[14] = 0x45;
    std::copy(dst.begin(), dst.end(), f.begin() + 30);
    return f;
}

}  // namespace

//   alpha ---- beta ---- gamma
TEST_CASE("a line of three nodes: everyone reachable, subnets everywhere, next hops through beta") {
    Network net;
    net.add("alpha", {subnet("198.19.0.1/32")});
    net.add("beta", {subnet("198.19.0.2/32")});
    net.add("gamma", {subnet("198.19.0.3/32"), subnet("2001:db8:3::/48")});
    net.connect("alpha", "beta");
    net.connect("beta", "gamma");

    for (const char* at : {"alpha", "beta", "gamma"}) {
        for (const char* who : {"alpha", "beta", "gamma"}) CHECK(net.node(at, who).reachable);
        CHECK(net.nodes[at]->graph().subnets().size() == 4);
    }
    CHECK(net.node("alpha", "gamma").nexthop == "beta");
    CHECK(net.node("alpha", "gamma").via == "gamma");
    CHECK(net.node("gamma", "alpha").nexthop == "beta");

    // host-up ran at alpha for beta and gamma, with the subnet scripts of each.
    int host_up = 0, subnet_up_gamma = 0;
    for (const auto& [node, s] : net.scripts) {
        if (node == "alpha" && s.script == "host-up") ++host_up;
        if (node == "alpha" && s.script == "subnet-up") {
            for (const auto& [k, v] : s.environment)
                if (k == "NODE" && v == "gamma") ++subnet_up_gamma;
        }
    }
    CHECK(host_up == 2);
    CHECK(subnet_up_gamma == 2);

    SECTION("a key request crosses beta and gamma's answer comes back to alpha") {
        net.inject("beta", net.conn("beta", "alpha"), "15 alpha gamma");
        const NodeKeys* keys = net.nodes["gamma"]->keys_of("alpha");
        REQUIRE(keys != nullptr);
        REQUIRE(keys->inbound.has_value());
        // beta forwarded gamma's ANS_KEY toward alpha unchanged.
        bool forwarded = false;
        for (const auto& l : net.sent_lines["beta"])
            if (l.starts_with("16 gamma alpha ")) forwarded = true;
        CHECK(forwarded);
    }
    SECTION("beta routes a PACKET for gamma's subnet to gamma, and gamma delivers it") {
        net.packets.emplace_back("beta", net.conn("beta", "alpha"), ipv4_frame_to({198, 19, 0, 3}));
        net.settle();
        REQUIRE(net.delivered.size() == 1);
        CHECK(net.delivered[0].first == "gamma");
        CHECK(net.nodes["beta"]->counters().packets_forwarded == 1);
    }
    SECTION("a packet for nobody's subnet is dropped and counted") {
        net.packets.emplace_back("beta", net.conn("beta", "alpha"), ipv4_frame_to({198, 19, 9, 9}));
        net.settle();
        CHECK(net.delivered.empty());
        CHECK(net.nodes["beta"]->counters().packets_dropped_no_subnet == 1);
    }
    SECTION("losing beta-gamma makes gamma unreachable for alpha, edges withdrawn everywhere") {
        net.disconnect("beta", net.conn("beta", "gamma"));
        CHECK_FALSE(net.node("alpha", "gamma").reachable);
        CHECK(net.nodes["alpha"]->graph().find_edge("beta", "gamma") == nullptr);
        CHECK(net.nodes["alpha"]->graph().find_edge("gamma", "beta") == nullptr);
        CHECK(net.node("alpha", "beta").reachable);
        SECTION("and it rejoins when connected again") {
            net.connect("gamma", "beta");
            CHECK(net.node("alpha", "gamma").reachable);
        }
    }
    SECTION("a duplicate flooded line is dropped, a new nonce is processed") {
        const auto before = net.nodes["alpha"]->counters().duplicate_requests;
        net.inject("alpha", net.conn("alpha", "beta"), "10 1234 gamma 198.19.7.0/24#10");
        net.inject("alpha", net.conn("alpha", "beta"), "10 1234 gamma 198.19.7.0/24#10");
        CHECK(net.nodes["alpha"]->counters().duplicate_requests == before + 1);
        CHECK(net.nodes["gamma"]->graph().has_subnet("gamma", subnet("198.19.7.0/24")) == false);
    }
}

TEST_CASE("a node defends its own edges and subnets") {
    Network net;
    net.add("alpha", {subnet("198.19.0.1/32")});
    net.add("beta", {subnet("198.19.0.2/32")});
    net.connect("alpha", "beta");
    const ConnectionId to_beta = net.conn("alpha", "beta");
    net.sent_lines.clear();

    SECTION("ADD_SUBNET for a subnet of ours that we do not have is retracted") {
        net.inject("alpha", to_beta, "10 99 alpha 198.19.5.0/24#10");
        REQUIRE_FALSE(net.sent_lines["alpha"].empty());
        CHECK_THAT(net.sent_lines["alpha"].front(),
                   Catch::Matches("11 [0-9a-f]+ alpha 198\\.19\\.5\\.0/24#10"));
        CHECK_FALSE(net.nodes["alpha"]->graph().has_subnet("alpha", subnet("198.19.5.0/24")));
    }
    SECTION("DEL_SUBNET of our own subnet is answered with ADD_SUBNET") {
        net.inject("alpha", to_beta, "11 98 alpha 198.19.0.1/32#10");
        REQUIRE_FALSE(net.sent_lines["alpha"].empty());
        CHECK_THAT(net.sent_lines["alpha"].front(),
                   Catch::Matches("10 [0-9a-f]+ alpha 198\\.19\\.0\\.1/32#10"));
        CHECK(net.nodes["alpha"]->graph().has_subnet("alpha", subnet("198.19.0.1/32")));
    }
    SECTION("DEL_EDGE of our own edge is answered with the edge") {
        net.inject("alpha", to_beta, "13 97 alpha beta");
        REQUIRE_FALSE(net.sent_lines["alpha"].empty());
        CHECK_THAT(net.sent_lines["alpha"].front(), Catch::StartsWith("12 "));
        CHECK(net.nodes["alpha"]->graph().find_edge("alpha", "beta") != nullptr);
    }
    SECTION("ADD_EDGE for an edge of ours that does not exist is retracted") {
        net.inject("alpha", to_beta, "12 96 alpha delta 198.18.0.4 655 c 5");
        REQUIRE_FALSE(net.sent_lines["alpha"].empty());
        CHECK_THAT(net.sent_lines["alpha"].front(), Catch::Matches("13 [0-9a-f]+ alpha delta"));
        CHECK(net.nodes["alpha"]->counters().contradicting_add_edge == 1);
    }
    SECTION("ADD_EDGE from a node to itself closes that link") {
        net.inject("alpha", to_beta, "12 95 beta beta 198.18.0.2 655 c 5");
        REQUIRE(net.closed.size() == 1);
        CHECK(net.closed[0].second.id == to_beta);
    }
}

TEST_CASE("PING is answered, a missing PONG closes the link") {
    Network net;
    net.add("alpha", {});
    net.add("beta", {});
    net.connect("alpha", "beta");
    const ConnectionId to_beta = net.conn("alpha", "beta");
    net.sent_lines.clear();
    net.inject("alpha", to_beta, "8");
    REQUIRE(net.sent_lines["alpha"] == std::vector<std::string>{"9"});

    // A PING goes out after PingInterval; without a PONG the link closes after PingTimeout.
    net.apply("alpha", net.nodes["alpha"]->tick(net.now + seconds(60)));
    CHECK(net.sent_lines["alpha"].back() == "8");
    net.apply("alpha", net.nodes["alpha"]->tick(net.now + seconds(66)));
    REQUIRE(net.closed.size() == 1);
    CHECK_THAT(net.closed[0].second.reason, Catch::Contains("didn't respond to PING"));
}
