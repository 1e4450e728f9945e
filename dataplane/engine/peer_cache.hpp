// A worker's private per-node state: the expanded cipher contexts for the keys the published
// snapshot names (built when a key id first appears, reused until it changes) and the replay
// window of each inbound key. Indexed by the stable node id, so an entry survives snapshots
// that renumber the nodes. refresh() runs once per new snapshot generation, between batches:
// that is where contexts are created and memory is allocated, never per packet.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/crypto/legacy_cipher.hpp"
#include "dataplane/crypto/tinc_replay.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::dataplane::engine {

struct PeerCacheEntry {
    std::uint64_t in_key_id = 0;
    std::optional<crypto::LegacyCipherState> in;
    crypto::TincReplayWindow replay;
    std::uint64_t out_key_id = 0;
    std::optional<crypto::LegacyCipherState> out;
    // The snapshot generation in which this worker last asked for the node's key: one
    // key_needed event per node per generation, not one per packet.
    std::uint64_t key_requested_generation = 0;
};

struct RefreshStats {
    std::uint32_t keys_built = 0;
    std::uint32_t keys_refused = 0;  // OpenSSL refused the parameters (logged by the caller)
};

class PeerCache {
public:
    explicit PeerCache(std::size_t replay_window_bytes) : replay_window_bytes_(replay_window_bytes) {}

    // Brings every node of tables up to date. Keys that did not change keep their contexts.
    RefreshStats refresh(const tables::TablesView& tables);

    [[nodiscard]] PeerCacheEntry* find(std::uint32_t node_id) noexcept {
        return node_id < entries_.size() ? &entries_[node_id] : nullptr;
    }

private:
    std::size_t replay_window_bytes_;
    std::vector<PeerCacheEntry> entries_;
};

}  // namespace sluice::dataplane::engine
