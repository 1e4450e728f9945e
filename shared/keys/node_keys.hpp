// Where a node's keys come from, in tinc 1.0.36's order of precedence. This joins the
// configuration (which variables point where) with the key parsers in shared/crypto.
//
// RSA public key of node N: "PublicKey = <hex>" in hosts/N (obsolete, e = 0xFFFF), then
// "PublicKeyFile = PATH", then the PEM block inside hosts/N.
// RSA private key of this node: "PrivateKey = <hex d>" (obsolete; needs PublicKey), then
// PrivateKeyFile, default CONFDIR/rsa_key.priv.
// Ed25519 (sluice's own protocol): "Ed25519PublicKey" in hosts/N; the private key in
// Ed25519PrivateKeyFile, default CONFDIR/ed25519_key.priv.
#pragma once

#include <optional>
#include <string>

#include "shared/config/config_dir.hpp"
#include "shared/crypto/ed25519_key.hpp"
#include "shared/crypto/rsa_key.hpp"
#include "shared/util/result.hpp"

namespace sluice::keys {

struct LoadedRsaKey {
    crypto::RsaKey key;
    std::string source;  // "hosts/beta", "rsa_key.priv", "hosts/beta:4 (PublicKey)", ...
};

[[nodiscard]] Result<LoadedRsaKey> load_rsa_public_key(const config::ConfigDir& dir, std::string_view node,
                                                       const config::ConfigIo& io = config::system_io());
[[nodiscard]] Result<LoadedRsaKey> load_rsa_private_key(const config::ConfigDir& dir,
                                                        const config::ConfigIo& io = config::system_io());

// nullopt when hosts/NODE has no Ed25519PublicKey: that node speaks tinc's protocol only.
[[nodiscard]] Result<std::optional<crypto::Ed25519PublicKey>> load_ed25519_public_key(
    const config::ConfigDir& dir, std::string_view node);
// The same question as the control plane asks it of any node in the graph: a node without
// a hosts file (one known only from the meta protocol) has no key rather than an error.
[[nodiscard]] Result<std::optional<crypto::Ed25519PublicKey>> find_ed25519_public_key(
    const config::ConfigDir& dir, std::string_view node);
// nullopt when the private key file does not exist (the node then speaks tinc's protocol
// only); an error when it exists but cannot be used.
[[nodiscard]] Result<std::optional<crypto::Ed25519KeyPair>> load_ed25519_private_key(
    const config::ConfigDir& dir, const config::ConfigIo& io = config::system_io());

// "rsa_key.priv" for a path inside the configuration directory, else the path itself.
[[nodiscard]] std::string display_path(const config::ConfigDir& dir, const std::string& path);

}  // namespace sluice::keys
