#include "controlplane/meta/challenge.hpp"

#include <utility>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "controlplane/meta/algorithms.hpp"
#include "shared/crypto/openssl_util.hpp"

namespace sluice::meta {

std::vector<std::uint8_t> make_challenge(std::size_t len, crypto::Random& random) {
    std::vector<std::uint8_t> challenge(len);
    random.fill(challenge);
    return challenge;
}

Status check_challenge_length(std::span<const std::uint8_t> received, std::size_t own_modulus_bytes) {
    if (received.size() != own_modulus_bytes) {
        return fail("wrong challenge length: got {} bytes, expected {}", received.size(), own_modulus_bytes);
    }
    return {};
}

Result<std::vector<std::uint8_t>> reply_digest(int digest_nid, std::span<const std::uint8_t> challenge) {
    // tinc would crash on a null digest here; metakey checks make it unreachable, but the
    // function stands alone.
    if (digest_nid == 0) return fail("cannot answer a challenge with the null digest");
    auto md = fetch_digest(digest_nid);
    if (!md) return fail(std::move(md.error()));
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int produced = 0;
    ERR_clear_error();
    if (EVP_Digest(challenge.data(), challenge.size(), out.data(), &produced, md->get(), nullptr) != 1) {
        return fail("cannot compute challenge reply: {}", crypto::detail::take_openssl_errors());
    }
    out.resize(produced);
    return out;
}

Status verify_reply(int digest_nid, std::span<const std::uint8_t> sent_challenge,
                    std::span<const std::uint8_t> received_reply) {
    auto expected = reply_digest(digest_nid, sent_challenge);
    if (!expected) return fail(std::move(expected.error()));
    if (received_reply.size() != expected->size()) {
        return fail("wrong challenge reply length: got {} bytes, expected {}", received_reply.size(),
                    expected->size());
    }
    // tinc uses memcmp; a constant-time compare leaks nothing about how much of a forged
    // reply was right.
    if (CRYPTO_memcmp(received_reply.data(), expected->data(), expected->size()) != 0) {
        return fail("wrong challenge reply");
    }
    return {};
}

}  // namespace sluice::meta
