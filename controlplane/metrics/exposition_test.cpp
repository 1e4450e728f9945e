#include "controlplane/metrics/exposition.hpp"

#include <limits>
#include <stdexcept>

#include <catch2/catch.hpp>

using namespace sluice::metrics;

TEST_CASE("metric and label names follow Prometheus' character rules") {
    for (auto name : {"a", "sluice_up", "_x", "ns:sub_total", "A9"}) {
        CAPTURE(name);
        CHECK(valid_metric_name(name));
    }
    for (auto name : {"", "9a", "a-b", "a b", "é", "a.b"}) {
        CAPTURE(name);
        CHECK_FALSE(valid_metric_name(name));
    }
    CHECK(valid_label_name("peer"));
    CHECK(valid_label_name("_x1"));
    CHECK_FALSE(valid_label_name("a:b"));  // colons are for metric names only
    CHECK_FALSE(valid_label_name("__name__"));
    CHECK_FALSE(valid_label_name("1a"));
    CHECK_FALSE(valid_label_name(""));
}

TEST_CASE("label values escape backslash, double quote and newline; HELP escapes backslash and newline") {
    CHECK(escape_label_value("plain") == "plain");
    CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
    CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
    CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
    CHECK(escape_label_value("tab\there") == "tab\there");
    CHECK(escape_help(R"(a "quoted" \ and)"
                      "\nnext") == R"(a "quoted" \\ and\nnext)");
}

TEST_CASE("values: exact integers, shortest doubles, NaN and infinities as Prometheus spells them") {
    CHECK(format_value(std::uint64_t{0}) == "0");
    CHECK(format_value(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    CHECK(format_value(12.5) == "12.5");
    CHECK(format_value(3.0) == "3");
    CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("declaring enforces names and the _total suffix of counters") {
    MetricSet set;
    CHECK_THROWS_AS(set.declare("bad-name", "x", MetricType::gauge), std::logic_error);
    CHECK_THROWS_AS(set.declare("requests", "x", MetricType::counter), std::logic_error);
    CHECK_THROWS_AS(set.declare("requests_total", "x", MetricType::gauge), std::logic_error);
    set.declare("requests_total", "Requests.", MetricType::counter);
    CHECK_NOTHROW(set.declare("requests_total", "Requests.", MetricType::counter));
    CHECK_THROWS_AS(set.declare("requests_total", "Other help.", MetricType::counter), std::logic_error);
    CHECK_THROWS_AS(set.add("undeclared", {}, std::uint64_t{1}), std::logic_error);
    CHECK_THROWS_AS(set.add("requests_total", {{"bad label", "x"}}, std::uint64_t{1}), std::logic_error);
    CHECK(set.families().size() == 1);
}

TEST_CASE("golden: families in declaration order, each family's samples together, empty ones left out") {
    MetricSet set;
    set.declare("demo_info", "Build facts.", MetricType::gauge);
    set.declare("demo_rx_bytes_total", "Bytes received.", MetricType::counter);
    set.declare("demo_unused", "Never sampled.", MetricType::gauge);
    set.declare("demo_temperature_celsius", "A \\ backslash\nand a newline in help.", MetricType::gauge);
    // Interleaved on purpose: the renderer keeps each family's samples together.
    set.add("demo_rx_bytes_total", {{"peer", "alpha"}}, std::uint64_t{1500});
    set.add("demo_info", {{"version", "1.0"}, {"node", "we\"ird\\na\nme"}}, std::uint64_t{1});
    set.add("demo_rx_bytes_total", {{"peer", "beta"}}, std::uint64_t{0});
    set.add("demo_temperature_celsius", {}, 21.25);

    const std::string expected =
        "# HELP demo_info Build facts.\n"
        "# TYPE demo_info gauge\n"
        "demo_info{version=\"1.0\",node=\"we\\\"ird\\\\na\\nme\"} 1\n"
        "# HELP demo_rx_bytes_total Bytes received.\n"
        "# TYPE demo_rx_bytes_total counter\n"
        "demo_rx_bytes_total{peer=\"alpha\"} 1500\n"
        "demo_rx_bytes_total{peer=\"beta\"} 0\n"
        "# HELP demo_temperature_celsius A \\\\ backslash\\nand a newline in help.\n"
        "# TYPE demo_temperature_celsius gauge\n"
        "demo_temperature_celsius 21.25\n";
    CHECK(render(set) == expected);
    CHECK(render(MetricSet{}).empty());
}
