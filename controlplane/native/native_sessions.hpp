// This node's native key exchanges with every other sluice node (docs/protocol.md), driven
// by the mesh: one KxPeer per peer, started once the peer has been reachable for the
// mesh's settle time, fed the SLUICE-KX1 tokens addressed to this node, ticked for
// retries, rekeying and expiry, and forgotten when the peer becomes unreachable.
//
// Sans-I/O like the mesh: it returns tokens, which the mesh sends in REQ_KEY lines toward
// each peer, and holds the keys the data plane needs, with a generation counter that moves
// whenever any of them change.
//
// A sluice node is a node whose hosts/NAME has an Ed25519PublicKey; the lookup is
// injected (NativeSettings::public_key), since this module reads no files. Legacy keys
// (ANS_KEY) keep working with every node; native sessions come in addition.
//
// Why tokens and not lines: the mesh owns the meta protocol (the codec, the next hops);
// this module owns only the exchange.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/native/kx_session.hpp"
#include "controlplane/native/native_keys.hpp"
#include "shared/crypto/ed25519_key.hpp"
#include "shared/crypto/random.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::native {

// hosts/NODE's Ed25519PublicKey: nullopt when there is none (a tinc node, or a node known
// only from the graph); an error when it is unusable (logged; the node gets legacy keys
// only).
using PublicKeyLookup = std::function<Result<std::optional<crypto::Ed25519PublicKey>>(std::string_view node)>;
// Nanoseconds since the Unix epoch, for INIT timestamps (kx_session.hpp, KxTime).
using WallClock = std::function<std::uint64_t()>;

struct NativeSettings {
    // This node's long-term key. Without one the node takes no part in the exchange: it
    // starts none, and the mesh relays SLUICE-KX1 lines and answers one addressed to this
    // node as tinc 1.0.36 does (with an ANS_KEY).
    std::shared_ptr<const crypto::Ed25519KeyPair> key;
    PublicKeyLookup public_key;
    // This node's sending workers (data-plane threads), announced in the exchange. Clamped
    // to 1..kx_max_lanes.
    std::uint32_t lanes = 1;
    std::vector<Suite> suites;  // preference order; empty: local_suites()
    WallClock wall_clock;       // empty: the system clock
    // How often sessions are renewed: at most kx_rekey_after_time (120 s), at least 1 s; a
    // session is refused 60 s after it would have been renewed (docs/protocol.md 7.1).
    Duration rekey_after = kx_rekey_after_time;
};

// A token for the mesh to send as "15 <self> <peer> SLUICE-KX1 <token>" toward `peer`.
struct KxSend {
    std::string peer;
    std::string token;
};

// Outcomes the exchange counts, by name.
struct NativeCounters {
    std::uint64_t sessions_installed = 0;       // an exchange completed, either role
    std::uint64_t tokens_refused = 0;           // KxPeer refused it (reason logged)
    std::uint64_t tokens_malformed = 0;         // the REQ_KEY had no well-formed token
    std::uint64_t tokens_without_peer_key = 0;  // from a node with no usable Ed25519PublicKey
    std::uint64_t attempts_given_up = 0;        // no RESP within kx_attempt_time
    std::uint64_t legacy_answers = 0;           // our INIT was answered with an ANS_KEY (tinc)
};

class NativeSessions {
public:
    // `random` must outlive this object. `settle_time`: how long a node must have been
    // reachable before this node sends it an INIT (the mesh's key_settle_time).
    NativeSessions(std::string self_name, NativeSettings settings, Duration settle_time,
                   crypto::Random& random);
    ~NativeSessions();
    NativeSessions(const NativeSessions&) = delete;
    NativeSessions& operator=(const NativeSessions&) = delete;

    // False without a local key: then every event below is ignored.
    [[nodiscard]] bool enabled() const noexcept { return local_.key != nullptr; }

    // --- events from the mesh
    void node_reachable(const std::string& name, TimePoint now);
    // Drops every session with the node; its INIT replay protection starts over.
    void node_unreachable(const std::string& name);
    // The token of a "15 <from> <self> SLUICE-KX1 <token>" (empty: malformed). Refusals are
    // logged and counted, never more: any relay could have made the line.
    [[nodiscard]] std::vector<KxSend> on_token(const std::string& from, std::string_view token,
                                               TimePoint now);
    // An ANS_KEY from `from` that answers no legacy REQ_KEY of ours reached us. If an INIT
    // of ours to it is in flight and we have no session with it, it answered the INIT as
    // tinc 1.0.36 does (a tinc node whose host file has an Ed25519PublicKey, or a sluice
    // node without a private key): we stop sending it INITs, each of which renews its
    // legacy key, until it starts an exchange itself or the data plane asks again
    // (session_wanted).
    void on_legacy_answer(const std::string& from);
    // The data plane needs a session with `name` and has none: a new exchange, unless one
    // is in flight or `name` is not a settled sluice node.
    [[nodiscard]] std::vector<KxSend> session_wanted(const std::string& name, TimePoint now);
    // The data plane authenticated a packet carrying our index `local_index` from `name`.
    void on_authenticated_receive(const std::string& name, std::uint32_t local_index, TimePoint now);
    // The data plane restarted: its send counters start from 0 again, so no session it had may
    // be sealed with again (nonces would repeat). Drops every session and starts a new
    // exchange with every settled sluice node at once.
    [[nodiscard]] std::vector<KxSend> restart_all(TimePoint now);
    // First INITs once settled, retries, rekeying, expiry. Call at least once a second.
    [[nodiscard]] std::vector<KxSend> tick(TimePoint now);

    // --- for the data plane
    // The exchange with `name`, or nullptr (not a reachable sluice node, or disabled). Its
    // send_keys() is what to seal with; receive_keys() every session to open with
    // (current, next, previous); current()/next()/previous() say which is which.
    [[nodiscard]] const KxPeer* peer(std::string_view name) const;
    [[nodiscard]] const NativeKeys* send_keys(std::string_view name) const;
    [[nodiscard]] std::vector<const NativeKeys*> receive_keys(std::string_view name) const;
    // Nodes with at least one session, in name order.
    [[nodiscard]] std::vector<std::string> peers_with_sessions() const;
    // Changes whenever any node's sessions change (installed, confirmed, expired, dropped).
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

    [[nodiscard]] const NativeCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const KxLocal& local() const noexcept { return local_; }

private:
    struct Peer {
        TimePoint reachable_since{};
        bool looked_up = false;  // the public key lookup ran (kx is null: not a sluice node)
        bool started = false;    // settled: our first INIT went out, or was not needed
        bool quiet = false;      // answered an INIT with ANS_KEY: we send it no INIT
        std::optional<crypto::Ed25519PublicKey> key;
        std::unique_ptr<KxPeer> kx;
    };

    Peer& entry(const std::string& name, TimePoint now);
    // The exchange with a sluice node, made on first use; nullptr for any other node.
    KxPeer* sluice_peer(const std::string& name, Peer& peer);
    void initiate(const std::string& name, KxPeer& kx, TimePoint now, std::vector<KxSend>& sends);
    void absorb(const std::string& name, KxOutput& output, std::vector<KxSend>& sends);
    [[nodiscard]] KxTime time_at(TimePoint now) const;
    void check_own_key() const;

    std::string self_name_;
    NativeSettings settings_;
    Duration settle_time_;
    crypto::Random& random_;
    // Every KxPeer refers to these two: they are declared before peers_ so that they
    // outlive it.
    KxLocal local_;
    LocalIndexTable indexes_;
    std::map<std::string, Peer, std::less<>> peers_;  // reachable nodes only
    std::uint64_t generation_ = 0;
    NativeCounters counters_;
};

}  // namespace sluice::native
