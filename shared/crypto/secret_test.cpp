#include "shared/crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include <catch2/catch.hpp>

#include "shared/crypto/test_printing.hpp"

using sluice::crypto::SecretBuffer;

TEST_CASE("SecretBuffer starts zero-filled and exposes its bytes") {
    SecretBuffer empty;
    CHECK(empty.empty());
    CHECK(empty.size() == 0);
    CHECK(empty.view().empty());

    SecretBuffer b(16);
    REQUIRE(b.size() == 16);
    for (std::uint8_t byte : b.span()) CHECK(byte == 0);
    b.data()[3] = 7;
    CHECK(b.span()[3] == 7);
}

TEST_CASE("SecretBuffer copy_of, view and constant-time equals") {
    const std::array<std::uint8_t, 3> bytes{'a', 'b', 'c'};
    SecretBuffer b = SecretBuffer::copy_of(bytes);
    CHECK(b.view() == "abc");
    CHECK(b.equals(bytes));
    CHECK_FALSE(b.equals(std::array<std::uint8_t, 3>{'a', 'b', 'd'}));
    CHECK_FALSE(b.equals(std::array<std::uint8_t, 2>{'a', 'b'}));
    CHECK(SecretBuffer::copy_of(std::string_view("PEM")).view() == "PEM");
}

TEST_CASE("SecretBuffer moves leave the source empty") {
    SecretBuffer a = SecretBuffer::copy_of(std::string_view("secret"));
    SecretBuffer b(std::move(a));
    CHECK(b.view() == "secret");
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified

    SecretBuffer c = SecretBuffer::copy_of(std::string_view("old"));
    c = std::move(b);
    CHECK(c.view() == "secret");
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("SecretBuffer truncate and clear") {
    SecretBuffer b = SecretBuffer::copy_of(std::string_view("abcdef"));
    b.truncate(3);
    CHECK(b.view() == "abc");
    b.truncate(10);  // growing is not possible; size stays
    CHECK(b.size() == 3);
    b.clear();
    CHECK(b.empty());
    CHECK(b.data() == nullptr);
}
