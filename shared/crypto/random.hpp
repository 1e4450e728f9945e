// Randomness as an injected dependency: the daemons use SystemRandom (libsodium's CSPRNG);
// protocol tests pass a seeded DeterministicRandom so transcripts are reproducible.
#pragma once

#include <cstdint>
#include <span>

namespace sluice::crypto {

class Random {
public:
    virtual ~Random() = default;
    virtual void fill(std::span<std::uint8_t> out) = 0;

    [[nodiscard]] std::uint32_t next_u32();
    // Uniform in [0, bound); bound > 0.
    [[nodiscard]] std::uint32_t uniform(std::uint32_t bound);
};

class SystemRandom final : public Random {
public:
    SystemRandom();  // initialises libsodium once
    void fill(std::span<std::uint8_t> out) override;
};

// NOT for keys: a reproducible stream (xorshift-style) for tests.
class DeterministicRandom final : public Random {
public:
    explicit DeterministicRandom(std::uint64_t seed) : state_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
    void fill(std::span<std::uint8_t> out) override;

private:
    std::uint64_t state_;
};

}  // namespace sluice::crypto
