#include "dataplane/engine/native_cache.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace sluice::dataplane::engine {

namespace {

std::optional<crypto::AeadAlgorithm> algorithm_of(std::uint8_t suite) noexcept {
    switch (suite) {
        case static_cast<std::uint8_t>(crypto::AeadAlgorithm::aes_256_gcm):
            return crypto::AeadAlgorithm::aes_256_gcm;
        case static_cast<std::uint8_t>(crypto::AeadAlgorithm::chacha20_poly1305):
            return crypto::AeadAlgorithm::chacha20_poly1305;
        default:
            return std::nullopt;
    }
}

}  // namespace

NativeRefreshStats NativeCache::refresh(const tables::TablesView& tables) {
    NativeRefreshStats stats;
    const auto sessions = tables.native_sessions();

    // Receive side: keep what is still published (same id), build what is new.
    std::vector<std::pair<std::uint32_t, std::unique_ptr<NativeReceiveEntry>>> next;
    next.reserve(sessions.size());
    for (const auto& record : sessions) {
        std::unique_ptr<NativeReceiveEntry> entry;
        for (auto& [index, old] : receive_) {
            if (old && old->session_id == record.session_id) {
                entry = std::move(old);
                break;
            }
        }
        if (!entry) {
            const auto algorithm = algorithm_of(record.suite);
            std::vector<std::span<const std::uint8_t>> keys;
            for (std::uint16_t lane = 0; lane < record.remote_lanes; ++lane)
                keys.emplace_back(tables.native_receive_key(record, lane));
            if (!algorithm) {
                ++stats.sessions_refused;
                continue;
            }
            auto session =
                crypto::NativeReceiveSession::create(*algorithm, backend_, record.local_index, keys);
            if (!session) {
                ++stats.sessions_refused;
                continue;
            }
            ++stats.sessions_built;
            entry = std::make_unique<NativeReceiveEntry>();
            entry->session_id = record.session_id;
            entry->session.emplace(std::move(*session));
        }
        entry->node_id = tables.peer(record.node_index).node_id;
        entry->flags = record.flags;
        next.emplace_back(record.local_index, std::move(entry));
    }
    std::sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    receive_ = std::move(next);

    // Send side: this worker's lane of each node's send session.
    std::vector<bool> seen(send_.size(), false);
    for (const auto& peer : tables.peers()) {
        if (peer.native_send == tables::kNoIndex) continue;
        if (peer.node_id >= send_.size()) {
            send_.resize(peer.node_id + 64);
            seen.resize(send_.size(), false);
        }
        seen[peer.node_id] = true;
        const tables::NativeSessionRecord& record = sessions[peer.native_send];
        NativeSendEntry& entry = send_[peer.node_id];
        if (entry.session_id == record.session_id) continue;
        entry = NativeSendEntry{};
        entry.session_id = record.session_id;
        if (worker_index_ >= record.local_lanes) continue;  // fewer lanes than workers
        const auto algorithm = algorithm_of(record.suite);
        const auto lane = static_cast<std::uint16_t>(worker_index_);
        if (!algorithm) {
            ++stats.sessions_refused;
            continue;
        }
        auto made = crypto::NativeSendLane::create(*algorithm, backend_, tables.native_send_key(record, lane),
                                                   record.remote_index, lane);
        if (!made) {
            ++stats.sessions_refused;
            continue;
        }
        ++stats.sessions_built;
        entry.lane.emplace(std::move(*made));
        if (worker_index_ == 0 && (record.flags & tables::native_flags::initiator) != 0)
            entry.keepalives_left = kKeepalives;
    }
    for (std::size_t id = 0; id < seen.size(); ++id)
        if (!seen[id] && send_[id].session_id != 0) send_[id] = NativeSendEntry{};
    return stats;
}

NativeReceiveEntry* NativeCache::find_receive(std::uint32_t index) noexcept {
    auto it = std::lower_bound(receive_.begin(), receive_.end(), index,
                               [](const auto& entry, std::uint32_t wanted) { return entry.first < wanted; });
    return it != receive_.end() && it->first == index ? it->second.get() : nullptr;
}

}  // namespace sluice::dataplane::engine
