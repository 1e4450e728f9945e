// The native key exchange between two in-memory peers, alpha and beta, with a fake clock and
// seeded randomness: matching keys on both sides, every refusal with its reason, suite
// negotiation, crossing INITs, the rekey timeline with its grace period, and the worked
// example of docs/protocol.md.
#include "controlplane/native/kx_session.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include "controlplane/native/kx_kdf.hpp"
#include "shared/crypto/test_printing.hpp"

using namespace sluice;
using namespace sluice::native;
using crypto::DeterministicRandom;
using crypto::Ed25519KeyPair;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint64_t wall_start = 1'700'000'000'000'000'000ull;  // 2023-11-14, ns

Ed25519KeyPair key_from(std::uint8_t first) {
    Bytes seed(32);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
    auto key = Ed25519KeyPair::from_seed(seed);
    REQUIRE(key);
    return std::move(*key);
}

// One node and its view of one peer.
struct Node {
    Ed25519KeyPair key;
    KxLocal local;
    LocalIndexTable indexes;
    DeterministicRandom random;
    std::unique_ptr<KxPeer> peer;

    Node(std::string name, std::uint8_t seed_first, std::uint64_t rng_seed, std::uint16_t lanes,
         std::vector<Suite> suites)
        : key(key_from(seed_first)), random(rng_seed) {
        local.name = std::move(name);
        local.key = &key;
        local.lanes = lanes;
        local.suites = std::move(suites);
    }
    void meet(const std::string& peer_name, const crypto::Ed25519PublicKey& peer_key) {
        peer = std::make_unique<KxPeer>(local, peer_name, peer_key, indexes, random);
    }
};

const std::vector<Suite> both = {Suite::aes_256_gcm, Suite::chacha20_poly1305};

struct World {
    Node alpha{"alpha", 0x01, 1, 2, both};
    Node beta{"beta", 0x41, 2, 1, both};
    TimePoint start{seconds(1000)};

    World() {
        alpha.meet("beta", beta.key.public_key());
        beta.meet("alpha", alpha.key.public_key());
    }
    KxTime at(Duration since_start) const {
        return {start + since_start,
                wall_start + static_cast<std::uint64_t>(
                                 std::chrono::duration_cast<std::chrono::nanoseconds>(since_start).count())};
    }
};

std::string token_of(const std::optional<std::string>& token) {
    REQUIRE(token);
    return *token;
}

std::string token_of(const Result<KxOutput>& out) {
    REQUIRE(out);
    return token_of(out->token);
}

// alpha initiates at `t`, beta answers at t, alpha completes at t + 1 ms.
void handshake(Node& initiator, Node& responder, const World& w, Duration t) {
    const std::string init = token_of(initiator.peer->initiate(w.at(t)));
    const std::string resp = token_of(responder.peer->on_token(init, w.at(t)));
    auto done = initiator.peer->on_token(resp, w.at(t + milliseconds(1)));
    REQUIRE(done);
    CHECK(done->keys_changed);
    CHECK(done->send_keepalive);
    CHECK_FALSE(done->token);
}

// The two ends of one session agree: same suite, crossed indexes and lane counts, and each
// side's send key for lane i is the other side's receive key for lane i.
void check_mirrored(const NativeKeys& a, const NativeKeys& b) {
    CHECK(a.suite == b.suite);
    CHECK(a.local_index == b.remote_index);
    CHECK(a.remote_index == b.local_index);
    CHECK(a.local_lanes == b.remote_lanes);
    CHECK(a.remote_lanes == b.local_lanes);
    REQUIRE(a.send_keys.size() == a.local_lanes);
    REQUIRE(b.receive_keys.size() == a.local_lanes);
    REQUIRE(b.send_keys.size() == b.local_lanes);
    REQUIRE(a.receive_keys.size() == b.local_lanes);
    for (std::size_t i = 0; i < a.send_keys.size(); ++i)
        CHECK(a.send_keys[i].equals(b.receive_keys[i].span()));
    for (std::size_t i = 0; i < b.send_keys.size(); ++i)
        CHECK(b.send_keys[i].equals(a.receive_keys[i].span()));
    CHECK_FALSE(a.send_keys[0].equals(a.receive_keys[0].span()));
}

// An INIT made by hand, signed by `signer` for `names`: for forgeries and odd fields.
std::string crafted_init(const Ed25519KeyPair& signer, KxNames names, std::uint64_t timestamp,
                         X25519Public ephemeral = x25519_public(Bytes(32, 0x33)),
                         std::vector<Suite> suites = both) {
    InitMessage m;
    m.lanes = 1;
    m.initiator_index = 77;
    m.suites = std::move(suites);
    m.timestamp_ns = timestamp;
    m.ephemeral = ephemeral;
    REQUIRE(sign(m, names, signer));
    auto token = encode_token(m);
    REQUIRE(token);
    return *token;
}

std::string error_of(const Result<KxOutput>& out) {
    REQUIRE_FALSE(out);
    return out.error().message;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    std::string out;
    for (std::uint8_t b : bytes) out += fmt::format("{:02x}", b);
    return out;
}

}  // namespace

TEST_CASE("kx: both roles derive identical keys") {
    World w;
    handshake(w.alpha, w.beta, w, seconds(0));
    const NativeKeys* a = w.alpha.peer->send_keys();
    const NativeKeys* b = w.beta.peer->send_keys();
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(a->role == KxRole::initiator);
    CHECK(b->role == KxRole::responder);
    CHECK(a->suite == Suite::aes_256_gcm);
    CHECK(a->local_lanes == 2);
    CHECK(b->local_lanes == 1);
    check_mirrored(*a, *b);
    CHECK(w.alpha.indexes.contains(a->local_index));
    CHECK(w.beta.indexes.contains(b->local_index));
    CHECK_FALSE(w.alpha.peer->initiation_in_flight());
    // First session on the responder: used at once, there is nothing else to send with.
    CHECK(w.beta.peer->current() == b);
    CHECK(w.beta.peer->next() == nullptr);
}

TEST_CASE("kx: refusals name the peer and the reason") {
    World w;
    const KxNames ab{"alpha", "beta"};

    SECTION("a tampered INIT field") {
        const std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        auto parsed = parse_token(init);
        REQUIRE(parsed);
        InitMessage m = std::get<InitMessage>(*parsed);
        m.timestamp_ns += 1;
        CHECK_THAT(
            error_of(w.beta.peer->on_token(*encode_token(m), w.at(seconds(0)))),
            Catch::Equals("SLUICE-KX1 from alpha: INIT signature does not verify with alpha's Ed25519 key "
                          "(tampered, signed for other names, or another key)"));
        m = std::get<InitMessage>(*parsed);
        m.lanes = 3;
        CHECK_THAT(error_of(w.beta.peer->on_token(*encode_token(m), w.at(seconds(0)))),
                   Catch::Contains("INIT signature does not verify"));
        m = std::get<InitMessage>(*parsed);
        m.suites = {Suite::chacha20_poly1305};  // a downgrade attempt
        CHECK_THAT(error_of(w.beta.peer->on_token(*encode_token(m), w.at(seconds(0)))),
                   Catch::Contains("INIT signature does not verify"));
        // The genuine INIT is still accepted afterwards: refusals change no state.
        CHECK(w.beta.peer->on_token(init, w.at(seconds(0))));
    }
    SECTION("a tampered signature") {
        std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        init[100] = init[100] == 'A' ? 'B' : 'A';
        CHECK_THAT(error_of(w.beta.peer->on_token(init, w.at(seconds(0)))),
                   Catch::Contains("INIT signature does not verify"));
    }
    SECTION("signed by another key than the one in hosts/alpha") {
        const Ed25519KeyPair mallory = key_from(0x99);
        CHECK_THAT(error_of(w.beta.peer->on_token(crafted_init(mallory, ab, wall_start), w.at(seconds(0)))),
                   Catch::Contains("from alpha: INIT signature does not verify with alpha's Ed25519 key"));
    }
    SECTION("names swapped, or signed for another responder") {
        CHECK_THAT(error_of(w.beta.peer->on_token(crafted_init(w.alpha.key, {"beta", "alpha"}, wall_start),
                                                  w.at(seconds(0)))),
                   Catch::Contains("INIT signature does not verify"));
        CHECK_THAT(error_of(w.beta.peer->on_token(crafted_init(w.alpha.key, {"alpha", "gamma"}, wall_start),
                                                  w.at(seconds(0)))),
                   Catch::Contains("INIT signature does not verify"));
        CHECK(w.beta.peer->on_token(crafted_init(w.alpha.key, ab, wall_start), w.at(seconds(0))));
    }
    SECTION("a replayed INIT, and an older one") {
        const std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        REQUIRE(w.beta.peer->on_token(init, w.at(seconds(0))));
        CHECK_THAT(
            error_of(w.beta.peer->on_token(init, w.at(seconds(1)))),
            Catch::Contains("SLUICE-KX1 from alpha: INIT timestamp 1700000000000000000 is not newer than the "
                            "last accepted 1700000000000000000 (replayed or reordered)"));
        CHECK_THAT(
            error_of(w.beta.peer->on_token(crafted_init(w.alpha.key, ab, wall_start - 1), w.at(seconds(1)))),
            Catch::Contains("is not newer than the last accepted"));
        CHECK(w.beta.peer->on_token(crafted_init(w.alpha.key, ab, wall_start + 1), w.at(seconds(1))));
    }
    SECTION("a RESP without an INIT in flight, replayed, or for an older INIT") {
        const std::string first = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        const std::string old_resp = token_of(w.beta.peer->on_token(first, w.at(seconds(0))));
        // alpha gave up on `first` and sent a new INIT (the 5 s retry) before the RESP came.
        const std::string second = token_of(w.alpha.peer->tick(w.at(seconds(5))).token);
        CHECK(second != first);
        CHECK_THAT(
            error_of(w.alpha.peer->on_token(old_resp, w.at(seconds(5)))),
            Catch::Equals("SLUICE-KX1 from beta: RESP answers another INIT than the one in flight (late or "
                          "replayed)"));
        const std::string resp = token_of(w.beta.peer->on_token(second, w.at(seconds(5))));
        REQUIRE(w.alpha.peer->on_token(resp, w.at(seconds(5))));
        CHECK_THAT(error_of(w.alpha.peer->on_token(resp, w.at(seconds(6)))),
                   Catch::Equals(
                       "SLUICE-KX1 from beta: RESP while no INIT of ours is in flight (late or replayed)"));
        // beta's first session (for `first`) was never completed by alpha; the one alpha now
        // has is beta's `next` until alpha's keepalive on it arrives.
        REQUIRE(w.beta.peer->next() != nullptr);
        check_mirrored(*w.alpha.peer->send_keys(), *w.beta.peer->next());
        const std::uint32_t index = w.beta.peer->next()->local_index;
        CHECK(w.beta.peer->on_authenticated_receive(index, w.at(seconds(6))).keys_changed);
        check_mirrored(*w.alpha.peer->send_keys(), *w.beta.peer->send_keys());
    }
    SECTION("a tampered RESP, or one signed by someone else") {
        const std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        const std::string resp = token_of(w.beta.peer->on_token(init, w.at(seconds(0))));
        RespMessage m = std::get<RespMessage>(*parse_token(resp));
        RespMessage changed = m;
        changed.lanes = 5;
        CHECK_THAT(error_of(w.alpha.peer->on_token(*encode_token(changed), w.at(seconds(0)))),
                   Catch::Contains("from beta: RESP signature does not verify with beta's Ed25519 key"));
        changed = m;
        REQUIRE(sign(changed, {"alpha", "beta"}, w.alpha.key));  // alpha's own key, not beta's
        CHECK_THAT(error_of(w.alpha.peer->on_token(*encode_token(changed), w.at(seconds(0)))),
                   Catch::Contains("RESP signature does not verify"));
        changed = m;
        REQUIRE(sign(changed, {"beta", "alpha"}, w.beta.key));  // names swapped
        CHECK_THAT(error_of(w.alpha.peer->on_token(*encode_token(changed), w.at(seconds(0)))),
                   Catch::Contains("RESP signature does not verify"));
        CHECK(w.alpha.peer->on_token(resp, w.at(seconds(0))));
    }
    SECTION("an unknown version") {
        const std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        // Version 2 in byte 0, everything else as alpha sent it.
        auto bytes = to_bytes(std::get<InitMessage>(*parse_token(init)));
        bytes[0] = 2;
        std::string encoded(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                            '\0');
        sodium_bin2base64(encoded.data(), encoded.size(), bytes.data(), bytes.size(),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        encoded.pop_back();
        CHECK_THAT(error_of(w.beta.peer->on_token(encoded, w.at(seconds(0)))),
                   Catch::Equals("SLUICE-KX1 from alpha: unknown version 2 (this node speaks 1)"));
    }
    SECTION("a low-order ephemeral key, properly signed") {
        X25519Public zero{};
        CHECK_THAT(
            error_of(
                w.beta.peer->on_token(crafted_init(w.alpha.key, ab, wall_start, zero), w.at(seconds(0)))),
            Catch::Equals("SLUICE-KX1 from alpha: INIT: low-order X25519 public key (the shared secret "
                          "would be all zero)"));
        const std::string init = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
        const std::string resp = token_of(w.beta.peer->on_token(init, w.at(seconds(0))));
        RespMessage m = std::get<RespMessage>(*parse_token(resp));
        m.ephemeral = {};
        m.ephemeral[0] = 1;  // u = 1, a point of order 4 on Curve25519
        REQUIRE(sign(m, {"alpha", "beta"}, w.beta.key));
        CHECK_THAT(error_of(w.alpha.peer->on_token(*encode_token(m), w.at(seconds(0)))),
                   Catch::Contains("from beta: RESP: low-order X25519 public key"));
    }
    SECTION("garbage") {
        CHECK_THAT(
            error_of(w.beta.peer->on_token("hello", w.at(seconds(0)))),
            Catch::Equals("SLUICE-KX1 from alpha: token is 5 characters; an INIT has 155 and a RESP 187"));
    }
    // Whatever was refused, no index leaked beyond the sessions and the INIT in flight.
    const std::size_t alpha_live =
        w.alpha.peer->receive_keys().size() + (w.alpha.peer->initiation_in_flight() ? 1 : 0);
    CHECK(w.alpha.indexes.size() == alpha_live);
    CHECK(w.beta.indexes.size() == w.beta.peer->receive_keys().size());
}

TEST_CASE("kx: suite negotiation") {
    struct Row {
        std::vector<Suite> initiator, responder;
        std::optional<Suite> chosen;
    };
    const std::vector<Suite> gcm = {Suite::aes_256_gcm};
    const std::vector<Suite> chacha = {Suite::chacha20_poly1305};
    const std::vector<Suite> chacha_first = {Suite::chacha20_poly1305, Suite::aes_256_gcm};
    const Row rows[] = {
        {both, both, Suite::aes_256_gcm},                // both have AES-NI
        {both, chacha, Suite::chacha20_poly1305},        // responder without AES-NI
        {chacha, both, Suite::chacha20_poly1305},        // initiator without AES-NI
        {chacha_first, both, Suite::chacha20_poly1305},  // the initiator's order decides
        {both, chacha_first, Suite::aes_256_gcm},
        {gcm, chacha, std::nullopt},  // nothing in common
    };
    for (const Row& row : rows) {
        Node alpha{"alpha", 0x01, 1, 1, row.initiator};
        Node beta{"beta", 0x41, 2, 1, row.responder};
        alpha.meet("beta", beta.key.public_key());
        beta.meet("alpha", alpha.key.public_key());
        const KxTime t{TimePoint{seconds(5)}, wall_start};
        const std::string init = token_of(alpha.peer->initiate(t));
        auto resp = beta.peer->on_token(init, t);
        if (!row.chosen) {
            CHECK_THAT(error_of(resp), Catch::Equals("SLUICE-KX1 from alpha: no common suite: alpha offers "
                                                     "aes-256-gcm, we support chacha20-poly1305"));
            continue;
        }
        REQUIRE(alpha.peer->on_token(token_of(resp), t));
        CHECK(alpha.peer->send_keys()->suite == *row.chosen);
        CHECK(beta.peer->send_keys()->suite == *row.chosen);
    }

    // A responder cannot pick a suite the initiator did not offer, even with a valid signature.
    Node alpha{"alpha", 0x01, 1, 1, chacha};
    Node beta{"beta", 0x41, 2, 1, both};
    alpha.meet("beta", beta.key.public_key());
    beta.meet("alpha", alpha.key.public_key());
    const KxTime t{TimePoint{seconds(5)}, wall_start};
    const std::string init = token_of(alpha.peer->initiate(t));
    RespMessage m = std::get<RespMessage>(*parse_token(token_of(beta.peer->on_token(init, t))));
    m.suite = Suite::aes_256_gcm;
    REQUIRE(sign(m, {"alpha", "beta"}, beta.key));
    CHECK_THAT(error_of(alpha.peer->on_token(*encode_token(m), t)),
               Catch::Equals("SLUICE-KX1 from beta: RESP chose aes-256-gcm, which we did not offer"));
}

TEST_CASE("kx: crossing INITs, the smaller name's wins") {
    World w;
    const std::string from_alpha = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
    const std::string from_beta = token_of(w.beta.peer->initiate(w.at(seconds(0))));
    // alpha < beta: alpha ignores beta's INIT ...
    CHECK_THAT(error_of(w.alpha.peer->on_token(from_beta, w.at(milliseconds(1)))),
               Catch::Equals(
                   "SLUICE-KX1 from beta: crossing INITs: ours wins because alpha sorts before beta; theirs "
                   "is ignored"));
    CHECK(w.alpha.peer->initiation_in_flight());
    // ... and beta answers alpha's, dropping its own.
    const std::string resp = token_of(w.beta.peer->on_token(from_alpha, w.at(milliseconds(1))));
    CHECK_FALSE(w.beta.peer->initiation_in_flight());
    REQUIRE(w.alpha.peer->on_token(resp, w.at(milliseconds(2))));
    check_mirrored(*w.alpha.peer->send_keys(), *w.beta.peer->send_keys());
    CHECK(w.alpha.peer->send_keys()->role == KxRole::initiator);
    // beta's abandoned INIT released its index.
    CHECK(w.beta.indexes.size() == 1);

    // The same in the other delivery order.
    World v;
    const std::string a2 = token_of(v.alpha.peer->initiate(v.at(seconds(0))));
    const std::string b2 = token_of(v.beta.peer->initiate(v.at(seconds(0))));
    const std::string r2 = token_of(v.beta.peer->on_token(a2, v.at(milliseconds(1))));
    CHECK_FALSE(v.alpha.peer->on_token(b2, v.at(milliseconds(1))));
    REQUIRE(v.alpha.peer->on_token(r2, v.at(milliseconds(2))));
    check_mirrored(*v.alpha.peer->send_keys(), *v.beta.peer->send_keys());
}

TEST_CASE("kx: rekey timeline with the grace period") {
    World w;
    // t=0: alpha initiates; beta's session is created at 0, alpha's at 1 ms.
    handshake(w.alpha, w.beta, w, seconds(0));
    const std::uint32_t alpha_s1 = w.alpha.peer->send_keys()->local_index;
    const std::uint32_t beta_s1 = w.beta.peer->send_keys()->local_index;

    // Nothing happens before REKEY_AFTER.
    for (int s = 1; s < 120; ++s) {
        CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(s))).token);
        CHECK_FALSE(w.beta.peer->tick(w.at(seconds(s))).token);
    }
    // t=120: beta's session reaches REKEY_AFTER first (it was made 1 ms earlier): beta initiates.
    const std::string init = token_of(w.beta.peer->tick(w.at(seconds(120))).token);
    auto answered = w.alpha.peer->on_token(init, w.at(seconds(120)));
    const std::string resp = token_of(answered);
    CHECK(answered->keys_changed);
    // alpha answered but keeps sending on S1 until beta is seen using S2.
    REQUIRE(w.alpha.peer->next() != nullptr);
    const std::uint32_t alpha_s2 = w.alpha.peer->next()->local_index;
    CHECK(w.alpha.peer->send_keys()->local_index == alpha_s1);
    CHECK(w.alpha.peer->receive_keys().size() == 2);
    // alpha's own S1 passes 120 s now, but the exchange beta started counts: no second INIT.
    CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(120) + milliseconds(1))).token);

    auto installed = w.beta.peer->on_token(resp, w.at(seconds(120) + milliseconds(2)));
    REQUIRE(installed);
    CHECK(installed->send_keepalive);
    // beta sends on S2 at once, and still accepts S1 (previous) during the grace period.
    CHECK(w.beta.peer->send_keys()->local_index != beta_s1);
    REQUIRE(w.beta.peer->previous() != nullptr);
    CHECK(w.beta.peer->previous()->local_index == beta_s1);
    check_mirrored(*w.beta.peer->send_keys(), *w.alpha.peer->next());

    // beta's keepalive on S2 reaches alpha: alpha switches to S2, S1 becomes previous.
    CHECK_FALSE(w.alpha.peer->on_authenticated_receive(alpha_s1, w.at(seconds(121))).keys_changed);
    CHECK(w.alpha.peer->on_authenticated_receive(alpha_s2, w.at(seconds(121))).keys_changed);
    CHECK(w.alpha.peer->send_keys()->local_index == alpha_s2);
    REQUIRE(w.alpha.peer->previous() != nullptr);
    CHECK(w.alpha.peer->previous()->local_index == alpha_s1);
    check_mirrored(*w.alpha.peer->send_keys(), *w.beta.peer->send_keys());

    // Grace: beta keeps S1 for receive until 120.002 + 30 s, alpha until 121 + 30 s.
    CHECK_FALSE(w.beta.peer->tick(w.at(seconds(150))).keys_changed);
    CHECK(w.beta.peer->receive_keys().size() == 2);
    CHECK(w.beta.peer->tick(w.at(seconds(150) + milliseconds(2))).keys_changed);
    CHECK(w.beta.peer->receive_keys().size() == 1);
    CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(150) + milliseconds(999))).keys_changed);
    CHECK(w.alpha.peer->receive_keys().size() == 2);
    CHECK(w.alpha.peer->tick(w.at(seconds(151))).keys_changed);
    CHECK(w.alpha.peer->receive_keys().size() == 1);
    CHECK_FALSE(w.alpha.indexes.contains(alpha_s1));
    CHECK_FALSE(w.beta.indexes.contains(beta_s1));

    // t=240: alpha's S2 (made at 120 when it answered) is now the older one: alpha rekeys.
    CHECK_FALSE(w.beta.peer->tick(w.at(seconds(239))).token);
    CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(239))).token);
    CHECK(w.alpha.peer->tick(w.at(seconds(240))).token);
}

TEST_CASE("kx: REJECT_AFTER, retries and giving up when the peer never answers") {
    World w;
    handshake(w.alpha, w.beta, w, seconds(0));
    // beta vanishes. alpha's session reaches REKEY_AFTER at 120.001 s.
    CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(120))).token);
    std::vector<std::string> inits;
    for (int ms = 120'001; ms <= 230'001; ms += 1000) {
        auto out = w.alpha.peer->tick(w.at(milliseconds(ms)));
        if (out.token) inits.push_back(*out.token);
        if (ms == 180'001) {
            CHECK(out.keys_changed);  // REJECT_AFTER: the session is gone, send and receive
            CHECK(w.alpha.peer->send_keys() == nullptr);
            CHECK(w.alpha.peer->receive_keys().empty());
        }
    }
    // A first INIT at 120.001 s, then a new one every 5 s until 90 s have passed: 18 in all.
    CHECK(inits.size() == 18);
    CHECK_FALSE(w.alpha.peer->initiation_in_flight());
    CHECK(w.alpha.indexes.size() == 0);
    // Each retry is a fresh INIT with a later timestamp, so beta would accept the last one.
    for (std::size_t i = 1; i < inits.size(); ++i) CHECK(inits[i] != inits[i - 1]);
    CHECK(w.beta.peer->on_token(inits.back(), w.at(seconds(231))));
}

TEST_CASE("kx: the message limit triggers a rekey too") {
    World w;
    handshake(w.alpha, w.beta, w, seconds(0));
    CHECK_FALSE(w.alpha.peer->tick(w.at(seconds(10)), kx_rekey_after_messages - 1).token);
    CHECK(w.alpha.peer->tick(w.at(seconds(10)), kx_rekey_after_messages).token);
}

TEST_CASE("kx: INIT timestamps grow even if the wall clock steps back") {
    World w;
    const std::string first = token_of(w.alpha.peer->initiate(w.at(seconds(0))));
    REQUIRE(w.beta.peer->on_token(first, w.at(seconds(0))));
    // Both clocks agree the next INIT is due, but alpha's wall clock was set back an hour.
    KxTime back = w.at(seconds(10));
    back.wall_ns -= 3'600'000'000'000ull;
    const std::string second = token_of(w.alpha.peer->tick(back).token);  // the 5 s retry
    CHECK(std::get<InitMessage>(*parse_token(second)).timestamp_ns == wall_start + 1);
    CHECK(w.beta.peer->on_token(second, back));
}

TEST_CASE("kx: indexes are unique per node and released with the peer") {
    Node hub{"hub", 0x10, 3, 4, both};
    std::vector<std::unique_ptr<Node>> spokes;
    std::vector<std::unique_ptr<KxPeer>> hub_peers;
    const KxTime t{TimePoint{seconds(1)}, wall_start};
    for (int i = 0; i < 20; ++i) {
        spokes.push_back(std::make_unique<Node>(fmt::format("spoke{}", i),
                                                static_cast<std::uint8_t>(0x50 + i),
                                                static_cast<std::uint64_t>(100 + i), 1, both));
        spokes.back()->meet("hub", hub.key.public_key());
        hub_peers.push_back(std::make_unique<KxPeer>(
            hub.local, spokes.back()->local.name, spokes.back()->key.public_key(), hub.indexes, hub.random));
        const std::string init = token_of(hub_peers.back()->initiate(t));
        REQUIRE(hub_peers.back()->on_token(token_of(spokes.back()->peer->on_token(init, t)), t));
    }
    CHECK(hub.indexes.size() == 20);
    hub_peers.clear();
    CHECK(hub.indexes.size() == 0);
}

TEST_CASE("kx: worked example of docs/protocol.md") {
    // Fixed identities (Ed25519 seeds 01 02 .. 20 and 41 42 .. 60), DeterministicRandom(1) for
    // alpha and (2) for beta, alpha with 2 lanes, beta with 1, both offering AES-GCM first.
    World w;
    const KxTime t0 = w.at(seconds(0));
    const std::string init = token_of(w.alpha.peer->initiate(t0));
    const std::string resp = token_of(w.beta.peer->on_token(init, t0));
    REQUIRE(w.alpha.peer->on_token(resp, t0));
    const NativeKeys& a = *w.alpha.peer->send_keys();
    const NativeKeys& b = *w.beta.peer->send_keys();
    check_mirrored(a, b);

    const InitMessage init_m = std::get<InitMessage>(*parse_token(init));
    const RespMessage resp_m = std::get<RespMessage>(*parse_token(resp));
    const KxHash transcript = transcript_hash({"alpha", "beta"}, init_m, resp_m);
    // The ephemeral secrets are the first 32 bytes each node's random stream produced.
    Bytes alpha_secret(32), beta_secret(32);
    DeterministicRandom(1).fill(alpha_secret);
    DeterministicRandom(2).fill(beta_secret);
    CHECK(x25519_public(alpha_secret) == init_m.ephemeral);
    CHECK(x25519_public(beta_secret) == resp_m.ephemeral);
    auto shared = x25519_shared(alpha_secret, resp_m.ephemeral);
    REQUIRE(shared);
    const auto prk = hkdf_extract(transcript, shared->span());

    std::map<std::string, std::string> got = {
        {"alpha_public", hex(w.alpha.key.public_key().bytes())},
        {"beta_public", hex(w.beta.key.public_key().bytes())},
        {"init_token", init},
        {"init_bytes", hex(to_bytes(init_m))},
        {"resp_token", resp},
        {"resp_bytes", hex(to_bytes(resp_m))},
        {"init_hash", hex(init_hash(init_m))},
        {"transcript", hex(transcript)},
        {"alpha_ephemeral_secret", hex(alpha_secret)},
        {"beta_ephemeral_secret", hex(beta_secret)},
        {"shared", hex(shared->span())},
        {"prk", hex(prk.span())},
        {"alpha_send_lane0", hex(a.send_keys[0].span())},
        {"alpha_send_lane1", hex(a.send_keys[1].span())},
        {"beta_send_lane0", hex(b.send_keys[0].span())},
    };
    if (std::getenv("SLUICE_PRINT_KX_VECTOR") != nullptr) {
        for (const auto& [k, v] : got) fmt::print("{} = {}\n", k, v);
    }
    const std::map<std::string, std::string> expected = {
        {"alpha_ephemeral_secret", "00062f03b00208c12ee1c3f80fe5dd052de31836a147f8e740ee865c23814f07"},
        {"alpha_public", "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"},
        {"alpha_send_lane0", "ef9eb0a40018c0e46983dbc3d28d6f00775b7d10e8c711cb31ca3aec4e8ed0bd"},
        {"alpha_send_lane1", "df1cff9c0211d99281447836163db1c647556dd308f8a698d7eb1f635507d18f"},
        {"beta_ephemeral_secret", "000c5a24d687243ef199626752bf74150eb838d6145b173cc0108a7569b091d8"},
        {"beta_public", "adc14011f82d1c56d956aa4f9d73d8858361a606048525e0d08c638dc75dd8c7"},
        {"beta_send_lane0", "c44c3974c956538c6fb9b6e28334a5d38be9b265dfc5810b001fc5be1a43c2f7"},
        {"init_bytes",
         "01010002749999440102000017979cfe362a0000ff3492fa0c18f67a8954f97029089f48df6b57d72f5ba7552a8a41ca623"
         "38f24306e0e8c284ab3a943119ee3e51915383da1eb5dd74b9106902a4051ed50fdb057e80bed70423b3790fca751cd7af9"
         "95f2c0a6c7a10be827d206753b75f2b40c"},
        {"init_hash", "947623f4b707690a3e074c4e0e10782ba3d2bcdf080e832de28e74aa5861671a"},
        {"init_token",
         "AQEAAnSZmUQBAgAAF5ec_jYqAAD_NJL6DBj2eolU-XApCJ9I32tX1y9bp1UqikHKYjOPJDBuDowoSrOpQxGe4-"
         "UZFTg9oetd10uRBpAqQFHtUP2wV-gL7XBCOzeQ_KdRzXr5lfLApsehC-gn0gZ1O3XytAw"},
        {"prk", "2e78435b00759a3f7d66867460a937b22717f1d77273681ebb09513cc92786cd"},
        {"resp_bytes",
         "0102000160a081e301000000947623f4b707690a3e074c4e0e10782ba3d2bcdf080e832de28e74aa5861671aa56975ab022"
         "c304d9d708240f62850589803114573620ff3fc2caaee6cfead132e9ee8c0cb7e217c55a29c3c5ff83225ab40e2df6291dd"
         "b9d71bcc52c2eb611a968a8c5304d36d22aef80f1ad01c1030a2088dbcc0a12c4186c207ef1e5b4908"},
        {"resp_token",
         "AQIAAWCggeMBAAAAlHYj9LcHaQo-B0xODhB4K6PSvN8IDoMt4o50qlhhZxqlaXWrAiwwTZ1wgkD2KFBYmAMRRXNiD_"
         "P8LKrubP6tEy6e6MDLfiF8VaKcPF_4MiWrQOLfYpHdudcbzFLC62EaloqMUwTTbSKu-A8a0BwQMKIIjbzAoSxBhsIH7x5bSQg"},
        {"shared", "1edb0e0f63d912581fc7f8fe00eede34c9185ee16aa51588db50b30d4efe513f"},
        {"transcript", "b44c8756ec242108c23106358cf7c7d561d05802b190cdf631305da18923fc93"},
    };
    CHECK(expected.size() == got.size());
    for (const auto& [k, v] : expected) {
        INFO(k);
        CHECK(got.at(k) == v);
    }
}

TEST_CASE("kx: this machine offers AES-GCM first exactly when it has AES-NI and PCLMUL") {
    const std::vector<Suite> suites = local_suites();
    REQUIRE_FALSE(suites.empty());
    CHECK(suites.back() == Suite::chacha20_poly1305);
    const bool aes = crypto_aead_aes256gcm_is_available() == 1;
    CHECK(suites.size() == (aes ? 2u : 1u));
    if (aes) CHECK(suites.front() == Suite::aes_256_gcm);
}
