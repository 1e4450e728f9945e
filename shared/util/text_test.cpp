#include "shared/util/text.hpp"

#include <catch2/catch.hpp>

using namespace sluice::text;

TEST_CASE("trim strips spaces, tabs and CR/LF on both ends") {
    CHECK(trim("  a b \t\r\n") == "a b");
    CHECK(trim("") == "");
    CHECK(trim(" \t ") == "");
}

TEST_CASE("iequals and starts_with_icase ignore ASCII case") {
    CHECK(iequals("ConnectTo", "connectto"));
    CHECK_FALSE(iequals("ConnectTo", "ConnectT"));
    CHECK(starts_with_icase("-----BEGIN RSA", "-----begin"));
}

TEST_CASE("split_whitespace drops empty tokens") {
    auto t = split_whitespace("  198.18.0.1\t 655  ");
    REQUIRE(t.size() == 2);
    CHECK(t[0] == "198.18.0.1");
    CHECK(t[1] == "655");
}

TEST_CASE("quote escapes control and non-ASCII bytes") {
    CHECK(quote("abc") == "\"abc\"");
    CHECK(quote(std::string_view("a\nb\x01", 4)) == "\"a\\x0ab\\x01\"");
    CHECK(quote("q\"") == "\"q\\\"\"");
}

TEST_CASE("node names follow tinc's [A-Za-z0-9_]+") {
    CHECK(is_valid_node_name("alpha_1"));
    CHECK_FALSE(is_valid_node_name(""));
    CHECK_FALSE(is_valid_node_name("al-pha"));
    CHECK_FALSE(is_valid_node_name("a b"));
    CHECK_FALSE(is_valid_node_name("ü"));
}
