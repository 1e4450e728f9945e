#include "shared/crypto/sodium_init.hpp"

#include <sodium.h>

namespace sluice::crypto {

Status ensure_sodium_initialized() {
    // sodium_init returns 0 on first success, 1 if already initialised and -1 on failure
    // (e.g. no entropy source). The static makes the call once even under concurrency.
    static const bool ok = sodium_init() >= 0;
    if (!ok) return fail("libsodium initialisation failed (no usable random source?)");
    return {};
}

}  // namespace sluice::crypto
