#include "shared/crypto/pem.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "shared/crypto/test_printing.hpp"

using namespace sluice::crypto;

TEST_CASE("find_pem_block finds a block between config lines") {
    const std::string text =
        "Address = 198.18.0.1\n"
        "\n"
        "-----BEGIN RSA PUBLIC KEY-----\n"
        "QUJD\n"
        "REVG\n"
        "-----END RSA PUBLIC KEY-----\n"
        "Port = 655\n";
    auto r = find_pem_block(text, "RSA PUBLIC KEY");
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->line == 3);
    CHECK((*r)->body == "QUJD\nREVG\n");
    CHECK((*r)->text == "-----BEGIN RSA PUBLIC KEY-----\nQUJD\nREVG\n-----END RSA PUBLIC KEY-----\n");
}

TEST_CASE("find_pem_block ignores OLD blocks and other labels") {
    const std::string text =
        "-----BEGIN OLD RSA PUBLIC KEY-----\n"
        "b2xk\n"
        "-----END OLD RSA PUBLIC KEY-----\n"
        "-----BEGIN PUBLIC KEY-----\n"
        "c3BraQ==\n"
        "-----END PUBLIC KEY-----\n"
        "-----BEGIN RSA PUBLIC KEY-----\n"
        "bmV3\n"
        "-----END RSA PUBLIC KEY-----";  // no final newline
    auto rsa = find_pem_block(text, "RSA PUBLIC KEY");
    REQUIRE(rsa);
    REQUIRE(*rsa);
    CHECK((*rsa)->line == 7);
    CHECK((*rsa)->body == "bmV3\n");
    CHECK((*rsa)->text.ends_with("-----END RSA PUBLIC KEY-----"));

    auto spki = find_pem_block(text, "PUBLIC KEY");
    REQUIRE(spki);
    REQUIRE(*spki);
    CHECK((*spki)->line == 4);
    CHECK((*spki)->body == "c3BraQ==\n");
}

TEST_CASE("find_pem_block tolerates CRLF and trailing blanks but needs column 0") {
    const std::string crlf = "\r\n-----BEGIN X-----  \r\nQQ==\r\n-----END X-----\r\n";
    auto r = find_pem_block(crlf, "X");
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->line == 2);
    CHECK((*r)->body == "QQ==\r\n");

    auto indented = find_pem_block(" -----BEGIN X-----\nQQ==\n -----END X-----\n", "X");
    REQUIRE(indented);
    CHECK_FALSE(*indented);
}

TEST_CASE("find_pem_block reports absence and unterminated blocks") {
    auto none = find_pem_block("Name = alpha\n", "RSA PRIVATE KEY");
    REQUIRE(none);
    CHECK_FALSE(*none);

    auto open = find_pem_block("\n-----BEGIN RSA PRIVATE KEY-----\nQUJD\n", "RSA PRIVATE KEY");
    REQUIRE_FALSE(open);
    CHECK(
        open.error().message ==
        "line 2: \"-----BEGIN RSA PRIVATE KEY-----\" has no matching \"-----END RSA PRIVATE KEY-----\" line");
}
