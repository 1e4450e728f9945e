#include "controlplane/native/kx_session.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <sodium.h>

#include "controlplane/native/kx_kdf.hpp"
#include "shared/crypto/sodium_init.hpp"

namespace sluice::native {

namespace {

std::string suite_list(std::span<const Suite> suites) {
    std::string out;
    for (Suite suite : suites) {
        if (!out.empty()) out += ", ";
        out += is_known(suite) ? std::string(name(suite)) : fmt::format("suite {}", static_cast<int>(suite));
    }
    return out.empty() ? "none" : out;
}

bool contains(std::span<const Suite> suites, Suite suite) {
    return std::find(suites.begin(), suites.end(), suite) != suites.end();
}

}  // namespace

std::uint32_t LocalIndexTable::allocate(crypto::Random& random) {
    // Random, not sequential: an index is visible in every packet header, and sequential
    // ones would tell an observer how many sessions this node has made.
    for (;;) {
        const std::uint32_t index = random.next_u32();
        if (index != 0 && used_.insert(index).second) return index;
    }
}

void LocalIndexTable::release(std::uint32_t index) noexcept {
    used_.erase(index);
}

std::vector<Suite> local_suites() {
    std::vector<Suite> suites;
    // Without AES-NI and PCLMUL, AES-GCM is slow and its table-based fallbacks leak timing;
    // ChaCha20-Poly1305 is fast and constant-time in software everywhere.
    if (crypto::ensure_sodium_initialized() && crypto_aead_aes256gcm_is_available() == 1) {
        suites.push_back(Suite::aes_256_gcm);
    }
    suites.push_back(Suite::chacha20_poly1305);
    return suites;
}

KxPeer::KxPeer(const KxLocal& local, std::string peer_name, crypto::Ed25519PublicKey peer_key,
               LocalIndexTable& indexes, crypto::Random& random)
    : local_(local),
      peer_name_(std::move(peer_name)),
      peer_key_(peer_key),
      indexes_(indexes),
      random_(random) {}

KxPeer::~KxPeer() {
    drop_pending();
    drop(current_);
    drop(next_);
    drop(previous_);
}

void KxPeer::drop_sessions() noexcept {
    drop_pending();
    drop(current_);
    drop(next_);
    drop(previous_);
}

Error KxPeer::refused(const Error& reason) const {
    return Error{fmt::format("{} from {}: {}", kx_token_tag, peer_name_, reason.message)};
}

void KxPeer::drop(std::optional<Session>& slot) noexcept {
    if (!slot) return;
    indexes_.release(slot->keys.local_index);
    slot.reset();  // the SecretBuffers wipe the keys
}

void KxPeer::drop_pending() noexcept {
    if (!pending_) return;
    indexes_.release(pending_->init.initiator_index);
    pending_.reset();  // wipes the ephemeral secret
}

void KxPeer::promote(Session session, TimePoint now) {
    if (current_) {
        drop(previous_);
        previous_ = std::move(current_);
        previous_->grace_end = now + kx_grace;
    }
    current_ = std::move(session);
}

Result<KxOutput> KxPeer::initiate(KxTime time) {
    if (pending_) return KxOutput{};
    return send_init(time, time.now);
}

Result<KxOutput> KxPeer::send_init(KxTime time, TimePoint first_sent) {
    if (local_.key == nullptr) return fail("no local Ed25519 key to sign with");
    drop_pending();
    Pending pending;
    pending.ephemeral_secret = crypto::SecretBuffer(x25519_key_length);
    random_.fill(pending.ephemeral_secret.span());
    InitMessage& init = pending.init;
    init.lanes = local_.lanes;
    init.initiator_index = indexes_.allocate(random_);
    init.suites = local_.suites;
    // Strictly growing even if the wall clock steps back while we run; the responder refuses
    // anything not newer than what it accepted before.
    init.timestamp_ns = std::max(time.wall_ns, last_own_timestamp_ + 1);
    init.ephemeral = x25519_public(pending.ephemeral_secret.span());

    auto token = [&]() -> Result<std::string> {
        if (auto ok = sign(init, names_as_initiator(), *local_.key); !ok) return fail(std::move(ok.error()));
        return encode_token(init);
    }();
    if (!token) {
        indexes_.release(init.initiator_index);
        return fail(token.error().with_context(fmt::format("cannot make an INIT for {}", peer_name_)));
    }
    last_own_timestamp_ = init.timestamp_ns;
    pending.hash = init_hash(init);
    pending.sent = time.now;
    pending.first_sent = first_sent;
    pending_ = std::move(pending);
    return KxOutput{.token = std::move(*token)};
}

Result<KxOutput> KxPeer::on_token(std::string_view token, KxTime time) {
    auto message = parse_token(token);
    if (!message) return fail(refused(message.error()));
    if (const auto* init = std::get_if<InitMessage>(&*message)) return on_init(*init, time);
    return on_resp(std::get<RespMessage>(*message), time);
}

Result<KxOutput> KxPeer::on_init(const InitMessage& init, KxTime time) {
    if (!verify(init, names_as_responder(), peer_key_)) {
        return fail(
            refused(Error{fmt::format("INIT signature does not verify with {}'s Ed25519 key (tampered, "
                                      "signed for other names, or another key)",
                                      peer_name_)}));
    }
    if (init.timestamp_ns <= highest_peer_timestamp_) {
        return fail(refused(Error{
            fmt::format("INIT timestamp {} is not newer than the last accepted {} (replayed or reordered)",
                        init.timestamp_ns, highest_peer_timestamp_)}));
    }
    if (pending_ && local_.name < peer_name_) {
        return fail(refused(
            Error{fmt::format("crossing INITs: ours wins because {} sorts before {}; theirs is ignored",
                              local_.name, peer_name_)}));
    }
    const auto chosen = std::find_if(init.suites.begin(), init.suites.end(),
                                     [&](Suite suite) { return contains(local_.suites, suite); });
    if (chosen == init.suites.end()) {
        return fail(refused(Error{fmt::format("no common suite: {} offers {}, we support {}", peer_name_,
                                              suite_list(init.suites), suite_list(local_.suites))}));
    }
    if (local_.key == nullptr) return fail(refused(Error{"no local Ed25519 key to sign with"}));

    crypto::SecretBuffer secret(x25519_key_length);
    random_.fill(secret.span());
    auto shared = x25519_shared(secret.span(), init.ephemeral);
    if (!shared) return fail(refused(shared.error().with_context("INIT")));

    RespMessage resp;
    resp.lanes = local_.lanes;
    resp.suite = *chosen;
    resp.init_hash = init_hash(init);
    resp.ephemeral = x25519_public(secret.span());
    resp.responder_index = indexes_.allocate(random_);
    auto token = [&]() -> Result<std::string> {
        if (auto ok = sign(resp, names_as_responder(), *local_.key); !ok) return fail(std::move(ok.error()));
        return encode_token(resp);
    }();
    if (!token) {
        indexes_.release(resp.responder_index);
        return fail(refused(token.error().with_context("cannot answer")));
    }

    // Accepted: from here on this INIT counts, and it supersedes any INIT of ours (we lost
    // the tie-break above, or had none).
    highest_peer_timestamp_ = init.timestamp_ns;
    drop_pending();
    Session session{.keys = derive_native_keys(
                        {
                            .role = KxRole::responder,
                            .suite = resp.suite,
                            .local_index = resp.responder_index,
                            .remote_index = init.initiator_index,
                            .local_lanes = resp.lanes,
                            .remote_lanes = init.lanes,
                            .created = time.now,
                        },
                        shared->span(), transcript_hash(names_as_responder(), init, resp))};
    drop(next_);
    if (current_) {
        next_ = std::move(session);  // sent with only once the initiator has used it
    } else {
        current_ = std::move(session);  // nothing better to send with: use it at once
    }
    return KxOutput{.token = std::move(*token), .keys_changed = true};
}

Result<KxOutput> KxPeer::on_resp(const RespMessage& resp, KxTime time) {
    if (!pending_) return fail(refused(Error{"RESP while no INIT of ours is in flight (late or replayed)"}));
    if (resp.init_hash != pending_->hash) {
        return fail(refused(Error{"RESP answers another INIT than the one in flight (late or replayed)"}));
    }
    if (!verify(resp, names_as_initiator(), peer_key_)) {
        return fail(
            refused(Error{fmt::format("RESP signature does not verify with {}'s Ed25519 key (tampered, "
                                      "signed for other names, or another key)",
                                      peer_name_)}));
    }
    if (!contains(pending_->init.suites, resp.suite)) {
        return fail(refused(Error{fmt::format("RESP chose {}, which we did not offer", name(resp.suite))}));
    }
    auto shared = x25519_shared(pending_->ephemeral_secret.span(), resp.ephemeral);
    if (!shared) return fail(refused(shared.error().with_context("RESP")));

    const InitMessage& init = pending_->init;
    Session session{.keys = derive_native_keys(
                        {
                            .role = KxRole::initiator,
                            .suite = resp.suite,
                            .local_index = init.initiator_index,
                            .remote_index = resp.responder_index,
                            .local_lanes = init.lanes,
                            .remote_lanes = resp.lanes,
                            .created = time.now,
                        },
                        shared->span(), transcript_hash(names_as_initiator(), init, resp))};
    pending_.reset();  // its index now belongs to the session; the ephemeral secret is wiped
    drop(next_);       // a responder session the peer never used is superseded
    promote(std::move(session), time.now);
    return KxOutput{.token = std::nullopt, .keys_changed = true, .send_keepalive = true};
}

KxOutput KxPeer::on_authenticated_receive(std::uint32_t local_index, KxTime time) {
    if (!next_ || next_->keys.local_index != local_index) return {};
    Session session = std::move(*next_);
    next_.reset();
    promote(std::move(session), time.now);
    return KxOutput{.token = std::nullopt, .keys_changed = true};
}

KxOutput KxPeer::tick(KxTime time, std::uint64_t highest_send_counter) {
    KxOutput out;
    const auto age = [&](const Session& s) { return time.now - s.keys.created; };
    if (previous_ && (time.now >= previous_->grace_end || age(*previous_) >= local_.reject_after)) {
        drop(previous_);
        out.keys_changed = true;
    }
    if (next_ && age(*next_) >= local_.reject_after) {
        drop(next_);
        out.keys_changed = true;
    }
    if (current_ && age(*current_) >= local_.reject_after) {
        drop(current_);
        out.keys_changed = true;
    }
    if (!current_ && next_) {
        current_ = std::move(next_);  // unconfirmed, but the only session left
        next_.reset();
    }

    if (pending_) {
        if (time.now - pending_->first_sent >= kx_attempt_time) {
            drop_pending();  // give up until initiate() or the peer's INIT
        } else if (time.now - pending_->sent >= kx_rekey_timeout) {
            // A new INIT (new ephemeral, new timestamp), never the old one again: the peer
            // may have accepted the old one, and would refuse its timestamp now.
            if (auto sent = send_init(time, pending_->first_sent)) out.token = std::move(sent->token);
        }
        return out;
    }
    // The newest session decides: a `next` means the peer has just rekeyed, so our own
    // (older) current reaching the limit must not start a second exchange.
    const Session* newest = next_ ? &*next_ : current_ ? &*current_ : nullptr;
    if (newest != nullptr &&
        (age(*newest) >= local_.rekey_after || highest_send_counter >= kx_rekey_after_messages)) {
        if (auto sent = send_init(time, time.now)) out.token = std::move(sent->token);
    }
    return out;
}

const NativeKeys* KxPeer::send_keys() const noexcept {
    return current_ ? &current_->keys : nullptr;
}

std::vector<const NativeKeys*> KxPeer::receive_keys() const {
    std::vector<const NativeKeys*> out;
    for (const auto* slot : {&current_, &next_, &previous_}) {
        if (*slot) out.push_back(&(*slot)->keys);
    }
    return out;
}

}  // namespace sluice::native
