#include "shared/keys/node_keys.hpp"

#include <fmt/format.h>

#include "shared/crypto/key_files.hpp"
#include "shared/util/text.hpp"

namespace sluice::keys {

namespace {

Result<std::string> read_required(const config::ConfigIo& io, const std::string& path,
                                  std::string_view what) {
    auto text = io.read_file(path);
    if (!text) return fail(text.error());
    if (!*text) return fail("{} {} does not exist", what, path);
    return std::move(**text);
}

std::string resolve(const config::ConfigDir& dir, const std::string& path) {
    if (!path.empty() && path.front() == '/') return path;
    return dir.directory + "/" + path;
}

}  // namespace

std::string display_path(const config::ConfigDir& dir, const std::string& path) {
    const std::string prefix = dir.directory + "/";
    if (path.starts_with(prefix)) return path.substr(prefix.size());
    return path;
}

Result<LoadedRsaKey> load_rsa_public_key(const config::ConfigDir& dir, std::string_view node,
                                         const config::ConfigIo& io) {
    const config::Config* host = dir.host(node);
    const std::string host_label = fmt::format("hosts/{}", node);
    if (host == nullptr) return fail("{} does not exist", host_label);

    if (const config::Entry* hex = host->first("PublicKey")) {
        auto key = crypto::RsaKey::from_public_hex(hex->value);
        if (!key)
            return fail(key.error().with_context(fmt::format("{}: invalid PublicKey", hex->location())));
        return LoadedRsaKey{std::move(*key), fmt::format("{} (PublicKey)", hex->location())};
    }
    if (const config::Entry* file = host->first("PublicKeyFile")) {
        const std::string path = resolve(dir, file->value);
        auto text = read_required(io, path, "PublicKeyFile");
        if (!text) return fail(text.error().with_context(file->location()));
        auto key = crypto::RsaKey::parse_public_pem(*text);
        if (!key) return fail(key.error().with_context(display_path(dir, path)));
        return LoadedRsaKey{std::move(*key), display_path(dir, path)};
    }
    auto text = read_required(io, dir.directory + "/" + host_label, "host file");
    if (!text) return fail(text.error());
    auto key = crypto::RsaKey::parse_public_pem(*text);
    if (!key) return fail(key.error().with_context(host_label));
    return LoadedRsaKey{std::move(*key), host_label};
}

Result<LoadedRsaKey> load_rsa_private_key(const config::ConfigDir& dir, const config::ConfigIo& io) {
    if (const config::Entry* d_hex = dir.server.first("PrivateKey")) {
        const config::Config* own = dir.host(dir.name);
        const config::Entry* n_hex = own ? own->first("PublicKey") : nullptr;
        if (n_hex == nullptr) n_hex = dir.server.first("PublicKey");
        if (n_hex == nullptr)
            return fail("{}: PrivateKey needs the matching PublicKey (hex modulus) in hosts/{}",
                        d_hex->location(), dir.name);
        auto key = crypto::RsaKey::from_private_hex(n_hex->value, d_hex->value);
        if (!key)
            return fail(key.error().with_context(fmt::format("{}: invalid PrivateKey", d_hex->location())));
        return LoadedRsaKey{std::move(*key), fmt::format("{} (PrivateKey)", d_hex->location())};
    }
    const std::string& path = dir.private_key_file;
    if (!io.status(path).exists) return fail("RSA private key {} does not exist", path);
    auto secret = crypto::read_private_key_file(path);
    if (!secret) return fail(secret.error());
    auto key = crypto::RsaKey::parse_private_pem(secret->view());
    if (!key) return fail(key.error().with_context(display_path(dir, path)));
    return LoadedRsaKey{std::move(*key), display_path(dir, path)};
}

Result<std::optional<crypto::Ed25519PublicKey>> load_ed25519_public_key(const config::ConfigDir& dir,
                                                                        std::string_view node) {
    const config::Config* host = dir.host(node);
    if (host == nullptr) return fail("hosts/{} does not exist", node);
    const config::Entry* entry = host->first(crypto::kEd25519PublicKeyVariable);
    if (entry == nullptr) return std::optional<crypto::Ed25519PublicKey>{};
    auto key = crypto::Ed25519PublicKey::parse_base64(entry->value);
    if (!key)
        return fail(key.error().with_context(
            fmt::format("{}: invalid Ed25519PublicKey {}", entry->location(), text::quote(entry->value))));
    return std::optional<crypto::Ed25519PublicKey>{*key};
}

Result<std::optional<crypto::Ed25519PublicKey>> find_ed25519_public_key(const config::ConfigDir& dir,
                                                                        std::string_view node) {
    if (dir.host(node) == nullptr) return std::optional<crypto::Ed25519PublicKey>{};
    return load_ed25519_public_key(dir, node);
}

Result<std::optional<crypto::Ed25519KeyPair>> load_ed25519_private_key(const config::ConfigDir& dir,
                                                                       const config::ConfigIo& io) {
    const std::string& path = dir.ed25519_private_key_file;
    if (!io.status(path).exists) return std::optional<crypto::Ed25519KeyPair>{};
    auto secret = crypto::read_private_key_file(path);
    if (!secret) return fail(secret.error());
    auto pair = crypto::Ed25519KeyPair::parse_private_pem(secret->view());
    if (!pair) return fail(pair.error().with_context(display_path(dir, path)));
    return std::optional<crypto::Ed25519KeyPair>{std::move(*pair)};
}

}  // namespace sluice::keys
