// PING/PONG (spec 1.5), ageing of the duplicate cache (1.3) and key expiry (4.6).
#include <fmt/format.h>

#include "controlplane/mesh/mesh.hpp"

namespace sluice::mesh {

void Mesh::on_ping(ConnectionId source, Actions& out) {
    out.emplace_back(SendLine{source, "9"});
}

void Mesh::on_pong(ConnectionId source) {
    if (auto it = neighbours_.find(source); it != neighbours_.end()) it->second.pinged = false;
}

Actions Mesh::tick(TimePoint now) {
    Actions out;
    now_ = now;
    for (auto& [id, n] : neighbours_) {
        if (n.pinged && now - n.last_ping >= settings_.ping_timeout) {
            out.emplace_back(CloseConnection{
                id,
                fmt::format("{} ({} port {}) didn't respond to PING in {} seconds", n.name, n.address, n.port,
                            std::chrono::duration_cast<seconds>(settings_.ping_timeout).count())});
        } else if (!n.pinged && now - n.last_ping >= settings_.ping_interval) {
            // Sent every PingInterval whatever other traffic there is, as tinc does.
            n.pinged = true;
            n.last_ping = now;
            out.emplace_back(SendLine{id, "8"});
        }
    }
    if (last_age_ == TimePoint{}) last_age_ = now;
    if (now - last_age_ >= settings_.ping_timeout) {
        seen_.age(now, settings_.ping_interval);
        last_age_ = now;
    }
    tick_native_sessions(out);
    request_missing_keys(out);
    if (last_key_expiry_ == TimePoint{}) last_key_expiry_ = now;
    if (now - last_key_expiry_ >= settings_.key_expire) {
        expire_keys(out);
        last_key_expiry_ = now;
    }
    return out;
}

}  // namespace sluice::mesh
