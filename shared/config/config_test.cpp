#include "shared/config/config.hpp"

#include <random>

#include <catch2/catch.hpp>

using namespace sluice;
using namespace sluice::config;
using namespace std::string_literals;

namespace {

struct Expected {
    std::string variable;
    std::string value;
    int line;
};

Config config_of(std::string_view text, std::string_view label = "tinc.conf") {
    auto entries = parse(text, label);
    REQUIRE(entries);
    return Config(std::move(*entries));
}

}  // namespace

TEST_CASE("parse accepts every tinc 1.0 syntax form") {
    struct Case {
        std::string name;
        std::string text;
        std::vector<Expected> entries;
    };
    const std::string pem =
        "-----BEGIN RSA PUBLIC KEY-----\n"
        "MIIBCgKCAQEAxU1sCFh0ZmU7+YwR3nTxqZs0l1zUe2lZk5uF0xL6jBv4aK3hJb1u\n"
        "\n"
        "# a comment inside the block is skipped as well\n"
        "Port = 1\n"
        "-----END RSA PUBLIC KEY-----\n";
    const std::vector<Case> cases = {
        {"equals with spaces", "Name = alpha\n", {{"Name", "alpha", 1}}},
        {"equals without spaces", "Name=alpha\n", {{"Name", "alpha", 1}}},
        {"no final newline", "Name = alpha", {{"Name", "alpha", 1}}},
        {"space instead of equals", "Name alpha\n", {{"Name", "alpha", 1}}},
        {"tab instead of equals", "Name\talpha\n", {{"Name", "alpha", 1}}},
        {"tabs around equals", "Name\t=\talpha\n", {{"Name", "alpha", 1}}},
        {"equals glued to the value", "Name =alpha\n", {{"Name", "alpha", 1}}},
        {"equals glued to the name", "Name= alpha\n", {{"Name", "alpha", 1}}},
        {"leading spaces and tabs", "  \t Name = alpha\n", {{"Name", "alpha", 1}}},
        {"trailing spaces and tabs", "Name = alpha \t \n", {{"Name", "alpha", 1}}},
        {"CRLF", "Name = alpha\r\nPort = 655\r\n", {{"Name", "alpha", 1}, {"Port", "655", 2}}},
        {"CRLF after trailing blanks", "Name = alpha \t\r\n", {{"Name", "alpha", 1}}},
        {"case preserved", "cOnNeCtTo = beta\n", {{"cOnNeCtTo", "beta", 1}}},
        {"comments and blank lines count as lines",
         "# tinc.conf\n\n   \n\t# indented comment\nName = alpha\n",
         {{"Name", "alpha", 5}}},
        {"blank CRLF line", "\r\nName = alpha\r\n", {{"Name", "alpha", 2}}},
        {"UTF-8 in a comment", "# n\xc5\x93ud\nName = alpha\n", {{"Name", "alpha", 2}}},
        {"spaces inside the value are kept",
         "Address = 198.18.0.2   655\n",
         {{"Address", "198.18.0.2   655", 1}}},
        {"a second equals belongs to the value", "Name = = alpha\n", {{"Name", "= alpha", 1}}},
        {"hash after a value is not a comment", "Port = 655 # tinc\n", {{"Port", "655 # tinc", 1}}},
        {"value with equals and colons",
         "Proxy = exec ssh -W %h:%p gw=1\n",
         {{"Proxy", "exec ssh -W %h:%p gw=1", 1}}},
        {"repeated variables all kept",
         "ConnectTo = beta\nConnectTo = gamma\nConnectTo = beta\n",
         {{"ConnectTo", "beta", 1}, {"ConnectTo", "gamma", 2}, {"ConnectTo", "beta", 3}}},
        {"empty text", "", {}},
        {"only blank lines", "\n\n\r\n", {}},
        {"PEM block in a host file",
         "Address = 198.18.0.2 655\nSubnet = 198.19.2.0/24\n" + pem + "Port = 655\n",
         {{"Address", "198.18.0.2 655", 1}, {"Subnet", "198.19.2.0/24", 2}, {"Port", "655", 9}}},
        {"PEM block with CRLF",
         "-----BEGIN PUBLIC KEY-----\r\nMIIB\r\n-----END PUBLIC KEY-----\r\nPort = 655\r\n",
         {{"Port", "655", 4}}},
        {"indented PEM markers",
         "  -----BEGIN RSA PUBLIC KEY-----\nMIIB\n  -----END RSA PUBLIC KEY-----\n",
         {}},
        {"two PEM blocks", pem + pem + "Port = 655\n", {{"Port", "655", 13}}},
        {"missing variable name is kept for the validator", "= alpha\n", {{"", "alpha", 1}}},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            auto entries = parse(c.text, "hosts/alpha");
            REQUIRE(entries);
            REQUIRE(entries->size() == c.entries.size());
            for (size_t i = 0; i < c.entries.size(); ++i) {
                CHECK((*entries)[i].variable == c.entries[i].variable);
                CHECK((*entries)[i].value == c.entries[i].value);
                CHECK((*entries)[i].line == c.entries[i].line);
                CHECK((*entries)[i].file == "hosts/alpha");
            }
        }
    }
}

TEST_CASE("parse rejects malformed lines with FILE:LINE: reason") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Port\n", "hosts/alpha:1: no value for variable \"Port\""},
        {"Port =\n", "hosts/alpha:1: no value for variable \"Port\""},
        {"Port = \t \r\n", "hosts/alpha:1: no value for variable \"Port\""},
        {"# comment\n\nPort=", "hosts/alpha:3: no value for variable \"Port\""},
        {"=\n", "hosts/alpha:1: no value for variable \"\""},
        {"-----BEGIN RSA PUBLIC KEY-----\nMIIB\n", "hosts/alpha:1: PEM block has no \"-----END\" line"},
        {"Port = 655\n\n-----BEGIN RSA PUBLIC KEY-----\nMIIB\nPort = 656\n",
         "hosts/alpha:3: PEM block has no \"-----END\" line"},
        {"Name = al\0pha\n"s, "hosts/alpha:1: NUL byte in line"},
        {"# a comment with a \0 NUL\n"s, "hosts/alpha:1: NUL byte in line"},
        {"Name = alpha\nPort = 6\x01"
         "55\n",
         "hosts/alpha:2: control character 0x01 in line"},
        {"Name = al\rpha\n", "hosts/alpha:1: control character 0x0d in line"},
        {"Name = alpha\x7f\n", "hosts/alpha:1: control character 0x7f in line"},
        {"\x1b[31mName = alpha\n", "hosts/alpha:1: control character 0x1b in line"},
        {"Name = alpha\fbeta\n", "hosts/alpha:1: control character 0x0c in line"},
        {"Name\v= alpha\n", "hosts/alpha:1: control character 0x0b in line"},
    };
    for (const auto& [text, message] : cases) {
        CAPTURE(text);
        auto entries = parse(text, "hosts/alpha");
        REQUIRE_FALSE(entries);
        CHECK(entries.error().message == message);
    }
}

TEST_CASE("Entry::location is FILE:LINE") {
    CHECK(Entry{"Port", "655", "hosts/alpha", 3}.location() == "hosts/alpha:3");
}

TEST_CASE("lookup is case-insensitive and follows tinc's order") {
    Config config = config_of("ConnectTo = beta\nconnectto = gamma\nPort = 655\n");
    CHECK(config.all("CONNECTTO").size() == 2);
    REQUIRE(config.first("connectTo") != nullptr);
    CHECK(config.first("connectTo")->value == "beta");
    CHECK(config.first("Mode") == nullptr);
    CHECK(config.all("Mode").empty());

    SECTION("across merged files the lowest line wins, then the file label, like tinc's config tree") {
        Config merged = config_of("Name = alpha\n\n\nPort = 656\nSubnet = 198.19.9.0/24\n");
        auto own = parse("Port = 655\nSubnet = 198.19.1.0/24\n\n\n\nSubnet = 198.19.2.0/24\n", "hosts/alpha");
        REQUIRE(own);
        merged.add(std::move(*own));
        CHECK(merged.entries().front().file == "tinc.conf");  // insertion order is kept
        REQUIRE(merged.first("Port") != nullptr);
        CHECK(merged.first("Port")->location() == "hosts/alpha:1");
        auto subnets = merged.all("Subnet");
        REQUIRE(subnets.size() == 3);
        CHECK(subnets[0]->location() == "hosts/alpha:2");
        CHECK(subnets[1]->location() == "tinc.conf:5");
        CHECK(subnets[2]->location() == "hosts/alpha:6");

        Config tie = config_of("Port = 656\n");
        auto host = parse("Port = 655\n", "hosts/alpha");
        REQUIRE(host);
        tie.add(std::move(*host));
        CHECK(tie.first("Port")->value == "655");  // "hosts/alpha" sorts before "tinc.conf"
    }
}

TEST_CASE("typed accessors") {
    Config config = config_of(
        "DecrementTTL = YES\nTCPOnly = maybe\nPingInterval = 30\nPingTimeout = 7 # seconds\n"
        "MaxTimeout = soon\nCompression = 12\nKeyExpire = 99999999999\nMode = Switch\nForwarding = fast\n"
        "Device = /dev/net/tun\n");

    SECTION("get_string") {
        CHECK(config.get_string("device", "x").value() == "/dev/net/tun");
        CHECK(config.get_string("Interface", "sluice0").value() == "sluice0");
    }
    SECTION("get_bool") {
        CHECK(config.get_bool("DecrementTTL", false).value() == true);
        CHECK(config.get_bool("DirectOnly", true).value() == true);
        auto bad = config.get_bool("TCPOnly", false);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message == "tinc.conf:2: invalid TCPOnly \"maybe\": expected yes or no");
    }
    SECTION("get_int") {
        CHECK(config.get_int("PingInterval", 60, 1, 3600).value() == 30);
        CHECK(config.get_int("PingTimeout", 5, 1, 3600).value() == 7);  // like sscanf("%d")
        CHECK(config.get_int("MACExpire", 600, 1, 3600).value() == 600);
        CHECK(config.get_int("MaxTimeout", 900, 1, 3600).error().message ==
              "tinc.conf:5: invalid MaxTimeout \"soon\": expected an integer");
        CHECK(config.get_int("Compression", 0, 0, 11).error().message ==
              "tinc.conf:6: invalid Compression \"12\": must be between 0 and 11");
        CHECK(config.get_int("KeyExpire", 3600, 1, std::numeric_limits<int>::max()).error().message ==
              "tinc.conf:7: invalid KeyExpire \"99999999999\": out of range for a 32-bit integer");
    }
    SECTION("get_choice") {
        static constexpr std::array<std::string_view, 3> modes = {"router", "switch", "hub"};
        static constexpr std::array<std::string_view, 3> forwarding = {"off", "internal", "kernel"};
        CHECK(config.get_choice("Mode", "router", modes).value() == "switch");
        CHECK(config.get_choice("Broadcast", "mst", modes).value() == "mst");
        CHECK(config.get_choice("Forwarding", "internal", forwarding).error().message ==
              "tinc.conf:9: invalid Forwarding \"fast\": expected off, internal or kernel");
    }
}

TEST_CASE("get_subnets parses every Subnet and requires zero host bits") {
    SECTION("valid") {
        Config config = config_of(
            "Subnet = 198.19.1.0/24\nsubnet = 198.19.2.1\nSubnet = 2001:db8:1::/48#5\nSubnet = 2:0:0:0:0:a\n",
            "hosts/alpha");
        auto subnets = config.get_subnets();
        REQUIRE(subnets);
        REQUIRE(subnets->size() == 4);
        CHECK((*subnets)[0].to_display_string() == "198.19.1.0/24");
        CHECK((*subnets)[1].to_display_string() == "198.19.2.1");
        CHECK((*subnets)[2].weight == 5);
        CHECK((*subnets)[3].type() == net::SubnetType::mac);
        CHECK(config_of("Port = 655\n").get_subnets().value().empty());
    }
    SECTION("invalid") {
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"Name = alpha\nPort = 655\nSubnet = 198.19.0.0/33\n",
             "hosts/alpha:3: invalid Subnet \"198.19.0.0/33\": prefix longer than 32"},
            {"Subnet = 198.19.0.0/24\nSubnet = 198.19.0.1/24\n",
             "hosts/alpha:2: invalid Subnet \"198.19.0.1/24\": network address and prefix length do not "
             "match"},
            {"Subnet = 2001:db8::1/32\n",
             "hosts/alpha:1: invalid Subnet \"2001:db8::1/32\": network address and prefix length do not "
             "match"},
        };
        for (const auto& [text, message] : cases) {
            auto subnets = config_of(text, "hosts/alpha").get_subnets();
            REQUIRE_FALSE(subnets);
            CHECK(subnets.error().message == message);
        }
        auto garbage = config_of("Subnet = 198.19.0.0/24x\n", "hosts/alpha").get_subnets();
        REQUIRE_FALSE(garbage);
        CHECK(garbage.error().message == "hosts/alpha:1: invalid Subnet \"198.19.0.0/24x\": " +
                                             net::Subnet::parse("198.19.0.0/24x").error().message);
    }
}

TEST_CASE("parse is total: random bytes give entries or one error line, never a crash") {
    std::mt19937 rng(1036);
    std::string alphabet = "Name =\t#-BEGINEND\r\n ab12$";
    alphabet += std::string("\0\x01\x7f\xc3", 4);
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        size_t length = rng() % 200;
        for (size_t i = 0; i < length; ++i) text += alphabet[rng() % alphabet.size()];
        auto entries = parse(text, "fuzz");
        if (!entries) {
            CHECK(entries.error().message.starts_with("fuzz:"));
            CHECK(entries.error().message.find('\n') == std::string::npos);
            continue;
        }
        for (const Entry& e : *entries) {
            CHECK_FALSE(e.value.empty());
            CHECK(e.variable.find_first_of(" \t=") == std::string::npos);
            CHECK(e.line >= 1);
        }
    }
}
