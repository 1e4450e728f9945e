// The native key exchange (SLUICE-KX1 in REQ_KEY) carried by meshes wired together in
// memory, with a fake clock:
//
//   alpha ---- beta ---- gamma        alpha, gamma: sluice nodes (Ed25519 keys, published)
//                |                    beta: no Ed25519 key, so it only relays, as tinc does
//              delta                  delta: has a key, but no host file publishes it
//
// Agreement end to end across the relay, relaying of the exact line, no legacy answer to a
// native message, no session with a node without Ed25519PublicKey, rekeying with its grace
// period, refused tokens that close nothing, and a tinc node behind a host file that claims
// a key.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/mesh/mesh.hpp"
#include "controlplane/mesh/mesh_test_network.hpp"
#include "controlplane/native/kx_message.hpp"
#include "shared/crypto/ed25519_key.hpp"

using namespace sluice;
using namespace sluice::mesh;
using sluice::mesh::testing::Network;
using sluice::mesh::testing::subnet;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint64_t wall_start = 1'700'000'000'000'000'000ull;  // 2023-11-14, ns

std::shared_ptr<const crypto::Ed25519KeyPair> key_from(std::uint8_t first) {
    Bytes seed(crypto::kEd25519SeedBytes);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
    auto key = crypto::Ed25519KeyPair::from_seed(seed);
    REQUIRE(key);
    return std::make_shared<const crypto::Ed25519KeyPair>(std::move(*key));
}

Bytes bytes(const crypto::SecretBuffer& buffer) {
    return Bytes(buffer.span().begin(), buffer.span().end());
}

std::vector<Bytes> all_bytes(const std::vector<crypto::SecretBuffer>& keys) {
    std::vector<Bytes> out;
    for (const auto& key : keys) out.push_back(bytes(key));
    return out;
}

// The test's "host files": the Ed25519PublicKey each node's hosts/NAME carries, the same
// everywhere.
struct World {
    Network net;
    std::map<std::string, std::shared_ptr<const crypto::Ed25519KeyPair>> keys;
    std::map<std::string, crypto::Ed25519PublicKey> published;

    // A node; with `lanes` > 0 it has an Ed25519 key pair (published if `publish`).
    Mesh& add(const std::string& name, const char* own_subnet, std::uint32_t lanes, bool publish = true) {
        if (lanes > 0) {
            keys[name] = key_from(static_cast<std::uint8_t>(0x10 * (keys.size() + 1)));
            if (publish) published.emplace(name, keys[name]->public_key());
        }
        return net.add(name, {subnet(own_subnet)}, [&](MeshSettings& s) {
            if (lanes > 0) s.native.key = keys[name];
            s.native.lanes = lanes;
            s.native.suites = {native::Suite::chacha20_poly1305};  // the same on every machine
            s.native.public_key =
                [this](std::string_view node) -> Result<std::optional<crypto::Ed25519PublicKey>> {
                auto it = published.find(std::string(node));
                if (it == published.end()) return std::optional<crypto::Ed25519PublicKey>{};
                return std::optional<crypto::Ed25519PublicKey>{it->second};
            };
            s.native.wall_clock = [this] {
                return wall_start +
                       static_cast<std::uint64_t>(
                           std::chrono::duration_cast<std::chrono::nanoseconds>(net.now.time_since_epoch())
                               .count());
            };
        });
    }

    const native::NativeSessions& sessions(const std::string& at) {
        return net.nodes.at(at)->native_sessions();
    }
    const native::KxPeer* peer(const std::string& at, const std::string& with) {
        return sessions(at).peer(with);
    }

    // Lines `from` sent that start with `prefix`.
    std::vector<std::string> sent(const std::string& from, const std::string& prefix) {
        std::vector<std::string> out;
        for (const auto& line : net.sent_lines[from])
            if (line.starts_with(prefix)) out.push_back(line);
        return out;
    }
};

// alpha ---- beta ---- gamma, beta relaying without keys of its own.
void line_of_three(World& w, std::uint32_t gamma_lanes = 3) {
    w.add("alpha", "198.19.0.1/32", 2);
    w.add("beta", "198.19.0.2/32", 0);
    w.add("gamma", "198.19.0.3/32", gamma_lanes);
    w.net.connect("alpha", "beta");
    w.net.connect("beta", "gamma");
}

// The two ends of a session agree: what one seals with, the other opens with.
void check_matching(const native::NativeKeys& sender, const native::NativeKeys& receiver) {
    CHECK(sender.suite == receiver.suite);
    CHECK(sender.role != receiver.role);
    CHECK(sender.remote_index == receiver.local_index);
    CHECK(sender.local_index == receiver.remote_index);
    CHECK(sender.local_lanes == receiver.remote_lanes);
    CHECK(sender.send_keys.size() == sender.local_lanes);
    CHECK(all_bytes(sender.send_keys) == all_bytes(receiver.receive_keys));
    CHECK(all_bytes(sender.receive_keys) == all_bytes(receiver.send_keys));
}

}  // namespace

TEST_CASE("two sluice nodes agree on native keys through a relay that only relays") {
    World w;
    line_of_three(w);
    const std::uint64_t alpha_generation = w.sessions("alpha").generation();

    // Nobody starts before the settle time (tinc 1.0.36's REQ_KEY crash, spec 8.2).
    w.net.run_for(seconds(1));
    CHECK(w.sent("alpha", "15 alpha gamma SLUICE-KX1 ").empty());
    CHECK(w.sessions("alpha").send_keys("gamma") == nullptr);

    w.net.run_for(seconds(2));
    const native::KxPeer* at_alpha = w.peer("alpha", "gamma");
    const native::KxPeer* at_gamma = w.peer("gamma", "alpha");
    REQUIRE(at_alpha != nullptr);
    REQUIRE(at_gamma != nullptr);
    REQUIRE(at_alpha->send_keys() != nullptr);
    REQUIRE(at_gamma->send_keys() != nullptr);
    // Both sent an INIT at once; alpha's won (it sorts first) and gamma answered it.
    CHECK(at_alpha->send_keys()->role == native::KxRole::initiator);
    check_matching(*at_alpha->send_keys(), *at_gamma->send_keys());
    check_matching(*at_gamma->send_keys(), *at_alpha->send_keys());
    CHECK(at_alpha->send_keys()->local_lanes == 2);
    CHECK(at_alpha->send_keys()->remote_lanes == 3);
    CHECK(w.sessions("alpha").generation() != alpha_generation);
    CHECK(w.sessions("alpha").peers_with_sessions() == std::vector<std::string>{"gamma"});
    CHECK(w.sessions("gamma").peers_with_sessions() == std::vector<std::string>{"alpha"});

    // beta took no part, and forwarded every exchange line exactly as it came.
    CHECK_FALSE(w.sessions("beta").enabled());
    CHECK(w.sessions("beta").peers_with_sessions().empty());
    const auto from_alpha = w.sent("alpha", "15 alpha gamma SLUICE-KX1 ");
    const auto from_gamma = w.sent("gamma", "15 gamma alpha SLUICE-KX1 ");
    REQUIRE_FALSE(from_alpha.empty());
    REQUIRE_FALSE(from_gamma.empty());
    CHECK(w.sent("beta", "15 alpha gamma SLUICE-KX1 ") == from_alpha);
    CHECK(w.sent("beta", "15 gamma alpha SLUICE-KX1 ") == from_gamma);

    // The legacy keys work as before: each end asked once for the other's, and each native
    // message was answered natively, never with an ANS_KEY.
    CHECK(w.sent("alpha", "15 alpha gamma").size() == from_alpha.size() + 1);
    CHECK(w.sent("gamma", "16 gamma alpha ").size() == 1);
    CHECK(w.sent("alpha", "16 alpha gamma ").size() == 1);
    REQUIRE(w.net.nodes["alpha"]->keys_of("gamma") != nullptr);
    CHECK(w.net.nodes["alpha"]->keys_of("gamma")->outbound.has_value());
    CHECK(w.sessions("alpha").counters().legacy_answers == 0);
    CHECK(w.net.closed.empty());

    SECTION("losing the path to gamma drops its sessions") {
        const std::uint64_t before = w.sessions("alpha").generation();
        w.net.disconnect("beta", w.net.conn("beta", "gamma"));
        CHECK(w.peer("alpha", "gamma") == nullptr);
        CHECK(w.sessions("alpha").peers_with_sessions().empty());
        CHECK(w.sessions("alpha").generation() != before);
        SECTION("and a new exchange runs when it is back") {
            w.net.connect("gamma", "beta");
            w.net.run_for(seconds(3));
            REQUIRE(w.sessions("alpha").send_keys("gamma") != nullptr);
            check_matching(*w.sessions("alpha").send_keys("gamma"), *w.sessions("gamma").send_keys("alpha"));
        }
    }
}

TEST_CASE("a node without Ed25519PublicKey gets no native session") {
    World w;
    line_of_three(w);
    w.add("delta", "198.19.0.4/32", 1, /*publish=*/false);
    w.net.connect("delta", "beta");
    w.net.run_for(seconds(10));

    CHECK(w.peer("alpha", "delta") == nullptr);
    CHECK(w.peer("gamma", "delta") == nullptr);
    CHECK(w.sent("alpha", "15 alpha delta SLUICE-KX1").empty());
    // delta knows alpha's key and tries; alpha cannot verify delta and refuses, without a
    // legacy answer and without closing anything.
    CHECK_FALSE(w.sent("delta", "15 delta alpha SLUICE-KX1 ").empty());
    CHECK(w.sessions("alpha").counters().tokens_without_peer_key > 0);
    CHECK(w.sent("alpha", "16 alpha delta ").size() == 1);  // the one legacy REQ_KEY's answer
    CHECK(w.sessions("delta").peers_with_sessions().empty());
    CHECK(w.net.closed.empty());
    // Between alpha and gamma nothing changed.
    CHECK(w.sessions("alpha").peers_with_sessions() == std::vector<std::string>{"gamma"});
    // The legacy keys still work with delta.
    CHECK(w.net.nodes["alpha"]->keys_of("delta")->outbound.has_value());
}

TEST_CASE("REQ_KEY lines with an extension are relayed unchanged and never misread") {
    World w;
    line_of_three(w);
    w.net.run_for(seconds(3));
    const ConnectionId beta_from_alpha = w.net.conn("beta", "alpha");
    w.net.sent_lines.clear();

    SECTION("SLUICE-KX1 for another node: the received line, odd blanks and all") {
        const std::string line = "15  alpha\tgamma SLUICE-KX1  AQEA";
        w.net.inject("beta", beta_from_alpha, line);
        CHECK(w.net.sent_lines["beta"] == std::vector<std::string>{line});
        // gamma refused the bogus token as a native message: no legacy answer.
        CHECK(w.sessions("gamma").counters().tokens_refused == 1);
        CHECK(w.sent("gamma", "16 ").empty());
        CHECK(w.net.closed.empty());
    }
    SECTION("tinc 1.1's numeric extension: relayed, then answered as a plain REQ_KEY") {
        const std::string line = "15 alpha gamma 18 AQEA";
        w.net.inject("beta", beta_from_alpha, line);
        REQUIRE_FALSE(w.net.sent_lines["beta"].empty());
        CHECK(w.net.sent_lines["beta"].front() == line);
        CHECK(w.sent("gamma", "16 gamma alpha ").size() == 1);
        CHECK(w.sessions("gamma").counters().tokens_refused == 0);
    }
    SECTION("SLUICE-KX1 for a node without a key of its own: answered as tinc does") {
        w.net.inject("beta", beta_from_alpha, "15 alpha beta SLUICE-KX1 AQEA");
        CHECK(w.sent("beta", "16 beta alpha ").size() == 1);
    }
}

TEST_CASE("a tampered or malformed token is refused and closes nothing") {
    World w;
    line_of_three(w);
    w.net.run_for(seconds(1));

    // At the settle time only alpha ticks; its INIT is tampered with on the way.
    w.net.now += seconds(1);
    w.net.apply("alpha", w.net.nodes["alpha"]->tick(w.net.now));
    auto init = std::find_if(w.net.lines.begin(), w.net.lines.end(), [](const auto& queued) {
        return std::get<2>(queued).starts_with("15 alpha gamma SLUICE-KX1 ");
    });
    REQUIRE(init != w.net.lines.end());
    std::string& line = std::get<2>(*init);
    const std::size_t in_signature = line.find("SLUICE-KX1 ") + 11 + 100;  // byte 75 of 116
    line[in_signature] = line[in_signature] == 'A' ? 'B' : 'A';
    w.net.settle();

    CHECK(w.sessions("gamma").counters().tokens_refused == 1);
    CHECK(w.peer("gamma", "alpha")->send_keys() == nullptr);
    CHECK(w.sent("gamma", "15 gamma alpha SLUICE-KX1 ").empty());
    // gamma's one ANS_KEY answers the legacy REQ_KEY alpha sent in the same tick.
    CHECK(w.sent("alpha", "15 alpha gamma").size() == 2);
    CHECK(w.sent("gamma", "16 gamma alpha ").size() == 1);

    // A token outside base64url parses as an empty one and is refused the same way.
    w.net.inject("beta", w.net.conn("beta", "alpha"), "15 alpha gamma SLUICE-KX1 AQ=A");
    CHECK(w.sessions("gamma").counters().tokens_malformed == 1);
    CHECK(w.sent("gamma", "16 gamma alpha ").size() == 1);
    CHECK(w.net.closed.empty());

    // alpha's next INIT (a new one, 5 s later) is not tampered with.
    w.net.run_for(seconds(6));
    REQUIRE(w.sessions("alpha").send_keys("gamma") != nullptr);
    check_matching(*w.sessions("alpha").send_keys("gamma"), *w.sessions("gamma").send_keys("alpha"));
    CHECK(w.net.closed.empty());
}

TEST_CASE("a rekey after 120 s makes new keys and keeps the old ones for the grace period") {
    World w;
    line_of_three(w, 1);
    w.net.run_for(seconds(3));
    const native::KxPeer& at_alpha = *w.peer("alpha", "gamma");
    const native::KxPeer& at_gamma = *w.peer("gamma", "alpha");
    REQUIRE(at_alpha.current() != nullptr);
    const std::uint32_t old_alpha_index = at_alpha.current()->local_index;
    const std::uint32_t old_gamma_index = at_gamma.current()->local_index;
    const std::vector<Bytes> old_alpha_send = all_bytes(at_alpha.current()->send_keys);

    w.net.run_for(at_alpha.current()->created + seconds(119) - w.net.now);
    CHECK(at_alpha.current()->local_index == old_alpha_index);
    CHECK(at_alpha.previous() == nullptr);
    const std::uint64_t before = w.sessions("alpha").generation();

    w.net.run_for(seconds(1));  // 120 s after the keys were made
    REQUIRE(at_alpha.current() != nullptr);
    REQUIRE(at_alpha.previous() != nullptr);
    CHECK(w.sessions("alpha").generation() != before);
    // alpha (the INIT that won) sends on the new session and still accepts the old one.
    CHECK(at_alpha.current()->local_index != old_alpha_index);
    CHECK(at_alpha.previous()->local_index == old_alpha_index);
    CHECK(all_bytes(at_alpha.current()->send_keys) != old_alpha_send);
    CHECK(all_bytes(at_alpha.previous()->send_keys) == old_alpha_send);
    CHECK(at_alpha.send_keys() == at_alpha.current());
    CHECK(at_alpha.receive_keys().size() == 2);
    // gamma answered: it accepts the new session but sends on the old one until alpha uses it.
    REQUIRE(at_gamma.next() != nullptr);
    check_matching(*at_alpha.current(), *at_gamma.next());
    CHECK(at_gamma.send_keys()->local_index == old_gamma_index);
    CHECK(at_gamma.receive_keys().size() == 2);

    // The data plane of gamma reports alpha's first packet (a keepalive) on the new session.
    const std::uint64_t gamma_before = w.sessions("gamma").generation();
    const std::uint32_t new_gamma_index = at_gamma.next()->local_index;
    CHECK(w.net.nodes["gamma"]->on_authenticated_receive("alpha", new_gamma_index, w.net.now).empty());
    CHECK(w.sessions("gamma").generation() != gamma_before);
    REQUIRE(at_gamma.current() != nullptr);
    CHECK(at_gamma.current()->local_index == new_gamma_index);
    CHECK(at_gamma.previous()->local_index == old_gamma_index);
    check_matching(*at_alpha.current(), *at_gamma.current());

    // The old sessions are accepted for 30 s more, then forgotten.
    w.net.run_for(seconds(29));
    CHECK(at_alpha.previous() != nullptr);
    CHECK(at_gamma.previous() != nullptr);
    w.net.run_for(seconds(1));
    CHECK(at_alpha.previous() == nullptr);
    CHECK(at_gamma.previous() == nullptr);
    CHECK(at_alpha.receive_keys().size() == 1);
    check_matching(*at_alpha.send_keys(), *at_gamma.send_keys());
    CHECK(w.net.closed.empty());
}

TEST_CASE("a node whose host file claims a key but that answers like tinc gets no more INITs") {
    World w;
    w.add("alpha", "198.19.0.1/32", 1);
    w.add("beta", "198.19.0.2/32", 0);
    w.add("gamma", "198.19.0.3/32", 0);
    // hosts/gamma carries a key, but gamma runs without one: it answers INITs with ANS_KEY.
    w.published.emplace("gamma", key_from(0x77)->public_key());
    w.net.connect("alpha", "beta");
    w.net.connect("beta", "gamma");
    w.net.run_for(seconds(3));

    CHECK(w.sent("alpha", "15 alpha gamma SLUICE-KX1 ").size() == 1);
    CHECK(w.sessions("alpha").counters().legacy_answers == 1);
    CHECK(w.net.nodes["alpha"]->keys_of("gamma")->outbound.has_value());
    // No retry every 5 s (each would renew gamma's legacy key for alpha).
    w.net.run_for(seconds(60));
    CHECK(w.sent("alpha", "15 alpha gamma SLUICE-KX1 ").size() == 1);
    CHECK_FALSE(w.peer("alpha", "gamma")->initiation_in_flight());

    SECTION("until the data plane asks for a session again") {
        w.net.apply("alpha", w.net.nodes["alpha"]->native_session_wanted("gamma", w.net.now));
        w.net.settle();
        CHECK(w.sent("alpha", "15 alpha gamma SLUICE-KX1 ").size() == 2);
        CHECK(w.sessions("alpha").counters().legacy_answers == 2);
    }
}
