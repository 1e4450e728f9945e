#include "dataplane/crypto/native_packet.hpp"

#include <array>

namespace sluice::dataplane::crypto {

namespace {

void put_be16(std::uint8_t* out, std::uint16_t value) noexcept {
    out[0] = static_cast<std::uint8_t>(value >> 8);
    out[1] = static_cast<std::uint8_t>(value);
}

void put_be32(std::uint8_t* out, std::uint32_t value) noexcept {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

void put_be64(std::uint8_t* out, std::uint64_t value) noexcept {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

std::uint64_t get_be(const std::uint8_t* in, int bytes) noexcept {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | in[i];
    return value;
}

bool known_type(std::uint8_t byte) noexcept {
    return byte >= static_cast<std::uint8_t>(NativeType::data) &&
           byte <= static_cast<std::uint8_t>(NativeType::keepalive);
}

// 4 zero bytes, then the counter: the key is unique per (session, direction, lane), so the
// counter alone makes the nonce unique.
std::array<std::uint8_t, aead_nonce_length> nonce_for(std::uint64_t counter) noexcept {
    std::array<std::uint8_t, aead_nonce_length> nonce{};
    put_be64(nonce.data() + 4, counter);
    return nonce;
}

}  // namespace

void encode_native_header(const NativeHeader& header,
                          std::span<std::uint8_t, native_header_length> out) noexcept {
    out[0] = static_cast<std::uint8_t>(header.type);
    out[1] = native_version_byte;
    put_be16(out.data() + 2, header.lane);
    put_be32(out.data() + 4, header.receiver_index);
    put_be64(out.data() + 8, header.counter);
}

bool looks_native(std::span<const std::uint8_t> datagram) noexcept {
    return datagram.size() >= native_overhead && known_type(datagram[0]) &&
           datagram[1] == native_version_byte;
}

bool parse_native_header(std::span<const std::uint8_t> datagram, NativeHeader& out) noexcept {
    if (!looks_native(datagram)) return false;
    const std::uint8_t* p = datagram.data();
    out.type = static_cast<NativeType>(p[0]);
    out.lane = static_cast<std::uint16_t>(get_be(p + 2, 2));
    out.receiver_index = static_cast<std::uint32_t>(get_be(p + 4, 4));
    out.counter = get_be(p + 8, 8);
    return true;
}

std::string_view name(NativeSealDrop drop) noexcept {
    switch (drop) {
        case NativeSealDrop::none:
            return "none";
        case NativeSealDrop::no_headroom:
            return "no_headroom";
        case NativeSealDrop::no_tailroom:
            return "no_tailroom";
        case NativeSealDrop::too_long:
            return "too_long";
        case NativeSealDrop::counter_exhausted:
            return "counter_exhausted";
        case NativeSealDrop::encrypt_failed:
            return "encrypt_failed";
    }
    return "unknown";
}

std::string_view name(NativeOpenDrop drop) noexcept {
    switch (drop) {
        case NativeOpenDrop::none:
            return "none";
        case NativeOpenDrop::too_short:
            return "too_short";
        case NativeOpenDrop::not_native:
            return "not_native";
        case NativeOpenDrop::too_long:
            return "too_long";
        case NativeOpenDrop::unknown_index:
            return "unknown_index";
        case NativeOpenDrop::bad_lane:
            return "bad_lane";
        case NativeOpenDrop::bad_counter:
            return "bad_counter";
        case NativeOpenDrop::replay:
            return "replay";
        case NativeOpenDrop::bad_tag:
            return "bad_tag";
    }
    return "unknown";
}

Result<NativeSendLane> NativeSendLane::create(AeadAlgorithm algorithm, AeadBackend backend,
                                              std::span<const std::uint8_t> key, std::uint32_t remote_index,
                                              std::uint16_t lane) {
    if (lane >= native_max_lanes)
        return fail("lane {} is not below the limit of {} lanes", lane, native_max_lanes);
    auto aead = Aead::create(algorithm, backend, key);
    if (!aead) return fail(std::move(aead.error()));
    return NativeSendLane(std::move(*aead), remote_index, lane);
}

NativeSealVerdict NativeSendLane::seal(NativeType type, std::span<std::uint8_t> buffer,
                                       std::size_t payload_offset, std::size_t payload_len) noexcept {
    if (payload_len > native_max_payload) return {.drop = NativeSealDrop::too_long};
    if (payload_offset < native_headroom) return {.drop = NativeSealDrop::no_headroom};
    if (payload_offset > buffer.size() || buffer.size() - payload_offset < payload_len ||
        buffer.size() - payload_offset - payload_len < native_tailroom) {
        return {.drop = NativeSealDrop::no_tailroom};
    }
    if (next_counter_ >= native_reject_after_messages) return {.drop = NativeSealDrop::counter_exhausted};

    const std::uint64_t counter = next_counter_;
    const std::size_t start = payload_offset - native_header_length;
    const auto header = buffer.subspan(start).first<native_header_length>();
    encode_native_header({.type = type, .lane = lane_, .receiver_index = remote_index_, .counter = counter},
                         header);
    const auto nonce = nonce_for(counter);
    const auto payload = buffer.subspan(payload_offset, payload_len);
    const auto tag = buffer.subspan(payload_offset + payload_len).first<native_tag_length>();
    if (!aead_.seal(nonce, header, payload, tag)) return {.drop = NativeSealDrop::encrypt_failed};
    ++next_counter_;
    return {.drop = NativeSealDrop::none,
            .counter = counter,
            .offset = start,
            .length = native_overhead + payload_len};
}

Result<NativeReceiveSession> NativeReceiveSession::create(
    AeadAlgorithm algorithm, AeadBackend backend, std::uint32_t local_index,
    std::span<const std::span<const std::uint8_t>> keys) {
    if (keys.empty() || keys.size() > native_max_lanes) {
        return fail("a session has 1 to {} sender lanes, not {}", native_max_lanes, keys.size());
    }
    NativeReceiveSession session(local_index);
    session.lanes_.reserve(keys.size());
    for (std::size_t lane = 0; lane < keys.size(); ++lane) {
        auto aead = Aead::create(algorithm, backend, keys[lane]);
        if (!aead) return fail(aead.error().with_context(fmt::format("lane {}", lane)));
        session.lanes_.push_back(Lane{std::move(*aead), ReplayWindow{}});
    }
    return session;
}

NativeOpenVerdict NativeReceiveSession::open(const NativeHeader& header,
                                             std::span<std::uint8_t> datagram) noexcept {
    // Re-checked here so that open() is safe on its own, not only behind open_native().
    if (datagram.size() < native_overhead) return {.drop = NativeOpenDrop::too_short, .header = header};
    if (datagram.size() > native_max_datagram) return {.drop = NativeOpenDrop::too_long, .header = header};
    if (header.receiver_index != local_index_)
        return {.drop = NativeOpenDrop::unknown_index, .header = header};
    if (header.lane >= lanes_.size()) return {.drop = NativeOpenDrop::bad_lane, .header = header};
    if (header.counter >= native_reject_after_messages)
        return {.drop = NativeOpenDrop::bad_counter, .header = header};
    Lane& lane = lanes_[header.lane];
    // Before the AEAD: a replay costs two compares, not a decryption.
    if (!lane.window.check(header.counter)) return {.drop = NativeOpenDrop::replay, .header = header};

    const std::size_t payload_length = datagram.size() - native_overhead;
    const auto aad = std::span<const std::uint8_t>(datagram).first<native_header_length>();
    const auto payload = datagram.subspan(native_header_length, payload_length);
    const auto tag = std::span<const std::uint8_t>(datagram)
                         .subspan(native_header_length + payload_length)
                         .first<native_tag_length>();
    // The header is the AAD, so the lane, index, type and counter just used are authenticated
    // by this call; a forged header fails here and leaves the window untouched.
    if (!lane.aead.open(nonce_for(header.counter), aad, payload, tag)) {
        return {.drop = NativeOpenDrop::bad_tag, .header = header};
    }
    lane.window.update(header.counter);
    return {.drop = NativeOpenDrop::none,
            .header = header,
            .payload_offset = native_header_length,
            .payload_length = payload_length};
}

}  // namespace sluice::dataplane::crypto
