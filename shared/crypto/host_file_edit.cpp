// The pure text side of adding keys to a host file (declared in key_files.hpp).
#include <string>

#include "shared/crypto/key_files.hpp"
#include "shared/util/text.hpp"

namespace sluice::crypto {
namespace {

// "-----BEGIN RSA PUBLIC KEY-----" -> "-----BEGIN OLD RSA PUBLIC KEY-----" (also END and
// the SPKI "PUBLIC KEY" label); any other line is returned unchanged. `line` excludes the
// newline but may end in CR or blanks, which are kept.
std::string retire_pem_line(std::string_view line) {
    for (std::string_view prefix : {std::string_view("-----BEGIN "), std::string_view("-----END ")}) {
        if (!line.starts_with(prefix)) continue;
        std::string_view rest = line.substr(prefix.size());
        std::string_view label = rest;
        while (!label.empty() && (label.back() == '\r' || label.back() == ' ' || label.back() == '\t')) {
            label.remove_suffix(1);
        }
        if (label == "RSA PUBLIC KEY-----" || label == "PUBLIC KEY-----") {
            return std::string(prefix) + "OLD " + std::string(rest);
        }
    }
    return std::string(line);
}

// Whether the line assigns Ed25519PublicKey. Variable names are case-insensitive in
// tinc's config syntax, and the name may be followed by blanks and/or '='.
bool is_ed25519_public_key_line(std::string_view line) {
    constexpr std::string_view kName = "Ed25519PublicKey";
    std::string_view t = text::trim(line);
    if (!text::starts_with_icase(t, kName)) return false;
    if (t.size() == kName.size()) return true;
    const char next = t[kName.size()];
    return next == '=' || next == ' ' || next == '\t';
}

}  // namespace

std::string host_file_with_new_keys(std::string_view existing, std::optional<std::string_view> rsa_public_pem,
                                    std::optional<std::string_view> ed25519_public_line) {
    std::string out;
    out.reserve(existing.size() + 1024);
    bool in_pem_block = false;
    std::size_t pos = 0;
    while (pos < existing.size()) {
        std::size_t nl = existing.find('\n', pos);
        const bool has_newline = nl != std::string_view::npos;
        std::string_view line = existing.substr(pos, (has_newline ? nl : existing.size()) - pos);
        pos = has_newline ? nl + 1 : existing.size();

        // Like tinc's config reader: everything from a -----BEGIN line to an -----END line
        // is key material, not configuration.
        if (line.starts_with("-----BEGIN")) in_pem_block = true;
        std::string edited = rsa_public_pem ? retire_pem_line(line) : std::string(line);
        if (ed25519_public_line && !in_pem_block && is_ed25519_public_key_line(line))
            edited.insert(0, "# old: ");
        out += edited;
        if (line.starts_with("-----END")) in_pem_block = false;
        if (has_newline) out += '\n';
    }

    // Separate the new keys from what was there by exactly one empty line.
    if (!out.empty()) {
        if (out.back() != '\n') out += '\n';
        if (!out.ends_with("\n\n") && out != "\n") out += '\n';
    }
    if (rsa_public_pem) {
        out += *rsa_public_pem;
        if (!out.ends_with('\n')) out += '\n';
    }
    if (ed25519_public_line) {
        out += *ed25519_public_line;
        out += '\n';
    }
    return out;
}

}  // namespace sluice::crypto
