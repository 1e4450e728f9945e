// IPv4, IPv6 and MAC address value types with strict parsing and round-trip formatting.
// Pure: no I/O, no allocation beyond the returned strings.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/util/result.hpp"

namespace sluice::net {

struct Ipv4Address {
    std::array<std::uint8_t, 4> bytes{};

    // Dotted quad only: exactly four decimal octets 0..255, no leading '+'/'-', no
    // surrounding spaces, at most 3 digits per octet. Errors name the offending part.
    [[nodiscard]] static Result<Ipv4Address> parse(std::string_view text);
    // "198.19.0.1"
    [[nodiscard]] std::string to_string() const;

    auto operator<=>(const Ipv4Address&) const = default;
};

struct Ipv6Address {
    std::array<std::uint8_t, 16> bytes{};

    // RFC 4291 text forms: 8 groups of 1..4 hex digits, one "::" compression, an optional
    // trailing dotted quad. No zone ("%eth0"), no brackets. Errors name the offending part.
    [[nodiscard]] static Result<Ipv6Address> parse(std::string_view text);
    // RFC 5952 canonical form: lowercase, longest zero run compressed ("2001:db8::1").
    [[nodiscard]] std::string to_string() const;
    // tinc 1.0.36's net2str form: eight lowercase groups, no leading zeros, no "::"
    // ("2001:db8:0:0:0:0:0:1"). This is what goes on the wire to tinc peers.
    [[nodiscard]] std::string to_tinc_string() const;

    auto operator<=>(const Ipv6Address&) const = default;
};

struct MacAddress {
    std::array<std::uint8_t, 6> bytes{};

    // Six groups of 1..2 hex digits separated by ':' (tinc accepts "2:0:0:0:0:a").
    [[nodiscard]] static Result<MacAddress> parse(std::string_view text);
    // tinc's form: lowercase, no leading zeros ("2:0:0:0:0:a").
    [[nodiscard]] std::string to_string() const;

    auto operator<=>(const MacAddress&) const = default;
};

}  // namespace sluice::net
