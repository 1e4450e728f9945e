#include "shared/crypto/random.hpp"

#include <cstdlib>

#include <sodium.h>

#include "shared/crypto/sodium_init.hpp"

namespace sluice::crypto {

std::uint32_t Random::next_u32() {
    std::uint8_t b[4];
    fill(b);
    return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
           static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

std::uint32_t Random::uniform(std::uint32_t bound) {
    // Rejection sampling keeps the result unbiased for any bound.
    const std::uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
    std::uint32_t v;
    do {
        v = next_u32();
    } while (v >= limit);
    return v % bound;
}

SystemRandom::SystemRandom() {
    // Without libsodium there is no safe randomness at all: a fatal start-up failure.
    if (!ensure_sodium_initialized()) std::abort();
}

void SystemRandom::fill(std::span<std::uint8_t> out) {
    randombytes_buf(out.data(), out.size());
}

void DeterministicRandom::fill(std::span<std::uint8_t> out) {
    for (auto& byte : out) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        byte = static_cast<std::uint8_t>(state_ >> 32);
    }
}

}  // namespace sluice::crypto
