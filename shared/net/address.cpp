#include "shared/net/address.hpp"

#include <algorithm>
#include <cstddef>

#include <fmt/format.h>

#include "shared/util/text.hpp"

namespace sluice::net {

namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Value of one hex digit, or -1 when `c` is not one.
constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One ':'-separated hex group of an IPv6 or MAC address. `kind` and `whole` only shape the
// error message, so that a bad group is reported together with the address it came from.
Result<std::uint16_t> parse_hex_group(std::string_view group, std::size_t max_digits, std::string_view kind,
                                      std::string_view whole) {
    if (group.empty()) return fail("empty {} in {}", kind, text::quote(whole));
    unsigned value = 0;
    for (char c : group) {
        const int digit = hex_value(c);
        if (digit < 0) return fail("{} {} is not hexadecimal", kind, text::quote(group));
        // Wraps for over-long groups, which are rejected below before the value is used.
        value = (value << 4U) | static_cast<unsigned>(digit);
    }
    if (group.size() > max_digits) {
        return fail("{} {} has more than {} hex digits", kind, text::quote(group), max_digits);
    }
    return static_cast<std::uint16_t>(value);
}

// Leading zeros are accepted ("010" is 10, not octal 8): tinc 1.0.36 reads octets with
// sscanf("%hu"), so configs written for it may contain them. Signs are not accepted.
Result<std::uint8_t> parse_octet(std::string_view octet, std::string_view whole) {
    if (octet.empty()) return fail("empty octet in {}", text::quote(whole));
    if (!std::all_of(octet.begin(), octet.end(), is_digit)) {
        return fail("octet {} is not a decimal number", text::quote(octet));
    }
    if (octet.size() > 3) return fail("octet {} has more than 3 digits", text::quote(octet));
    int value = 0;
    for (char c : octet) value = value * 10 + (c - '0');
    if (value > 255) return fail("octet {} out of range 0..255", text::quote(octet));
    return static_cast<std::uint8_t>(value);
}

// The groups on one side of a "::" (or of the whole address when there is none).
struct GroupList {
    std::array<std::uint16_t, 8> values{};
    std::size_t count = 0;
};

Result<GroupList> parse_groups(std::string_view part, bool dotted_quad_allowed, std::string_view whole) {
    GroupList list;
    if (part.empty()) return list;
    while (true) {
        const std::size_t colon = part.find(':');
        const std::string_view group = part.substr(0, colon);
        const bool last = colon == npos;
        if (group.find('.') != npos) {
            // Only the very end of the address may be a dotted quad: it fills the last two groups.
            if (!last || !dotted_quad_allowed) {
                return fail("dotted quad {} is only allowed at the end of IPv6 address {}",
                            text::quote(group), text::quote(whole));
            }
            auto v4 = Ipv4Address::parse(group);
            if (!v4) return fail(v4.error());
            if (list.count + 2 > list.values.size()) {
                return fail("IPv6 address {} has more than 8 groups", text::quote(whole));
            }
            const auto& b = v4->bytes;
            list.values[list.count++] = static_cast<std::uint16_t>((b[0] << 8U) | b[1]);
            list.values[list.count++] = static_cast<std::uint16_t>((b[2] << 8U) | b[3]);
            return list;
        }
        if (group.empty()) {
            // ":::" and a second "::" are caught earlier, so this is a lone ':' at either end.
            return fail("IPv6 address {} starts or ends with a single \":\"", text::quote(whole));
        }
        if (list.count == list.values.size()) {
            return fail("IPv6 address {} has more than 8 groups", text::quote(whole));
        }
        auto value = parse_hex_group(group, 4, "group", whole);
        if (!value) return fail(value.error());
        list.values[list.count++] = *value;
        if (last) return list;
        part.remove_prefix(colon + 1);
    }
}

}  // namespace

Result<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    if (text.empty()) return fail("empty IPv4 address");
    Ipv4Address out;
    std::string_view rest = text;
    for (std::size_t i = 0; i < out.bytes.size(); ++i) {
        const std::size_t dot = rest.find('.');
        auto octet = parse_octet(rest.substr(0, dot), text);
        if (!octet) return fail(octet.error());
        out.bytes[i] = *octet;
        if (i + 1 < out.bytes.size()) {
            if (dot == npos) return fail("IPv4 address {} has only {} of 4 octets", text::quote(text), i + 1);
            rest.remove_prefix(dot + 1);
        } else if (dot != npos) {
            return fail("trailing characters {} after address", text::quote(rest.substr(dot)));
        }
    }
    return out;
}

std::string Ipv4Address::to_string() const {
    return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
}

Result<Ipv6Address> Ipv6Address::parse(std::string_view text) {
    if (text.empty()) return fail("empty IPv6 address");
    if (const std::size_t percent = text.find('%'); percent != npos) {
        return fail("zone index {} not allowed in IPv6 address", text::quote(text.substr(percent)));
    }
    if (text.find(":::") != npos) return fail("\":::\" in IPv6 address {}", text::quote(text));
    const std::size_t compression = text.find("::");
    if (compression != npos && text.find("::", compression + 2) != npos) {
        return fail("more than one \"::\" in IPv6 address {}", text::quote(text));
    }

    const bool compressed = compression != npos;
    auto head = parse_groups(text.substr(0, compression), !compressed, text);
    if (!head) return fail(head.error());
    GroupList tail;
    if (compressed) {
        auto parsed = parse_groups(text.substr(compression + 2), true, text);
        if (!parsed) return fail(parsed.error());
        tail = *parsed;
    }

    const std::size_t total = head->count + tail.count;
    if (total > 8) return fail("IPv6 address {} has more than 8 groups", text::quote(text));
    if (!compressed && total < 8) {
        return fail("IPv6 address {} has only {} of 8 groups", text::quote(text), total);
    }
    // Like tinc and inet_pton: "::" must stand for at least one zero group.
    if (compressed && total == 8) {
        return fail("\"::\" in IPv6 address {} stands for no groups", text::quote(text));
    }

    std::array<std::uint16_t, 8> groups{};
    std::copy_n(head->values.begin(), head->count, groups.begin());
    std::copy_n(tail.values.begin(), tail.count, groups.end() - static_cast<std::ptrdiff_t>(tail.count));
    Ipv6Address out;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        out.bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8U);
        out.bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xffU);
    }
    return out;
}

namespace {

std::array<unsigned, 8> groups_of(const std::array<std::uint8_t, 16>& bytes) {
    std::array<unsigned, 8> groups{};
    for (std::size_t i = 0; i < groups.size(); ++i) {
        groups[i] = (static_cast<unsigned>(bytes[2 * i]) << 8U) | bytes[2 * i + 1];
    }
    return groups;
}

}  // namespace

std::string Ipv6Address::to_string() const {
    const auto groups = groups_of(bytes);

    // RFC 5952 section 5: IPv4-mapped addresses keep their familiar dotted-quad tail.
    if (std::all_of(groups.begin(), groups.begin() + 5, [](unsigned g) { return g == 0; }) &&
        groups[5] == 0xffffU) {
        return fmt::format("::ffff:{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
    }

    // Longest run of zero groups; strict '>' keeps the first run on ties (RFC 5952 4.2.3).
    std::size_t best_start = 0;
    std::size_t best_length = 0;
    for (std::size_t i = 0; i < groups.size();) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < groups.size() && groups[end] == 0) ++end;
        if (end - i > best_length) {
            best_start = i;
            best_length = end - i;
        }
        i = end;
    }
    // A single zero group is never compressed (RFC 5952 4.2.2).
    if (best_length < 2) best_length = 0;

    std::string out;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (best_length != 0 && i == best_start) {
            out += "::";
            i += best_length - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        out += fmt::format("{:x}", groups[i]);
    }
    return out;
}

std::string Ipv6Address::to_tinc_string() const {
    const auto g = groups_of(bytes);
    return fmt::format("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", g[0], g[1], g[2], g[3], g[4], g[5], g[6],
                       g[7]);
}

Result<MacAddress> MacAddress::parse(std::string_view text) {
    if (text.empty()) return fail("empty MAC address");
    MacAddress out;
    std::string_view rest = text;
    for (std::size_t i = 0; i < out.bytes.size(); ++i) {
        const std::size_t colon = rest.find(':');
        auto value = parse_hex_group(rest.substr(0, colon), 2, "MAC group", text);
        if (!value) return fail(value.error());
        out.bytes[i] = static_cast<std::uint8_t>(*value);
        if (i + 1 < out.bytes.size()) {
            if (colon == npos)
                return fail("MAC address {} has only {} of 6 groups", text::quote(text), i + 1);
            rest.remove_prefix(colon + 1);
        } else if (colon != npos) {
            return fail("trailing characters {} after MAC address", text::quote(rest.substr(colon)));
        }
    }
    return out;
}

std::string MacAddress::to_string() const {
    return fmt::format("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                       bytes[5]);
}

}  // namespace sluice::net
