// Hex encoding as tinc uses it on the wire: METAKEY, CHALLENGE, CHAL_REPLY and ANS_KEY carry
// binary data as hex tokens.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto/secret.hpp"
#include "shared/util/result.hpp"

namespace sluice::crypto {

// Uppercase, two digits per byte, no separators: exactly what tinc 1.0 emits (its bin2hex
// table is "0123456789ABCDEF"). Peers accept either case, but matching tinc byte for byte
// keeps captures comparable.
[[nodiscard]] std::string to_hex_upper(std::span<const std::uint8_t> bytes);

// Decodes hex in either case. Rejects an odd number of digits and any non-hex character;
// the error names the 0-based position of the first bad character. No whitespace, sign or
// "0x" prefix is accepted: tokens on the wire never have them.
[[nodiscard]] Result<std::vector<std::uint8_t>> from_hex(std::string_view hex);

// Same as from_hex, for hex that encodes a secret (an ANS_KEY session key): the decoded
// bytes go straight into a wiping buffer.
[[nodiscard]] Result<SecretBuffer> from_hex_secret(std::string_view hex);

// Decodes into out, which must be exactly hex.size() / 2 bytes. The building block of the
// two functions above, for callers that already own the destination.
[[nodiscard]] Status decode_hex_into(std::string_view hex, std::span<std::uint8_t> out);

}  // namespace sluice::crypto
