#include "controlplane/meta/meta_cipher.hpp"

#include <algorithm>
#include <climits>
#include <functional>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "controlplane/meta/algorithms.hpp"
#include "shared/crypto/openssl_util.hpp"

namespace sluice::meta {

std::uint64_t meta_byte_budget(std::size_t block_size, std::size_t iv_length) noexcept {
    const std::size_t b = block_size > 1 ? block_size : iv_length > 1 ? iv_length : 8;
    const std::size_t bits = b * 4 - 1;
    return bits < 64 ? std::uint64_t{1} << bits : UINT64_MAX;
}

Result<MetaCipherStream> MetaCipherStream::create(int cipher_nid, Direction direction,
                                                  std::span<const std::uint8_t> key,
                                                  std::span<const std::uint8_t> iv) {
    if (cipher_nid == 0) return fail("the meta connection cannot run without a cipher");
    auto cipher = fetch_cipher(cipher_nid);
    if (!cipher) return fail(std::move(cipher.error()));
    const CipherInfo info = describe_cipher(**cipher);
    if (!info.stream_mode) {
        return fail(
            "cipher {} (NID {}) is not a stream mode; the meta connection needs one such as aes-256-cfb",
            info.name, info.nid);
    }
    if (key.size() != info.key_length || iv.size() != info.iv_length) {
        return fail("cipher {} needs a {}-byte key and {}-byte IV, got {} and {}", info.name, info.key_length,
                    info.iv_length, key.size(), iv.size());
    }
    ERR_clear_error();
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    const int enc = direction == Direction::encrypt ? 1 : 0;
    // The lengths were checked above, so a null data() can only be the empty IV of a cipher
    // that takes none, which is exactly what OpenSSL's "not given" means.
    if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher->get(), key.data(), iv.data(), enc, nullptr) != 1) {
        return fail("cannot initialise cipher {}: {}", info.name, crypto::detail::take_openssl_errors());
    }
    return MetaCipherStream(std::move(ctx), info.nid, direction,
                            meta_byte_budget(info.block_size, info.iv_length));
}

Status MetaCipherStream::apply(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    if (!ctx_) return fail("meta cipher stream used after being moved from");
    if (broken_) return fail("meta cipher stream is unusable after an earlier failure");
    if (out.size() != in.size()) {
        return fail("meta cipher output is {} bytes for {} bytes of input", out.size(), in.size());
    }
    if (in.empty()) return {};
    // OpenSSL permits exact in-place operation but not partial overlap.
    const std::less<const std::uint8_t*> before{};
    const bool same = in.data() == out.data();
    const bool overlap =
        before(in.data(), out.data() + out.size()) && before(out.data(), in.data() + in.size());
    if (overlap && !same) {
        broken_ = true;
        return fail("meta cipher input and output partly overlap");
    }
    if (in.size() > remaining_) {
        broken_ = true;
        return fail("byte limit exceeded: {} more bytes, only {} left under this key", in.size(), remaining_);
    }
    remaining_ -= in.size();

    ERR_clear_error();
    std::size_t done = 0;
    while (done < in.size()) {
        // EVP_CipherUpdate counts in int; a stream mode yields exactly as many bytes as it takes.
        const int chunk = static_cast<int>(std::min<std::size_t>(in.size() - done, INT_MAX / 2));
        int produced = 0;
        if (EVP_CipherUpdate(ctx_.get(), out.data() + done, &produced, in.data() + done, chunk) != 1 ||
            produced != chunk) {
            broken_ = true;
            return fail("meta cipher failed: {}", crypto::detail::take_openssl_errors());
        }
        done += static_cast<std::size_t>(chunk);
    }
    return {};
}

void MetaCipherStream::lower_byte_limit(std::uint64_t remaining) noexcept {
    remaining_ = std::min(remaining_, remaining);
}

}  // namespace sluice::meta
