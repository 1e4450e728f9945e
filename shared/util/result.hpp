// Result type for setup code, parsers and syscalls: a value or an Error that must be consumed.
#pragma once

#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace sluice {

// An error is a human-readable, one-line reason. Callers add context (file, line, peer) by
// wrapping it with `with_context`, so the final message reads outermost-first:
// "hosts/alpha:3: invalid Subnet "198.19.0.0/33": prefix longer than 32".
struct Error {
    std::string message;

    [[nodiscard]] Error with_context(std::string_view context) const {
        return Error{fmt::format("{}: {}", context, message)};
    }
};

template <typename T>
using Result = std::expected<T, Error>;

// Result<void> for operations that only succeed or fail.
using Status = std::expected<void, Error>;

template <typename... Args>
[[nodiscard]] std::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
    return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...)});
}

[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
    return std::unexpected(std::move(error));
}

}  // namespace sluice
