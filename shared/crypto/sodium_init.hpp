// One-time libsodium initialisation.
#pragma once

#include "shared/util/result.hpp"

namespace sluice::crypto {

// Calls sodium_init() exactly once per process, however many threads ask at the same
// time (a function-local static), and reports whether it worked. libsodium needs it
// before randombytes and to pick its fastest implementations.
[[nodiscard]] Status ensure_sodium_initialized();

}  // namespace sluice::crypto
