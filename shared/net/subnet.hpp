// tinc's Subnet syntax: IPv4 and IPv6 prefixes and MAC addresses, each with a weight.
// Pure: no I/O.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <variant>

#include "shared/net/address.hpp"
#include "shared/util/result.hpp"

namespace sluice::net {

enum class SubnetType { mac, ipv4, ipv6 };

struct Subnet {
    static constexpr int default_weight = 10;

    std::variant<MacAddress, Ipv4Address, Ipv6Address> address;
    int prefix_length = 0;        // 0..32 or 0..128; 48 for MAC (fixed, never written out)
    int weight = default_weight;  // lower is preferred; any int32, as tinc's sscanf("%d")

    [[nodiscard]] SubnetType type() const;

    // tinc 1.0.36 str2net: "198.19.0.0/24", "198.19.0.1" (/32), "198.19.0.1#5",
    // "2001:db8::/32#7", "2:0:0:0:0:a#10" (MAC: no prefix allowed). Rejects trailing
    // garbage, empty parts, out-of-range octets/prefixes/weights, with a reason that names
    // the problem (e.g. "prefix longer than 32").
    [[nodiscard]] static Result<Subnet> parse(std::string_view text);

    // tinc 1.0.36 net2str, as sent in ADD_SUBNET: always with prefix (IP) and "#weight":
    // "198.19.0.0/24#10", "2001:db8:0:0:0:0:0:0/32#10", "2:0:0:0:0:a#10".
    // parse(s.to_string()) == s for every valid s.
    [[nodiscard]] std::string to_string() const;

    // Short human form for logs and tables: canonical address, "/len" only when it is not
    // a host route, "#weight" only when it is not the default ("2001:db8::/32",
    // "198.19.0.1", "198.19.0.0/24#5"). Also parses back to the same Subnet.
    [[nodiscard]] std::string to_display_string() const;

    // True when every bit past prefix_length is zero (always true for MAC). tinc refuses
    // configured Subnets that fail this ("network address and prefix length do not match").
    [[nodiscard]] bool host_bits_zero() const;

    // True when `addr` (same family) falls inside this prefix.
    [[nodiscard]] bool contains(const Ipv4Address& addr) const;
    [[nodiscard]] bool contains(const Ipv6Address& addr) const;

    auto operator<=>(const Subnet&) const = default;
    bool operator==(const Subnet&) const = default;
};

}  // namespace sluice::net
