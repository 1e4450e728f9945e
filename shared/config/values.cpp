#include "shared/config/values.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "shared/net/address.hpp"
#include "shared/util/text.hpp"

namespace sluice::config {

namespace {

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
    return is_digit(c) || is_alpha(c);
}
constexpr bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_control(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
    return std::all_of(s.begin(), s.end(), pred);
}

// A DNS name as getaddrinfo would look it up: dot-separated labels of letters, digits, '-'
// and '_' (the underscore is not RFC 1123, but resolvers and /etc/hosts accept it).
bool is_dns_name(std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    size_t start = 0;
    while (start <= name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        std::string_view label = name.substr(start, dot - start);
        if (label.empty() || label.size() > 63) return false;
        if (!all_of(label, [](char c) { return is_alnum(c) || c == '-' || c == '_'; })) return false;
        start = dot + 1;
    }
    return true;
}

// Value of 1..5 decimal digits, or -1 when `s` is not that (so no caller can overflow).
int small_number(std::string_view s) {
    if (s.empty() || s.size() > 5 || !all_of(s, is_digit)) return -1;
    int value = 0;
    for (char c : s) value = value * 10 + (c - '0');
    return value;
}

bool is_service_name(std::string_view s) {
    return !s.empty() && is_alpha(s.front()) &&
           all_of(s, [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '+'; });
}

// "host [port]"; `star_ok` allows "*" as the host (BindToAddress).
Status check_host_and_port(std::string_view text, bool star_ok) {
    auto tokens = text::split_whitespace(text);
    if (tokens.empty() || tokens.size() > 2) return fail("expected an address and an optional port");
    if (!(star_ok && tokens[0] == "*")) {
        if (auto host = check_host(tokens[0]); !host) return host;
    }
    if (tokens.size() == 2) return check_port(tokens[1]);
    return {};
}

}  // namespace

Result<TincInt> parse_tinc_int(std::string_view text) {
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    size_t digits_start = i;
    std::int64_t magnitude = 0;
    constexpr std::int64_t limit = std::int64_t{std::numeric_limits<int>::max()} + 1;
    while (i < text.size() && is_digit(text[i])) {
        magnitude = magnitude * 10 + (text[i] - '0');
        // Stop growing once out of range so that a thousand digits cannot overflow.
        if (magnitude > limit) return fail("out of range for a 32-bit integer");
        ++i;
    }
    if (i == digits_start) return fail("expected an integer");
    std::int64_t value = negative ? -magnitude : magnitude;
    if (value > std::numeric_limits<int>::max() || value < std::numeric_limits<int>::min())
        return fail("out of range for a 32-bit integer");
    return TincInt{static_cast<int>(value), i < text.size()};
}

Status check_int_range(int value, int min, int max) {
    if (value >= min && value <= max) return {};
    constexpr int lowest = std::numeric_limits<int>::min();
    constexpr int highest = std::numeric_limits<int>::max();
    if (max == highest) return fail("must be at least {}", min);
    if (min == lowest) return fail("must be at most {}", max);
    return fail("must be between {} and {}", min, max);
}

Result<bool> parse_bool(std::string_view text) {
    if (text::iequals(text, "yes")) return true;
    if (text::iequals(text, "no")) return false;
    return fail("expected yes or no");
}

Result<std::size_t> parse_choice(std::string_view text, std::span<const std::string_view> choices) {
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (text::iequals(text, choices[i])) return i;
    }
    std::string expected;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) expected += (i + 1 == choices.size()) ? " or " : ", ";
        expected += choices[i];
    }
    return fail("expected {}", expected);
}

Status check_node_name(std::string_view text) {
    if (text::is_valid_node_name(text)) return {};
    return fail("node names may only contain letters, digits and \"_\"");
}

Status check_own_name(std::string_view text) {
    if (text.starts_with('$')) {
        if (text.size() == 1) return fail("\"$\" must be followed by an environment variable name");
        return {};
    }
    return check_node_name(text);
}

Status check_port(std::string_view text) {
    if (!text.empty() && all_of(text, is_digit)) {
        int port = small_number(text);
        if (port < 0 || port > 65535) return fail("port out of range 0..65535");
        return {};
    }
    if (is_service_name(text)) return {};
    return fail("expected a port number 0..65535 or a service name");
}

Status check_host(std::string_view text) {
    if (text.empty()) return fail("empty host");
    if (text.starts_with('[')) {
        return fail("IPv6 addresses are written without brackets, with the port after a space");
    }
    if (text.find(':') != std::string_view::npos) {
        auto v6 = net::Ipv6Address::parse(text);
        if (!v6) return fail(v6.error());
        return {};
    }
    if (all_of(text, [](char c) { return is_digit(c) || c == '.'; })) {
        auto v4 = net::Ipv4Address::parse(text);
        if (!v4) return fail(v4.error());
        return {};
    }
    if (is_dns_name(text)) return {};
    return fail("{} is not an IP address or host name", text::quote(text));
}

Status check_address(std::string_view text) {
    return check_host_and_port(text, false);
}

Status check_bind_address(std::string_view text) {
    return check_host_and_port(text, true);
}

Status check_interface(std::string_view text) {
    // IFNAMSIZ is 16 including the terminating NUL.
    if (text.size() > 15) return fail("interface names are at most 15 characters on Linux");
    if (text == "." || text == "..") return fail("not an interface name");
    for (char c : text) {
        if (c == '/' || c == ' ' || c == '\t' || is_control(c) || c == ':')
            return fail("interface names may not contain \"/\", \":\" or whitespace");
    }
    return {};
}

Status check_algorithm_name(std::string_view text) {
    if (all_of(text, [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '/'; }))
        return {};
    return fail("not an OpenSSL algorithm name");
}

Status check_proxy(std::string_view text) {
    static constexpr std::array<std::string_view, 6> types = {"none",   "socks4", "socks4a",
                                                              "socks5", "http",   "exec"};
    auto tokens = text::split_whitespace(text);
    if (tokens.empty()) return fail("expected a proxy type");
    auto type = parse_choice(tokens[0], types);
    if (!type) return fail("unknown proxy type {}: {}", text::quote(tokens[0]), type.error().message);
    const std::string_view kind = types[*type];
    if (kind == "none") return {};
    if (kind == "exec") {
        if (tokens.size() < 2) return fail("exec needs a command");
        return {};
    }
    if (tokens.size() < 3) return fail("{} needs a host and a port", kind);
    if (auto host = check_host(tokens[1]); !host) return host;
    return check_port(tokens[2]);
}

Status check_hex(std::string_view text) {
    if (!text.empty() && all_of(text, is_hex)) return {};
    return fail("expected hexadecimal digits");
}

Status check_ed25519_public_key(std::string_view text) {
    std::string_view body = text;
    if (body.size() == 44 && body.back() == '=') body.remove_suffix(1);
    const bool alphabet_ok =
        all_of(body, [](char c) { return is_alnum(c) || c == '+' || c == '/' || c == '-' || c == '_'; });
    if (body.size() != 43 || !alphabet_ok) return fail("expected 32 bytes in base64 (43 or 44 characters)");
    return {};
}

Status check_metrics_address(std::string_view text) {
    if (text::iequals(text, "off")) return {};
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        if (close == std::string_view::npos) return fail("missing \"]\" after the IPv6 address");
        auto v6 = net::Ipv6Address::parse(text.substr(1, close - 1));
        if (!v6) return fail(v6.error());
        if (close + 1 >= text.size() || text[close + 1] != ':') return fail("expected \":PORT\" after \"]\"");
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail("expected HOST:PORT or off");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return fail("IPv6 addresses need brackets: [ADDRESS]:PORT");
        if (auto h = check_host(host); !h) return h;
    }
    int number = small_number(port);
    if (number < 1 || number > 65535) return fail("expected a port number 1..65535 after \":\"");
    return {};
}

std::optional<int> digest_size(std::string_view digest) {
    struct Size {
        std::string_view name;
        int bytes;
    };
    static constexpr std::array<Size, 22> sizes = {{
        {"md4", 16},        {"md5", 16},       {"mdc2", 16},     {"sha1", 20},       {"ripemd160", 20},
        {"sha224", 28},     {"sha256", 32},    {"sha384", 48},   {"sha512", 64},     {"sha2-224", 28},
        {"sha2-256", 32},   {"sha2-384", 48},  {"sha2-512", 64}, {"sha512-224", 28}, {"sha512-256", 32},
        {"sha3-224", 28},   {"sha3-256", 32},  {"sha3-384", 48}, {"sha3-512", 64},   {"blake2s256", 32},
        {"blake2b512", 64}, {"whirlpool", 64},
    }};
    for (const auto& s : sizes) {
        if (text::iequals(digest, s.name)) return s.bytes;
    }
    return std::nullopt;
}

bool is_legacy_cipher(std::string_view cipher) {
    static constexpr std::array<std::string_view, 9> families = {"bf",  "blowfish", "cast", "idea", "seed",
                                                                 "rc2", "rc4",      "rc5",  "desx"};
    static constexpr std::array<std::string_view, 7> single_des = {
        "des", "des-cbc", "des-ecb", "des-cfb", "des-cfb1", "des-cfb8", "des-ofb"};
    for (auto f : families) {
        if (text::starts_with_icase(cipher, f)) return true;
    }
    return std::any_of(single_des.begin(), single_des.end(),
                       [&](auto d) { return text::iequals(cipher, d); });
}

bool is_legacy_digest(std::string_view digest) {
    return text::iequals(digest, "md4") || text::iequals(digest, "mdc2") ||
           text::iequals(digest, "whirlpool");
}

}  // namespace sluice::config
