#include "controlplane/daemon/daemon_settings.hpp"

#include <catch2/catch.hpp>

using namespace sluice::daemon;

TEST_CASE("the run-time files have tincd-like default places, one directory for every netname") {
    CHECK(default_pidfile(std::string("vpn"), std::nullopt) == "/run/sluice/vpn.pid");
    CHECK(default_pidfile(std::nullopt, std::string("/etc/sluice/lab")) == "/etc/sluice/lab/sluiced.pid");
    CHECK(default_pidfile(std::nullopt, std::nullopt) == "/run/sluice.pid");
    // The control socket and sluice-dp's socket sit beside the pid file, which under
    // systemd is the unit's RuntimeDirectory=sluice.
    CHECK(control_socket_for("/run/sluice/vpn.pid") == "/run/sluice/vpn.socket");
    CHECK(data_plane_socket_for("/run/sluice/vpn.pid") == "/run/sluice/vpn.dataplane");
    CHECK(control_socket_for("/tmp/x/custom") == "/tmp/x/custom.socket");
}

TEST_CASE("MetricsAddress splits into host and port; off and nonsense mean no endpoint") {
    auto v4 = split_metrics_address("127.0.0.1:9100");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == "9100");
    auto v6 = split_metrics_address("[2001:db8::1]:9100");
    REQUIRE(v6);
    CHECK(v6->host == "2001:db8::1");
    CHECK(v6->port == "9100");
    CHECK_FALSE(split_metrics_address("off"));
    CHECK_FALSE(split_metrics_address("OFF"));
    CHECK_FALSE(split_metrics_address("127.0.0.1"));
    CHECK_FALSE(split_metrics_address("127.0.0.1:"));
}
