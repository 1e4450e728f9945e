// NativeSessions on its own, with tokens passed by hand between two or three instances and
// a fake clock: when exchanges start (the settle time), how often keys are looked up, the
// retry and give-up timeline, and what is ignored. The mesh transcripts
// (controlplane/mesh/mesh_native_test.cpp) cover the same through relays.
#include "controlplane/native/native_sessions.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace sluice;
using namespace sluice::native;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr Duration settle = seconds(2);

std::shared_ptr<const crypto::Ed25519KeyPair> key_from(std::uint8_t first) {
    Bytes seed(crypto::kEd25519SeedBytes);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
    auto key = crypto::Ed25519KeyPair::from_seed(seed);
    REQUIRE(key);
    return std::make_shared<const crypto::Ed25519KeyPair>(std::move(*key));
}

struct Directory {
    std::map<std::string, crypto::Ed25519PublicKey> published;
    std::map<std::string, int> lookups;
};

struct Node {
    crypto::DeterministicRandom random;
    NativeSessions sessions;

    Node(const std::string& name, std::shared_ptr<const crypto::Ed25519KeyPair> key, Directory& directory,
         std::uint32_t lanes = 1)
        : random(name.size() + 1),
          sessions(
              name,
              NativeSettings{
                  .key = std::move(key),
                  .public_key =
                      [&directory](std::string_view node) -> Result<std::optional<crypto::Ed25519PublicKey>> {
                      ++directory.lookups[std::string(node)];
                      auto it = directory.published.find(std::string(node));
                      if (it == directory.published.end()) return std::optional<crypto::Ed25519PublicKey>{};
                      return std::optional<crypto::Ed25519PublicKey>{it->second};
                  },
                  .lanes = lanes,
                  .suites = {Suite::chacha20_poly1305},
                  .wall_clock = [] { return std::uint64_t{1'700'000'000'000'000'000ull}; },
              },
              settle, random) {}
};

const TimePoint t0{seconds(5000)};

}  // namespace

TEST_CASE("native sessions: nothing without a local key") {
    Directory directory;
    directory.published.emplace("beta", key_from(0x20)->public_key());
    Node alpha("alpha", nullptr, directory);
    CHECK_FALSE(alpha.sessions.enabled());
    alpha.sessions.node_reachable("beta", t0);
    CHECK(alpha.sessions.tick(t0 + seconds(10)).empty());
    CHECK(alpha.sessions.on_token("beta", "AQEA", t0 + seconds(10)).empty());
    CHECK(alpha.sessions.peer("beta") == nullptr);
    CHECK(directory.lookups.empty());
    CHECK(alpha.sessions.generation() == 0);
}

TEST_CASE("native sessions: an INIT once settled, keys looked up once, lanes clamped") {
    Directory directory;
    auto alpha_key = key_from(0x10);
    directory.published.emplace("alpha", alpha_key->public_key());
    directory.published.emplace("beta", key_from(0x20)->public_key());
    Node alpha("alpha", alpha_key, directory, 100);
    CHECK(alpha.sessions.local().lanes == kx_max_lanes);
    CHECK(directory.lookups["alpha"] == 1);  // the start-up check of our own host file

    alpha.sessions.node_reachable("beta", t0);
    alpha.sessions.node_reachable("tinc", t0);
    CHECK(alpha.sessions.tick(t0 + seconds(1)).empty());
    CHECK(directory.lookups["beta"] == 0);

    auto sends = alpha.sessions.tick(t0 + settle);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].peer == "beta");
    CHECK(sends[0].token.size() == init_token_length);
    CHECK(alpha.sessions.peer("tinc") == nullptr);
    for (int s = 3; s < 20; ++s) (void)alpha.sessions.tick(t0 + seconds(s));
    CHECK(directory.lookups["beta"] == 1);
    CHECK(directory.lookups["tinc"] == 1);

    SECTION("zero lanes are one") {
        Node one("one", alpha_key, directory, 0);
        CHECK(one.sessions.local().lanes == 1);
    }
}

TEST_CASE("native sessions: an unanswered INIT is renewed every 5 s, given up after 90 s") {
    Directory directory;
    auto alpha_key = key_from(0x10);
    directory.published.emplace("alpha", alpha_key->public_key());
    directory.published.emplace("beta", key_from(0x20)->public_key());
    Node alpha("alpha", alpha_key, directory);
    alpha.sessions.node_reachable("beta", t0);

    std::vector<std::string> tokens;
    for (int s = 1; s <= 120; ++s) {
        for (auto& send : alpha.sessions.tick(t0 + seconds(s))) tokens.push_back(send.token);
    }
    // At 2 s, then every 5 s until 90 s after the first: 2, 7, ..., 87.
    CHECK(tokens.size() == 18);
    CHECK(std::set<std::string>(tokens.begin(), tokens.end()).size() == tokens.size());  // never the same
    CHECK(alpha.sessions.counters().attempts_given_up == 1);
    CHECK_FALSE(alpha.sessions.peer("beta")->initiation_in_flight());

    auto again = alpha.sessions.session_wanted("beta", t0 + seconds(121));
    REQUIRE(again.size() == 1);
    CHECK(alpha.sessions.peer("beta")->initiation_in_flight());
    CHECK(alpha.sessions.session_wanted("beta", t0 + seconds(122)).empty());  // one is in flight
}

TEST_CASE("native sessions: two nodes agree, the peer that was quicker is answered") {
    Directory directory;
    auto alpha_key = key_from(0x10);
    auto beta_key = key_from(0x20);
    directory.published.emplace("alpha", alpha_key->public_key());
    directory.published.emplace("beta", beta_key->public_key());
    Node alpha("alpha", alpha_key, directory, 2);
    Node beta("beta", beta_key, directory, 1);
    alpha.sessions.node_reachable("beta", t0);
    beta.sessions.node_reachable("alpha", t0 + seconds(1));

    // alpha settles first; beta answers before its own settle time, and then sends no INIT.
    auto init = alpha.sessions.tick(t0 + settle);
    REQUIRE(init.size() == 1);
    auto resp = beta.sessions.on_token("alpha", init[0].token, t0 + settle);
    REQUIRE(resp.size() == 1);
    CHECK(resp[0].peer == "alpha");
    CHECK(alpha.sessions.on_token("beta", resp[0].token, t0 + settle).empty());
    CHECK(beta.sessions.tick(t0 + seconds(3)).empty());
    CHECK(alpha.sessions.tick(t0 + seconds(3)).empty());

    const NativeKeys* a = alpha.sessions.send_keys("beta");
    const NativeKeys* b = beta.sessions.send_keys("alpha");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(a->remote_index == b->local_index);
    CHECK(b->remote_index == a->local_index);
    REQUIRE(a->send_keys.size() == 2);
    REQUIRE(b->receive_keys.size() == 2);
    for (std::size_t lane = 0; lane < 2; ++lane) {
        CHECK(Bytes(a->send_keys[lane].span().begin(), a->send_keys[lane].span().end()) ==
              Bytes(b->receive_keys[lane].span().begin(), b->receive_keys[lane].span().end()));
    }
    CHECK(alpha.sessions.counters().sessions_installed == 1);
    CHECK(beta.sessions.counters().sessions_installed == 1);
    CHECK(alpha.sessions.receive_keys("beta").size() == 1);

    SECTION("a replayed INIT is refused, an empty token counted as malformed") {
        CHECK(beta.sessions.on_token("alpha", init[0].token, t0 + seconds(4)).empty());
        CHECK(beta.sessions.counters().tokens_refused == 1);
        CHECK(beta.sessions.on_token("alpha", "", t0 + seconds(4)).empty());
        CHECK(beta.sessions.counters().tokens_malformed == 1);
        CHECK(beta.sessions.send_keys("alpha") == b);
    }
    SECTION("forgetting a peer changes the generation") {
        const std::uint64_t before = alpha.sessions.generation();
        alpha.sessions.node_unreachable("beta");
        CHECK(alpha.sessions.peer("beta") == nullptr);
        CHECK(alpha.sessions.generation() != before);
    }
    SECTION("a new data plane drops every session and starts a new exchange at once") {
        const std::uint32_t old_index = a->local_index;
        const std::uint64_t before = alpha.sessions.generation();
        auto fresh = alpha.sessions.restart_all(t0 + seconds(5));
        REQUIRE(fresh.size() == 1);
        CHECK(fresh[0].peer == "beta");
        CHECK(fresh[0].token.size() == init_token_length);
        CHECK(alpha.sessions.send_keys("beta") == nullptr);  // nothing to seal with until the RESP
        CHECK(alpha.sessions.receive_keys("beta").empty());
        CHECK(alpha.sessions.generation() != before);
        auto answer = beta.sessions.on_token("alpha", fresh[0].token, t0 + seconds(5));
        REQUIRE(answer.size() == 1);
        CHECK(alpha.sessions.on_token("beta", answer[0].token, t0 + seconds(5)).empty());
        const NativeKeys* renewed = alpha.sessions.send_keys("beta");
        REQUIRE(renewed != nullptr);
        CHECK(renewed->local_index != old_index);
    }
}
