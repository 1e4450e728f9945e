#include "dataplane/engine/peer_cache.hpp"

namespace sluice::dataplane::engine {

namespace {

std::optional<crypto::LegacyCipherState> build(const tables::LegacyKeyRecord& key, RefreshStats& stats) {
    auto state = crypto::LegacyCipherState::create(key.cipher_nid, key.digest_nid, key.mac_length,
                                                   std::span(key.key.data(), key.key_length));
    if (!state) {
        ++stats.keys_refused;
        return std::nullopt;
    }
    ++stats.keys_built;
    return std::move(*state);
}

}  // namespace

RefreshStats PeerCache::refresh(const tables::TablesView& tables) {
    RefreshStats stats;
    for (const auto& peer : tables.peers()) {
        if (peer.node_id >= entries_.size()) {
            std::vector<PeerCacheEntry> grown;
            grown.reserve(peer.node_id + 64);
            for (auto& e : entries_) grown.push_back(std::move(e));
            while (grown.size() < peer.node_id + 64) {
                PeerCacheEntry fresh;
                fresh.replay = crypto::TincReplayWindow(replay_window_bytes_);
                grown.push_back(std::move(fresh));
            }
            entries_ = std::move(grown);
        }
        PeerCacheEntry& e = entries_[peer.node_id];
        if (e.in_key_id != peer.in_key.key_id) {
            e.in_key_id = peer.in_key.key_id;
            e.in = peer.in_key.present() ? build(peer.in_key, stats) : std::nullopt;
            e.replay.reset();  // a new inbound key restarts the peer's numbering (spec 4.4)
        }
        if (e.out_key_id != peer.out_key.key_id) {
            e.out_key_id = peer.out_key.key_id;
            e.out = peer.out_key.present() ? build(peer.out_key, stats) : std::nullopt;
        }
    }
    return stats;
}

}  // namespace sluice::dataplane::engine
