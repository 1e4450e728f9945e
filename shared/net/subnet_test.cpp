#include "shared/net/subnet.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

using namespace sluice::net;

namespace {

Subnet must_parse(std::string_view text) {
    auto parsed = Subnet::parse(text);
    INFO(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::string error_of(std::string_view text) {
    auto parsed = Subnet::parse(text);
    INFO(text);
    REQUIRE_FALSE(parsed.has_value());
    return parsed.error().message;
}

Ipv4Address v4(std::string_view text) {
    return *Ipv4Address::parse(text);
}
Ipv6Address v6(std::string_view text) {
    return *Ipv6Address::parse(text);
}

struct Accept {
    std::string_view input;
    std::string_view wire;     // to_string(): tinc's net2str
    std::string_view display;  // to_display_string()
};

const Accept accepts[] = {
    {"198.19.0.0/24", "198.19.0.0/24#10", "198.19.0.0/24"},
    {"198.19.0.1", "198.19.0.1/32#10", "198.19.0.1"},
    {"198.19.0.1#5", "198.19.0.1/32#5", "198.19.0.1#5"},
    {"198.19.0.0/24#5", "198.19.0.0/24#5", "198.19.0.0/24#5"},
    {"198.19.0.1/32#10", "198.19.0.1/32#10", "198.19.0.1"},
    {"198.18.0.0/15#-3", "198.18.0.0/15#-3", "198.18.0.0/15#-3"},
    {"198.19.0.1/24", "198.19.0.1/24#10", "198.19.0.1/24"},  // host bits are the caller's check
    {"0.0.0.0/0", "0.0.0.0/0#10", "0.0.0.0/0"},
    {"255.255.255.255", "255.255.255.255/32#10", "255.255.255.255"},
    // Leading zeros everywhere read as decimal, as tinc's sscanf("%d"/"%hu") does.
    {"198.019.000.010/024#007", "198.19.0.10/24#7", "198.19.0.10/24#7"},
    {"198.19.0.1#0", "198.19.0.1/32#0", "198.19.0.1#0"},
    {"198.19.0.1#2147483647", "198.19.0.1/32#2147483647", "198.19.0.1#2147483647"},
    {"198.19.0.1#-2147483648", "198.19.0.1/32#-2147483648", "198.19.0.1#-2147483648"},
    {"2001:db8::/32#7", "2001:db8:0:0:0:0:0:0/32#7", "2001:db8::/32#7"},
    {"2001:db8::/32", "2001:db8:0:0:0:0:0:0/32#10", "2001:db8::/32"},
    {"2001:db8::1", "2001:db8:0:0:0:0:0:1/128#10", "2001:db8::1"},
    {"2001:DB8:0:0:0:0:0:1/128#10", "2001:db8:0:0:0:0:0:1/128#10", "2001:db8::1"},
    {"2001:0db8:0000:0001:0000:0000:0000:0000/64", "2001:db8:0:1:0:0:0:0/64#10", "2001:db8:0:1::/64"},
    {"2001:db8::198.18.0.1/120#1", "2001:db8:0:0:0:0:c612:1/120#1", "2001:db8::c612:1/120#1"},
    {"::/0", "0:0:0:0:0:0:0:0/0#10", "::/0"},
    {"::ffff:198.19.0.1", "0:0:0:0:0:ffff:c613:1/128#10", "::ffff:198.19.0.1"},
    {"2:0:0:0:0:a#10", "2:0:0:0:0:a#10", "2:0:0:0:0:a"},
    {"02:00:00:00:00:0A", "2:0:0:0:0:a#10", "2:0:0:0:0:a"},
    {"fe:ff:ff:ff:ff:ff#3", "fe:ff:ff:ff:ff:ff#3", "fe:ff:ff:ff:ff:ff#3"},
};

struct Reject {
    std::string_view input;
    std::string_view reason;  // substring of the error message
};

const Reject rejects[] = {
    {"", "empty subnet"},
    {"198.19.0", "IPv4 address \"198.19.0\" has only 3 of 4 octets"},
    {"198.19.0.0.0", "trailing characters \".0\" after address"},
    {"198.19.0.1.5/32", "trailing characters \".5\" after address"},
    {"256.0.0.0", "octet \"256\" out of range 0..255"},
    {"198.19.0.0/33", "prefix longer than 32"},
    {"198.19.0.0/99999999999999999999", "prefix longer than 32"},
    {"198.19.0.0/", "empty prefix length after \"/\""},
    {"198.19.0.0/-1", "prefix length \"-1\" is not a decimal number"},
    {"198.19.0.0/+24", "prefix length \"+24\" is not a decimal number"},
    {"198.19.0.0/24x", "prefix length \"24x\" is not a decimal number"},
    {"198.19.0.0/24/24", "prefix length \"24/24\" is not a decimal number"},
    {"198.19.0.0#", "empty weight after \"#\""},
    {"198.19.0.0#abc", "weight \"abc\" is not a number"},
    {"198.19.0.0/24#10x", "weight \"10x\" is not a number"},
    {"198.19.0.0#-", "weight \"-\" is not a number"},
    {"198.19.0.0#+5", "weight \"+5\" is not a number"},
    {"198.19.0.0#--5", "weight \"--5\" is not a number"},
    {"198.19.0.0#5#6", "weight \"5#6\" is not a number"},
    {"198.19.0.0#5/24", "weight \"5/24\" is not a number"},  // tinc splits at '#' first
    {"198.19.0.0#2147483648", "weight \"2147483648\" out of range for a 32-bit integer"},
    {"198.19.0.0#-2147483649", "weight \"-2147483649\" out of range for a 32-bit integer"},
    {" 198.19.0.1", "whitespace or control character in \" 198.19.0.1\""},
    {"198.19.0.1 #5", "whitespace or control character in \"198.19.0.1 #5\""},
    {"198.19.0.1\t", "whitespace or control character in \"198.19.0.1\\x09\""},
    {"198.19.0.1\r", "whitespace or control character in \"198.19.0.1\\x0d\""},
    {"/24", "missing address in \"/24\""},
    {"#5", "missing address in \"#5\""},
    {"abc", "\"abc\" is not an IPv4, IPv6 or MAC address"},
    {"198", "\"198\" is not an IPv4, IPv6 or MAC address"},
    {"2001:db8::1::2", "more than one \"::\" in IPv6 address \"2001:db8::1::2\""},
    {"2001:db8:::1", "\":::\" in IPv6 address \"2001:db8:::1\""},
    {"1:2:3:4:5:6:7:8:9", "IPv6 address \"1:2:3:4:5:6:7:8:9\" has more than 8 groups"},
    {"2001:db8::/129", "prefix longer than 128"},
    {"2001:db8::/", "empty prefix length after \"/\""},
    {"12345::", "group \"12345\" has more than 4 hex digits"},
    {"2001:db8::g", "group \"g\" is not hexadecimal"},
    {"fe80::1%eth0", "zone index \"%eth0\" not allowed in IPv6 address"},
    {"2:0:0:0:0", "\"2:0:0:0:0\" has 5 groups: a MAC address needs 6, an IPv6 address 8 or a \"::\""},
    {"2:0:0:0:0:0:0", "\"2:0:0:0:0:0:0\" has 7 groups"},
    {"2:0:0:0:0:100", "MAC group \"100\" has more than 2 hex digits"},
    {"2:0:0:0:0:a/48", "MAC address takes no prefix length"},
    {"2:0:0:0:0:a/", "MAC address takes no prefix length"},
    {"2:0:0:0:0:a#x", "weight \"x\" is not a number"},
};

}  // namespace

TEST_CASE("Subnet::parse accepts tinc's forms and formats them for the wire and for people") {
    for (const auto& row : accepts) {
        INFO(row.input);
        const Subnet subnet = must_parse(row.input);
        CHECK(subnet.to_string() == row.wire);
        CHECK(subnet.to_display_string() == row.display);
        CHECK(Subnet::parse(subnet.to_string()) == subnet);
        CHECK(Subnet::parse(subnet.to_display_string()) == subnet);
        CHECK(Subnet::parse(row.wire) == subnet);
        CHECK(Subnet::parse(row.display) == subnet);
    }
}

TEST_CASE("Subnet::parse fills in family, default prefix and default weight") {
    const Subnet v4_host = must_parse("198.19.0.1");
    CHECK(v4_host.type() == SubnetType::ipv4);
    CHECK(v4_host.prefix_length == 32);
    CHECK(v4_host.weight == Subnet::default_weight);
    CHECK(std::get<Ipv4Address>(v4_host.address) == v4("198.19.0.1"));

    const Subnet v6_net = must_parse("2001:db8::/48#-7");
    CHECK(v6_net.type() == SubnetType::ipv6);
    CHECK(v6_net.prefix_length == 48);
    CHECK(v6_net.weight == -7);
    CHECK(must_parse("2001:db8::").prefix_length == 128);

    const Subnet mac = must_parse("2:0:0:0:0:a#3");
    CHECK(mac.type() == SubnetType::mac);
    CHECK(mac.prefix_length == 48);
    CHECK(mac.weight == 3);
    CHECK(std::get<MacAddress>(mac.address).bytes == std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 10});
}

TEST_CASE("Subnet::parse rejects malformed subnets with a specific reason") {
    for (const auto& row : rejects) {
        INFO(row.input);
        auto parsed = Subnet::parse(row.input);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(row.reason)));
    }
}

TEST_CASE("Subnet errors read well once the caller adds context") {
    auto parsed = Subnet::parse("198.19.0.0/33");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == "prefix longer than 32");
    CHECK(parsed.error().with_context("hosts/alpha:3: invalid Subnet \"198.19.0.0/33\"").message ==
          "hosts/alpha:3: invalid Subnet \"198.19.0.0/33\": prefix longer than 32");
    CHECK(error_of("2001:db8::/129") == "prefix longer than 128");
    CHECK(error_of("2:0:0:0:0:a/48") == "MAC address takes no prefix length");
}

TEST_CASE("Subnet::host_bits_zero") {
    struct Row {
        std::string_view input;
        bool zero;
    };
    const Row rows[] = {
        {"198.19.0.0/24", true},       {"198.19.0.1/24", false},  {"198.18.0.0/15", true},
        {"198.19.0.0/15", false},      {"198.19.0.1", true},      {"0.0.0.0/0", true},
        {"198.19.0.1/0", false},       {"255.255.255.255", true}, {"255.255.255.255/31", false},
        {"2001:db8::/32", true},       {"2001:db8::1/64", false}, {"2001:db8:8000::/33", true},
        {"2001:db8:8000::/32", false}, {"2001:db8::1", true},     {"::/0", true},
        {"2:0:0:0:0:a", true},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        CHECK(must_parse(row.input).host_bits_zero() == row.zero);
    }
}

TEST_CASE("Subnet::contains matches family and prefix") {
    // Both edges of the prefix, and the addresses just outside, all within 198.18.0.0/15.
    const Subnet net17 = must_parse("198.18.128.0/17");
    CHECK(net17.contains(v4("198.18.128.0")));
    CHECK(net17.contains(v4("198.18.255.255")));
    CHECK_FALSE(net17.contains(v4("198.19.0.0")));
    CHECK_FALSE(net17.contains(v4("198.18.127.255")));
    CHECK_FALSE(net17.contains(v6("2001:db8::1")));
    CHECK(must_parse("0.0.0.0/0").contains(v4("198.19.0.1")));
    CHECK(must_parse("198.19.0.1").contains(v4("198.19.0.1")));
    CHECK_FALSE(must_parse("198.19.0.1").contains(v4("198.19.0.2")));

    const Subnet net33 = must_parse("2001:db8::/33");
    CHECK(net33.contains(v6("2001:db8:7fff:ffff::1")));
    CHECK_FALSE(net33.contains(v6("2001:db8:8000::")));
    CHECK_FALSE(net33.contains(v6("2001:db9::")));
    CHECK_FALSE(net33.contains(v4("198.19.0.1")));
    CHECK(must_parse("::/0").contains(v6("2001:db8::1")));
    CHECK(must_parse("2001:db8::1").contains(v6("2001:db8::1")));
    CHECK_FALSE(must_parse("2001:db8::1").contains(v6("2001:db8::2")));

    const Subnet mac = must_parse("2:0:0:0:0:a");
    CHECK_FALSE(mac.contains(v4("198.19.0.1")));
    CHECK_FALSE(mac.contains(v6("2001:db8::1")));
}

TEST_CASE("Subnet equality is structural and ordering works as a map key") {
    CHECK(must_parse("198.19.0.1") == must_parse("198.19.0.1/32#10"));
    CHECK(must_parse("198.19.0.1") != must_parse("198.19.0.1#5"));
    CHECK(must_parse("198.19.0.0/24") != must_parse("198.19.0.0/25"));
    CHECK(must_parse("2001:db8::1") == must_parse("2001:db8:0:0:0:0:0:1/128#10"));

    std::map<Subnet, int> owners;
    owners[must_parse("198.19.0.0/24")] = 1;
    owners[must_parse("198.19.0.0/24#10")] = 2;
    owners[must_parse("2001:db8::/32")] = 3;
    owners[must_parse("2:0:0:0:0:a")] = 4;
    CHECK(owners.size() == 3);
    CHECK(owners.at(must_parse("198.19.0.0/24")) == 2);
}

// Random Subnets inside the documentation ranges (plus random MACs) with every prefix
// length and weights across the whole int32 range.
TEST_CASE("Subnet round-trips through both string forms for random values") {
    std::mt19937 rng(0x5ab4e7U);
    std::uniform_int_distribution<unsigned> byte(0, 255);
    std::uniform_int_distribution<unsigned> coin(0, 1);
    std::uniform_int_distribution<int> family(0, 2);
    std::uniform_int_distribution<int> any_weight(std::numeric_limits<int>::min(),
                                                  std::numeric_limits<int>::max());
    std::uniform_int_distribution<int> small_weight(-20, 20);

    for (int iteration = 0; iteration < 10000; ++iteration) {
        Subnet subnet;
        switch (family(rng)) {
            case 0: {
                MacAddress mac;
                for (auto& b : mac.bytes) b = static_cast<std::uint8_t>(byte(rng));
                subnet.address = mac;
                subnet.prefix_length = 48;
                break;
            }
            case 1: {
                Ipv4Address addr{{198, static_cast<std::uint8_t>(18 + coin(rng)), 0, 0}};
                addr.bytes[2] = static_cast<std::uint8_t>(byte(rng));
                addr.bytes[3] = static_cast<std::uint8_t>(byte(rng));
                subnet.address = addr;
                subnet.prefix_length = std::uniform_int_distribution<int>(0, 32)(rng);
                break;
            }
            default: {
                Ipv6Address addr = v6("2001:db8::");
                for (std::size_t i = 4; i < 16; i += 2) {
                    if (coin(rng) != 0) continue;  // keep zero runs common, to exercise "::"
                    addr.bytes[i] = static_cast<std::uint8_t>(byte(rng));
                    addr.bytes[i + 1] = static_cast<std::uint8_t>(byte(rng));
                }
                subnet.address = addr;
                subnet.prefix_length = std::uniform_int_distribution<int>(0, 128)(rng);
                break;
            }
        }
        switch (iteration % 3) {
            case 0:
                subnet.weight = Subnet::default_weight;
                break;
            case 1:
                subnet.weight = small_weight(rng);
                break;
            default:
                subnet.weight = any_weight(rng);
                break;
        }

        const std::string wire = subnet.to_string();
        const std::string display = subnet.to_display_string();
        INFO(wire << " / " << display);
        REQUIRE(Subnet::parse(wire) == subnet);
        REQUIRE(Subnet::parse(display) == subnet);
        CHECK(wire.find('#') != std::string::npos);
        if (subnet.type() == SubnetType::ipv4) CHECK(subnet.contains(std::get<Ipv4Address>(subnet.address)));
        if (subnet.type() == SubnetType::ipv6) CHECK(subnet.contains(std::get<Ipv6Address>(subnet.address)));
    }
}
