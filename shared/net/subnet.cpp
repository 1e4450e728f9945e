#include "shared/net/subnet.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "shared/util/text.hpp"

namespace sluice::net {

namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr int mac_prefix_length = 48;

template <typename... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), is_digit);
}

// Decimal only, as tinc's sscanf("%d") with the sign rejected: a prefix is never negative
// and "+24" is not something tinc emits. Values past `max` are reported without parsing
// further, so arbitrarily long digit strings cannot overflow.
Result<int> parse_prefix_length(std::string_view text, int max) {
    if (text.empty()) return fail("empty prefix length after \"/\"");
    if (!all_digits(text)) return fail("prefix length {} is not a decimal number", text::quote(text));
    int value = 0;
    for (char c : text) {
        value = value * 10 + (c - '0');
        if (value > max) return fail("prefix longer than {}", max);
    }
    return value;
}

// Any int32 with an optional '-', like tinc's sscanf("%d"). '+' and the whitespace that
// sscanf would also skip are rejected: tinc never writes them.
Result<int> parse_weight(std::string_view text) {
    if (text.empty()) return fail("empty weight after \"#\"");
    const std::string_view digits = text.front() == '-' ? text.substr(1) : text;
    if (digits.empty() || !all_digits(digits)) return fail("weight {} is not a number", text::quote(text));
    std::int32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
        return fail("weight {} out of range for a 32-bit integer", text::quote(text));
    }
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return fail("weight {} is not a number", text::quote(text));
    }
    return value;
}

// tinc tells a MAC from an IPv6 address by shape: six plain groups is a MAC.
bool looks_like_mac(std::string_view address) {
    return address.find("::") == npos && address.find('.') == npos &&
           std::count(address.begin(), address.end(), ':') == 5;
}

Result<std::variant<MacAddress, Ipv4Address, Ipv6Address>> parse_address(std::string_view address) {
    if (address.find(':') == npos) {
        if (address.find('.') == npos) {
            return fail("{} is not an IPv4, IPv6 or MAC address", text::quote(address));
        }
        auto v4 = Ipv4Address::parse(address);
        if (!v4) return fail(v4.error());
        return *v4;
    }
    if (looks_like_mac(address)) {
        auto mac = MacAddress::parse(address);
        if (!mac) return fail(mac.error());
        return *mac;
    }
    const auto groups = std::count(address.begin(), address.end(), ':') + 1;
    if (address.find("::") == npos && address.find('.') == npos && groups < 8) {
        // Too short for IPv6 and not six groups: say both, the user may have meant either.
        return fail("{} has {} groups: a MAC address needs 6, an IPv6 address 8 or a \"::\"",
                    text::quote(address), groups);
    }
    auto v6 = Ipv6Address::parse(address);
    if (!v6) return fail(v6.error());
    return *v6;
}

int max_prefix_length(SubnetType type) {
    switch (type) {
        case SubnetType::mac:
            return mac_prefix_length;
        case SubnetType::ipv4:
            return 32;
        case SubnetType::ipv6:
            return 128;
    }
    return 0;
}

// Bits [0, prefix) of `a` and `b` agree. `prefix` is clamped so that hand-built Subnets
// with an out-of-range length cannot read past the array.
template <std::size_t N>
bool same_prefix(const std::array<std::uint8_t, N>& a, const std::array<std::uint8_t, N>& b, int prefix) {
    const int bits = std::clamp(prefix, 0, static_cast<int>(N * 8));
    for (std::size_t i = 0; i < N; ++i) {
        const int start = static_cast<int>(i * 8);
        if (start >= bits) break;
        const int take = std::min(8, bits - start);
        const auto mask = static_cast<std::uint8_t>(0xffU << static_cast<unsigned>(8 - take));
        if (((a[i] ^ b[i]) & mask) != 0) return false;
    }
    return true;
}

template <std::size_t N>
bool zero_after(const std::array<std::uint8_t, N>& bytes, int prefix) {
    const int bits = std::clamp(prefix, 0, static_cast<int>(N * 8));
    for (std::size_t i = 0; i < N; ++i) {
        const int keep = std::clamp(bits - static_cast<int>(i * 8), 0, 8);
        const auto host_mask = static_cast<std::uint8_t>(0xffU >> static_cast<unsigned>(keep));
        if ((bytes[i] & host_mask) != 0) return false;
    }
    return true;
}

}  // namespace

SubnetType Subnet::type() const {
    return std::visit(Overloaded{
                          [](const MacAddress&) { return SubnetType::mac; },
                          [](const Ipv4Address&) { return SubnetType::ipv4; },
                          [](const Ipv6Address&) { return SubnetType::ipv6; },
                      },
                      address);
}

Result<Subnet> Subnet::parse(std::string_view text) {
    if (text.empty()) return fail("empty subnet");
    // tinc's sscanf would skip some of these; rejecting them keeps "a b" from half-parsing.
    if (std::any_of(text.begin(), text.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u <= 0x20 || u == 0x7f;
        })) {
        return fail("whitespace or control character in {}", text::quote(text));
    }

    // Same split order as tinc's str2net: '#' first, then '/' in what precedes it.
    std::string_view rest = text;
    std::optional<std::string_view> weight_text;
    std::optional<std::string_view> prefix_text;
    if (const std::size_t hash = rest.find('#'); hash != npos) {
        weight_text = rest.substr(hash + 1);
        rest = rest.substr(0, hash);
    }
    if (const std::size_t slash = rest.find('/'); slash != npos) {
        prefix_text = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    if (rest.empty()) return fail("missing address in {}", text::quote(text));

    auto address = parse_address(rest);
    if (!address) return fail(address.error());
    Subnet out;
    out.address = *address;

    const SubnetType type = out.type();
    const int max = max_prefix_length(type);
    if (type == SubnetType::mac && prefix_text) return fail("MAC address takes no prefix length");
    out.prefix_length = max;
    if (prefix_text) {
        auto prefix = parse_prefix_length(*prefix_text, max);
        if (!prefix) return fail(prefix.error());
        out.prefix_length = *prefix;
    }

    if (weight_text) {
        auto weight = parse_weight(*weight_text);
        if (!weight) return fail(weight.error());
        out.weight = *weight;
    }
    return out;
}

std::string Subnet::to_string() const {
    return std::visit(Overloaded{
                          [&](const MacAddress& a) { return fmt::format("{}#{}", a.to_string(), weight); },
                          [&](const Ipv4Address& a) {
                              return fmt::format("{}/{}#{}", a.to_string(), prefix_length, weight);
                          },
                          [&](const Ipv6Address& a) {
                              return fmt::format("{}/{}#{}", a.to_tinc_string(), prefix_length, weight);
                          },
                      },
                      address);
}

std::string Subnet::to_display_string() const {
    std::string out = std::visit([](const auto& a) { return a.to_string(); }, address);
    const SubnetType t = type();
    if (t != SubnetType::mac && prefix_length != max_prefix_length(t))
        out += fmt::format("/{}", prefix_length);
    if (weight != default_weight) out += fmt::format("#{}", weight);
    return out;
}

bool Subnet::host_bits_zero() const {
    return std::visit(Overloaded{
                          [](const MacAddress&) { return true; },
                          [&](const auto& a) { return zero_after(a.bytes, prefix_length); },
                      },
                      address);
}

bool Subnet::contains(const Ipv4Address& addr) const {
    const auto* net = std::get_if<Ipv4Address>(&address);
    return net != nullptr && same_prefix(net->bytes, addr.bytes, prefix_length);
}

bool Subnet::contains(const Ipv6Address& addr) const {
    const auto* net = std::get_if<Ipv6Address>(&address);
    return net != nullptr && same_prefix(net->bytes, addr.bytes, prefix_length);
}

}  // namespace sluice::net
