#include "shared/log/log.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>

using namespace sluice::log;

TEST_CASE("tinc debug levels map onto spdlog severities") {
    struct Row {
        Level level;
        spdlog::level::level_enum severity;
    };
    const Row rows[] = {
        {Level::always, spdlog::level::info},         {Level::connections, spdlog::level::debug},
        {Level::status, spdlog::level::debug},        {Level::requests, spdlog::level::trace},
        {Level::request_lines, spdlog::level::trace}, {Level::traffic, spdlog::level::trace},
        {Level::scary, spdlog::level::trace},
    };
    for (const auto& row : rows) CHECK(severity_for(row.level) == row.severity);
}

TEST_CASE("messages above the debug level are filtered, errors always pass") {
    std::ostringstream out;
    set_sink_for_tests(std::make_shared<spdlog::sinks::ostream_sink_st>(out));

    set_debug_level(1);
    at(Level::connections, "connected to {}", "beta");
    at(Level::requests, "got {}", "ADD_EDGE");
    error("hosts/alpha:3: bad");
    warn("careful");

    const std::string text = out.str();
    CHECK(text.find("debug: connected to beta") != std::string::npos);
    CHECK(text.find("ADD_EDGE") == std::string::npos);
    CHECK(text.find("error: hosts/alpha:3: bad") != std::string::npos);
    CHECK(text.find("warning: careful") != std::string::npos);

    set_debug_level(5);
    at(Level::requests, "got {}", "ADD_EDGE");
    CHECK(out.str().find("trace: got ADD_EDGE") != std::string::npos);
    set_debug_level(-3);
    CHECK(debug_level() == 0);
}

TEST_CASE("reopen starts a new file after the old one was moved away") {
    char pattern[] = "/tmp/sluice-log-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    const std::string dir = pattern;
    Options options;
    options.logfile = dir + "/sluiced.log";
    init(options);
    info("before rotation");
    REQUIRE(std::rename(options.logfile.c_str(), (options.logfile + ".1").c_str()) == 0);
    reopen();
    info("after rotation");
    std::ifstream fresh(options.logfile);
    const std::string text{std::istreambuf_iterator<char>(fresh), {}};
    CHECK(text.find("after rotation") != std::string::npos);
    CHECK(text.find("before rotation") == std::string::npos);
    std::filesystem::remove_all(dir);
}
