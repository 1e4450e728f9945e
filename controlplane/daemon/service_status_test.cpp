#include "controlplane/daemon/service_status.hpp"

#include <catch2/catch.hpp>

using namespace sluice::daemon;

TEST_CASE("the running status names reachability, links and the data plane") {
    ServiceFacts f;
    f.nodes_known = 3;
    f.nodes_reachable = 2;
    f.meta_connections = 2;
    f.data_plane = DataPlaneState::attached;
    f.interface = "vpn";
    CHECK(running_status(f) == "2 of 3 nodes reachable, 2 meta connections, interface vpn");

    f.nodes_known = 1;
    f.nodes_reachable = 0;
    f.meta_connections = 1;
    CHECK(running_status(f) == "0 of 1 node reachable, 1 meta connection, interface vpn");

    f.nodes_known = 0;
    f.meta_connections = 0;
    f.data_plane = DataPlaneState::none;
    CHECK(running_status(f) ==
          "0 of 0 nodes reachable, 0 meta connections, no data plane (packets go over the meta connections)");

    f.data_plane = DataPlaneState::down;
    CHECK(running_status(f) ==
          "0 of 0 nodes reachable, 0 meta connections, data plane down (waiting for sluice-dp to come back)");
}

TEST_CASE("a refused reload stays in the status until a reload succeeds") {
    ServiceFacts f;
    f.nodes_known = 2;
    f.nodes_reachable = 2;
    f.meta_connections = 1;
    f.data_plane = DataPlaneState::attached;
    f.interface = "lab";
    f.last_reload_error = "tinc.conf:3: invalid Mode \"bridge\"";
    CHECK(running_status(f) ==
          "2 of 2 nodes reachable, 1 meta connection, interface lab; reload refused, running the previous "
          "configuration: tinc.conf:3: invalid Mode \"bridge\"");
}
