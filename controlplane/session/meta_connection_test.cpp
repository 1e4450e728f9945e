// Two meta connections wired back to back in memory: the whole tinc 1.0.36 handshake,
// encrypted lines and PACKET bodies after it, and the refusals.
#include "controlplane/session/meta_connection.hpp"

#include <catch2/catch.hpp>

#include "controlplane/protocol/constants.hpp"
#include "tests/support/test_keys.hpp"

using namespace sluice;
using namespace sluice::session;

namespace {

// alpha's, beta's and a third node's key pairs.
// A key the test owns, as PeerSettings holds it (no ownership taken).
std::shared_ptr<const crypto::RsaKey> borrowed(const crypto::RsaKey& k) {
    return std::shared_ptr<const crypto::RsaKey>(std::shared_ptr<const crypto::RsaKey>{}, &k);
}

const crypto::RsaKey& key(int which) {
    using sluice::testing::rsa_key;
    return which == 0 ? rsa_key<1024, 0>() : which == 1 ? rsa_key<1024, 1>() : rsa_key<1024, 2>();
}

struct Pair {
    crypto::DeterministicRandom random_a{1};
    crypto::DeterministicRandom random_b{2};
    TimePoint t0{};
    MetaConnection client;  // alpha, ConnectTo = beta
    MetaConnection server;  // beta
    std::vector<Event> client_events;
    std::vector<Event> server_events;

    Pair(const crypto::RsaKey& beta_key_known_to_alpha, const crypto::RsaKey& alpha_key_known_to_beta,
         std::string expected = "beta", std::string client_name = "alpha")
        : client(
              Role::outgoing,
              LocalIdentity{client_name, &key(0), "655", 32,
                            protocol::option_pmtu_discovery | protocol::option_clamp_mss},
              expected,
              [&beta_key_known_to_alpha](const std::string&) -> Result<PeerSettings> {
                  return PeerSettings{borrowed(beta_key_known_to_alpha), std::nullopt, 0, 0};
              },
              random_a, t0),
          server(
              Role::incoming, LocalIdentity{"beta", &key(1), "656", 32, protocol::option_clamp_mss},
              std::nullopt,
              [&alpha_key_known_to_beta](const std::string& name) -> Result<PeerSettings> {
                  if (name != "alpha") return fail("Peer {} had unknown identity", name);
                  return PeerSettings{borrowed(alpha_key_known_to_beta), std::nullopt, 0, 0};
              },
              random_b, t0) {}

    // Moves bytes back and forth, in small pieces to exercise the framing, until quiet.
    void pump(std::size_t chunk = 7) {
        for (int round = 0; round < 100; ++round) {
            auto a = client.take_output();
            auto b = server.take_output();
            if (a.empty() && b.empty()) return;
            for (std::size_t i = 0; i < a.size(); i += chunk) {
                auto part = std::span(a).subspan(i, std::min(chunk, a.size() - i));
                auto ev = server.receive(part, t0 + std::chrono::milliseconds(4));
                server_events.insert(server_events.end(), ev.begin(), ev.end());
            }
            for (std::size_t i = 0; i < b.size(); i += chunk) {
                auto part = std::span(b).subspan(i, std::min(chunk, b.size() - i));
                auto ev = client.receive(part, t0 + std::chrono::milliseconds(6));
                client_events.insert(client_events.end(), ev.begin(), ev.end());
            }
        }
    }
};

template <typename T>
const T* find_event(const std::vector<Event>& events) {
    for (const auto& e : events)
        if (auto* p = std::get_if<T>(&e)) return p;
    return nullptr;
}

}  // namespace

TEST_CASE("alpha connects to beta: tinc 1.0.36's handshake activates both ends") {
    Pair p(key(1), key(0));
    p.client.start(p.t0);
    p.pump();

    const auto* at_client = find_event<Activated>(p.client_events);
    const auto* at_server = find_event<Activated>(p.server_events);
    REQUIRE(at_client != nullptr);
    REQUIRE(at_server != nullptr);
    CHECK(p.client.active());
    CHECK(p.server.active());
    CHECK(at_client->peer == "beta");
    CHECK(at_server->peer == "alpha");
    CHECK(at_client->peer_port == "656");
    CHECK(at_server->peer_port == "655");
    // PMTU discovery only when both want it; CLAMP_MSS from either.
    CHECK(at_client->options == protocol::option_clamp_mss);
    CHECK(at_server->options == protocol::option_clamp_mss);
    CHECK(at_client->edge_weight == at_server->edge_weight);

    SECTION("lines and PACKET bodies flow encrypted in both directions afterwards") {
        REQUIRE(p.client.send_line("8"));
        const std::vector<std::uint8_t> frame{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, '\n', '\n', 0x17};
        REQUIRE(p.server.send_packet(frame));
        REQUIRE(p.server.send_line("9"));
        p.client_events.clear();
        p.server_events.clear();
        p.pump(3);
        const auto* ping = find_event<ReceivedRequest>(p.server_events);
        REQUIRE(ping != nullptr);
        CHECK(ping->line == "8");
        const auto* packet = find_event<ReceivedPacket>(p.client_events);
        REQUIRE(packet != nullptr);
        CHECK(packet->frame == frame);
        REQUIRE(p.client_events.size() == 2);
        CHECK(std::get<ReceivedRequest>(p.client_events[1]).line == "9");

        // Each side counted what the other sent, by request type and in bytes.
        using protocol::RequestType;
        auto in = [](const MetaConnection& c, RequestType t) {
            return c.traffic().requests_in[static_cast<std::size_t>(t)];
        };
        auto out = [](const MetaConnection& c, RequestType t) {
            return c.traffic().requests_out[static_cast<std::size_t>(t)];
        };
        for (RequestType t : {RequestType::id, RequestType::metakey, RequestType::challenge,
                              RequestType::chal_reply, RequestType::ack}) {
            CHECK(out(p.client, t) == 1);
            CHECK(in(p.server, t) == 1);
            CHECK(out(p.server, t) == 1);
            CHECK(in(p.client, t) == 1);
        }
        CHECK(out(p.client, RequestType::ping) == 1);
        CHECK(in(p.server, RequestType::ping) == 1);
        CHECK(out(p.server, RequestType::packet) == 1);
        CHECK(in(p.client, RequestType::packet) == 1);
        CHECK(in(p.client, RequestType::pong) == 1);
        CHECK(p.client.traffic().bytes_out == p.server.traffic().bytes_in);
        CHECK(p.server.traffic().bytes_out == p.client.traffic().bytes_in);
        CHECK(p.client.traffic().bytes_in > frame.size());
    }
}

TEST_CASE("leading_request_type reads the request number a line starts with") {
    using protocol::RequestType;
    CHECK(leading_request_type("12 a b c") == RequestType::add_edge);
    CHECK(leading_request_type("8") == RequestType::ping);
    CHECK(leading_request_type("17 1500") == RequestType::packet);
    CHECK_FALSE(leading_request_type("18 x").has_value());
    CHECK_FALSE(leading_request_type("").has_value());
    CHECK_FALSE(leading_request_type("8x").has_value());
    CHECK_FALSE(leading_request_type("x 8").has_value());
}

TEST_CASE("the handshake refuses what tinc 1.0.36 refuses") {
    SECTION("a peer whose key is not the one in hosts/NAME") {
        Pair p(key(2), key(0));  // alpha holds a wrong public key for beta
        p.client.start(p.t0);
        p.pump();
        // beta recovers a wrong session key, so what it decrypts is noise: it either fails
        // to parse (the link closes) or never forms a line (the daemon's authentication
        // timeout closes it). Neither side may ever become active.
        CHECK_FALSE(p.client.active());
        CHECK_FALSE(p.server.active());
        CHECK(find_event<Activated>(p.client_events) == nullptr);
        CHECK(find_event<Activated>(p.server_events) == nullptr);
    }
    SECTION("an unknown identity") {
        Pair p(key(1), key(0), "beta", "mallory");
        p.client.start(p.t0);
        p.pump();
        const auto* closed = find_event<Closed>(p.server_events);
        REQUIRE(closed != nullptr);
        CHECK_THAT(closed->reason, Catch::Contains("mallory had unknown identity"));
        CHECK(closed->tarpit);
    }
    SECTION("the wrong node answering a ConnectTo") {
        Pair p(key(1), key(0), "gamma");
        p.client.start(p.t0);
        p.pump();
        const auto* closed = find_event<Closed>(p.client_events);
        REQUIRE(closed != nullptr);
        CHECK_THAT(closed->reason, Catch::Contains("expected gamma but the peer says it is beta"));
        CHECK_FALSE(closed->tarpit);
    }
}

TEST_CASE("before activation only the next handshake step is accepted") {
    crypto::DeterministicRandom random{3};
    MetaConnection server(
        Role::incoming, LocalIdentity{"beta", &key(1), "655", 32, 0}, std::nullopt,
        [](const std::string&) -> Result<PeerSettings> {
            return PeerSettings{borrowed(key(0)), std::nullopt, 0, 0};
        },
        random, TimePoint{});
    struct Row {
        std::string input;
        const char* reason;
    };
    const Row rows[] = {
        {"4 655 3 c\n", "unauthorized request ACK"},
        {"0 beta 17\n", "our own name"},
        {"0 alpha 18\n", "incompatible protocol version 18"},
        {"0 al-pha 17\n", "invalid request"},
        {"5\n", "invalid request"},
        {std::string(2200, 'x'), "2176"},
    };
    for (const auto& row : rows) {
        INFO(row.input.substr(0, 40));
        MetaConnection fresh(
            Role::incoming, LocalIdentity{"beta", &key(1), "655", 32, 0}, std::nullopt,
            [](const std::string&) -> Result<PeerSettings> {
                return PeerSettings{borrowed(key(0)), std::nullopt, 0, 0};
            },
            random, TimePoint{});
        std::vector<std::uint8_t> bytes(row.input.begin(), row.input.end());
        auto events = fresh.receive(bytes, TimePoint{});
        const auto* closed = find_event<Closed>(events);
        REQUIRE(closed != nullptr);
        CHECK_THAT(closed->reason, Catch::Contains(row.reason));
        CHECK(fresh.closed());
    }
    (void)server;
}
