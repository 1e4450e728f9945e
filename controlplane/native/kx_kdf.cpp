#include "controlplane/native/kx_kdf.hpp"

#include <algorithm>
#include <array>

#include <sodium.h>

namespace sluice::native {

static_assert(crypto_scalarmult_curve25519_BYTES == x25519_key_length);
static_assert(crypto_scalarmult_curve25519_SCALARBYTES == x25519_key_length);
static_assert(crypto_auth_hmacsha256_BYTES == kx_hash_length);

namespace {

constexpr std::size_t hash_length = crypto_auth_hmacsha256_BYTES;

// HMAC-SHA-256 over the concatenation of `parts`, into out (32 bytes). The state holds the
// key's pads, so it is wiped afterwards.
void hmac(std::span<const std::uint8_t> key, std::initializer_list<std::span<const std::uint8_t>> parts,
          std::uint8_t* out) {
    // libsodium declares its pointers non-null even for zero lengths (an empty HKDF salt, an
    // empty part): hand it a valid address then.
    static constexpr std::uint8_t nothing = 0;
    auto ptr = [](std::span<const std::uint8_t> s) { return s.empty() ? &nothing : s.data(); };
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, ptr(key), key.size());
    for (auto part : parts) crypto_auth_hmacsha256_update(&state, ptr(part), part.size());
    crypto_auth_hmacsha256_final(&state, out);
    sodium_memzero(&state, sizeof state);
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

crypto::SecretBuffer hkdf_extract(std::span<const std::uint8_t> salt, std::span<const std::uint8_t> ikm) {
    crypto::SecretBuffer prk(hash_length);
    // RFC 5869 2.2: PRK = HMAC(salt, IKM); an empty salt means HashLen zero bytes, which
    // HMAC's key padding makes the same as an empty key.
    hmac(salt, {ikm}, prk.data());
    return prk;
}

crypto::SecretBuffer hkdf_expand(std::span<const std::uint8_t> prk, std::span<const std::uint8_t> info,
                                 std::size_t length) {
    crypto::SecretBuffer okm(length);
    crypto::SecretBuffer block(hash_length);
    std::size_t done = 0;
    // RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty, i from 1 to at most 255.
    for (std::uint8_t i = 1; done < length && i != 0; ++i) {
        const std::uint8_t counter[1] = {i};
        const std::span<const std::uint8_t> previous =
            i == 1 ? std::span<const std::uint8_t>{} : block.span();
        std::array<std::uint8_t, hash_length> t{};
        hmac(prk, {previous, info, counter}, t.data());
        std::copy(t.begin(), t.end(), block.data());
        const std::size_t take = std::min(hash_length, length - done);
        std::copy_n(t.begin(), take, okm.data() + done);
        sodium_memzero(t.data(), t.size());
        done += take;
    }
    return okm;
}

X25519Public x25519_public(std::span<const std::uint8_t> secret) {
    X25519Public out{};
    crypto_scalarmult_curve25519_base(out.data(), secret.data());
    return out;
}

Result<crypto::SecretBuffer> x25519_shared(std::span<const std::uint8_t> secret,
                                           const X25519Public& peer_public) {
    if (secret.size() != x25519_key_length)
        return fail("an X25519 secret is 32 bytes, not {}", secret.size());
    crypto::SecretBuffer shared(x25519_key_length);
    // libsodium returns -1 for a small-order point and for an all-zero result; the second
    // test keeps the guarantee whatever the library version does.
    if (crypto_scalarmult_curve25519(shared.data(), secret.data(), peer_public.data()) != 0 ||
        sodium_is_zero(shared.data(), shared.size()) == 1) {
        return fail("low-order X25519 public key (the shared secret would be all zero)");
    }
    return shared;
}

KxHash transcript_hash(KxNames names, const InitMessage& init, const RespMessage& resp) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, bytes_of(transcript_label).data(), transcript_label.size());
    for (std::string_view name : {names.initiator, names.responder}) {
        // kx_session only gets here with names that signed_input() accepted (<= 255 bytes).
        const std::uint8_t length = static_cast<std::uint8_t>(name.size());
        crypto_hash_sha256_update(&state, &length, 1);
        crypto_hash_sha256_update(&state, bytes_of(name).data(), name.size());
    }
    const auto init_bytes = to_bytes(init);
    const auto resp_bytes = to_bytes(resp);
    crypto_hash_sha256_update(&state, init_bytes.data(), init_bytes.size());
    crypto_hash_sha256_update(&state, resp_bytes.data(), resp_bytes.size());
    KxHash out{};
    crypto_hash_sha256_final(&state, out.data());
    return out;
}

crypto::SecretBuffer lane_key(std::span<const std::uint8_t> prk, KxDirection direction, std::uint16_t lane) {
    std::array<std::uint8_t, key_info_label.size() + 3> info{};
    std::copy(key_info_label.begin(), key_info_label.end(), info.begin());
    info[key_info_label.size()] = static_cast<std::uint8_t>(direction);
    info[key_info_label.size() + 1] = static_cast<std::uint8_t>(lane >> 8);
    info[key_info_label.size() + 2] = static_cast<std::uint8_t>(lane);
    return hkdf_expand(prk, info, native_key_length);
}

NativeKeys derive_native_keys(const DeriveInput& input, std::span<const std::uint8_t> shared,
                              const KxHash& transcript) {
    const crypto::SecretBuffer prk = hkdf_extract(transcript, shared);
    const bool initiator = input.role == KxRole::initiator;
    const KxDirection send =
        initiator ? KxDirection::initiator_to_responder : KxDirection::responder_to_initiator;
    const KxDirection receive =
        initiator ? KxDirection::responder_to_initiator : KxDirection::initiator_to_responder;
    NativeKeys keys;
    keys.suite = input.suite;
    keys.role = input.role;
    keys.local_index = input.local_index;
    keys.remote_index = input.remote_index;
    keys.local_lanes = input.local_lanes;
    keys.remote_lanes = input.remote_lanes;
    keys.created = input.created;
    keys.send_keys.reserve(input.local_lanes);
    for (std::uint16_t lane = 0; lane < input.local_lanes; ++lane) {
        keys.send_keys.push_back(lane_key(prk.span(), send, lane));
    }
    keys.receive_keys.reserve(input.remote_lanes);
    for (std::uint16_t lane = 0; lane < input.remote_lanes; ++lane) {
        keys.receive_keys.push_back(lane_key(prk.span(), receive, lane));
    }
    return keys;
}

}  // namespace sluice::native
