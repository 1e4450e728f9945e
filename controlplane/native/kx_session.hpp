// The native key exchange with one peer, sans-I/O: initiator and responder roles, rekeying,
// crossing INITs, and the lifetime of sessions (docs/protocol.md, "Sessions and rekeying").
// Time (steady `now` for lifetimes, wall-clock nanoseconds for INIT timestamps) and
// randomness are injected, so tests drive two peers against each other in memory.
//
// Up to three sessions per peer are live at once:
//   current   what we send with, and receive on;
//   next      (responder only) a session we answered but have not yet seen used by the
//             initiator: received on, not sent with until the first authenticated packet
//             on it (on_authenticated_receive), so that our packets never outrun the RESP,
//             which travels over the meta mesh and may arrive after our first UDP packet;
//   previous  the session `current` replaced: received on for kx_grace (30 s) so that
//             packets in flight or still queued on another worker are not lost.
//
// Who rekeys: whichever side's current session reaches kx_rekey_after_time (or whose lanes
// reach kx_rekey_after_messages) first. If both INITs cross, the INIT of the node whose name
// sorts first (byte-wise) wins: that node ignores the other INIT, and the other node answers
// it and abandons its own.
//
// Replay: the responder keeps the highest INIT timestamp it accepted from this peer and
// refuses older-or-equal ones. A RESP is accepted only while the INIT it names (by hash) is
// the one in flight, so a replayed RESP finds nothing to complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "controlplane/native/kx_message.hpp"
#include "controlplane/native/native_keys.hpp"
#include "shared/crypto/ed25519_key.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/secret.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::native {

// Protocol constants (docs/protocol.md). Counters are per (session, direction, lane).
inline constexpr Duration kx_rekey_after_time = seconds(120);
inline constexpr Duration kx_reject_after_time = seconds(180);
inline constexpr std::uint64_t kx_rekey_after_messages = std::uint64_t{1} << 60;
inline constexpr std::uint64_t kx_reject_after_messages = 0 - (std::uint64_t{1} << 13);
inline constexpr Duration kx_grace = seconds(30);
// An INIT without a RESP is re-sent (as a new INIT) after this, for at most kx_attempt_time.
inline constexpr Duration kx_rekey_timeout = seconds(5);
inline constexpr Duration kx_attempt_time = seconds(90);

// The two clocks the exchange needs: steady time for lifetimes and timers, and wall time
// (nanoseconds since the Unix epoch) for INIT timestamps, which must keep growing across
// restarts of the initiator, which a steady clock does not.
struct KxTime {
    TimePoint now{};
    std::uint64_t wall_ns = 0;
};

// Every session index this node has handed out, across all peers: the data plane finds a
// session by the index alone, so it must be unique per node. Indexes are random, so they
// reveal nothing about how many sessions exist, and 0 is never used.
class LocalIndexTable {
public:
    [[nodiscard]] std::uint32_t allocate(crypto::Random& random);
    void release(std::uint32_t index) noexcept;
    [[nodiscard]] bool contains(std::uint32_t index) const noexcept { return used_.contains(index); }
    [[nodiscard]] std::size_t size() const noexcept { return used_.size(); }

private:
    std::unordered_set<std::uint32_t> used_;
};

// This node, as every KxPeer sees it.
struct KxLocal {
    std::string name;
    const crypto::Ed25519KeyPair* key = nullptr;  // this node's long-term key; must outlive the peers
    std::uint16_t lanes = 1;                      // our sending workers, 1..64
    std::vector<Suite> suites;                    // supported, in preference order
    // REKEY_AFTER_TIME and REJECT_AFTER_TIME for this node's sessions (docs/protocol.md 7.1):
    // the protocol's values unless the node renews its keys more often (KeyExpire).
    Duration rekey_after = kx_rekey_after_time;
    Duration reject_after = kx_reject_after_time;
};

// The suites this machine should offer, best first: AES-256-GCM only with AES-NI and PCLMUL
// (libsodium's crypto_aead_aes256gcm_is_available), then ChaCha20-Poly1305.
[[nodiscard]] std::vector<Suite> local_suites();

struct KxOutput {
    // A token to send: the caller sends "15 <self> <peer> SLUICE-KX1 <token>" toward the peer.
    std::optional<std::string> token;
    // The set of sessions changed: publish send_keys()/receive_keys() to the data plane.
    bool keys_changed = false;
    // We just installed a session as initiator: if no data is queued for the peer, send it a
    // keepalive on the new session, which is what lets the responder start sending on it.
    bool send_keepalive = false;
};

class KxPeer {
public:
    // `local`, `indexes` and `random` must outlive the peer. `peer_key` comes from the
    // peer's hosts/NAME file (Ed25519PublicKey).
    KxPeer(const KxLocal& local, std::string peer_name, crypto::Ed25519PublicKey peer_key,
           LocalIndexTable& indexes, crypto::Random& random);
    ~KxPeer();
    KxPeer(const KxPeer&) = delete;
    KxPeer& operator=(const KxPeer&) = delete;

    // We want a session (the data plane needs one, or a rekey is due): sends an INIT unless
    // one is already in flight. Errors only for a broken local setup (names, key).
    [[nodiscard]] Result<KxOutput> initiate(KxTime time);

    // A SLUICE-KX1 token from a REQ_KEY "15 <peer> <self> SLUICE-KX1 <token>". An error is a
    // refused message with a one-line reason naming the peer, to be logged; it is never a
    // reason to close a meta connection (the token may have been relayed by anyone).
    [[nodiscard]] Result<KxOutput> on_token(std::string_view token, KxTime time);

    // The data plane authenticated a packet that carried our index `local_index`: confirms
    // a responder session (see `next` above).
    [[nodiscard]] KxOutput on_authenticated_receive(std::uint32_t local_index, KxTime time);

    // Timers: INIT retries, rekeying, expiry, the end of grace periods. Call at least once a
    // second. `highest_send_counter`: the largest counter any of our lanes has used on the
    // current session (from the data plane's counters), for the message-count limit.
    [[nodiscard]] KxOutput tick(KxTime time, std::uint64_t highest_send_counter = 0);

    // Forgets every session and any INIT in flight (the data plane that held their counters
    // is gone). The INIT replay state stays: our next INIT still carries a newer timestamp.
    void drop_sessions() noexcept;
    // The session to send with, or nullptr.
    [[nodiscard]] const NativeKeys* send_keys() const noexcept;
    // Every session to accept packets on: current, next and previous, those that exist.
    [[nodiscard]] std::vector<const NativeKeys*> receive_keys() const;

    [[nodiscard]] const std::string& peer_name() const noexcept { return peer_name_; }
    [[nodiscard]] bool initiation_in_flight() const noexcept { return pending_.has_value(); }
    // For tests and `sluicectl`: which slot holds a session.
    [[nodiscard]] const NativeKeys* current() const noexcept { return current_ ? &current_->keys : nullptr; }
    [[nodiscard]] const NativeKeys* next() const noexcept { return next_ ? &next_->keys : nullptr; }
    [[nodiscard]] const NativeKeys* previous() const noexcept {
        return previous_ ? &previous_->keys : nullptr;
    }

private:
    struct Pending {
        InitMessage init;
        KxHash hash{};
        crypto::SecretBuffer ephemeral_secret;
        TimePoint sent{};
        TimePoint first_sent{};
    };
    struct Session {
        NativeKeys keys;
        TimePoint grace_end{};  // previous only
    };

    [[nodiscard]] KxNames names_as_initiator() const noexcept { return {local_.name, peer_name_}; }
    [[nodiscard]] KxNames names_as_responder() const noexcept { return {peer_name_, local_.name}; }
    [[nodiscard]] Error refused(const Error& reason) const;

    [[nodiscard]] Result<KxOutput> send_init(KxTime time, TimePoint first_sent);
    [[nodiscard]] Result<KxOutput> on_init(const InitMessage& init, KxTime time);
    [[nodiscard]] Result<KxOutput> on_resp(const RespMessage& resp, KxTime time);

    // Moves current to previous (grace from `now`) and installs `session` as current.
    void promote(Session session, TimePoint now);
    void drop(std::optional<Session>& slot) noexcept;
    void drop_pending() noexcept;

    const KxLocal& local_;
    std::string peer_name_;
    crypto::Ed25519PublicKey peer_key_;
    LocalIndexTable& indexes_;
    crypto::Random& random_;

    std::optional<Pending> pending_;
    std::optional<Session> current_;
    std::optional<Session> next_;
    std::optional<Session> previous_;
    // INIT replay protection: the newest INIT timestamp accepted from the peer.
    std::uint64_t highest_peer_timestamp_ = 0;
    // Our own INIT timestamps strictly grow even if the wall clock steps back.
    std::uint64_t last_own_timestamp_ = 0;
};

}  // namespace sluice::native
