// Small pure string helpers shared by the parsers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::text {

[[nodiscard]] std::string_view trim(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] bool starts_with_icase(std::string_view s, std::string_view prefix);

// Splits on runs of spaces and tabs; never returns empty tokens.
[[nodiscard]] std::vector<std::string_view> split_whitespace(std::string_view s);

// Quotes a value for an error message, escaping non-printable bytes so that a hostile or
// binary value can never break the one-line log format.
[[nodiscard]] std::string quote(std::string_view s);

// tinc's node-name rule: [A-Za-z0-9_]+.
[[nodiscard]] bool is_valid_node_name(std::string_view name);

}  // namespace sluice::text
