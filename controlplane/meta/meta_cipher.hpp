// One direction of a tinc 1.0 meta connection's encryption (spec 2.3): after its METAKEY
// line, each side runs everything it sends through one cipher context that is never reset,
// so the stream is a single CFB keystream over the rest of the connection, cut into
// whatever chunks the socket happens to deliver. There is no MAC: integrity rests on the
// line parser rejecting garbage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <openssl/types.h>

#include "shared/crypto/openssl_ptr.hpp"
#include "shared/util/result.hpp"

namespace sluice::meta {

// tinc's per-direction limit (protocol_auth.c byte_budget): 2^(4*B - 1) bytes, where B is
// the block size, or the IV length when the mode makes the block size 1 (CFB, OFB), or 8
// when both are 1 or less. Past about 2^(4B) blocks a birthday collision in the cipher's
// state becomes likely (Sweet32 for 64-bit blocks), so the link is dropped instead.
// Saturates at UINT64_MAX for B >= 17. AES-CFB: 2^63; a 64-bit-block cipher: 2^31.
[[nodiscard]] std::uint64_t meta_byte_budget(std::size_t block_size, std::size_t iv_length) noexcept;

class MetaCipherStream {
public:
    enum class Direction : std::uint8_t { encrypt, decrypt };

    // key and iv must have exactly the cipher's key and IV lengths. The cipher must be a
    // stream mode (CFB, OFB, CTR, stream cipher): block modes cannot turn every chunk into
    // the same number of bytes, and tinc treats that as a fatal decryption error.
    [[nodiscard]] static Result<MetaCipherStream> create(int cipher_nid, Direction direction,
                                                         std::span<const std::uint8_t> key,
                                                         std::span<const std::uint8_t> iv);

    MetaCipherStream(MetaCipherStream&&) noexcept = default;
    MetaCipherStream& operator=(MetaCipherStream&&) noexcept = default;
    MetaCipherStream(const MetaCipherStream&) = delete;
    MetaCipherStream& operator=(const MetaCipherStream&) = delete;
    ~MetaCipherStream() = default;

    // Encrypts or decrypts (per the direction) in into out, continuing the stream where
    // the previous call stopped. out must be as long as in; in and out may be the same
    // bytes (in place) but must not partly overlap. Fails with "byte limit exceeded" when
    // in would take the stream past its budget (nothing is processed then), and after any
    // failure the stream refuses all further input: the caller must close the connection,
    // as tinc does.
    [[nodiscard]] Status apply(std::span<const std::uint8_t> in, std::span<std::uint8_t> out);

    [[nodiscard]] int cipher_nid() const noexcept { return nid_; }
    [[nodiscard]] Direction direction() const noexcept { return direction_; }
    // Bytes still allowed through before the link must close.
    [[nodiscard]] std::uint64_t bytes_remaining() const noexcept { return remaining_; }

    // Lowers the remaining budget (never raises it): lets tests reach the limit without
    // pushing 2^31 bytes through, and lets a caller enforce a stricter policy.
    void lower_byte_limit(std::uint64_t remaining) noexcept;

private:
    using CtxPtr = crypto::EvpCipherCtxPtr;

    MetaCipherStream(CtxPtr ctx, int nid, Direction direction, std::uint64_t budget) noexcept
        : ctx_(std::move(ctx)), nid_(nid), direction_(direction), remaining_(budget) {}

    CtxPtr ctx_;  // holds the key schedule; EVP_CIPHER_CTX_free wipes it
    int nid_ = 0;
    Direction direction_ = Direction::encrypt;
    std::uint64_t remaining_ = 0;
    bool broken_ = false;
};

}  // namespace sluice::meta
