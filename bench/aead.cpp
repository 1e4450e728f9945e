// Seal and open throughput of the native protocol's AEADs through dataplane::crypto::Aead, for
// each suite and backend, against a baseline measured in the same run: libsodium's
// ChaCha20-Poly1305, the one combination every node can run. The figures pick the backend
// (performance.md: "a crypto facade with both backends, picked by measurement").
//
// Usage: bench_aead [seconds per measurement, default 0.3]
// Gbit/s counts payload bytes. Each call carries a 16-byte AAD (the native header) and a fresh
// nonce. "open" includes copying the sealed bytes into the work buffer, since open decrypts in
// place; the copy is reported separately (memcpy column) so it can be taken out.
#include "dataplane/crypto/aead.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace sluice::dataplane::crypto;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t batch = 64;

// Runs `step` in batches until `seconds` have passed; returns payload Gbit/s.
template <typename Step>
double measure(double seconds, std::size_t payload, Step&& step) {
    std::uint64_t calls = 0;
    std::uint64_t sink = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    auto now = start;
    do {
        for (std::size_t i = 0; i < batch; ++i) sink += step();
        calls += batch;
        now = Clock::now();
    } while (now < deadline);
    volatile std::uint64_t keep = sink;
    (void)keep;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    return static_cast<double>(calls) * static_cast<double>(payload) * 8.0 / 1e9 / elapsed;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown";
}

struct Combo {
    AeadAlgorithm algorithm;
    AeadBackend backend;
};

struct Figures {
    double seal = 0;
    double open = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
    if (seconds <= 0) {
        fmt::print(stderr, "usage: bench_aead [seconds per measurement]\n");
        return 2;
    }
    // The baseline first: every ratio divides by it.
    const std::array<Combo, 4> combos = {{
        {AeadAlgorithm::chacha20_poly1305, AeadBackend::libsodium},
        {AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl},
        {AeadAlgorithm::aes_256_gcm, AeadBackend::libsodium},
        {AeadAlgorithm::aes_256_gcm, AeadBackend::openssl},
    }};
    std::array<std::uint8_t, aead_key_length> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 29 + 3);
    std::array<std::uint8_t, 16> aad{};
    aad[0] = 0xA1;
    aad[1] = 0x10;

    fmt::print("native AEADs, {:.2f} s per cell, one core, CPU: {}\n", seconds, cpu_model());
    fmt::print("ratio = Gbit/s / libsodium chacha20-poly1305 at the same size and operation\n");
    fmt::print("{:>6} | {:<17} {:<9} | {:>8} {:>6} | {:>8} {:>6} | {:>7}\n", "bytes", "suite", "backend",
               "seal", "ratio", "open", "ratio", "memcpy");
    fmt::print("{:-<6}-+-{:-<27}-+-{:-<15}-+-{:-<15}-+-{:-<7}\n", "", "", "", "", "");

    for (std::size_t size : {64u, 256u, 1420u, 9000u, 65000u}) {
        std::vector<std::uint8_t> text(size, 0x5A);
        std::vector<std::uint8_t> work(size);
        const double copy = measure(seconds, size, [&] {
            std::memcpy(work.data(), text.data(), size);
            return static_cast<std::size_t>(work[size / 2]);
        });
        Figures baseline;
        for (const Combo& combo : combos) {
            if (!aead_available(combo.algorithm, combo.backend)) {
                fmt::print("{:>6} | {:<17} {:<9} | not available on this CPU\n", size, name(combo.algorithm),
                           name(combo.backend));
                continue;
            }
            auto created = Aead::create(combo.algorithm, combo.backend, key);
            if (!created) {
                fmt::print(stderr, "bench_aead: {}\n", created.error().message);
                return 1;
            }
            Aead aead = std::move(*created);
            std::array<std::uint8_t, aead_nonce_length> nonce{};
            std::array<std::uint8_t, aead_tag_length> tag{};
            std::uint64_t counter = 0;
            std::vector<std::uint8_t> buffer(size, 0x5A);

            Figures f;
            f.seal = measure(seconds, size, [&] {
                ++counter;
                std::memcpy(nonce.data() + 4, &counter, 8);
                return aead.seal(nonce, aad, buffer, tag) ? size : 0;
            });

            // One sealed packet, opened again and again from a fresh copy.
            std::vector<std::uint8_t> sealed(size, 0x5A);
            std::memcpy(nonce.data() + 4, &counter, 8);
            if (!aead.seal(nonce, aad, sealed, tag)) return 1;
            f.open = measure(seconds, size, [&] {
                std::memcpy(work.data(), sealed.data(), size);
                return aead.open(nonce, aad, work, tag) ? size : 0;
            });
            std::memcpy(work.data(), sealed.data(), size);
            if (!aead.open(nonce, aad, work, tag)) {
                fmt::print(stderr, "bench_aead: a sealed buffer does not open\n");
                return 1;
            }
            if (combo.algorithm == AeadAlgorithm::chacha20_poly1305 &&
                combo.backend == AeadBackend::libsodium) {
                baseline = f;
            }
            fmt::print("{:>6} | {:<17} {:<9} | {:>8.2f} {:>5.2f}x | {:>8.2f} {:>5.2f}x | {:>7.1f}\n", size,
                       name(combo.algorithm), name(combo.backend), f.seal, f.seal / baseline.seal, f.open,
                       f.open / baseline.open, copy);
        }
    }
    return 0;
}
