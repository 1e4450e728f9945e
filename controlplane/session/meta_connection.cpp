#include "controlplane/session/meta_connection.hpp"

#include <fmt/format.h>

#include "controlplane/meta/challenge.hpp"
#include "controlplane/meta/metakey.hpp"
#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"

namespace sluice::session {

using namespace protocol;

namespace {

RequestType expected_type(int state) {
    switch (state) {
        case 0:
            return RequestType::id;
        case 1:
            return RequestType::metakey;
        case 2:
            return RequestType::challenge;
        case 3:
            return RequestType::chal_reply;
        default:
            return RequestType::ack;
    }
}

// PMTU discovery survives only if both sides want it; every other bit is ORed (spec 2.5).
std::uint32_t combine_options(std::uint32_t mine, std::uint32_t theirs) {
    const std::uint32_t pmtu = mine & theirs & option_pmtu_discovery;
    return ((mine | theirs) & ~option_pmtu_discovery) | pmtu;
}

}  // namespace

const char* MetaConnection::state_name(int state) {
    static constexpr const char* names[] = {"expecting ID",
                                            "expecting METAKEY",
                                            "expecting CHALLENGE",
                                            "expecting CHAL_REPLY",
                                            "expecting ACK",
                                            "active",
                                            "closed"};
    return (state >= 0 && state < 7) ? names[state] : "?";
}

MetaConnection::MetaConnection(Role role, LocalIdentity identity, std::optional<std::string> expected_peer,
                               PeerLookup lookup, crypto::Random& random, TimePoint created)
    : role_(role),
      identity_(std::move(identity)),
      expected_peer_(std::move(expected_peer)),
      lookup_(std::move(lookup)),
      random_(random),
      created_(created) {}

void MetaConnection::start(TimePoint) {
    if (role_ == Role::outgoing && state_ == State::expect_id && output_.empty()) send_id();
}

std::vector<Event> MetaConnection::receive(std::span<const std::uint8_t> bytes, TimePoint now) {
    std::vector<Event> events;
    if (state_ == State::closed) return events;
    traffic_.bytes_in += bytes.size();
    if (inbound_) {
        scratch_.resize(bytes.size());
        if (auto s = inbound_->apply(bytes, scratch_); !s) {
            close(s.error().message, events);
            return events;
        }
        framer_.feed(scratch_);
    } else {
        framer_.feed(bytes);
    }

    while (state_ != State::closed) {
        const FrameEvent item = framer_.next();
        if (item.kind == FrameEvent::Kind::error) {
            close(std::string(item.error), events);
            break;
        }
        if (item.kind == FrameEvent::Kind::need_more) break;
        if (item.kind == FrameEvent::Kind::packet_body) {
            events.emplace_back(
                ReceivedPacket{std::vector<std::uint8_t>(item.body.begin(), item.body.end())});
            continue;
        }
        const std::string line(item.line);
        auto request = parse_request(line);
        if (!request) {
            close(fmt::format("invalid request from {}: {}", peer_.empty() ? "<unknown>" : peer_,
                              request.error().message),
                  events);
            break;
        }
        traffic_.received(type_of(*request));
        const bool was_metakey = type_of(*request) == RequestType::metakey;
        handle(std::move(*request), line, now, events);
        // Everything after the peer's METAKEY line is encrypted, possibly already buffered.
        if (was_metakey && inbound_ && state_ != State::closed) {
            std::vector<std::uint8_t> rest = framer_.take_unconsumed();
            if (!rest.empty()) {
                scratch_.resize(rest.size());
                if (auto s = inbound_->apply(rest, scratch_); !s) {
                    close(s.error().message, events);
                    break;
                }
                framer_.feed(scratch_);
            }
        }
    }
    return events;
}

void MetaConnection::handle(Request request, std::string line, TimePoint now, std::vector<Event>& events) {
    const RequestType type = type_of(request);
    if (state_ == State::active) {
        if (auto* packet = std::get_if<PacketRequest>(&request)) {
            if (auto s = framer_.expect_body(packet->length); !s) close(s.error().message, events);
            return;
        }
        if (type == RequestType::id || type == RequestType::metakey || type == RequestType::challenge ||
            type == RequestType::chal_reply || type == RequestType::ack) {
            close(fmt::format("unauthorized request {} from {} after activation", request_name(type), peer_),
                  events);
            return;
        }
        events.emplace_back(ReceivedRequest{std::move(request), std::move(line)});
        return;
    }
    const RequestType expected = expected_type(static_cast<int>(state_));
    if (type != expected) {
        close(fmt::format("unauthorized request {} from {} while {}", request_name(type),
                          peer_.empty() ? "<unknown>" : peer_, state_name(static_cast<int>(state_))),
              events);
        return;
    }
    switch (type) {
        case RequestType::id:
            on_id(std::get<IdRequest>(request), events);
            break;
        case RequestType::metakey:
            on_metakey(std::get<MetakeyRequest>(request), events);
            break;
        case RequestType::challenge:
            on_challenge(std::get<ChallengeRequest>(request), events);
            break;
        case RequestType::chal_reply:
            on_chal_reply(std::get<ChalReplyRequest>(request), now, events);
            break;
        case RequestType::ack:
            on_ack(std::get<AckRequest>(request), events);
            break;
        default:
            break;
    }
}

void MetaConnection::on_id(const IdRequest& id, std::vector<Event>& events) {
    if (id.name == identity_.name) {
        close(fmt::format("peer claims our own name {}", id.name), events);
        return;
    }
    if (expected_peer_ && id.name != *expected_peer_) {
        close(fmt::format("expected {} but the peer says it is {}", *expected_peer_, id.name), events);
        return;
    }
    peer_ = id.name;
    if (id.major != protocol_major) {
        close(fmt::format("peer {} uses incompatible protocol version {}.{} (we speak {})", peer_, id.major,
                          id.minor, protocol_major),
              events);
        return;
    }
    peer_minor_ = id.minor;
    auto settings = lookup_(peer_);
    if (!settings) {
        close(settings.error().message, events);
        return;
    }
    if (settings->public_key == nullptr) {
        close(fmt::format("no public key known for {}", peer_), events);
        return;
    }
    peer_settings_ = *settings;
    if (role_ == Role::incoming) send_id();
    if (!send_metakey(events)) return;
    state_ = State::expect_metakey;
}

void MetaConnection::on_metakey(const MetakeyRequest& metakey, std::vector<Event>& events) {
    auto accepted = meta::accept_metakey(*identity_.private_key, metakey);
    if (!accepted) {
        close(fmt::format("invalid METAKEY from {}: {}", peer_, accepted.error().message), events);
        return;
    }
    peer_digest_nid_ = accepted->digest_nid;
    inbound_.emplace(std::move(accepted->inbound));
    send_challenge();
    state_ = State::expect_challenge;
}

void MetaConnection::on_challenge(const ChallengeRequest& challenge, std::vector<Event>& events) {
    if (auto s = meta::check_challenge_length(challenge.challenge, identity_.private_key->modulus_bytes());
        !s) {
        close(fmt::format("invalid CHALLENGE from {}: {}", peer_, s.error().message), events);
        return;
    }
    received_challenge_ = challenge.challenge;
    // The client answers at once; the server only after the client proved itself
    // (the CVE-2018-16737/16738 fix in 1.0.35).
    if (role_ == Role::outgoing && !send_chal_reply(events)) return;
    state_ = State::expect_chal_reply;
}

void MetaConnection::on_chal_reply(const ChalReplyRequest& reply, TimePoint now, std::vector<Event>& events) {
    if (auto s = meta::verify_reply(own_digest_nid_, sent_challenge_, reply.digest); !s) {
        close(fmt::format("invalid CHAL_REPLY from {}: {}", peer_, s.error().message), events);
        return;
    }
    if (role_ == Role::incoming && !send_chal_reply(events)) return;
    send_ack(now);
    state_ = State::expect_ack;
}

void MetaConnection::on_ack(const AckRequest& ack, std::vector<Event>& events) {
    // tinc 1.1 puts its protocol minor in the top byte; it is kept in the combined options
    // (as 1.0.36 does) and carries no meaning for sluice's legacy links.
    Activated activated;
    activated.peer = peer_;
    activated.peer_port = ack.port;
    activated.peer_weight = ack.weight;
    activated.edge_weight = (ack.weight + sent_weight_) / 2;
    activated.options = combine_options(sent_options_, ack.options);
    activated.peer_protocol_minor = peer_minor_;
    state_ = State::active;
    events.emplace_back(std::move(activated));
}

void MetaConnection::send_id() {
    queue_line(fmt::format("0 {} {}", identity_.name, protocol_major));
}

bool MetaConnection::send_metakey(std::vector<Event>& events) {
    auto outgoing = meta::make_metakey(*peer_settings_.public_key, identity_.udp_cipher_key_length, random_);
    if (!outgoing) {
        close(fmt::format("cannot make METAKEY for {}: {}", peer_, outgoing.error().message), events);
        return false;
    }
    own_digest_nid_ = outgoing->request.digest_nid;
    queue_line(format_request(outgoing->request));
    // Every byte after our METAKEY line is encrypted (spec 2.3 step 5).
    outbound_.emplace(std::move(outgoing->outbound));
    return true;
}

void MetaConnection::send_challenge() {
    sent_challenge_ = meta::make_challenge(peer_settings_.public_key->modulus_bytes(), random_);
    queue_line(format_request(ChallengeRequest{sent_challenge_}));
}

bool MetaConnection::send_chal_reply(std::vector<Event>& events) {
    auto digest = meta::reply_digest(peer_digest_nid_, received_challenge_);
    if (!digest) {
        close(fmt::format("cannot answer the CHALLENGE of {}: {}", peer_, digest.error().message), events);
        return false;
    }
    queue_line(format_request(ChalReplyRequest{std::move(*digest)}));
    return true;
}

void MetaConnection::send_ack(TimePoint now) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - created_).count();
    sent_weight_ = peer_settings_.weight.value_or(static_cast<int>(std::min<long long>(elapsed, 1'000'000)));
    std::uint32_t options =
        (identity_.options | peer_settings_.extra_options) & ~peer_settings_.cleared_options;
    if (options & option_tcponly) options = (options | option_indirect) & ~option_pmtu_discovery;
    sent_options_ = options;
    queue_line(format_request(AckRequest{identity_.port, sent_weight_, options}));
}

Status MetaConnection::send_line(std::string_view line) {
    if (state_ != State::active) return fail("connection is not active");
    if (line.size() + 1 > max_line_bytes)
        return fail("request line of {} bytes exceeds {}", line.size() + 1, max_line_bytes);
    queue_line(line);
    return {};
}

Status MetaConnection::send_packet(std::span<const std::uint8_t> frame) {
    if (state_ != State::active) return fail("connection is not active");
    if (frame.empty() || frame.size() > max_packet_body)
        return fail("PACKET of {} bytes is outside 1..{}", frame.size(), max_packet_body);
    queue_line(format_request(PacketRequest{frame.size()}));
    const std::size_t start = output_.size();
    output_.insert(output_.end(), frame.begin(), frame.end());
    if (outbound_) {
        std::span<std::uint8_t> tail(output_.data() + start, frame.size());
        if (auto s = outbound_->apply(tail, tail); !s) return s;
    }
    return {};
}

void MetaConnection::queue_line(std::string_view line) {
    traffic_.sent(line);
    const std::size_t start = output_.size();
    output_.insert(output_.end(), line.begin(), line.end());
    output_.push_back('\n');
    if (outbound_) {
        std::span<std::uint8_t> tail(output_.data() + start, line.size() + 1);
        // A failure here means the byte budget ran out (never for AES): the next receive
        // or send reports it; the stream refuses to continue.
        (void)outbound_->apply(tail, tail);
    }
}

void MetaConnection::send_raw_for_tests(std::string_view bytes) {
    const std::size_t start = output_.size();
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    if (outbound_) {
        std::span<std::uint8_t> tail(output_.data() + start, bytes.size());
        (void)outbound_->apply(tail, tail);
    }
}

std::vector<std::uint8_t> MetaConnection::take_output() {
    std::vector<std::uint8_t> out;
    out.swap(output_);
    traffic_.bytes_out += out.size();
    return out;
}

void MetaConnection::close(std::string reason, std::vector<Event>& events) {
    if (state_ == State::closed) return;
    const bool tarpit = role_ == Role::incoming && state_ != State::active;
    state_ = State::closed;
    events.emplace_back(Closed{std::move(reason), tarpit});
}

}  // namespace sluice::session
