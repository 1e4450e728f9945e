#include "controlplane/native/native_sessions.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "controlplane/protocol/constants.hpp"
#include "shared/log/log.hpp"

namespace sluice::native {

using log::Level;

static_assert(protocol::req_key_kx_tag == kx_token_tag, "the codec and the exchange must agree on the tag");

namespace {

std::uint64_t system_wall_ns() {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

const char* role_name(KxRole role) {
    return role == KxRole::initiator ? "initiator" : "responder";
}

}  // namespace

NativeSessions::NativeSessions(std::string self_name, NativeSettings settings, Duration settle_time,
                               crypto::Random& random)
    : self_name_(std::move(self_name)),
      settings_(std::move(settings)),
      settle_time_(settle_time),
      random_(random) {
    local_.name = self_name_;
    local_.key = settings_.key.get();
    local_.lanes = static_cast<std::uint16_t>(std::clamp<std::uint32_t>(settings_.lanes, 1, kx_max_lanes));
    local_.suites = settings_.suites.empty() ? local_suites() : settings_.suites;
    local_.rekey_after = std::clamp<Duration>(settings_.rekey_after, seconds(1), kx_rekey_after_time);
    local_.reject_after = local_.rekey_after + (kx_reject_after_time - kx_rekey_after_time);
    check_own_key();
}

NativeSessions::~NativeSessions() = default;

void NativeSessions::check_own_key() const {
    // Peers verify our INITs and RESPs with hosts/<self> as they know it; a mismatch here
    // would make every exchange fail on the other side, where we cannot see why.
    if (!enabled() || !settings_.public_key) return;
    auto published = settings_.public_key(self_name_);
    if (!published) {
        log::warn("{}; other sluice nodes will refuse this node's key exchanges", published.error().message);
    } else if (!*published) {
        log::warn(
            "This node has an Ed25519 private key but hosts/{} has no Ed25519PublicKey: other sluice "
            "nodes cannot verify it and will refuse its key exchanges",
            self_name_);
    } else if (**published != local_.key->public_key()) {
        log::warn(
            "The Ed25519PublicKey in hosts/{} is not this node's key: other sluice nodes will refuse "
            "its key exchanges",
            self_name_);
    }
}

KxTime NativeSessions::time_at(TimePoint now) const {
    return KxTime{now, settings_.wall_clock ? settings_.wall_clock() : system_wall_ns()};
}

NativeSessions::Peer& NativeSessions::entry(const std::string& name, TimePoint now) {
    auto [it, fresh] = peers_.try_emplace(name);
    if (fresh) it->second.reachable_since = now;
    return it->second;
}

KxPeer* NativeSessions::sluice_peer(const std::string& name, Peer& peer) {
    if (peer.kx) return peer.kx.get();
    if (peer.looked_up) return nullptr;
    peer.looked_up = true;
    if (!settings_.public_key || name == self_name_) return nullptr;
    auto key = settings_.public_key(name);
    if (!key) {
        log::warn("{}; {} gets legacy keys only", key.error().message, name);
        return nullptr;
    }
    if (!*key) {
        log::at(Level::status, "{} has no Ed25519PublicKey: legacy keys only", name);
        return nullptr;
    }
    peer.key = **key;
    peer.kx = std::make_unique<KxPeer>(local_, name, **key, indexes_, random_);
    return peer.kx.get();
}

void NativeSessions::absorb(const std::string& name, KxOutput& output, std::vector<KxSend>& sends) {
    if (output.token) sends.push_back(KxSend{name, std::move(*output.token)});
    if (output.keys_changed) ++generation_;
}

void NativeSessions::initiate(const std::string& name, KxPeer& kx, TimePoint now,
                              std::vector<KxSend>& sends) {
    auto output = kx.initiate(time_at(now));
    if (!output) {
        // Only a broken local setup gets here (a name longer than 255 bytes, say).
        log::warn("Cannot start a native key exchange with {}: {}", name, output.error().message);
        return;
    }
    absorb(name, *output, sends);
}

void NativeSessions::node_reachable(const std::string& name, TimePoint now) {
    if (!enabled() || name == self_name_) return;
    entry(name, now);
}

void NativeSessions::node_unreachable(const std::string& name) {
    auto it = peers_.find(name);
    if (it == peers_.end()) return;
    const KxPeer* kx = it->second.kx.get();
    if (kx != nullptr && !kx->receive_keys().empty()) {
        ++generation_;
        log::at(Level::status, "Dropping the native sessions with {}: unreachable", name);
    }
    peers_.erase(it);  // wipes the keys and releases the indexes
}

std::vector<KxSend> NativeSessions::on_token(const std::string& from, std::string_view token, TimePoint now) {
    std::vector<KxSend> sends;
    if (!enabled() || from == self_name_) return sends;
    if (token.empty()) {
        ++counters_.tokens_malformed;
        log::at(Level::status, "Refused {} from {}: the REQ_KEY carries no well-formed token", kx_token_tag,
                from);
        return sends;
    }
    Peer& peer = entry(from, now);
    KxPeer* kx = sluice_peer(from, peer);
    if (kx == nullptr) {
        ++counters_.tokens_without_peer_key;
        log::at(Level::status, "Refused {} from {}: no usable Ed25519PublicKey in hosts/{}", kx_token_tag,
                from, from);
        return sends;
    }
    auto output = kx->on_token(token, time_at(now));
    if (!output) {
        ++counters_.tokens_refused;
        log::at(Level::status, "Refused {}", output.error().message);
        return sends;
    }
    if (output->keys_changed) {
        ++counters_.sessions_installed;
        // The session just made: a responder's `next` if it had a current one, else current.
        const NativeKeys* fresh = kx->next() != nullptr ? kx->next() : kx->current();
        if (fresh != nullptr) {
            log::at(Level::status, "Native session with {} ready: {} as {}, {} lanes here, {} there", from,
                    name(fresh->suite), role_name(fresh->role), fresh->local_lanes, fresh->remote_lanes);
        }
    }
    // A peer that starts an exchange speaks the protocol, whatever an ANS_KEY suggested.
    peer.quiet = false;
    absorb(from, *output, sends);
    return sends;
}

void NativeSessions::on_legacy_answer(const std::string& from) {
    auto it = peers_.find(from);
    if (it == peers_.end() || !it->second.kx) return;
    Peer& peer = it->second;
    if (!peer.kx->initiation_in_flight() || !peer.kx->receive_keys().empty()) return;
    ++counters_.legacy_answers;
    log::at(Level::status,
            "{} sent an ANS_KEY we did not ask for while our {} INIT was unanswered, as tinc does: no more "
            "INITs to it unless it starts an exchange itself",
            from, kx_token_tag);
    peer.quiet = true;
    // A fresh KxPeer abandons the INIT in flight (it has no session to lose).
    peer.kx = std::make_unique<KxPeer>(local_, from, *peer.key, indexes_, random_);
}

std::vector<KxSend> NativeSessions::session_wanted(const std::string& name, TimePoint now) {
    std::vector<KxSend> sends;
    auto it = peers_.find(name);
    if (it == peers_.end()) return sends;
    Peer& peer = it->second;
    // Before the settle time, tick() starts the exchange anyway.
    if (now - peer.reachable_since < settle_time_) return sends;
    peer.started = true;
    peer.quiet = false;
    KxPeer* kx = sluice_peer(name, peer);
    if (kx == nullptr || kx->send_keys() != nullptr || kx->initiation_in_flight()) return sends;
    initiate(name, *kx, now, sends);
    return sends;
}

void NativeSessions::on_authenticated_receive(const std::string& name, std::uint32_t local_index,
                                              TimePoint now) {
    auto it = peers_.find(name);
    if (it == peers_.end() || !it->second.kx) return;
    KxOutput output = it->second.kx->on_authenticated_receive(local_index, time_at(now));
    if (output.keys_changed) {
        ++generation_;
        log::at(Level::status, "{} uses our new native session: sending on it", name);
    }
}

std::vector<KxSend> NativeSessions::restart_all(TimePoint now) {
    std::vector<KxSend> sends;
    if (!enabled()) return sends;
    for (auto& [name, peer] : peers_) {
        if (!peer.kx) continue;
        if (!peer.kx->receive_keys().empty()) ++generation_;
        peer.kx->drop_sessions();  // wipes the keys and releases the indexes
        peer.quiet = false;
        if (peer.started) initiate(name, *peer.kx, now, sends);
    }
    if (!sends.empty())
        log::at(Level::status, "New data plane: starting new native sessions with {} node(s)", sends.size());
    return sends;
}

std::vector<KxSend> NativeSessions::tick(TimePoint now) {
    std::vector<KxSend> sends;
    for (auto& [name, peer] : peers_) {
        if (!peer.started && now - peer.reachable_since >= settle_time_) {
            peer.started = true;
            KxPeer* kx = sluice_peer(name, peer);
            // The peer may have been quicker: then we answered its INIT and have a session.
            if (kx != nullptr && !peer.quiet && kx->send_keys() == nullptr && !kx->initiation_in_flight()) {
                initiate(name, *kx, now, sends);
            }
        }
        if (!peer.kx) continue;
        const bool was_in_flight = peer.kx->initiation_in_flight();
        // The message-count limit needs the data plane's counters, which do not reach the
        // control plane yet; at 2^60 messages the 180 s age limit comes long before it.
        KxOutput output = peer.kx->tick(time_at(now));
        if (was_in_flight && !peer.kx->initiation_in_flight()) {
            ++counters_.attempts_given_up;
            log::at(Level::status,
                    "No answer from {} to our {} INITs for {} s: giving up until a session is needed", name,
                    kx_token_tag, std::chrono::duration_cast<seconds>(kx_attempt_time).count());
        }
        absorb(name, output, sends);
    }
    return sends;
}

const KxPeer* NativeSessions::peer(std::string_view name) const {
    auto it = peers_.find(name);
    return it == peers_.end() ? nullptr : it->second.kx.get();
}

const NativeKeys* NativeSessions::send_keys(std::string_view name) const {
    const KxPeer* kx = peer(name);
    return kx == nullptr ? nullptr : kx->send_keys();
}

std::vector<const NativeKeys*> NativeSessions::receive_keys(std::string_view name) const {
    const KxPeer* kx = peer(name);
    return kx == nullptr ? std::vector<const NativeKeys*>{} : kx->receive_keys();
}

std::vector<std::string> NativeSessions::peers_with_sessions() const {
    std::vector<std::string> names;
    for (const auto& [name, peer] : peers_) {
        if (peer.kx && !peer.kx->receive_keys().empty()) names.push_back(name);
    }
    return names;
}

}  // namespace sluice::native
