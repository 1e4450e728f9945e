#include "shared/net/address.hpp"

#include <arpa/inet.h>
#include <random>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

using namespace sluice::net;

namespace {

struct Accept {
    std::string_view input;
    std::string_view canonical;
};

struct Reject {
    std::string_view input;
    std::string_view reason;  // substring of the error message
};

}  // namespace

TEST_CASE("Ipv4Address accepts dotted quads") {
    const Accept rows[] = {
        {"198.19.0.1", "198.19.0.1"},
        {"198.18.255.254", "198.18.255.254"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        // Leading zeros are decimal, as with tinc's sscanf("%hu"): never octal.
        {"198.019.000.010", "198.19.0.10"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = Ipv4Address::parse(row.input);
        REQUIRE(parsed.has_value());
        CHECK(parsed->to_string() == row.canonical);
        CHECK(Ipv4Address::parse(parsed->to_string()) == *parsed);
    }
    CHECK(Ipv4Address::parse("198.19.2.3")->bytes == std::array<std::uint8_t, 4>{198, 19, 2, 3});
}

TEST_CASE("Ipv4Address rejects malformed text with a specific reason") {
    const Reject rows[] = {
        {"", "empty IPv4 address"},
        {"198.19.0", "IPv4 address \"198.19.0\" has only 3 of 4 octets"},
        {"198", "has only 1 of 4 octets"},
        {"198.19.0.0.0", "trailing characters \".0\" after address"},
        {"198.19.0.1.5", "trailing characters \".5\" after address"},
        {"256.0.0.0", "octet \"256\" out of range 0..255"},
        {"198.19.0.999", "octet \"999\" out of range 0..255"},
        {"198.19.0.0010", "octet \"0010\" has more than 3 digits"},
        {"198..0.1", "empty octet in \"198..0.1\""},
        {"198.19.0.", "empty octet in \"198.19.0.\""},
        {".198.19.0", "empty octet"},
        {"+198.19.0.1", "octet \"+198\" is not a decimal number"},
        {"198.-19.0.1", "octet \"-19\" is not a decimal number"},
        {" 198.19.0.1", "octet \" 198\" is not a decimal number"},
        {"198.19.0.1 ", "octet \"1 \" is not a decimal number"},
        {"198.19.0.x", "octet \"x\" is not a decimal number"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = Ipv4Address::parse(row.input);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(row.reason)));
    }
}

TEST_CASE("Ipv6Address accepts RFC 4291 forms and prints RFC 5952 and tinc forms") {
    struct Row {
        std::string_view input;
        std::string_view canonical;
        std::string_view tinc;
    };
    const Row rows[] = {
        {"2001:db8::1", "2001:db8::1", "2001:db8:0:0:0:0:0:1"},
        {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", "2001:db8:0:0:0:0:0:1"},
        {"2001:db8::", "2001:db8::", "2001:db8:0:0:0:0:0:0"},
        {"::", "::", "0:0:0:0:0:0:0:0"},
        {"::2001:db8", "::2001:db8", "0:0:0:0:0:0:2001:db8"},
        // A single zero group stays; the longest run wins; the first run wins a tie.
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::", "2001:db8:0:0:1:0:0:0"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:db8:0:0:1:0:0:1"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"},
        {"2001:db8:1::2:0:0:3", "2001:db8:1:0:2::3", "2001:db8:1:0:2:0:0:3"},
        {"2001:db8:aBcD::fFfF", "2001:db8:abcd::ffff", "2001:db8:abcd:0:0:0:0:ffff"},
        // Dotted-quad suffix, and IPv4-mapped addresses printed back with it.
        {"::ffff:198.19.0.1", "::ffff:198.19.0.1", "0:0:0:0:0:ffff:c613:1"},
        {"::ffff:c613:1", "::ffff:198.19.0.1", "0:0:0:0:0:ffff:c613:1"},
        {"2001:db8:1:2:3:4:198.18.0.1", "2001:db8:1:2:3:4:c612:1", "2001:db8:1:2:3:4:c612:1"},
        {"2001:db8::198.18.0.1", "2001:db8::c612:1", "2001:db8:0:0:0:0:c612:1"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = Ipv6Address::parse(row.input);
        REQUIRE(parsed.has_value());
        CHECK(parsed->to_string() == row.canonical);
        CHECK(parsed->to_tinc_string() == row.tinc);
        CHECK(Ipv6Address::parse(parsed->to_string()) == *parsed);
        CHECK(Ipv6Address::parse(parsed->to_tinc_string()) == *parsed);
    }
}

TEST_CASE("Ipv6Address rejects malformed text with a specific reason") {
    const Reject rows[] = {
        {"", "empty IPv6 address"},
        {"2001:db8::1::2", "more than one \"::\" in IPv6 address \"2001:db8::1::2\""},
        {"2001:db8:::1", "\":::\" in IPv6 address \"2001:db8:::1\""},
        {"1:2:3:4:5:6:7:8:9", "IPv6 address \"1:2:3:4:5:6:7:8:9\" has more than 8 groups"},
        {"2001:db8:1:2::3:4:5:6:7", "has more than 8 groups"},
        {"2001:db8:1:2:3:4:5:6:198.18.0.1", "has more than 8 groups"},
        {"2001:db8:1:2:3:4:5", "IPv6 address \"2001:db8:1:2:3:4:5\" has only 7 of 8 groups"},
        {"2001:db8:1:2::3:4:5:6", "\"::\" in IPv6 address \"2001:db8:1:2::3:4:5:6\" stands for no groups"},
        {"12345::", "group \"12345\" has more than 4 hex digits"},
        {"2001:db8::g", "group \"g\" is not hexadecimal"},
        {"2001:db8::-1", "group \"-1\" is not hexadecimal"},
        {"fe80::1%eth0", "zone index \"%eth0\" not allowed"},
        {"[2001:db8::1]", "group \"[2001\" is not hexadecimal"},
        {":2001:db8:1:2:3:4:5", "starts or ends with a single \":\""},
        {"2001:db8:1:2:3:4:5:", "starts or ends with a single \":\""},
        {"2001:db8::1:", "starts or ends with a single \":\""},
        {"2001:db8::198.18.0.1:1", "dotted quad \"198.18.0.1\" is only allowed at the end"},
        {"2001:db8::198.18.0.256", "octet \"256\" out of range 0..255"},
        {"::ffff:198.18.0", "has only 3 of 4 octets"},
        {"2001:db8:: 1", "group \" 1\" is not hexadecimal"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = Ipv6Address::parse(row.input);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(row.reason)));
    }
}

TEST_CASE("MacAddress accepts one- and two-digit hex groups") {
    const Accept rows[] = {
        {"2:0:0:0:0:a", "2:0:0:0:0:a"},
        {"02:00:00:00:00:0A", "2:0:0:0:0:a"},
        {"fe:ff:ff:ff:ff:ff", "fe:ff:ff:ff:ff:ff"},
        {"0:0:0:0:0:0", "0:0:0:0:0:0"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = MacAddress::parse(row.input);
        REQUIRE(parsed.has_value());
        CHECK(parsed->to_string() == row.canonical);
        CHECK(MacAddress::parse(parsed->to_string()) == *parsed);
    }
}

TEST_CASE("MacAddress rejects malformed text with a specific reason") {
    const Reject rows[] = {
        {"", "empty MAC address"},
        {"2:0:0:0:0", "MAC address \"2:0:0:0:0\" has only 5 of 6 groups"},
        {"2:0:0:0:0:0:0", "trailing characters \":0\" after MAC address"},
        {"2:0:0:0:0:100", "MAC group \"100\" has more than 2 hex digits"},
        {"2:0:0:0:0:g", "MAC group \"g\" is not hexadecimal"},
        {"2:0::0:0:a", "empty MAC group in \"2:0::0:0:a\""},
        {"2-0-0-0-0-a", "MAC group \"2-0-0-0-0-a\" is not hexadecimal"},
    };
    for (const auto& row : rows) {
        INFO(row.input);
        auto parsed = MacAddress::parse(row.input);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(row.reason)));
    }
}

TEST_CASE("error messages quote hostile bytes instead of embedding them") {
    auto parsed = Ipv4Address::parse(std::string_view("198.19.0.\n", 10));
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == "octet \"\\x0a\" is not a decimal number");
}

// Random addresses over the whole space (not just documentation prefixes) so that every
// position and length of zero run is exercised. glibc's inet_ntop implements RFC 5952 too,
// except that it also prints "::a.b.c.d" for IPv4-compatible addresses, which are skipped.
TEST_CASE("Ipv6Address formatting round-trips and matches inet_ntop/inet_pton") {
    std::mt19937 rng(0x5117ceU);
    std::uniform_int_distribution<unsigned> coin(0, 1);
    std::uniform_int_distribution<unsigned> group(0, 0xffff);
    int compared = 0;
    for (int iteration = 0; iteration < 10000; ++iteration) {
        Ipv6Address address;
        for (std::size_t i = 0; i < 8; ++i) {
            // Half the groups zero, so runs of every length and position appear often.
            const unsigned g = coin(rng) != 0 ? 0 : group(rng);
            address.bytes[2 * i] = static_cast<std::uint8_t>(g >> 8U);
            address.bytes[2 * i + 1] = static_cast<std::uint8_t>(g & 0xffU);
        }
        if (iteration % 16 == 0) {  // IPv4-mapped
            std::fill(address.bytes.begin(), address.bytes.begin() + 10, std::uint8_t{0});
            address.bytes[10] = address.bytes[11] = 0xff;
        }
        const std::string text = address.to_string();
        INFO(text);
        REQUIRE(Ipv6Address::parse(text) == address);
        REQUIRE(Ipv6Address::parse(address.to_tinc_string()) == address);

        Ipv6Address from_libc;
        REQUIRE(inet_pton(AF_INET6, text.c_str(), from_libc.bytes.data()) == 1);
        CHECK(from_libc == address);

        const bool ipv4_compatible = std::all_of(address.bytes.begin(), address.bytes.begin() + 10,
                                                 [](std::uint8_t b) { return b == 0; }) &&
                                     address.bytes[10] == 0 && address.bytes[11] == 0;
        if (!ipv4_compatible) {
            char buffer[INET6_ADDRSTRLEN] = {};
            REQUIRE(inet_ntop(AF_INET6, address.bytes.data(), buffer, sizeof buffer) != nullptr);
            CHECK(text == buffer);
            ++compared;
        }
    }
    CHECK(compared > 9000);
}

TEST_CASE("Ipv4Address and MacAddress round-trip for random values") {
    std::mt19937 rng(20240611U);
    std::uniform_int_distribution<unsigned> byte(0, 255);
    for (int iteration = 0; iteration < 10000; ++iteration) {
        Ipv4Address v4;
        for (auto& b : v4.bytes) b = static_cast<std::uint8_t>(byte(rng));
        REQUIRE(Ipv4Address::parse(v4.to_string()) == v4);
        MacAddress mac;
        for (auto& b : mac.bytes) b = static_cast<std::uint8_t>(byte(rng));
        REQUIRE(MacAddress::parse(mac.to_string()) == mac);
    }
}
