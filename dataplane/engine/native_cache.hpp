// A worker's private native-session state (docs/protocol.md, "Data packets"): the AEAD
// contexts of the sessions the published snapshot carries, built when a session id first
// appears and kept until it is no longer published, so that this worker's send counter and
// its replay windows live exactly as long as the session.
//
// Ownership rules that make counters and windows single-owner:
//   - worker w seals with lane w of a session (its own sub-key and counter), so no counter
//     is shared between cores; a session with fewer lanes than workers is not sealed with
//     by the workers beyond them (they use the legacy format);
//   - the UDP sockets steer a native packet of sender lane L to worker L % workers
//     (io/udp_socket.hpp), so each (session, sender lane) window has one owner; a worker
//     that gets another lane's packet drops it (native_wrong_worker) instead of keeping a
//     second window.
//
// refresh() runs between batches when a new snapshot generation appears: that is where
// contexts are created and memory is allocated, never per packet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "dataplane/crypto/aead.hpp"
#include "dataplane/crypto/native_packet.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::dataplane::engine {

struct NativeReceiveEntry {
    std::uint64_t session_id = 0;
    std::uint32_t node_id = 0;  // the peer (stable across snapshots)
    std::uint8_t flags = 0;     // tables::native_flags as last published
    bool confirm_reported = false;
    std::optional<crypto::NativeReceiveSession> session;
};

struct NativeSendEntry {
    std::uint64_t session_id = 0;
    std::optional<crypto::NativeSendLane> lane;  // empty: no session, or no lane for this worker
    std::uint8_t keepalives_left = 0;            // worker 0, initiator sessions: keepalives to send
};

struct NativeRefreshStats {
    std::uint32_t sessions_built = 0;
    std::uint32_t sessions_refused = 0;  // the AEAD backend refused the suite or key
};

class NativeCache {
public:
    // How many keepalives worker 0 sends on a session it started, one per probe tick (1 s).
    static constexpr std::uint8_t kKeepalives = 3;

    NativeCache(std::uint32_t worker_index, std::uint32_t worker_count, crypto::AeadBackend backend) noexcept
        : worker_index_(worker_index),
          worker_count_(worker_count == 0 ? 1 : worker_count),
          backend_(backend) {}

    NativeRefreshStats refresh(const tables::TablesView& tables);

    // The session whose local index is `index`, or nullptr.
    [[nodiscard]] NativeReceiveEntry* find_receive(std::uint32_t index) noexcept;
    // This worker's send lane toward node_id, or nullptr.
    [[nodiscard]] NativeSendEntry* find_send(std::uint32_t node_id) noexcept {
        return node_id < send_.size() && send_[node_id].lane ? &send_[node_id] : nullptr;
    }
    // Whether this worker owns the replay window of sender lane `lane`.
    [[nodiscard]] bool owns_lane(std::uint16_t lane) const noexcept {
        return lane % worker_count_ == worker_index_;
    }
    [[nodiscard]] std::uint32_t worker_index() const noexcept { return worker_index_; }
    // Send entries by node id, for worker 0's keepalive pass.
    [[nodiscard]] std::vector<NativeSendEntry>& send_entries() noexcept { return send_; }

private:
    std::uint32_t worker_index_;
    std::uint32_t worker_count_;
    crypto::AeadBackend backend_;
    // Sorted by local index; pointers so that an entry (and its windows) moves by pointer.
    std::vector<std::pair<std::uint32_t, std::unique_ptr<NativeReceiveEntry>>> receive_;
    std::vector<NativeSendEntry> send_;  // by node id
};

}  // namespace sluice::dataplane::engine
