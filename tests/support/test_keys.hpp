// Test support: RSA key pairs are slow to generate, so each test binary makes each one
// once and shares it. Header-only; for tests only.
#pragma once

#include <catch2/catch.hpp>

#include "shared/crypto/rsa_key.hpp"

namespace sluice::testing {

// The `index`-th key of `bits` bits in this test binary (index 0 and 1 are different keys).
template <int Bits, int Index = 0>
const crypto::RsaKey& rsa_key() {
    static const crypto::RsaKey key = [] {
        auto k = crypto::RsaKey::generate(Bits);
        REQUIRE(k);
        return std::move(*k);
    }();
    return key;
}

// The public half alone, as a peer knows it from hosts/NAME.
inline crypto::RsaKey public_of(const crypto::RsaKey& key) {
    auto pem = key.public_pem();
    REQUIRE(pem);
    auto pub = crypto::RsaKey::parse_public_pem(*pem);
    REQUIRE(pub);
    return std::move(*pub);
}

}  // namespace sluice::testing
