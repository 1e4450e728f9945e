// Checks for single configuration values, one per value type. Each returns the reason a
// value is wrong ("expected yes or no"); callers add "FILE:LINE: invalid VAR \"value\": ".
// Pure: no I/O, no name resolution (hostnames and service names are only checked for
// syntax; the daemon resolves them when it connects, as tinc does).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "shared/util/result.hpp"

namespace sluice::config {

// tinc reads integers with sscanf("%d"): an optional sign and digits, anything after them
// ignored. `trailing_text` tells the validator to warn that part of the value was dropped.
struct TincInt {
    int value = 0;
    bool trailing_text = false;
};
[[nodiscard]] Result<TincInt> parse_tinc_int(std::string_view text);
// "must be between 0 and 11", "must be at least 1", or an empty Status when in range.
[[nodiscard]] Status check_int_range(int value, int min, int max);

// yes/no, case-insensitive, nothing else (tinc's get_config_bool).
[[nodiscard]] Result<bool> parse_bool(std::string_view text);

// One of `choices`, case-insensitive. Returns the index into `choices`.
[[nodiscard]] Result<std::size_t> parse_choice(std::string_view text,
                                               std::span<const std::string_view> choices);

// [A-Za-z0-9_]+, tinc's check_id.
[[nodiscard]] Status check_node_name(std::string_view text);
// A node name, or "$VAR" / "$HOST" for tinc.conf's Name (expanded when the directory loads).
[[nodiscard]] Status check_own_name(std::string_view text);

// A decimal port 0..65535 or a service name from /etc/services (tinc passes Port straight
// to getaddrinfo, so "tinc" works where /etc/services lists it).
[[nodiscard]] Status check_port(std::string_view text);
// An IPv4 or IPv6 literal (no brackets: tinc 1.0 passes it to getaddrinfo as is) or a DNS
// name.
[[nodiscard]] Status check_host(std::string_view text);
// "host [port]" (Address).
[[nodiscard]] Status check_address(std::string_view text);
// "host [port]" where host may be "*" for every address (BindToAddress).
[[nodiscard]] Status check_bind_address(std::string_view text);
// Linux interface names: 1..15 bytes, no '/', whitespace or control characters.
[[nodiscard]] Status check_interface(std::string_view text);
// An OpenSSL algorithm name such as "aes-256-cbc" or "sha256", or "none".
[[nodiscard]] Status check_algorithm_name(std::string_view text);
// "none", "socks4|socks4a|socks5|http HOST PORT [USER [PASSWORD]]" or "exec COMMAND".
[[nodiscard]] Status check_proxy(std::string_view text);
// Hexadecimal digits only (the obsolete PublicKey/PrivateKey forms).
[[nodiscard]] Status check_hex(std::string_view text);
// 32 bytes in base64: 43 characters, or 44 ending in "="; standard or URL-safe alphabet.
[[nodiscard]] Status check_ed25519_public_key(std::string_view text);
// "off", "198.18.0.1:9100", "[2001:db8::1]:9100" or "name:9100" (port 1..65535).
[[nodiscard]] Status check_metrics_address(std::string_view text);

// Output size in bytes of a digest tinc users name in Digest, or nullopt when unknown
// ("none" included: tinc skips the MACLength check then).
[[nodiscard]] std::optional<int> digest_size(std::string_view digest);
// Ciphers and digests that OpenSSL 3 moved to its legacy provider: tinc 1.0.36 on OpenSSL 3
// accepts the name but then silently fails to use it (reference section 6.2).
[[nodiscard]] bool is_legacy_cipher(std::string_view cipher);
[[nodiscard]] bool is_legacy_digest(std::string_view digest);

}  // namespace sluice::config
