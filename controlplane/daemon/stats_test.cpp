#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "controlplane/daemon/stats_render.hpp"
#include "controlplane/daemon/stats_report.hpp"
#include "controlplane/daemon/view_test_support.hpp"
#include "shared/abi/region.hpp"

using namespace sluice;
using namespace sluice::daemon;
namespace pf = sluice::tables::peer_flags;

namespace {

abi::Region make_region(std::uint32_t workers, std::uint32_t peer_capacity) {
    auto layout = abi::compute_layout({.worker_count = workers,
                                       .snapshot_payload_capacity = 4096,
                                       .ring_capacity = 8,
                                       .peer_capacity = peer_capacity});
    REQUIRE(layout);
    auto region = abi::create_region(*layout);
    REQUIRE(region);
    return std::move(*region);
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

}  // namespace

TEST_CASE("stats: peer counters are summed over workers, the newest last_rx wins") {
    abi::Region region = make_region(2, 8);
    abi::add_owned(region.peer_counters(0)[2].rx_bytes, 1000);
    abi::add_owned(region.peer_counters(1)[2].rx_bytes, 500);
    abi::add_owned(region.peer_counters(0)[2].drop(abi::DropReason::replay), 1);
    abi::add_owned(region.peer_counters(1)[2].drop(abi::DropReason::replay), 2);
    region.peer_counters(0)[2].last_rx_boottime_ns.store(7);
    region.peer_counters(1)[2].last_rx_boottime_ns.store(9);
    const PeerTotals t = sum_peer_counters(region, 2);
    CHECK(t.rx_bytes == 1500);
    CHECK(t.drops[static_cast<std::size_t>(abi::DropReason::replay)] == 3);
    CHECK(t.last_rx_boottime_ns == 9);
    CHECK(sum_peer_counters(region, 8).rx_bytes == 0);  // beyond the capacity: nothing
}

TEST_CASE("stats: a worker's ring and buffer figures, and how full its rings are") {
    abi::Region region = make_region(1, 8);
    abi::WorkerCounters& c = region.worker(0).counters;
    abi::add_owned(c.batches, 4);
    abi::add_owned(c.completions, 10);
    c.recv_buffers.store(256);
    c.recv_buffers_free.store(250);
    c.recv_buffers_lowest.store(190);
    abi::RingProducer events(region.event_ring(0));
    const std::uint8_t payload[3] = {1, 2, 3};
    REQUIRE(events.try_push(payload, 1));
    REQUIRE(events.try_push(payload, 1));
    const auto workers = worker_stats(region);
    REQUIRE(workers.size() == 1);
    auto value = [&](std::string_view name) -> std::uint64_t {
        const auto v = workers[0].counter(name);
        if (!v) FAIL("no counter " << name);
        return v.value_or(0);
    };
    CHECK(value("completions") == 10);
    CHECK(value("recv_buffers_free") == 250);
    CHECK(value("recv_buffers_lowest") == 190);
    CHECK(value("event_ring_used") == 2);
    CHECK(value("event_ring_capacity") == 8);
    CHECK(value("injection_ring_used") == 0);

    StatsReport report;
    report.workers = workers;
    const auto lines = render_stats_table(report);
    REQUIRE(std::find(lines.begin(), lines.end(), "worker rings and buffers") != lines.end());
    const std::string text = joined(lines);
    CHECK_THAT(text, Catch::Contains("2.5"));      // completions per batch
    CHECK_THAT(text, Catch::Contains("250/256"));  // free receive buffers
    CHECK_THAT(text, Catch::Contains("2/8"));      // event ring
}

TEST_CASE("stats: one row per peer of the published tables, with its counters and key") {
    using testing::Peer;
    const testing::Published published(testing::tables_input(
        "alpha",
        {Peer{.name = "alpha", .flags = pf::reachable | pf::self},
         Peer{.name = "beta", .flags = pf::reachable, .host = 2, .in_key = 1, .out_key = 2},
         Peer{.name = "gamma", .flags = pf::reachable, .via = "beta", .nexthop = "beta", .host = 3}}));
    abi::Region region = make_region(2, 16);
    abi::add_owned(region.peer_counters(1)[2].rx_packets, 3);  // beta is node id 2
    abi::add_owned(region.peer_counters(1)[2].rx_bytes, 3000);
    region.peer_counters(1)[2].last_rx_boottime_ns.store(10'000'000'000);
    const PeerKeyLookup keys = [](std::string_view name) {
        PeerKeyInfo info;
        if (name == "beta") info.legacy_age_s = 42;
        return info;
    };
    const auto rows = peer_stats(published.view(), &region, keys, 12'500'000'000);
    REQUIRE(rows.size() == 2);  // not alpha itself
    CHECK(rows[0].name == "beta");
    CHECK(rows[0].node_id == 2);
    CHECK(rows[0].path == "udp");
    CHECK(rows[0].endpoint == "198.18.0.2:655");
    CHECK(rows[0].cipher == "aes-256-cbc/none");
    CHECK(rows[0].key_age_s == 42);
    CHECK(rows[0].totals.rx_packets == 3);
    CHECK(rows[0].totals.rx_bytes == 3000);
    REQUIRE(rows[0].last_rx_age_s.has_value());
    CHECK(*rows[0].last_rx_age_s == Approx(2.5));
    CHECK(rows[1].name == "gamma");
    CHECK(rows[1].path == "udp via beta");
    CHECK(rows[1].cipher.empty());  // no key yet
    CHECK_FALSE(rows[1].key_age_s.has_value());
    CHECK_FALSE(rows[1].last_rx_age_s.has_value());
}

TEST_CASE("stats: age_text picks the two largest units") {
    CHECK(age_text(std::nullopt) == "-");
    CHECK(age_text(0) == "0s");
    CHECK(age_text(59) == "59s");
    CHECK(age_text(185) == "3m05s");
    CHECK(age_text(7380) == "2h03m");
    CHECK(age_text(3 * 86400 + 7200) == "3d02h");
}

namespace {

StatsReport sample_report() {
    StatsReport r;
    r.daemon = {.node = "beta",
                .version = "0.1.0",
                .abi_version = 5,
                .pid = 100,
                .uptime_s = 65,
                .dataplane_pid = 200,
                .dataplane_uptime_s = 3700,
                .counters_since_unix = 1'700'000'000,
                .workers = 1,
                .peer_capacity = 4096};
    PeerStats p;
    p.name = "gamma";
    p.node_id = 3;
    p.path = "udp";
    p.endpoint = "198.18.0.3:655";
    p.mtu = 1518;
    p.min_mtu = 1518;
    p.max_mtu = 1518;
    p.cipher = "chacha20-poly1305";
    p.key_age_s = 12;
    p.last_rx_age_s = 0.25;
    p.totals.rx_packets = 10;
    p.totals.rx_bytes = 14000;
    p.totals.drops[static_cast<std::size_t>(abi::DropReason::replay)] = 2;
    r.peers.push_back(p);
    WorkerStats w;
    w.counters = {{"rx_packets", 10}, {"rx_bytes", 14000}};
    w.drops[static_cast<std::size_t>(abi::DropReason::no_route)] = 1;
    r.workers.push_back(w);
    MetaStats m{"gamma", "198.18.0.3", "655", "active", {}};
    m.traffic.requests_in[static_cast<std::size_t>(protocol::RequestType::ping)] = 4;
    m.traffic.bytes_in = 300;
    r.meta.push_back(m);
    return r;
}

}  // namespace

TEST_CASE("stats: JSON has numbers as numbers, every drop reason and request type, null for absent") {
    StatsReport r = sample_report();
    const std::string json = joined(render_stats_json(r));
    CHECK_THAT(json, Catch::Contains("\"schema\": 1"));
    CHECK_THAT(json, Catch::Contains("\"node\": \"beta\""));
    CHECK_THAT(json, Catch::Contains("\"dataplane\": {\"pid\": 200, \"uptime_s\": 3700"));
    CHECK_THAT(json, Catch::Contains("\"rx_bytes\": 14000"));
    CHECK_THAT(json, Catch::Contains("\"pmtu\": {\"mtu\": 1518, \"min\": 1518, \"max\": 1518}"));
    CHECK_THAT(json, Catch::Contains("\"last_rx_age_s\": 0.250"));
    CHECK_THAT(json, Catch::Contains("\"replay\": 2"));
    CHECK_THAT(json, Catch::Contains("\"native_wrong_worker\": 0"));
    CHECK_THAT(json, Catch::Contains("\"PING\": 4"));
    CHECK_THAT(json, Catch::Contains("\"PACKET\": 0"));
    CHECK_THAT(json, Catch::Contains("\"worker\": 0, \"rx_packets\": 10"));

    r.peers[0].last_rx_age_s.reset();
    r.peers[0].cipher.clear();
    r.daemon.dataplane_pid = 0;
    const std::string bare = joined(render_stats_json(r));
    CHECK_THAT(bare, Catch::Contains("\"last_rx_age_s\": null"));
    CHECK_THAT(bare, Catch::Contains("\"cipher\": null"));
    CHECK_THAT(bare, Catch::Contains("\"dataplane\": null"));
    // Balanced braces and brackets, and no trailing commas before a closing one.
    int depth = 0;
    for (char ch : bare) depth += ch == '{' || ch == '[' ? 1 : ch == '}' || ch == ']' ? -1 : 0;
    CHECK(depth == 0);
    CHECK(bare.find(",\n  ]") == std::string::npos);
    CHECK(bare.find(",}") == std::string::npos);
}

TEST_CASE("stats: the table has its sections, aligned, within 100 columns") {
    const auto lines = render_stats_table(sample_report());
    const std::string text = joined(lines);
    for (const char* heading :
         {"daemon", "peers", "peer traffic", "workers", "worker rings and buffers", "meta connections"}) {
        CHECK(std::find(lines.begin(), lines.end(), heading) != lines.end());
    }
    CHECK_THAT(text, Catch::Contains("sluice-dp pid 200, up 1h01m"));
    CHECK_THAT(text, Catch::Contains("0.2s ago"));
    CHECK_THAT(text, Catch::Contains("replay=2"));
    CHECK_THAT(text, Catch::Contains("worker 0 drops: no_route=1"));
    CHECK_THAT(text, Catch::Contains("gamma in:  PING=4"));
    for (const auto& l : lines) {
        INFO(l);
        CHECK(l.size() <= 100);
    }
}
