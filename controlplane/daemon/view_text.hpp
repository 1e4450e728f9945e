// Text for the operator's views (dump, info, graph): endpoints, option bits, path MTU
// state, subnets. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "shared/net/subnet.hpp"
#include "shared/tables/tables_format.hpp"

namespace sluice::daemon {

// "198.18.0.1:655", "[2001:db8::1]:655"; empty when the endpoint is not valid.
[[nodiscard]] std::string endpoint_text(const tables::Endpoint& endpoint);

// The option bits of an ACK or ADD_EDGE by name, in bit order: "indirect tcponly
// pmtu_discovery clamp_mss"; "none" when no named bit is set. The protocol minor version
// (bits 24-31) is left to option_protocol_minor().
[[nodiscard]] std::string option_names(std::uint32_t options);
[[nodiscard]] unsigned option_protocol_minor(std::uint32_t options);

// A published record's path MTU: "1451 (fixed)", "probing: 1400..1518" (the largest probe
// that came back .. the ceiling), "probing: no reply yet (at most 1518)", "1518 (no
// discovery)".
[[nodiscard]] std::string pmtu_text(const tables::PeerRecord& peer);

// A subnet without its weight, the prefix always shown: "198.19.0.0/24", "198.19.0.3/32",
// "2001:db8::/32", "2:0:0:0:0:a".
[[nodiscard]] std::string subnet_text(const net::Subnet& subnet);

}  // namespace sluice::daemon
