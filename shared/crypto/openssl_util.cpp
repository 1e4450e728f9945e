#include "shared/crypto/openssl_util.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

namespace sluice::crypto::detail {

std::string take_openssl_errors() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        // The reason string alone ("data too large for modulus") reads better in a log
        // line than ERR_error_string's "error:0200006E:rsa routines:..." form.
        const char* reason = ERR_reason_error_string(code);
        std::string text = reason != nullptr ? reason : fmt::format("error code 0x{:x}", code);
        // OpenSSL often stacks the same reason at several layers; report it once.
        if (out.find(text) != std::string::npos) continue;
        if (!out.empty()) out += "; ";
        out += text;
    }
    return out.empty() ? std::string("unknown OpenSSL error") : out;
}

}  // namespace sluice::crypto::detail
