// One meta connection, sans-I/O: bytes from the peer go in, bytes for the peer and events
// come out. It owns the line framing, both directions of the meta cipher and the
// authentication handshake of tinc 1.0.36 (spec section 2), so that two of them can be
// wired back to back in memory and a test sees exactly what a socket would carry.
//
// Before activation exactly one request type is acceptable at each step (tinc's
// allow_request); anything else closes the connection. After ACK the connection passes
// every parsed request (with the exact line, which flooding forwards unchanged) and every
// PACKET body up to its owner, the mesh.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "controlplane/meta/meta_cipher.hpp"
#include "controlplane/protocol/framing.hpp"
#include "controlplane/protocol/request.hpp"
#include "controlplane/session/meta_traffic.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/rsa_key.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::session {

// What this node says about itself in the handshake.
struct LocalIdentity {
    std::string name;
    const crypto::RsaKey* private_key = nullptr;  // owned by the daemon, outlives connections
    std::string port;                             // our Port, sent in ACK
    int udp_cipher_key_length = 32;               // picks the meta cipher (spec 2.3)
    std::uint32_t options = 0;                    // our ACK options before per-peer overrides
};

// What the local configuration says about a peer, looked up by name after its ID arrives.
struct PeerSettings {
    // Shared: the daemon's cache may drop the key (a reload, a changed host file) while a
    // connection that looked it up is still authenticating.
    std::shared_ptr<const crypto::RsaKey> public_key;
    std::optional<int> weight;          // Weight from hosts/NAME overrides the RTT estimate
    std::uint32_t extra_options = 0;    // IndirectData/TCPOnly/... from hosts/NAME
    std::uint32_t cleared_options = 0;  // e.g. ClampMSS = no, PMTUDiscovery = no
};

// Returns the peer's settings, or an error naming what is missing ("Peer beta had unknown
// identity", "no public key for beta").
using PeerLookup = std::function<Result<PeerSettings>(const std::string& name)>;

struct Activated {
    std::string peer;
    std::string peer_port;        // from the peer's ACK
    int peer_weight = 0;          // from the peer's ACK
    int edge_weight = 0;          // (peer's + ours) / 2, as tinc computes it
    std::uint32_t options = 0;    // combined: PMTU only if both, the rest ORed
    int peer_protocol_minor = 0;  // tinc 1.1 sends 17.x
};

struct ReceivedRequest {
    protocol::Request request;
    std::string line;  // exactly as received, for flooding and the duplicate cache
};

struct ReceivedPacket {
    std::vector<std::uint8_t> frame;
};

struct Closed {
    std::string reason;
    bool tarpit = false;  // tinc keeps failed incoming connections open for a while
};

using Event = std::variant<Activated, ReceivedRequest, ReceivedPacket, Closed>;

enum class Role { outgoing, incoming };

class MetaConnection {
public:
    // `expected_peer` is set for outgoing connections (ConnectTo = NAME).
    MetaConnection(Role role, LocalIdentity identity, std::optional<std::string> expected_peer,
                   PeerLookup lookup, crypto::Random& random, TimePoint created);

    // Outgoing connections speak first: call once the TCP connection is up.
    void start(TimePoint now);

    // Bytes from the socket. Returns the events they complete, in order. After a Closed
    // event the connection ignores further input.
    [[nodiscard]] std::vector<Event> receive(std::span<const std::uint8_t> bytes, TimePoint now);

    // After activation: queue a request line (without '\n') or a PACKET with its body.
    Status send_line(std::string_view line);
    Status send_packet(std::span<const std::uint8_t> frame);

    // TEST HOOK, never used by the daemon: queues `bytes` exactly as given (no newline added,
    // nothing validated), encrypted once our METAKEY has gone out. tests/tools/meta_peer uses
    // it to play a peer that sends malformed requests a well-behaved sender would refuse.
    void send_raw_for_tests(std::string_view bytes);

    // Bytes ready for the socket (encrypted where the stream is); empties the queue.
    [[nodiscard]] std::vector<std::uint8_t> take_output();
    [[nodiscard]] std::size_t pending_output() const { return output_.size(); }

    [[nodiscard]] bool active() const { return state_ == State::active; }
    [[nodiscard]] bool closed() const { return state_ == State::closed; }
    [[nodiscard]] const std::string& peer_name() const { return peer_; }
    [[nodiscard]] Role role() const { return role_; }
    // Requests and bytes each way since the connection was made.
    [[nodiscard]] const MetaTraffic& traffic() const { return traffic_; }

    // The name tinc uses in logs: "beta (198.18.0.2 port 655)" is built by the owner.
    [[nodiscard]] static const char* state_name(int state);

private:
    enum class State {
        expect_id,
        expect_metakey,
        expect_challenge,
        expect_chal_reply,
        expect_ack,
        active,
        closed
    };

    void handle(protocol::Request request, std::string line, TimePoint now, std::vector<Event>& events);
    void on_id(const protocol::IdRequest& id, std::vector<Event>& events);
    void on_metakey(const protocol::MetakeyRequest& metakey, std::vector<Event>& events);
    void on_challenge(const protocol::ChallengeRequest& challenge, std::vector<Event>& events);
    void on_chal_reply(const protocol::ChalReplyRequest& reply, TimePoint now, std::vector<Event>& events);
    void on_ack(const protocol::AckRequest& ack, std::vector<Event>& events);

    void send_id();
    bool send_metakey(std::vector<Event>& events);
    void send_challenge();
    bool send_chal_reply(std::vector<Event>& events);
    void send_ack(TimePoint now);
    void queue_line(std::string_view line);
    void close(std::string reason, std::vector<Event>& events);

    Role role_;
    LocalIdentity identity_;
    std::optional<std::string> expected_peer_;
    PeerLookup lookup_;
    crypto::Random& random_;
    TimePoint created_;

    State state_ = State::expect_id;
    std::string peer_;
    PeerSettings peer_settings_;
    int peer_minor_ = 0;

    protocol::MetaFramer framer_;
    std::optional<meta::MetaCipherStream> outbound_;
    std::optional<meta::MetaCipherStream> inbound_;
    int own_digest_nid_ = 0;   // the digest we named in our METAKEY: checks the peer's reply
    int peer_digest_nid_ = 0;  // the digest the peer named: we answer its challenge with it
    std::vector<std::uint8_t> sent_challenge_;
    std::vector<std::uint8_t> received_challenge_;
    int sent_weight_ = 0;
    std::uint32_t sent_options_ = 0;
    std::vector<std::uint8_t> output_;
    std::vector<std::uint8_t> scratch_;
    MetaTraffic traffic_;
};

}  // namespace sluice::session
