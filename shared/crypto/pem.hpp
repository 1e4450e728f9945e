// Locating PEM blocks inside larger texts. tinc host files mix "Var = value" lines with PEM
// blocks, and rsa_key.priv starts with an empty line, so key parsers first find their
// block and hand only that to the decoder.
#pragma once

#include <optional>
#include <string_view>

#include "shared/util/result.hpp"

namespace sluice::crypto {

struct PemBlock {
    // From the first byte of the BEGIN line through the END line (and its newline, if
    // any): a complete PEM document for OpenSSL's decoder.
    std::string_view text;
    // The lines between BEGIN and END, unmodified (base64, possibly with headers).
    std::string_view body;
    // 1-based line number of the BEGIN line in the searched text, for error messages.
    std::size_t line = 0;
};

// Finds the first block whose BEGIN line is exactly "-----BEGIN <label>-----", starting in
// column 0 like OpenSSL's PEM reader requires; trailing spaces, tabs and CR are ignored.
// Exact matching is what makes "-----BEGIN OLD RSA PUBLIC KEY-----" invisible to a search
// for "RSA PUBLIC KEY", which is how tinc retires replaced keys.
// nullopt when there is no such block; an error when the BEGIN line has no matching END.
[[nodiscard]] Result<std::optional<PemBlock>> find_pem_block(std::string_view text, std::string_view label);

}  // namespace sluice::crypto
