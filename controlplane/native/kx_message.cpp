#include "controlplane/native/kx_message.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

#include "shared/crypto/sodium_init.hpp"
#include "shared/util/text.hpp"

namespace sluice::native {

static_assert(init_token_length + 1 ==
              sodium_base64_ENCODED_LEN(init_length, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
static_assert(resp_token_length + 1 ==
              sodium_base64_ENCODED_LEN(resp_length, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
static_assert(init_signed_length + crypto::kEd25519SignatureBytes == init_length);
static_assert(resp_signed_length + crypto::kEd25519SignatureBytes == resp_length);
static_assert(kx_hash_length == crypto_hash_sha256_BYTES);

namespace {

// Field offsets, shared by both messages up to byte 8 (docs/protocol.md has the tables).
constexpr std::size_t off_version = 0;
constexpr std::size_t off_type = 1;
constexpr std::size_t off_lanes = 2;
constexpr std::size_t off_index = 4;
constexpr std::size_t init_off_suites = 8;
constexpr std::size_t init_off_timestamp = 12;
constexpr std::size_t init_off_ephemeral = 20;
constexpr std::size_t resp_off_suite = 8;
constexpr std::size_t resp_off_reserved = 9;
constexpr std::size_t resp_off_hash = 12;
constexpr std::size_t resp_off_ephemeral = 44;

void put_be(std::uint8_t* out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
}

std::uint64_t get_be(const std::uint8_t* in, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | in[i];
    return value;
}

Status check_names(KxNames names) {
    for (std::string_view name : {names.initiator, names.responder}) {
        if (!text::is_valid_node_name(name)) return fail("invalid node name {}", text::quote(name));
        if (name.size() > kx_max_name_length) {
            return fail("node name of {} characters is longer than {}", name.size(), kx_max_name_length);
        }
    }
    return {};
}

Result<std::vector<std::uint8_t>> assemble(std::string_view label, KxNames names,
                                           std::span<const std::uint8_t> body) {
    if (auto ok = check_names(names); !ok) return fail(std::move(ok.error()));
    std::vector<std::uint8_t> out;
    out.reserve(label.size() + 2 + names.initiator.size() + names.responder.size() + body.size());
    out.insert(out.end(), label.begin(), label.end());
    for (std::string_view name : {names.initiator, names.responder}) {
        out.push_back(static_cast<std::uint8_t>(name.size()));
        out.insert(out.end(), name.begin(), name.end());
    }
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

Status check_lanes_index(std::uint16_t lanes, std::uint32_t index) {
    if (lanes < 1 || lanes > kx_max_lanes) return fail("lane count {} is not in 1..{}", lanes, kx_max_lanes);
    if (index == 0) return fail("session index 0 is reserved");
    return {};
}

Status check_suites(std::span<const Suite> suites) {
    if (suites.empty()) return fail("no suite offered");
    if (suites.size() > kx_max_suites)
        return fail("{} suites offered, at most {}", suites.size(), kx_max_suites);
    for (std::size_t i = 0; i < suites.size(); ++i) {
        if (static_cast<std::uint8_t>(suites[i]) == 0)
            return fail("suite slot {} is empty between offered suites", i);
        for (std::size_t j = 0; j < i; ++j) {
            if (suites[j] == suites[i]) return fail("suite {} offered twice", static_cast<int>(suites[i]));
        }
    }
    return {};
}

Status check(const InitMessage& m) {
    if (auto ok = check_lanes_index(m.lanes, m.initiator_index); !ok) return ok;
    return check_suites(m.suites);
}

Status check(const RespMessage& m) {
    if (auto ok = check_lanes_index(m.lanes, m.responder_index); !ok) return ok;
    if (!is_known(m.suite)) return fail("unknown suite {} chosen", static_cast<int>(m.suite));
    return {};
}

std::string to_base64url(std::span<const std::uint8_t> bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.pop_back();  // the terminator libsodium writes
    return out;
}

template <typename Message>
bool verify_with(const Message& message, KxNames names, const crypto::Ed25519PublicKey& key) {
    auto input = signed_input(message, names);
    return input && key.verify(*input, message.signature);
}

}  // namespace

std::array<std::uint8_t, init_length> to_bytes(const InitMessage& m) {
    std::array<std::uint8_t, init_length> out{};
    out[off_version] = kx_version;
    out[off_type] = static_cast<std::uint8_t>(KxType::init);
    put_be(&out[off_lanes], m.lanes, 2);
    put_be(&out[off_index], m.initiator_index, 4);
    for (std::size_t i = 0; i < std::min(m.suites.size(), kx_max_suites); ++i) {
        out[init_off_suites + i] = static_cast<std::uint8_t>(m.suites[i]);
    }
    put_be(&out[init_off_timestamp], m.timestamp_ns, 8);
    std::copy(m.ephemeral.begin(), m.ephemeral.end(), &out[init_off_ephemeral]);
    std::copy(m.signature.begin(), m.signature.end(), &out[init_signed_length]);
    return out;
}

std::array<std::uint8_t, resp_length> to_bytes(const RespMessage& m) {
    std::array<std::uint8_t, resp_length> out{};
    out[off_version] = kx_version;
    out[off_type] = static_cast<std::uint8_t>(KxType::resp);
    put_be(&out[off_lanes], m.lanes, 2);
    put_be(&out[off_index], m.responder_index, 4);
    out[resp_off_suite] = static_cast<std::uint8_t>(m.suite);
    std::copy(m.init_hash.begin(), m.init_hash.end(), &out[resp_off_hash]);
    std::copy(m.ephemeral.begin(), m.ephemeral.end(), &out[resp_off_ephemeral]);
    std::copy(m.signature.begin(), m.signature.end(), &out[resp_signed_length]);
    return out;
}

Result<std::vector<std::uint8_t>> signed_input(const InitMessage& message, KxNames names) {
    const auto bytes = to_bytes(message);
    return assemble(init_label, names, std::span(bytes).first(init_signed_length));
}

Result<std::vector<std::uint8_t>> signed_input(const RespMessage& message, KxNames names) {
    const auto bytes = to_bytes(message);
    return assemble(resp_label, names, std::span(bytes).first(resp_signed_length));
}

Status sign(InitMessage& message, KxNames names, const crypto::Ed25519KeyPair& key) {
    auto input = signed_input(message, names);
    if (!input) return fail(std::move(input.error()));
    message.signature = key.sign(*input);
    return {};
}

Status sign(RespMessage& message, KxNames names, const crypto::Ed25519KeyPair& key) {
    auto input = signed_input(message, names);
    if (!input) return fail(std::move(input.error()));
    message.signature = key.sign(*input);
    return {};
}

bool verify(const InitMessage& message, KxNames names, const crypto::Ed25519PublicKey& key) {
    return verify_with(message, names, key);
}

bool verify(const RespMessage& message, KxNames names, const crypto::Ed25519PublicKey& key) {
    return verify_with(message, names, key);
}

KxHash init_hash(const InitMessage& message) {
    const auto bytes = to_bytes(message);
    KxHash hash{};
    crypto_hash_sha256(hash.data(), bytes.data(), bytes.size());
    return hash;
}

Result<std::string> encode_token(const InitMessage& message) {
    if (auto ok = check(message); !ok) return fail(ok.error().with_context("INIT"));
    return to_base64url(to_bytes(message));
}

Result<std::string> encode_token(const RespMessage& message) {
    if (auto ok = check(message); !ok) return fail(ok.error().with_context("RESP"));
    return to_base64url(to_bytes(message));
}

Result<KxMessage> parse_token(std::string_view token) {
    if (token.size() != init_token_length && token.size() != resp_token_length) {
        return fail("token is {} characters; an INIT has {} and a RESP {}", token.size(), init_token_length,
                    resp_token_length);
    }
    // libsodium 1.0.18's decoder maps bytes 0x80..0xFF to digits instead of refusing them,
    // so the alphabet is checked here first (kx_message_test's fuzz run found it).
    const bool alphabet_only = std::all_of(token.begin(), token.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    });
    if (!alphabet_only) return fail("token is not canonical unpadded base64url");
    if (auto ok = crypto::ensure_sodium_initialized(); !ok) return fail(std::move(ok.error()));
    std::array<std::uint8_t, resp_length> raw{};
    std::size_t decoded = 0;
    const char* end = nullptr;
    // No ignore set and the end pointer checked: whitespace, padding, foreign characters and
    // non-zero unused trailing bits are all refused.
    if (sodium_base642bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &decoded, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != token.data() + token.size()) {
        return fail("token is not canonical unpadded base64url");
    }
    const std::uint8_t* p = raw.data();
    if (decoded < 2) return fail("token too short");
    if (p[off_version] != kx_version)
        return fail("unknown version {} (this node speaks {})", p[off_version], kx_version);
    const auto type = p[off_type];
    const auto lanes = static_cast<std::uint16_t>(get_be(p + off_lanes, 2));
    const auto index = static_cast<std::uint32_t>(get_be(p + off_index, 4));

    if (type == static_cast<std::uint8_t>(KxType::init)) {
        if (decoded != init_length) return fail("INIT is {} bytes, not {}", decoded, init_length);
        InitMessage m;
        m.lanes = lanes;
        m.initiator_index = index;
        std::size_t slots = kx_max_suites;
        while (slots > 0 && p[init_off_suites + slots - 1] == 0) --slots;
        for (std::size_t i = 0; i < slots; ++i)
            m.suites.push_back(static_cast<Suite>(p[init_off_suites + i]));
        m.timestamp_ns = get_be(p + init_off_timestamp, 8);
        std::copy_n(p + init_off_ephemeral, x25519_key_length, m.ephemeral.begin());
        std::copy_n(p + init_signed_length, crypto::kEd25519SignatureBytes, m.signature.begin());
        if (auto ok = check(m); !ok) return fail(ok.error().with_context("INIT"));
        return KxMessage{std::move(m)};
    }
    if (type == static_cast<std::uint8_t>(KxType::resp)) {
        if (decoded != resp_length) return fail("RESP is {} bytes, not {}", decoded, resp_length);
        RespMessage m;
        m.lanes = lanes;
        m.responder_index = index;
        m.suite = static_cast<Suite>(p[resp_off_suite]);
        for (std::size_t i = resp_off_reserved; i < resp_off_hash; ++i) {
            if (p[i] != 0) return fail("RESP: reserved byte {} is not zero", i);
        }
        std::copy_n(p + resp_off_hash, kx_hash_length, m.init_hash.begin());
        std::copy_n(p + resp_off_ephemeral, x25519_key_length, m.ephemeral.begin());
        std::copy_n(p + resp_signed_length, crypto::kEd25519SignatureBytes, m.signature.begin());
        if (auto ok = check(m); !ok) return fail(ok.error().with_context("RESP"));
        return KxMessage{std::move(m)};
    }
    return fail("unknown message type {}", type);
}

}  // namespace sluice::native
