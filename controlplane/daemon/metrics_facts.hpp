// Gathers what sluiced exports to Prometheus (metrics/families.hpp) from the daemon's state:
// the mesh, the meta connections, the data plane's counters in the shared region and the
// tables last published to it (read as `dump workers` and `dump peers` read them).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "controlplane/daemon/stats_report.hpp"
#include "controlplane/mesh/mesh.hpp"
#include "controlplane/metrics/families.hpp"
#include "shared/abi/region.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::daemon {

struct MetricsSources {
    const mesh::Mesh& mesh;
    Duration uptime{};
    metrics::MetaConnectionCounts connections{};
    abi::Region* region = nullptr;  // null without a data plane
    bool data_plane_attached = false;
    std::span<const std::uint8_t> published_tables{};  // empty: nothing published
    std::uint64_t now_boottime_ns = 0;                 // CLOCK_BOOTTIME, for the last-rx ages
    PeerKeyLookup keys{};                              // the key ages, as for `sluicectl stats`
};

// Fails only when the published tables cannot be read.
[[nodiscard]] Result<metrics::Facts> gather_metrics(const MetricsSources& sources);

}  // namespace sluice::daemon
