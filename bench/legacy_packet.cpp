// Seal and open throughput of tinc's legacy UDP packets (aes-256-cbc + HMAC-SHA256/4, tinc's
// default) through LegacyCipherState, against a baseline measured in the same run: the same
// datagram built the one-shot way (cipher re-keyed per packet, HMAC() per packet), which is
// what a straightforward port of tinc's send path costs.
//
// Usage: bench_legacy_packet [seconds per measurement, default 0.5]
// Gbit/s counts payload (frame) bytes. "open" includes copying the datagram into the work
// buffer, since open decrypts in place; that copy is small next to CBC + HMAC.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>

#include "dataplane/crypto/legacy_cipher.hpp"

using sluice::dataplane::crypto::LegacyCipherState;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t headroom = 16;
constexpr std::size_t batch = 256;

struct Rate {
    double packets_per_second = 0;
    double gbit_per_second = 0;
};

// Runs `step` in batches until `seconds` have passed; `step` returns bytes it produced, summed
// into a sink so the work cannot be optimised away.
template <typename Step>
Rate measure(double seconds, std::size_t payload, Step&& step) {
    std::uint64_t packets = 0;
    std::uint64_t sink = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    auto now = start;
    do {
        for (std::size_t i = 0; i < batch; ++i) sink += step();
        packets += batch;
        now = Clock::now();
    } while (now < deadline);
    volatile std::uint64_t keep = sink;
    (void)keep;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const double pps = static_cast<double>(packets) / elapsed;
    return {pps, pps * static_cast<double>(payload) * 8.0 / 1e9};
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
    if (seconds <= 0) {
        fmt::print(stderr, "usage: bench_legacy_packet [seconds per measurement]\n");
        return 2;
    }

    std::array<std::uint8_t, 48> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 131 + 17);
    auto created = LegacyCipherState::create(NID_aes_256_cbc, NID_sha256, 4, key);
    if (!created) {
        fmt::print(stderr, "bench_legacy_packet: {}\n", created.error().message);
        return 1;
    }
    LegacyCipherState state = std::move(*created);
    EVP_CIPHER_CTX* oneshot = EVP_CIPHER_CTX_new();

    fmt::print("tinc legacy UDP packets, aes-256-cbc + HMAC-SHA256/4, {:.2f} s per cell, one core\n",
               seconds);
    fmt::print("{:>7} | {:>10} {:>8} | {:>10} {:>8} | {:>15} | {:>11}\n", "payload", "seal Mpps", "Gbit/s",
               "open Mpps", "Gbit/s", "one-shot Gbit/s", "seal/1-shot");
    fmt::print("{:-<7}-+-{:-<19}-+-{:-<19}-+-{:-<15}-+-{:-<11}\n", "", "", "", "", "");

    for (std::size_t size : {64u, 512u, 1420u, 1518u}) {
        std::vector<std::uint8_t> buffer(headroom + size + state.tailroom(), 0x5A);
        std::uint32_t seqno = 0;

        const Rate seal =
            measure(seconds, size, [&] { return state.seal(++seqno, buffer, headroom, size).length; });

        const auto sealed = state.seal(1, buffer, headroom, size);
        const std::vector<std::uint8_t> datagram(sealed.datagram(buffer).begin(),
                                                 sealed.datagram(buffer).end());
        std::vector<std::uint8_t> work(datagram.size());
        const Rate open = measure(seconds, size, [&] {
            std::memcpy(work.data(), datagram.data(), datagram.size());
            const auto opened = state.open(work);
            return opened.ok() ? opened.payload_length : 0;
        });
        work = datagram;  // the loop opened `work` in place; check a fresh copy once
        if (!state.open(work).ok()) {
            fmt::print(stderr, "bench_legacy_packet: sealed datagram does not open\n");
            return 1;
        }

        // Baseline: the same bytes, built the obvious way (re-key per packet, one-shot HMAC).
        std::vector<std::uint8_t> plain(4 + size, 0x5A);
        std::vector<std::uint8_t> out(plain.size() + 16 + 4);
        const Rate baseline = measure(seconds, size, [&] {
            ++seqno;
            std::memcpy(plain.data(), &seqno, 4);
            int n1 = 0, n2 = 0;
            EVP_EncryptInit_ex(oneshot, EVP_aes_256_cbc(), nullptr, key.data(), key.data() + 32);
            EVP_EncryptUpdate(oneshot, out.data(), &n1, plain.data(), static_cast<int>(plain.size()));
            EVP_EncryptFinal_ex(oneshot, out.data() + n1, &n2);
            unsigned char mac[EVP_MAX_MD_SIZE];
            unsigned mac_length = 0;
            HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), out.data(),
                 static_cast<std::size_t>(n1 + n2), mac, &mac_length);
            std::memcpy(out.data() + n1 + n2, mac, 4);
            return static_cast<std::size_t>(n1 + n2) + 4;
        });

        fmt::print("{:>7} | {:>10.3f} {:>8.2f} | {:>10.3f} {:>8.2f} | {:>15.2f} | {:>10.2f}x\n", size,
                   seal.packets_per_second / 1e6, seal.gbit_per_second, open.packets_per_second / 1e6,
                   open.gbit_per_second, baseline.gbit_per_second,
                   seal.gbit_per_second / baseline.gbit_per_second);
    }
    EVP_CIPHER_CTX_free(oneshot);
    return 0;
}
