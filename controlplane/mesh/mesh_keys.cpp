// KEY_CHANGED, REQ_KEY and ANS_KEY (spec 4), routed hop by hop toward their destination,
// and the native key exchange that rides in REQ_KEY (docs/protocol.md 2).
#include <fmt/format.h>

#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "shared/log/log.hpp"

namespace sluice::mesh {

using log::Level;

void Mesh::on_key_changed(ConnectionId source, const protocol::KeyChangedRequest& req,
                          const std::string& line, Actions& out) {
    if (seen_.seen_before(line, now_)) {
        ++counters_.duplicate_requests;
        return;
    }
    if (graph_.find_node(req.origin) == nullptr) {
        log::at(Level::requests, "Got KEY_CHANGED for unknown node {}", req.origin);
        return;
    }
    if (req.origin != settings_.self_name) {
        NodeKeys& keys = keys_[req.origin];
        keys.outbound.reset();
        keys.last_req_key = {};
        keys.awaiting_ans_key = false;
    }
    broadcast_line(line, source, out);
}

void Mesh::on_req_key(ConnectionId, const protocol::ReqKeyRequest& req, const std::string& line,
                      Actions& out) {
    const graph::Node* from = graph_.find_node(req.from);
    const graph::Node* to = graph_.find_node(req.to);
    if (from == nullptr || to == nullptr) {
        log::at(Level::requests, "Got REQ_KEY from {} for {}: unknown node", req.from, req.to);
        return;
    }
    if (req.to == settings_.self_name) {
        if (!from->reachable) {
            log::at(Level::requests, "Got REQ_KEY from unreachable node {}; ignored", req.from);
            return;
        }
        if (req.kx_token && native_.enabled()) {
            // A native exchange message: the exchange answers it, a legacy ANS_KEY never does.
            send_kx_tokens(native_.on_token(req.from, *req.kx_token, now_), out);
            return;
        }
        // Without a key of our own we answer as tinc 1.0.36 does, which also tells a sluice
        // initiator to stop sending us INITs (NativeSessions::on_legacy_answer).
        send_ans_key(req.from, out);
        return;
    }
    // tinc 1.0.36 crashes on a REQ_KEY whose origin it has never seen reachable (spec 8.2):
    // forward only when both ends are reachable from here.
    auto next = nexthop_connection(req.to);
    if (!from->reachable || !next) {
        ++counters_.key_requests_dropped_unreachable;
        log::at(Level::requests, "Not forwarding REQ_KEY from {} to {}: {} is unreachable", req.from, req.to,
                from->reachable ? req.to : req.from);
        return;
    }
    out.emplace_back(SendLine{*next, line});
}

void Mesh::on_ans_key(ConnectionId, const protocol::AnsKeyRequest& req, const std::string& line,
                      TimePoint now, Actions& out) {
    const graph::Node* from = graph_.find_node(req.from);
    const graph::Node* to = graph_.find_node(req.to);
    if (from == nullptr || to == nullptr) {
        log::at(Level::requests, "Got ANS_KEY from {} for {}: unknown node", req.from, req.to);
        return;
    }
    if (req.to != settings_.self_name) {
        auto next = nexthop_connection(req.to);
        if (!next) {
            ++counters_.key_requests_dropped_unreachable;
            log::at(Level::requests, "Not forwarding ANS_KEY from {} to {}: unreachable", req.from, req.to);
            return;
        }
        // No reflexive address is appended: sluiced has no UDP path of its own (minmtu 0).
        out.emplace_back(SendLine{*next, line});
        return;
    }
    auto key = meta::accept_ans_key(req);
    NodeKeys& keys = keys_[req.from];
    // An ANS_KEY that answers no REQ_KEY of ours may be a tinc node answering our INIT. (A
    // REQ_KEY we sent while holding a key, as after a data-plane restart, is answered too.)
    if (!keys.awaiting_ans_key) native_.on_legacy_answer(req.from);
    keys.awaiting_ans_key = false;
    if (!key) {
        // An unusable key never closes the connection (tinc 1.0.36 ans_key_h).
        ++counters_.invalid_ans_key;
        keys.outbound.reset();
        log::warn("Invalid ANS_KEY from {}: {}", req.from, key.error().message);
        return;
    }
    keys.outbound.emplace(std::move(*key));
    keys.outbound_since = now;
    if (req.address && req.port) {
        if (graph::Node* n = graph_.find_node(req.from)) {
            n->udp_address = *req.address;
            n->udp_port = *req.port;
            log::at(Level::status, "Using reflexive UDP address {} port {} for {}", *req.address, *req.port,
                    req.from);
        }
    }
}

void Mesh::send_ans_key(const std::string& to, Actions& out) {
    auto next = nexthop_connection(to);
    if (!next) return;
    auto key = meta::generate_legacy_key(settings_.key_settings, random_);
    if (!key) {
        log::error("Cannot generate a session key for {}: {}", to, key.error().message);
        return;
    }
    std::string line = protocol::format_request(meta::make_ans_key_request(*key, settings_.self_name, to));
    keys_[to].inbound.emplace(std::move(*key));
    out.emplace_back(SendLine{*next, std::move(line)});
}

void Mesh::request_missing_keys(Actions& out) {
    // Keys are fetched ahead of traffic so the data plane has them when the first packet
    // comes. Two guards keep Debian's tincd 1.0.36 safe (spec 8.2: a REQ_KEY naming an
    // origin it has never seen reachable crashes it): a node is asked only after it has
    // been reachable for a while, long enough for our own ADD_EDGE to have reached it and
    // every node on the way; and at most once per 10 s, as tinc itself does.
    constexpr Duration retry_time = seconds(10);
    for (const auto& [name, node] : graph_.nodes()) {
        if (name == settings_.self_name || !node.reachable) continue;
        NodeKeys& keys = keys_[name];
        if (keys.outbound) continue;
        if (now_ - keys.reachable_since < key_settle_time) continue;
        if (keys.last_req_key != TimePoint{} && now_ - keys.last_req_key < retry_time) continue;
        auto next = nexthop_connection(name);
        if (!next) continue;
        keys.last_req_key = now_;
        keys.awaiting_ans_key = true;
        out.emplace_back(
            SendLine{*next, protocol::format_request(protocol::ReqKeyRequest{settings_.self_name, name})});
    }
}

void Mesh::expire_keys(Actions& out) {
    log::at(Level::status, "Expiring symmetric keys");
    for (auto& [name, keys] : keys_) keys.inbound.reset();
    broadcast_line(protocol::format_request(protocol::KeyChangedRequest{nonce(), settings_.self_name}), 0,
                   out);
    for (const auto& [id, n] : neighbours_) {
        const graph::Node* node = graph_.find_node(n.name);
        if (node != nullptr && node->reachable) send_ans_key(n.name, out);
    }
}

void Mesh::tick_native_sessions(Actions& out) {
    send_kx_tokens(native_.tick(now_), out);
}

void Mesh::send_kx_tokens(std::vector<native::KxSend> sends, Actions& out) {
    for (auto& send : sends) {
        auto next = nexthop_connection(send.peer);
        if (!next) {
            log::at(Level::requests, "Not sending {} to {}: unreachable", native::kx_token_tag, send.peer);
            continue;
        }
        protocol::ReqKeyRequest req{settings_.self_name, send.peer, std::move(send.token)};
        out.emplace_back(SendLine{*next, protocol::format_request(req)});
    }
}

Actions Mesh::on_authenticated_receive(const std::string& name, std::uint32_t local_index, TimePoint now) {
    now_ = now;
    native_.on_authenticated_receive(name, local_index, now);
    return {};
}

Actions Mesh::native_session_wanted(const std::string& name, TimePoint now) {
    Actions out;
    now_ = now;
    send_kx_tokens(native_.session_wanted(name, now), out);
    return out;
}

Actions Mesh::restart_native_sessions(TimePoint now) {
    Actions out;
    now_ = now;
    send_kx_tokens(native_.restart_all(now), out);
    return out;
}

}  // namespace sluice::mesh
