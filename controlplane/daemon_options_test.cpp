#include "controlplane/daemon_options.hpp"

#include <catch2/catch.hpp>

using sluice::controlplane::parse_daemon_options;

namespace {
std::vector<std::string> args(std::initializer_list<const char*> a) {
    std::vector<std::string> v{"sluiced"};
    for (const char* s : a) v.emplace_back(s);
    return v;
}
}  // namespace

TEST_CASE("tincd-style options are accepted") {
    auto o = parse_daemon_options(args({"-c", "/tmp/x", "-D", "-d5", "--logfile", "--pidfile=/tmp/p"}));
    REQUIRE(o);
    CHECK(o->confdir == "/tmp/x");
    CHECK(o->foreground);
    CHECK(o->debug_level == 5);
    CHECK(o->logfile == "");
    CHECK(o->pidfile == "/tmp/p");

    auto repeated = parse_daemon_options(args({"-d", "-d", "-n", "vpn", "--logfile=/tmp/l"}));
    REQUIRE(repeated);
    CHECK(repeated->debug_level == 2);
    CHECK(repeated->netname == "vpn");
    CHECK(repeated->logfile == "/tmp/l");

    auto joined = parse_daemon_options(args({"-c/tmp/y", "--debug=3"}));
    REQUIRE(joined);
    CHECK(joined->confdir == "/tmp/y");
    CHECK(joined->debug_level == 3);
}

TEST_CASE("bad options are refused with the offending argument named") {
    struct Row {
        std::vector<std::string> argv;
        const char* reason;
    };
    const Row rows[] = {
        {args({"-x"}), "unknown argument \"-x\""},
        {args({"-d11"}), "invalid debug level \"11\""},
        {args({"-dfoo"}), "invalid debug level \"foo\""},
        {args({"-c"}), "option -c needs a value"},
        {args({"-c", "/a", "-n", "b"}), "either -c DIR or -n NETNAME"},
        {args({"--logfile="}), "--logfile= needs a file name"},
    };
    for (const auto& row : rows) {
        auto o = parse_daemon_options(row.argv);
        REQUIRE_FALSE(o);
        CHECK_THAT(o.error().message, Catch::Contains(row.reason));
    }
}
