#include "controlplane/daemon/view_text.hpp"

#include <catch2/catch.hpp>

#include "controlplane/daemon/view_test_support.hpp"
#include "controlplane/graph/graph_test_support.hpp"
#include "controlplane/protocol/constants.hpp"

using namespace sluice;
using namespace sluice::daemon;

TEST_CASE("endpoint_text: IPv4, IPv6 in brackets, nothing when not valid") {
    CHECK(endpoint_text(testing::endpoint(7)) == "198.18.0.7:655");
    tables::Endpoint v6{};
    v6.family = tables::EndpointFamily::ipv6;
    v6.port = 6550;
    v6.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(endpoint_text(v6) == "[2001:db8::1]:6550");
    CHECK(endpoint_text(tables::Endpoint{}).empty());
}

TEST_CASE("option_names and option_protocol_minor") {
    struct Row {
        std::uint32_t options;
        const char* names;
        unsigned minor;
    };
    const Row rows[] = {
        {0, "none", 0},
        {protocol::option_indirect | protocol::option_tcponly, "indirect tcponly", 0},
        {protocol::option_pmtu_discovery | protocol::option_clamp_mss | (7U << 24),
         "pmtu_discovery clamp_mss", 7},
        {0x10 | (2U << 24), "none", 2},  // bits tinc 1.0 does not name
    };
    for (const Row& r : rows) {
        INFO(r.options);
        CHECK(option_names(r.options) == r.names);
        CHECK(option_protocol_minor(r.options) == r.minor);
    }
}

TEST_CASE("pmtu_text: fixed, probing, no reply, no discovery") {
    tables::PeerRecord p{};
    p.mtu = 1518;
    CHECK(pmtu_text(p) == "1518 (no discovery)");
    p.flags = tables::peer_flags::pmtu_discovery;
    p.max_mtu = 1518;
    CHECK(pmtu_text(p) == "probing: no reply yet (at most 1518)");
    p.min_mtu = 1400;
    CHECK(pmtu_text(p) == "probing: 1400..1518");
    p.min_mtu = p.max_mtu = p.mtu = 1451;
    CHECK(pmtu_text(p) == "1451 (fixed)");
}

TEST_CASE("subnet_text: prefix always, no weight, canonical IPv6") {
    using graph::testing::subnet;
    CHECK(subnet_text(subnet("198.19.0.3")) == "198.19.0.3/32");
    CHECK(subnet_text(subnet("198.19.0.0/24#5")) == "198.19.0.0/24");
    CHECK(subnet_text(subnet("2001:db8:0:0:0:0:0:0/32#10")) == "2001:db8::/32");
    CHECK(subnet_text(subnet("2:0:0:0:0:a#3")) == "2:0:0:0:0:a");
}
