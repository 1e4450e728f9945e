#include "shared/config/config.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "shared/config/values.hpp"
#include "shared/util/text.hpp"

namespace sluice::config {

namespace {

constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view skip_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return s;
}

// A control byte other than tab. Bytes >= 0x80 are fine: comments may be UTF-8.
std::optional<unsigned char> find_control(std::string_view line) {
    for (char c : line) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return u;
    }
    return std::nullopt;
}

std::unexpected<Error> invalid(const Entry& entry, std::string_view variable, const Error& reason) {
    return fail("{}: invalid {} {}: {}", entry.location(), variable, text::quote(entry.value),
                reason.message);
}

}  // namespace

std::string Entry::location() const {
    return fmt::format("{}:{}", file, line);
}

Result<std::vector<Entry>> parse(std::string_view text, std::string_view file_label) {
    std::vector<Entry> entries;
    int line_number = 0;
    int pem_begin_line = 0;  // where the PEM block being skipped began; 0 outside one
    size_t pos = 0;
    while (pos < text.size()) {
        size_t newline = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, newline == std::string_view::npos ? text.npos : newline - pos);
        pos = newline == std::string_view::npos ? text.size() : newline + 1;
        ++line_number;

        // tinc strips the CR of a CRLF and then trailing spaces and tabs.
        while (!line.empty() && (is_blank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
        // A NUL would silently end the line in tinc's C strings, and other control bytes
        // (a stray CR, an escape sequence) make values that differ from what the user sees.
        if (auto control = find_control(line)) {
            if (*control == 0) return fail("{}:{}: NUL byte in line", file_label, line_number);
            return fail("{}:{}: control character 0x{:02x} in line", file_label, line_number, *control);
        }
        line = skip_blanks(line);

        if (pem_begin_line != 0) {
            if (line.starts_with("-----END")) pem_begin_line = 0;
            continue;
        }
        if (line.empty() || line.front() == '#') continue;
        // tinc 1.0 keeps the RSA public key in the host file itself, as a PEM block.
        if (line.starts_with("-----BEGIN")) {
            pem_begin_line = line_number;
            continue;
        }

        size_t name_end = line.find_first_of(" \t=");
        if (name_end == std::string_view::npos) name_end = line.size();
        std::string_view variable = line.substr(0, name_end);
        std::string_view value = skip_blanks(line.substr(name_end));
        if (value.starts_with('=')) value = skip_blanks(value.substr(1));
        if (value.empty()) {
            return fail("{}:{}: no value for variable {}", file_label, line_number, text::quote(variable));
        }
        entries.push_back(
            Entry{std::string(variable), std::string(value), std::string(file_label), line_number});
    }
    if (pem_begin_line != 0) {
        return fail("{}:{}: PEM block has no \"-----END\" line", file_label, pem_begin_line);
    }
    return entries;
}

void Config::add(std::vector<Entry> entries) {
    entries_.insert(entries_.end(), std::make_move_iterator(entries.begin()),
                    std::make_move_iterator(entries.end()));
}

std::vector<const Entry*> Config::all(std::string_view variable) const {
    std::vector<const Entry*> found;
    for (const Entry& e : entries_) {
        if (text::iequals(e.variable, variable)) found.push_back(&e);
    }
    std::stable_sort(found.begin(), found.end(), [](const Entry* a, const Entry* b) {
        if (a->line != b->line) return a->line < b->line;
        return a->file < b->file;
    });
    return found;
}

const Entry* Config::first(std::string_view variable) const {
    const Entry* best = nullptr;
    for (const Entry& e : entries_) {
        if (!text::iequals(e.variable, variable)) continue;
        if (best == nullptr || e.line < best->line || (e.line == best->line && e.file < best->file))
            best = &e;
    }
    return best;
}

Result<std::string> Config::get_string(std::string_view variable, std::string_view fallback) const {
    const Entry* e = first(variable);
    return e != nullptr ? e->value : std::string(fallback);
}

Result<bool> Config::get_bool(std::string_view variable, bool fallback) const {
    const Entry* e = first(variable);
    if (e == nullptr) return fallback;
    auto value = parse_bool(e->value);
    if (!value) return invalid(*e, variable, value.error());
    return *value;
}

Result<int> Config::get_int(std::string_view variable, int fallback, int min, int max) const {
    const Entry* e = first(variable);
    if (e == nullptr) return fallback;
    auto value = parse_tinc_int(e->value);
    if (!value) return invalid(*e, variable, value.error());
    if (auto range = check_int_range(value->value, min, max); !range)
        return invalid(*e, variable, range.error());
    return value->value;
}

Result<std::string> Config::get_choice(std::string_view variable, std::string_view fallback,
                                       std::span<const std::string_view> choices) const {
    const Entry* e = first(variable);
    if (e == nullptr) return std::string(fallback);
    auto index = parse_choice(e->value, choices);
    if (!index) return invalid(*e, variable, index.error());
    return std::string(choices[*index]);
}

Result<std::vector<net::Subnet>> Config::get_subnets() const {
    std::vector<net::Subnet> subnets;
    for (const Entry* e : all("Subnet")) {
        auto subnet = net::Subnet::parse(e->value);
        if (!subnet) return invalid(*e, "Subnet", subnet.error());
        if (!subnet->host_bits_zero()) {
            return invalid(*e, "Subnet", Error{"network address and prefix length do not match"});
        }
        subnets.push_back(*subnet);
    }
    return subnets;
}

}  // namespace sluice::config
