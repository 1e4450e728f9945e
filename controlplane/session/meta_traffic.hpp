// What crossed one meta connection: requests by type each way and bytes on the wire each
// way, for `sluicectl stats`. Pure counting, no I/O; MetaConnection keeps one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "controlplane/protocol/request.hpp"

namespace sluice::session {

// ID (0) .. PACKET (17).
inline constexpr std::size_t kRequestTypeCount = static_cast<std::size_t>(protocol::RequestType::packet) + 1;

// The request type a line starts with ("12 ..." is ADD_EDGE), or nullopt if it starts with no
// known request number.
[[nodiscard]] constexpr std::optional<protocol::RequestType> leading_request_type(
    std::string_view line) noexcept {
    std::size_t value = 0;
    std::size_t digits = 0;
    while (digits < line.size() && digits < 3 && line[digits] >= '0' && line[digits] <= '9') {
        value = value * 10 + static_cast<std::size_t>(line[digits] - '0');
        ++digits;
    }
    if (digits == 0 || value >= kRequestTypeCount) return std::nullopt;
    if (digits < line.size() && line[digits] != ' ') return std::nullopt;
    return static_cast<protocol::RequestType>(value);
}

struct MetaTraffic {
    std::array<std::uint64_t, kRequestTypeCount> requests_in{};   // parsed from the peer
    std::array<std::uint64_t, kRequestTypeCount> requests_out{};  // queued for the peer
    std::uint64_t bytes_in = 0;                                   // as read from the socket
    std::uint64_t bytes_out = 0;                                  // as handed to the socket

    void received(protocol::RequestType type) noexcept { ++requests_in[static_cast<std::size_t>(type)]; }
    void sent(std::string_view line) noexcept {
        if (auto type = leading_request_type(line)) ++requests_out[static_cast<std::size_t>(*type)];
    }
};

}  // namespace sluice::session
