#include "dataplane/crypto/probe.hpp"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

using namespace sluice::dataplane::crypto;
using Bytes = std::vector<std::uint8_t>;

namespace {

// What tinc sends (spec 5.6): 14 zero bytes, then random bytes up to `length`.
Bytes probe_request(std::size_t length) {
    Bytes frame(length, 0);
    for (std::size_t i = ethernet_header_length; i < length; ++i)
        frame[i] = static_cast<std::uint8_t>(i * 31 + 7);
    return frame;
}

}  // namespace

TEST_CASE("probes are frames with Ethertype 0") {
    CHECK(is_probe(probe_request(64)));
    CHECK(is_probe(probe_request(probe_max_length)));
    CHECK(is_probe(probe_request(ethernet_header_length)));

    Bytes ipv4 = probe_request(64);
    ipv4[12] = 0x08;
    CHECK_FALSE(is_probe(ipv4));
    Bytes low_byte = probe_request(64);
    low_byte[13] = 0x01;
    CHECK_FALSE(is_probe(low_byte));

    CHECK_FALSE(is_probe(Bytes(ethernet_header_length - 1, 0)));
    CHECK_FALSE(is_probe({}));
}

TEST_CASE("a reply is the same frame with byte 0 set to 1") {
    const Bytes request = probe_request(1000);
    CHECK_FALSE(is_reply(request));

    Bytes reply = request;
    make_reply(reply);
    CHECK(reply.size() == request.size());
    CHECK(reply[0] == 1);
    CHECK(Bytes(reply.begin() + 1, reply.end()) == Bytes(request.begin() + 1, request.end()));
    CHECK(is_probe(reply));
    CHECK(is_reply(reply));

    Bytes other = request;
    other[0] = 0x42;  // any non-zero byte 0 counts as a reply
    CHECK(is_reply(other));

    Bytes empty;
    make_reply(empty);
    CHECK_FALSE(is_reply(empty));
}

TEST_CASE("probe helpers are usable at compile time") {
    constexpr std::uint8_t frame[14] = {};
    STATIC_REQUIRE(is_probe(frame));
    STATIC_REQUIRE_FALSE(is_reply(frame));
}
