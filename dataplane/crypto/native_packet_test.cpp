// sluice's native packets: header layout, in-place round trips for every suite and backend,
// named drops (replay, index, lane, truncation, tampering), the counter limit, and random
// legacy-looking datagrams turned away before any AEAD work.
#include "dataplane/crypto/native_packet.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/crypto/hex.hpp"

using namespace sluice::dataplane::crypto;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint32_t alpha_index = 0x0A0B0C0D;  // the index the receiver chose

Bytes key_for(std::uint16_t lane, std::uint8_t session = 0) {
    Bytes key(32);
    for (std::size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<std::uint8_t>(i * 13 + lane * 7 + session);
    return key;
}

Bytes payload_of(std::size_t size, std::uint8_t seed = 0) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(i + seed);
    return out;
}

struct Pair {
    std::vector<NativeSendLane> send;
    NativeReceiveSession receive;
};

Pair make_lanes(std::uint16_t lanes, AeadAlgorithm algorithm = AeadAlgorithm::chacha20_poly1305,
                AeadBackend send_backend = AeadBackend::openssl,
                AeadBackend receive_backend = AeadBackend::openssl) {
    std::vector<Bytes> keys;
    std::vector<NativeSendLane> send;
    for (std::uint16_t lane = 0; lane < lanes; ++lane) {
        keys.push_back(key_for(lane));
        auto created = NativeSendLane::create(algorithm, send_backend, keys.back(), alpha_index, lane);
        REQUIRE(created);
        send.push_back(std::move(*created));
    }
    std::vector<std::span<const std::uint8_t>> spans(keys.begin(), keys.end());
    auto receive = NativeReceiveSession::create(algorithm, receive_backend, alpha_index, spans);
    REQUIRE(receive);
    return Pair{std::move(send), std::move(*receive)};
}

// Seals `payload` through a buffer with exact headroom and tailroom; returns the datagram.
Bytes seal_bytes(NativeSendLane& lane, const Bytes& payload, NativeType type = NativeType::data) {
    Bytes buffer(native_headroom + payload.size() + native_tailroom, 0xEE);
    std::copy(payload.begin(), payload.end(), buffer.begin() + native_headroom);
    const NativeSealVerdict v = lane.seal(type, buffer, native_headroom, payload.size());
    REQUIRE(v.ok());
    auto d = v.datagram(buffer);
    return {d.begin(), d.end()};
}

NativeOpenVerdict open_bytes(NativeReceiveSession& session, Bytes& datagram) {
    return open_native(std::span<std::uint8_t>(datagram), [&](std::uint32_t index) {
        return index == session.local_index() ? &session : nullptr;
    });
}

}  // namespace

TEST_CASE("native header: layout and round trip") {
    const NativeHeader h{.type = NativeType::probe,
                         .lane = 0x0102,
                         .receiver_index = 0x03040506,
                         .counter = 0x0708090A0B0C0D0E};
    std::array<std::uint8_t, native_header_length> bytes{};
    encode_native_header(h, bytes);
    CHECK(bytes == std::array<std::uint8_t, 16>{0xA2, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                                0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E});
    Bytes datagram(bytes.begin(), bytes.end());
    datagram.resize(native_overhead);
    NativeHeader parsed;
    REQUIRE(parse_native_header(datagram, parsed));
    CHECK(parsed == h);

    // Byte 1 must be exactly 0x10; byte 0 one of the four types; at least header + tag long.
    Bytes bad = datagram;
    bad[1] = 0x11;
    CHECK_FALSE(looks_native(bad));
    bad = datagram;
    bad[0] = 0xA5;
    CHECK_FALSE(looks_native(bad));
    bad[0] = 0xA0;
    CHECK_FALSE(looks_native(bad));
    CHECK_FALSE(looks_native(std::span(datagram).first(native_overhead - 1)));
    for (NativeType type :
         {NativeType::data, NativeType::probe, NativeType::probe_reply, NativeType::keepalive}) {
        datagram[0] = static_cast<std::uint8_t>(type);
        CHECK(looks_native(datagram));
    }
}

TEST_CASE("native packets round trip for every suite, backend pairing and size") {
    const std::array<AeadAlgorithm, 2> algorithms = {AeadAlgorithm::aes_256_gcm,
                                                     AeadAlgorithm::chacha20_poly1305};
    const std::array<AeadBackend, 2> backends = {AeadBackend::openssl, AeadBackend::libsodium};
    for (AeadAlgorithm algorithm : algorithms) {
        for (AeadBackend sender : backends) {
            for (AeadBackend receiver : backends) {
                if (!aead_available(algorithm, sender) || !aead_available(algorithm, receiver)) continue;
                INFO(name(algorithm) << ": " << name(sender) << " -> " << name(receiver));
                Pair pair = make_lanes(2, algorithm, sender, receiver);
                std::uint64_t expected_counter = 0;
                for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{40}, std::size_t{1420},
                                         std::size_t{9000}, native_max_payload}) {
                    const Bytes payload = payload_of(size, static_cast<std::uint8_t>(size));
                    Bytes d = seal_bytes(pair.send[1], payload);
                    REQUIRE(d.size() == size + native_overhead);
                    NativeHeader h;
                    REQUIRE(parse_native_header(d, h));
                    CHECK(h == NativeHeader{.type = NativeType::data,
                                            .lane = 1,
                                            .receiver_index = alpha_index,
                                            .counter = expected_counter++});
                    // Encrypted: the payload is not in clear (for sizes where that can be told).
                    if (size >= 16) CHECK_FALSE(std::equal(payload.begin(), payload.end(), d.begin() + 16));
                    const NativeOpenVerdict v = open_bytes(pair.receive, d);
                    REQUIRE(v.ok());
                    CHECK(v.header == h);
                    CHECK(v.payload_offset == 16);
                    auto got = v.payload(d);
                    CHECK(Bytes(got.begin(), got.end()) == payload);
                }
            }
        }
    }
}

TEST_CASE("seal writes only the header, the payload and the tag") {
    Pair pair = make_lanes(1);
    const Bytes payload = payload_of(100);
    Bytes buffer(40 + payload.size() + 30, 0xEE);
    std::copy(payload.begin(), payload.end(), buffer.begin() + 40);
    const NativeSealVerdict v = pair.send[0].seal(NativeType::keepalive, buffer, 40, payload.size());
    REQUIRE(v.ok());
    CHECK(v.offset == 24);
    CHECK(v.length == 132);
    CHECK(v.counter == 0);
    for (std::size_t i = 0; i < 24; ++i) CHECK(buffer[i] == 0xEE);
    for (std::size_t i = 24 + 132; i < buffer.size(); ++i) CHECK(buffer[i] == 0xEE);
    CHECK(pair.send[0].next_counter() == 1);
}

TEST_CASE("seal drops with a named reason and consumes no counter") {
    Pair pair = make_lanes(1);
    NativeSendLane& lane = pair.send[0];
    Bytes buffer(16 + 100 + 16);
    CHECK(lane.seal(NativeType::data, buffer, 15, 100).drop == NativeSealDrop::no_headroom);
    CHECK(lane.seal(NativeType::data, buffer, 16, 101).drop == NativeSealDrop::no_tailroom);
    CHECK(lane.seal(NativeType::data, buffer, 17, 100).drop == NativeSealDrop::no_tailroom);
    CHECK(lane.seal(NativeType::data, buffer, buffer.size() + 1, 0).drop == NativeSealDrop::no_tailroom);
    CHECK(lane.seal(NativeType::data, buffer, 16, native_max_payload + 1).drop == NativeSealDrop::too_long);
    CHECK(lane.next_counter() == 0);
    CHECK(lane.seal(NativeType::data, buffer, 16, 100).ok());

    lane.set_next_counter(native_reject_after_messages - 1);
    const NativeSealVerdict last = lane.seal(NativeType::data, buffer, 16, 100);
    REQUIRE(last.ok());
    CHECK(last.counter == native_reject_after_messages - 1);
    CHECK(lane.seal(NativeType::data, buffer, 16, 100).drop == NativeSealDrop::counter_exhausted);

    NativeSendLane moved = std::move(lane);
    moved.set_next_counter(0);
    lane.set_next_counter(0);  // NOLINT(bugprone-use-after-move)
    CHECK(lane.seal(NativeType::data, buffer, 16, 100).drop == NativeSealDrop::encrypt_failed);  // NOLINT
    CHECK(moved.seal(NativeType::data, buffer, 16, 100).ok());
}

TEST_CASE("open drops with a named reason") {
    Pair pair = make_lanes(2);
    const Bytes payload = payload_of(200);
    const Bytes good = seal_bytes(pair.send[0], payload);

    SECTION("replay: the same packet twice") {
        Bytes first = good;
        REQUIRE(open_bytes(pair.receive, first).ok());
        Bytes again = good;
        CHECK(open_bytes(pair.receive, again).drop == NativeOpenDrop::replay);
    }
    SECTION("replay windows are per lane: the same counter on another lane is fresh") {
        Bytes a = good;
        REQUIRE(open_bytes(pair.receive, a).ok());
        Bytes b = seal_bytes(pair.send[1], payload);  // also counter 0
        CHECK(open_bytes(pair.receive, b).ok());
    }
    SECTION("reordering inside the window is accepted, too old is a replay") {
        std::vector<Bytes> packets;
        for (int i = 0; i < 10; ++i) packets.push_back(seal_bytes(pair.send[0], payload));
        for (int i : {9, 3, 0, 5}) {
            Bytes d = packets[static_cast<std::size_t>(i)];
            CHECK(open_bytes(pair.receive, d).ok());
        }
        pair.send[0].set_next_counter(ReplayWindow::window_size + 20);
        Bytes far = seal_bytes(pair.send[0], payload);
        REQUIRE(open_bytes(pair.receive, far).ok());
        Bytes old = packets[7];  // never seen, but now below the window
        CHECK(open_bytes(pair.receive, old).drop == NativeOpenDrop::replay);
    }
    SECTION("unknown receiver index") {
        Bytes d = good;
        d[7] ^= 1;
        const NativeOpenVerdict v = open_bytes(pair.receive, d);
        CHECK(v.drop == NativeOpenDrop::unknown_index);
        CHECK(v.header.receiver_index == (alpha_index ^ 1));
    }
    SECTION("lane beyond the sender's lane count") {
        Bytes d = good;
        d[3] = 2;
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_lane);
        d[2] = 0xFF;
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_lane);
    }
    SECTION("a header forged to another lane or counter fails authentication, window untouched") {
        Bytes d = good;
        d[3] = 1;  // lane 1 exists but has another key
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_tag);
        Bytes e = good;
        e[15] = 5;  // counter 5 instead of 0
        CHECK(open_bytes(pair.receive, e).drop == NativeOpenDrop::bad_tag);
        CHECK(pair.receive.window(0).check(5));
        Bytes f = good;
        f[0] = static_cast<std::uint8_t>(NativeType::probe);  // the type is authenticated too
        CHECK(open_bytes(pair.receive, f).drop == NativeOpenDrop::bad_tag);
        Bytes original = good;
        CHECK(open_bytes(pair.receive, original).ok());
    }
    SECTION("counter beyond the limit") {
        Bytes d = good;
        for (std::size_t i = 8; i < 16; ++i) d[i] = 0xFF;
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_counter);
    }
    SECTION("tampered payload or tag") {
        for (std::size_t i : {std::size_t{16}, std::size_t{100}, good.size() - 17, good.size() - 1}) {
            Bytes d = good;
            d[i] ^= 0x40;
            CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_tag);
        }
        // Forgeries left the window alone: the genuine packet still opens.
        Bytes d = good;
        CHECK(open_bytes(pair.receive, d).ok());
    }
    SECTION("truncated") {
        for (std::size_t length : {std::size_t{0}, std::size_t{1}, std::size_t{16}, native_overhead - 1}) {
            Bytes d(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length));
            CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::too_short);
        }
        Bytes d(good.begin(), good.end() - 1);
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::bad_tag);
    }
    SECTION("too long for a datagram") {
        Bytes d(native_max_datagram + 1, 0);
        std::copy(good.begin(), good.begin() + 16, d.begin());
        CHECK(open_bytes(pair.receive, d).drop == NativeOpenDrop::too_long);
    }
    SECTION("another session's key") {
        std::vector<Bytes> keys = {key_for(0, 1), key_for(1, 1)};
        std::vector<std::span<const std::uint8_t>> spans(keys.begin(), keys.end());
        auto other = NativeReceiveSession::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl,
                                                  alpha_index, spans);
        REQUIRE(other);
        Bytes d = good;
        CHECK(open_bytes(*other, d).drop == NativeOpenDrop::bad_tag);
    }
    SECTION("open() on its own refuses a header for another index") {
        Bytes d = good;
        NativeHeader h;
        REQUIRE(parse_native_header(d, h));
        h.receiver_index ^= 1;
        CHECK(pair.receive.open(h, d).drop == NativeOpenDrop::unknown_index);
    }
}

TEST_CASE("random legacy-looking datagrams are refused before any AEAD work") {
    // tinc 1.0 datagrams are ciphertext: uniformly random bytes. Count how many pass the
    // classifier and how many of those reach the AEAD (a known index AND lane).
    Pair pair = make_lanes(1);
    std::mt19937_64 rng(1234);
    std::size_t classified = 0, reached_aead = 0;
    constexpr int samples = 200000;
    for (int i = 0; i < samples; ++i) {
        Bytes d(36 + rng() % 1400);
        for (auto& b : d) b = static_cast<std::uint8_t>(rng());
        if (!looks_native(d)) continue;
        ++classified;
        const NativeOpenVerdict v = open_bytes(pair.receive, d);
        CHECK_FALSE(v.ok());
        if (v.drop == NativeOpenDrop::bad_tag) ++reached_aead;
    }
    // Expected 4/65536 * 200000 = 12.2 pass byte 0 and 1; none has index 0x0A0B0C0D.
    CHECK(classified < 40);
    CHECK(reached_aead == 0);

    // tinc's clear seqno (cipher none) starts 00 00 ..; its encrypted packets anything.
    Bytes clear(100, 0);
    clear[3] = 1;
    CHECK_FALSE(looks_native(clear));
    CHECK(open_bytes(pair.receive, clear).drop == NativeOpenDrop::not_native);
}

TEST_CASE("create refuses bad lane counts and keys") {
    const Bytes key = key_for(0);
    CHECK_FALSE(NativeSendLane::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl, key, 1, 64));
    CHECK(NativeSendLane::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl, key, 1, 63));
    CHECK_FALSE(NativeReceiveSession::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl, 1, {}));
    std::vector<std::span<const std::uint8_t>> too_many(65, std::span<const std::uint8_t>(key));
    auto many =
        NativeReceiveSession::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl, 1, too_many);
    REQUIRE_FALSE(many);
    CHECK_THAT(many.error().message, Catch::Contains("1 to 64 sender lanes, not 65"));
    const Bytes short_key(31, 0);
    std::vector<std::span<const std::uint8_t>> bad = {key, short_key};
    auto refused =
        NativeReceiveSession::create(AeadAlgorithm::chacha20_poly1305, AeadBackend::openssl, 1, bad);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::Contains("lane 1: chacha20-poly1305 needs a 32-byte key"));
}

TEST_CASE("native drop reasons have distinct names") {
    std::set<std::string_view> seal_names, open_names;
    for (std::size_t i = 0; i < native_seal_drop_count; ++i)
        seal_names.insert(name(static_cast<NativeSealDrop>(i)));
    for (std::size_t i = 0; i < native_open_drop_count; ++i)
        open_names.insert(name(static_cast<NativeOpenDrop>(i)));
    CHECK(seal_names.size() == native_seal_drop_count);
    CHECK(open_names.size() == native_open_drop_count);
    CHECK_FALSE(seal_names.contains("unknown"));
    CHECK_FALSE(open_names.contains("unknown"));
    CHECK(name(NativeOpenDrop::replay) == "replay");
}

TEST_CASE("worked example of docs/protocol.md: alpha's first data packet to beta") {
    // The key is alpha's lane-0 send key from the key-exchange example (kx_session_test), the
    // index is the one beta chose there, the suite AES-256-GCM; the payload is an ICMP echo
    // request from 198.18.0.1 to 198.18.0.2.
    auto key = sluice::crypto::from_hex("ef9eb0a40018c0e46983dbc3d28d6f00775b7d10e8c711cb31ca3aec4e8ed0bd");
    auto payload = sluice::crypto::from_hex("4500001c000100004001eeb8c6120001c61200020800f7fd00010001");
    REQUIRE(key);
    REQUIRE(payload);
    struct Case {
        AeadAlgorithm algorithm;
        const char* datagram;
    };
    // The ChaCha20-Poly1305 line is what the same key and packet give under the other suite.
    const Case cases[] = {
        {AeadAlgorithm::aes_256_gcm,
         "A110000060A081E300000000000000009F0598EEBF8AB4138D9F3E2FFF52349A33FF4E1858DCC30E8A0CF83C2DA259178B9"
         "19BB7"
         "514B53895DFD0393"},
        {AeadAlgorithm::chacha20_poly1305,
         "A110000060A081E30000000000000000C2C8404C2D8F435331A49DD04A83FE5D095F2ADF5A2704237E32494E956C528D634"
         "24E"
         "570DA3FD3522963352"},
    };
    for (const Case& c : cases) {
        for (AeadBackend backend : {AeadBackend::openssl, AeadBackend::libsodium}) {
            if (!aead_available(c.algorithm, backend)) continue;
            auto lane = NativeSendLane::create(c.algorithm, backend, *key, 0x60a081e3, 0);
            REQUIRE(lane);
            const Bytes datagram = seal_bytes(*lane, *payload);
            const std::string got = sluice::crypto::to_hex_upper(datagram);
            if (std::getenv("SLUICE_PRINT_PACKET_VECTOR") != nullptr)
                std::printf("datagram = %s\n", got.c_str());
            CHECK(got == c.datagram);
            // And it opens on the receiving side with the same key.
            std::vector<std::span<const std::uint8_t>> keys = {*key};
            auto session = NativeReceiveSession::create(c.algorithm, backend, 0x60a081e3, keys);
            REQUIRE(session);
            Bytes copy = datagram;
            const NativeOpenVerdict v = open_bytes(*session, copy);
            REQUIRE(v.ok());
            CHECK(Bytes(v.payload(copy).begin(), v.payload(copy).end()) == *payload);
        }
    }
}
