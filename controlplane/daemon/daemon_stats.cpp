// The I/O edge of `sluicectl stats`: the clocks, /proc for the data plane's age, and the
// daemon's own objects, handed to the pure gathering and rendering (stats_report.hpp,
// stats_render.hpp).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <unistd.h>

#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/stats_render.hpp"
#include "controlplane/daemon/stats_report.hpp"
#include "shared/version.hpp"

namespace sluice::daemon {

namespace {

std::uint64_t boottime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Seconds since process `pid` started (field 22 of /proc/PID/stat, in clock ticks after
// boot), or nullopt if it cannot be read.
std::optional<std::uint64_t> process_age_s(std::uint64_t pid) {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "re");
    if (f == nullptr) return std::nullopt;
    char buffer[1024];
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
    std::fclose(f);
    buffer[n] = '\0';
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const std::string text(buffer);
    std::size_t at = text.rfind(')');
    if (at == std::string::npos) return std::nullopt;
    for (int field = 2; field < 22; ++field) {
        at = text.find(' ', at + 1);
        if (at == std::string::npos) return std::nullopt;
    }
    const unsigned long long ticks = std::strtoull(text.c_str() + at + 1, nullptr, 10);
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (hz <= 0) return std::nullopt;
    const std::uint64_t started_s = ticks / static_cast<std::uint64_t>(hz);
    const std::uint64_t now_s = boottime_ns() / 1'000'000'000U;
    return now_s > started_s ? now_s - started_s : 0;
}

std::uint64_t seconds_between(TimePoint from, TimePoint to) {
    return to > from ? static_cast<std::uint64_t>(
                           std::chrono::duration_cast<std::chrono::seconds>(to - from).count())
                     : 0;
}

}  // namespace

PeerKeyLookup Daemon::peer_key_lookup() const {
    return [this, now = loop_->now()](std::string_view name) {
        PeerKeyInfo info;
        if (const native::NativeKeys* k = mesh_->native_sessions().send_keys(name))
            info.native_age_s = seconds_between(k->created, now);
        if (const mesh::NodeKeys* k = mesh_->keys_of(std::string(name)); k != nullptr && k->outbound)
            info.legacy_age_s = seconds_between(k->outbound_since, now);
        return info;
    };
}

io::ControlResponse Daemon::stats(bool json) const {
    const TimePoint now = loop_->now();
    StatsReport report;
    DaemonStats& d = report.daemon;
    d.node = settings_.name;
    d.version = std::string(sluice::version);
    d.abi_version = abi::kAbiVersion;
    d.pid = static_cast<std::uint64_t>(::getpid());
    d.uptime_s = seconds_between(started_, now);
    const abi::Region* region = data_plane_ ? &data_plane_->region() : nullptr;
    if (region != nullptr) {
        const abi::RegionHeader& h = region->header();
        d.dataplane_pid = h.dataplane_pid.load(std::memory_order_relaxed);
        if (d.dataplane_pid != 0) d.dataplane_uptime_s = process_age_s(d.dataplane_pid);
        d.counters_since_unix = h.info.created_unix_ns / 1'000'000'000;
        d.workers = region->layout().params.worker_count;
        d.peer_capacity = region->layout().params.peer_capacity;
    }
    // Peers before workers: a worker counts itself first, so read in this order the peers'
    // sums never exceed the workers' (which tests and readers may rely on).
    std::optional<tables::TablesView> view;
    if (!last_tables_.empty()) {
        auto opened = tables::TablesView::open(last_tables_);
        if (!opened) return io::ControlResponse::failure(opened.error().message);
        view = *opened;
    } else if (data_plane_) {
        view = data_plane_->inherited_tables();  // just took over sluice-dp, nothing published yet
    }
    if (view) {
        report.peers = peer_stats(*view, region, peer_key_lookup(), boottime_ns());
    }
    if (region != nullptr) {
        report.overflow = sum_peer_counters(*region, abi::kPeerOverflowSlot);
        report.workers = worker_stats(*region);
    }
    for (const auto& [id, c] : connections_) {
        report.meta.push_back({c->meta->peer_name(), c->host, c->port,
                               c->meta->active() ? "active" : "authenticating", c->meta->traffic()});
    }
    io::ControlResponse r;
    r.lines = json ? render_stats_json(report) : render_stats_table(report);
    return r;
}

}  // namespace sluice::daemon
