// Making a node's key pairs and putting them on disk: shared by `init` and `generate-keys`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::ctl {

struct KeyPaths {
    std::filesystem::path rsa_private;      // rsa_key.priv or PrivateKeyFile
    std::filesystem::path ed25519_private;  // ed25519_key.priv or Ed25519PrivateKeyFile
    std::filesystem::path host_file;        // hosts/NAME
};

inline constexpr int default_rsa_bits = 2048;

struct KeyKinds {
    bool rsa = true;
    bool ed25519 = true;
};

// Generates the requested key pairs (RSA of `bits`), writes the private keys (0600; an
// existing one only with force) and appends the public keys to the host file. Returns the
// lines to show the user, one per file written.
[[nodiscard]] Result<std::vector<std::string>> generate_and_store_keys(const KeyPaths& paths, KeyKinds kinds,
                                                                       int bits, bool force);

}  // namespace sluice::ctl
