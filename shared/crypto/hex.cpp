#include "shared/crypto/hex.hpp"

#include <string>

namespace sluice::crypto {
namespace {

// -1 for anything that is not a hex digit. Written out instead of using std::isxdigit
// because the <cctype> functions depend on the C locale.
int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// A printable rendering of a rejected character for the error message; control and
// non-ASCII bytes must not end up raw in a one-line log.
std::string describe_char(char c) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return fmt::format("'{}'", c);
    return fmt::format("byte 0x{:02x}", byte);
}

}  // namespace

std::string to_hex_upper(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

Status decode_hex_into(std::string_view hex, std::span<std::uint8_t> out) {
    if (hex.size() % 2 != 0) return fail("odd number of hex digits ({})", hex.size());
    if (out.size() != hex.size() / 2) {
        return fail("{} hex digits do not fit a {}-byte buffer", hex.size(), out.size());
    }
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_value(hex[i]);
        if (hi < 0) return fail("invalid hex digit {} at position {}", describe_char(hex[i]), i);
        int lo = hex_value(hex[i + 1]);
        if (lo < 0) return fail("invalid hex digit {} at position {}", describe_char(hex[i + 1]), i + 1);
        out[i / 2] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return {};
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
    // Checked before allocating so an odd length reports that, not a size mismatch.
    if (hex.size() % 2 != 0) return fail("odd number of hex digits ({})", hex.size());
    std::vector<std::uint8_t> out(hex.size() / 2);
    if (auto ok = decode_hex_into(hex, out); !ok) return fail(std::move(ok.error()));
    return out;
}

Result<SecretBuffer> from_hex_secret(std::string_view hex) {
    if (hex.size() % 2 != 0) return fail("odd number of hex digits ({})", hex.size());
    SecretBuffer out(hex.size() / 2);
    // On failure `out` is destroyed and wiped, so a half-decoded secret does not survive.
    if (auto ok = decode_hex_into(hex, out.span()); !ok) return fail(std::move(ok.error()));
    return out;
}

}  // namespace sluice::crypto
