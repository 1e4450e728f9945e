#include "tools/sluicectl/key_setup.hpp"

#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "shared/crypto/ed25519_key.hpp"
#include "shared/crypto/key_files.hpp"
#include "shared/crypto/rsa_key.hpp"

namespace sluice::ctl {

Result<std::vector<std::string>> generate_and_store_keys(const KeyPaths& paths, KeyKinds kinds, int bits,
                                                         bool force) {
    // Refuse before the (slow) key generation, so nothing is half-written either.
    if (!force) {
        std::vector<std::filesystem::path> targets;
        if (kinds.rsa) targets.push_back(paths.rsa_private);
        if (kinds.ed25519) targets.push_back(paths.ed25519_private);
        for (const auto& p : targets) {
            std::error_code ec;
            if (std::filesystem::exists(std::filesystem::symlink_status(p, ec)))
                return fail("{} exists; refusing to overwrite a private key without --force", p.string());
        }
    }
    std::vector<std::string> report;
    std::optional<std::string> rsa_public;
    std::optional<std::string> ed_line;
    if (kinds.rsa) {
        auto rsa = crypto::RsaKey::generate(bits);
        if (!rsa) return fail(rsa.error());
        auto rsa_private = rsa->private_pem();
        if (!rsa_private) return fail(rsa_private.error());
        auto pem = rsa->public_pem();
        if (!pem) return fail(pem.error());
        if (auto s = crypto::write_private_key_file(paths.rsa_private, rsa_private->view(), force); !s)
            return fail(s.error());
        rsa_public = std::move(*pem);
        report.push_back(fmt::format("wrote {} (RSA, {} bits, mode 0600)", paths.rsa_private.string(), bits));
    }
    if (kinds.ed25519) {
        auto ed = crypto::Ed25519KeyPair::generate();
        if (!ed) return fail(ed.error());
        if (auto s = crypto::write_private_key_file(paths.ed25519_private, ed->private_pem().view(), force);
            !s)
            return fail(s.error());
        ed_line = ed->public_key().host_file_line();
        report.push_back(fmt::format("wrote {} (Ed25519, mode 0600)", paths.ed25519_private.string()));
    }
    std::optional<std::string_view> rsa_view, ed_view;
    if (rsa_public) rsa_view = *rsa_public;
    if (ed_line) ed_view = *ed_line;
    if (auto s = crypto::append_public_keys_to_host_file(paths.host_file, rsa_view, ed_view); !s)
        return fail(s.error());
    report.push_back(fmt::format("appended the new public key{} to {}", kinds.rsa && kinds.ed25519 ? "s" : "",
                                 paths.host_file.string()));
    return report;
}

}  // namespace sluice::ctl
