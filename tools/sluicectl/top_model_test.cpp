// sluicectl top's model and adapters: rates, resets, sorting, the screen's limits, and the
// control-socket tables turned into samples.
#include "tools/sluicectl/top_model.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "tools/sluicectl/top_sources.hpp"

using namespace sluice::ctl::top;
using sluice::TimePoint;

namespace {

// A section with one packet rate and two byte rates that count towards the total.
Section traffic_section() {
    return Section{"peer",
                   {{"path", ColumnKind::text, false},
                    {"rx pkt/s", ColumnKind::packet_rate, false},
                    {"rx", ColumnKind::byte_rate, true},
                    {"tx", ColumnKind::byte_rate, true}},
                   {}};
}

void set(Section& s, const std::string& key, std::uint64_t packets, std::uint64_t rx, std::uint64_t tx) {
    Row& r = s.row(key);
    r.texts[0] = "udp";
    r.values[1] = packets;
    r.values[2] = rx;
    r.values[3] = tx;
}

std::vector<std::string> keys(const std::vector<RateRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.key);
    return out;
}

Sample sample_at(double seconds) {
    Sample s;
    s.at = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
    s.wall_time = "12:00:00";
    s.node = "alpha";
    s.nodes_known = 2;
    s.nodes_reachable = 1;
    s.data_plane = true;
    return s;
}

}  // namespace

TEST_CASE("a rate is the counter's growth per second") {
    CHECK(rate(100, 300, 2.0) == 100.0);
    CHECK(rate(100, 100, 1.0) == 0.0);
    CHECK(rate(0, 1500, 0.5) == 3000.0);
}

TEST_CASE("a counter that went down was reset and counts from zero") {
    // sluice-dp restarted between the samples: 50 since the restart, not -999950 or 2^64.
    CHECK(rate(1000000, 50, 1.0) == 50.0);
    CHECK(rate(1000000, 0, 1.0) == 0.0);
}

TEST_CASE("a rate needs both values and some time") {
    CHECK_FALSE(rate(std::nullopt, 5, 1.0));
    CHECK_FALSE(rate(5, std::nullopt, 1.0));
    CHECK_FALSE(rate(1, 5, 0.0));
    CHECK_FALSE(rate(1, 5, -1.0));
}

TEST_CASE("rates are scaled by K, M and G") {
    const std::vector<std::pair<double, std::string>> cases{
        {0, "0"},       {999, "999"},        {999.4, "999"}, {999.6, "1.0K"},
        {1500, "1.5K"}, {999.9e3, "999.9K"}, {1e6, "1.0M"},  {34.56e6, "34.6M"},
        {2e9, "2.0G"},  {1234e9, "1234.0G"},
    };
    for (const auto& [value, text] : cases) {
        INFO(value);
        CHECK(scaled(value) == text);
    }
}

TEST_CASE("rate rows: bits by default, bytes on request, n/a for counters nobody has") {
    Section before = traffic_section(), now = traffic_section();
    set(before, "beta", 10, 1000, 0);
    set(now, "beta", 30, 3000, 500);
    now.row("gamma").texts[0] = "tcp via beta";  // no counters for it at all

    View view;
    auto rows = rate_rows(now, &before, 2.0, view);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].key == "beta");
    CHECK(rows[0].cells == std::vector<std::string>{"udp", "10", "8.0K", "2.0K"});
    CHECK(rows[0].total == 1250.0);
    CHECK(rows[1].cells == std::vector<std::string>{"tcp via beta", "n/a", "n/a", "n/a"});

    view.bytes = ByteUnit::bytes;
    rows = rate_rows(now, &before, 2.0, view);
    CHECK(rows[0].cells == std::vector<std::string>{"udp", "10", "1.0K", "250"});
}

TEST_CASE("rate rows: a reset row counts from zero, never negative or huge") {
    Section before = traffic_section(), now = traffic_section();
    set(before, "beta", 5000000, 9000000000, 9000000000);
    set(now, "beta", 100, 12500, 0);
    const auto rows = rate_rows(now, &before, 1.0, View{});
    CHECK(rows[0].cells == std::vector<std::string>{"udp", "100", "100.0K", "0"});
}

TEST_CASE("rate rows: new rows have no rate yet, gone rows are gone") {
    Section before = traffic_section(), now = traffic_section();
    set(before, "beta", 1, 1, 1);
    set(before, "gone", 1, 1, 1);
    set(now, "beta", 2, 2, 2);
    set(now, "new", 7, 7, 7);
    const auto rows = rate_rows(now, &before, 1.0, View{});
    CHECK(keys(rows) == std::vector<std::string>{"beta", "new"});
    CHECK(rows[1].cells == std::vector<std::string>{"udp", "-", "-", "-"});
    // The first sample has no rates at all.
    const auto first = rate_rows(now, nullptr, 0, View{});
    CHECK(first[0].cells == std::vector<std::string>{"udp", "-", "-", "-"});
}

TEST_CASE("rate rows sort by total throughput, or by name with numbers as numbers") {
    Section before = traffic_section(), now = traffic_section();
    for (const std::string k : {"2", "10", "1"}) set(before, k, 0, 0, 0);
    set(now, "2", 0, 100, 0);
    set(now, "10", 0, 50, 100);  // the largest total: in plus out
    set(now, "1", 0, 0, 0);

    View view;
    CHECK(keys(rate_rows(now, &before, 1.0, view)) == std::vector<std::string>{"10", "2", "1"});
    view.sort = SortBy::name;
    CHECK(keys(rate_rows(now, &before, 1.0, view)) == std::vector<std::string>{"1", "2", "10"});

    // Equal totals fall back to names.
    Section names = traffic_section();
    for (const std::string k : {"delta", "beta", "gamma"}) set(names, k, 0, 0, 0);
    CHECK(keys(rate_rows(names, &names, 1.0, View{})) == std::vector<std::string>{"beta", "delta", "gamma"});
}

TEST_CASE("the screen: header, help line, one table per section") {
    Sample before = sample_at(10), now = sample_at(11);
    before.sections.push_back(traffic_section());
    now.sections.push_back(traffic_section());
    set(before.sections[0], "beta", 0, 0, 0);
    set(now.sections[0], "beta", 100, 125000, 0);

    const auto lines = render(now, &before, View{}, 0, 0);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "sluice top  alpha  12:00:00  1 of 2 nodes reachable  data plane attached");
    CHECK(lines[1].starts_with("sort: total"));
    CHECK(lines[2].empty());
    CHECK(lines[3] == "peer  path  rx pkt/s  rx bit/s  tx bit/s");
    CHECK(lines[4] == "beta  udp        100      1.0M         0");

    now.data_plane = false;
    now.sections[0].rows.clear();
    const auto empty = render(now, &before, View{}, 0, 0);
    CHECK(empty[0].ends_with("data plane not attached"));
    CHECK(empty.back() == "(none)");
}

TEST_CASE("the screen is cut to the terminal, never wrapped") {
    Sample before = sample_at(0), now = sample_at(1);
    now.sections.push_back(traffic_section());
    for (int i = 0; i < 30; ++i) set(now.sections[0], std::string(70, 'n') + std::to_string(i), 1, 1, 1);
    for (std::size_t width : {1u, 20u, 80u}) {
        const auto lines = render(now, &before, View{}, width, 0);
        CHECK(lines.size() == 34);
        for (const auto& l : lines) CHECK(l.size() <= width);
    }
    CHECK(render(now, &before, View{}, 80, 10).size() == 10);
    const auto uncut = render(now, &before, View{}, 0, 0);
    CHECK(std::any_of(uncut.begin(), uncut.end(), [](const std::string& l) { return l.size() > 80; }));
}

TEST_CASE("adapters turn the control tables into a sample") {
    Sample s = empty_sample();
    const std::vector<std::vector<std::string>> answers{
        {"name\treachable\tvia\tnexthop\taddress\tport\toptions\tkey_valid",
         "alpha\tyes\talpha\talpha\tMYSELF\t-\t700000c\tyes",
         "beta\tyes\tbeta\tbeta\t198.18.0.2\t655\t700000c\tyes",
         "gamma\tno\t-\t-\t198.18.0.3\t655\t700000c\tno"},
        {"name\tnode_id\tpath\tendpoint\tmtu\tmin_mtu\tmax_mtu\tin_key\tout_key\tnative",
         "alpha\t0\tself\t-\t0\t0\t0\t-\t-\t-",
         "beta\t1\tudp\t198.18.0.2:655\t1518\t1518\t1518\t3\t4\taes-256-gcm lanes 2/2, receiving on 1"},
        {"worker\trx_packets\trx_bytes\ttx_packets\ttx_bytes\tnative_rx_packets\tnative_tx_packets\t"
         "tun_rx_packets\ttun_rx_bytes\ttun_tx_packets\ttun_tx_bytes\tbatches\tevents\tinjected\tdrops",
         "0\t10\t1000\t20\t2000\t9\t19\t21\t2100\t11\t1100\t5\t0\t0\t-",
         "1\t1\t100\t2\t200\t0\t0\t3\t300\t1\t100\t5\t0\t0\treplay=2,no_route=5"},
        {"name\tnode_id\trx_packets\trx_bytes\ttx_packets\ttx_bytes\tnative_rx_packets\tnative_tx_packets\t"
         "tcp_frames",
         "beta\t1\t11\t1100\t22\t2200\t11\t22\t0"}};
    const auto adapters = sources();
    REQUIRE(adapters.size() == answers.size());
    CHECK(adapters[0].request == "dump nodes");
    for (std::size_t i = 0; i < adapters.size(); ++i) adapters[i].merge(Table(answers[i]), s);

    CHECK(s.node == "alpha");
    CHECK(s.nodes_known == 2);
    CHECK(s.nodes_reachable == 1);
    CHECK(s.data_plane);

    const Section& workers = s.sections[0];
    REQUIRE(workers.rows.size() == 2);
    CHECK(workers.rows[0].values[0] == 10u);
    CHECK(workers.rows[0].values[3] == 2000u);
    CHECK(workers.rows[1].values.back() == 7u);

    const Section& peers = s.sections[1];
    REQUIRE(peers.rows.size() == 2);  // beta and gamma, not this node
    CHECK(peers.rows[0].key == "beta");
    CHECK(peers.rows[0].texts[0] == "yes");
    CHECK(peers.rows[0].texts[1] == "udp");
    CHECK(peers.rows[0].texts[2] == "aes-256-gcm lanes 2/2, receiving on 1");
    CHECK(peers.rows[1].texts == std::vector<std::string>{"no", "", "", "", "", "", ""});
    // Per-peer counters from dump traffic: rx packets, rx bytes, tx packets, tx bytes; gamma
    // (unreachable, not in the tables) has none.
    CHECK(peers.rows[0].values[peer_traffic_columns] == 11u);
    CHECK(peers.rows[0].values[peer_traffic_columns + 1] == 1100u);
    CHECK(peers.rows[0].values[peer_traffic_columns + 2] == 22u);
    CHECK(peers.rows[0].values[peer_traffic_columns + 3] == 2200u);
    for (std::size_t i = peer_traffic_columns; i < peers.columns.size(); ++i)
        CHECK_FALSE(peers.rows[1].values[i]);
}

TEST_CASE("a sample without a data plane has no workers") {
    Sample s = empty_sample();
    sources()[0].merge(Table({"name\treachable\taddress", "alpha\tyes\tMYSELF"}), s);
    CHECK_FALSE(s.data_plane);
    CHECK(s.sections[0].rows.empty());
    CHECK(s.nodes_known == 0);
}

TEST_CASE("drops as dump workers lists them add up") {
    CHECK(drops_total("-") == 0);
    CHECK(drops_total("") == 0);
    CHECK(drops_total("replay=2") == 2);
    CHECK(drops_total("replay=2,no_route=5,mtu=10") == 17);
}
