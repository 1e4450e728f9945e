#include "shared/handover/message.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "shared/handover/channel.hpp"

using namespace sluice::handover;

TEST_CASE("handover: messages round-trip as one text line") {
    Message m{"READY", {{"interface", "sl0"}, {"workers", "2"}, {"port", "655"}}};
    auto text = format_message(m);
    REQUIRE(text);
    CHECK(*text == "READY interface=sl0 port=655 workers=2");
    auto back = parse_message(*text);
    REQUIRE(back);
    CHECK(back->name == "READY");
    CHECK(back->fields == m.fields);
    CHECK(back->get_number("workers").value() == 2);
    CHECK_FALSE(back->get_number("interface"));
    CHECK_FALSE(back->get_number("missing"));
}

TEST_CASE("handover: ERROR keeps its text whole; separators in fields are refused") {
    auto text = format_message(Message{"ERROR", {{"message", "cannot open /dev/net/tun: No such device"}}});
    REQUIRE(text);
    auto back = parse_message(*text);
    REQUIRE(back);
    CHECK(back->get("message") == "cannot open /dev/net/tun: No such device");
    CHECK_FALSE(format_message(Message{"ATTACH", {{"interface", "a b"}}}));
    CHECK_FALSE(format_message(Message{"ATTACH", {{"a=b", "c"}}}));
    CHECK_FALSE(format_message(Message{"", {}}));
    CHECK_FALSE(parse_message("ATTACH novalue"));
    CHECK_FALSE(parse_message("ATTACH =x"));
    CHECK_FALSE(parse_message(""));
}

TEST_CASE("handover: descriptors travel with the message over a socket pair") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
    const int efd = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(efd >= 0);
    REQUIRE(send_message(pair[0], Message{"ATTACH", {{"port", "655"}}}, {efd}));
    auto got = receive_message(pair[1], std::chrono::milliseconds(1000));
    REQUIRE(got);
    CHECK(got->message.get("port") == "655");
    REQUIRE(got->fds.fds.size() == 1);
    // The received descriptor is the same eventfd: a write on one is read on the other.
    const std::uint64_t one = 1;
    REQUIRE(::write(efd, &one, sizeof one) == sizeof one);
    std::uint64_t value = 0;
    REQUIRE(::read(got->fds.fds[0], &value, sizeof value) == sizeof value);
    CHECK(value == 1);
    ::close(efd);
    ::close(pair[0]);
    auto closed = receive_message(pair[1], std::chrono::milliseconds(1000));
    REQUIRE_FALSE(closed);
    CHECK_THAT(closed.error().message, Catch::Contains("closed"));
    ::close(pair[1]);
}
