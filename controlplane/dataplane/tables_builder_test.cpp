#include "controlplane/dataplane/tables_builder.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "controlplane/mesh/mesh_test_network.hpp"

using namespace sluice;
using sluice::dataplane_link::TablesBuilder;
using sluice::mesh::testing::Network;
using sluice::mesh::testing::subnet;

namespace {

std::uint32_t id_of(const tables::TablesInput& in, const std::string& name) {
    for (const auto& n : in.nodes)
        if (n.name == name) return n.node_id;
    FAIL("no node " << name);
    return 0;
}

}  // namespace

TEST_CASE("tables builder: node ids are stable, and a successor continues the numbering") {
    Network net;
    net.add("alpha", {subnet("198.19.0.1/32")});
    net.add("beta", {subnet("198.19.0.2/32")});
    net.add("gamma", {subnet("198.19.0.3/32")});
    net.connect("alpha", "beta");
    net.connect("beta", "gamma");

    TablesBuilder first({});
    CHECK(first.numbering().next_node_id == 1);
    const tables::TablesInput built = first.build(*net.nodes["alpha"], net.now);
    const std::uint32_t beta = id_of(built, "beta");
    const std::uint32_t gamma = id_of(built, "gamma");
    CHECK(beta != gamma);
    CHECK(id_of(first.build(*net.nodes["alpha"], net.now), "beta") == beta);  // stable
    const TablesBuilder::Numbering issued = first.numbering();
    CHECK(issued.next_node_id > std::max(beta, gamma));

    SECTION("a restarted sluiced that read the region's numbering never issues those ids again") {
        TablesBuilder second({});
        second.continue_numbering(issued);
        second.continue_numbering({1, 1, 1});  // never goes back
        CHECK(second.numbering().next_node_id == issued.next_node_id);
        CHECK(second.numbering().next_key_id == issued.next_key_id);
        CHECK(second.numbering().next_session_id == issued.next_session_id);
        const tables::TablesInput again = second.build(*net.nodes["alpha"], net.now);
        CHECK(id_of(again, "beta") >= issued.next_node_id);
        CHECK(id_of(again, "gamma") >= issued.next_node_id);
    }
}
