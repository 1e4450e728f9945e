// In-memory tinc-style configuration: an ordered list of entries with case-insensitive
// lookup and typed, validated accessors whose errors carry "file:line".
// Pure: no I/O (see config_dir.hpp for reading directories).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/net/subnet.hpp"
#include "shared/util/result.hpp"

namespace sluice::config {

// One "Variable = Value" line as read from a file.
struct Entry {
    std::string variable;  // as written (case preserved, for messages)
    std::string value;     // trimmed, never empty
    std::string file;      // label used in messages, e.g. "tinc.conf" or "hosts/alpha"
    int line = 0;          // 1-based

    // "hosts/alpha:3"
    [[nodiscard]] std::string location() const;
};

// Parses the text of one configuration file, tinc 1.0 style: "Var = Value", "Var Value",
// tabs, case-insensitive names, '#' comments, blank lines, CRLF, PEM blocks skipped.
// Returns every entry, or the first syntax error as "FILE:LINE: reason".
[[nodiscard]] Result<std::vector<Entry>> parse(std::string_view text, std::string_view file_label);

class Config {
public:
    Config() = default;
    explicit Config(std::vector<Entry> entries) : entries_(std::move(entries)) {}

    void add(std::vector<Entry> entries);
    // In the order they were added (tinc.conf first, then the node's own host file).
    [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
    [[nodiscard]] bool empty() const { return entries_.empty(); }

    // All entries for a variable (case-insensitive), in tinc's lookup order: by line number,
    // then by file label. Within one file that is file order. Across the merged tinc.conf and
    // hosts/NAME it is what tinc 1.0's config tree does (it sorts by variable, line, then
    // path), so "Port" on line 2 of hosts/alpha beats "Port" on line 5 of tinc.conf.
    [[nodiscard]] std::vector<const Entry*> all(std::string_view variable) const;
    // The first entry for a variable in that order, or nullptr. tinc uses the first of
    // repeated single-valued variables; the validator warns about the repeats.
    [[nodiscard]] const Entry* first(std::string_view variable) const;

    // Typed accessors: the default when absent, otherwise the parsed value or an error
    // "FILE:LINE: invalid VARIABLE \"value\": reason".
    [[nodiscard]] Result<std::string> get_string(std::string_view variable, std::string_view fallback) const;
    [[nodiscard]] Result<bool> get_bool(std::string_view variable, bool fallback) const;
    // Like tinc's sscanf("%d"): text after the number is ignored ("30 # seconds" is 30); the
    // validator warns about it. Out-of-range values are errors.
    [[nodiscard]] Result<int> get_int(std::string_view variable, int fallback, int min, int max) const;
    // One of `choices`, matched case-insensitively like tinc's strcasecmp; returns the choice
    // as spelled in `choices` (so callers can compare with ==).
    [[nodiscard]] Result<std::string> get_choice(std::string_view variable, std::string_view fallback,
                                                 std::span<const std::string_view> choices) const;
    // Every Subnet entry, parsed, with host bits required to be zero (as tinc requires for
    // configured subnets). The first bad one is the error.
    [[nodiscard]] Result<std::vector<net::Subnet>> get_subnets() const;

private:
    std::vector<Entry> entries_;
};

}  // namespace sluice::config
