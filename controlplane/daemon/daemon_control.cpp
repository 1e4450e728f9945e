// The control socket's requests (`sluicectl dump|info|stats|metrics|pid|reload|stop`) and the
// MetricsAddress endpoint: the daemon's state turned into answers by the pure views in this
// folder (control_commands, info, stats_*, metrics_facts).
#include <ctime>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "controlplane/daemon/control_commands.hpp"
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/info.hpp"
#include "controlplane/daemon/metrics_facts.hpp"
#include "controlplane/metrics/http.hpp"
#include "shared/log/log.hpp"

namespace sluice::daemon {

io::ControlResponse Daemon::control(std::string_view request) {
    // What this daemon last published to sluice-dp; empty without a data plane.
    const std::span<const std::uint8_t> published_tables =
        data_plane_ ? std::span<const std::uint8_t>(last_tables_) : std::span<const std::uint8_t>();
    if (request == "dump graph") return dump_graph(mesh_->graph(), settings_.options, published_tables);
    if (request.starts_with("info ")) {
        std::optional<tables::TablesView> published;
        if (!published_tables.empty()) {
            auto view = tables::TablesView::open(published_tables);
            if (!view) return io::ControlResponse::failure(view.error().message);
            published = *view;
        }
        InfoSources sources{mesh_->graph(), settings_.options, published ? &*published : nullptr,
                            [this](std::string_view name) {
                                const mesh::NodeKeys* keys = mesh_->keys_of(std::string(name));
                                return keys != nullptr && keys->outbound.has_value();
                            }};
        return info(request.substr(5), sources);
    }
    if (request == "dump peers") {
        if (!data_plane_) return io::ControlResponse::failure("no data plane (DataPlane = none)");
        return dump_peers(last_tables_);
    }
    if (request == "dump traffic") {
        if (!data_plane_) return io::ControlResponse::failure("no data plane (DataPlane = none)");
        return dump_traffic(last_tables_, data_plane_->region());
    }
    if (request == "dump workers") {
        if (!data_plane_) return io::ControlResponse::failure("no data plane (DataPlane = none)");
        return dump_workers(data_plane_->region());
    }
    if (request.starts_with("dump ")) {
        std::vector<ConnectionView> views;
        for (const auto& [id, c] : connections_)
            views.push_back(
                {c->meta->peer_name(), c->host, c->port, c->meta->active() ? "active" : "authenticating"});
        for (const auto& [name, o] : outgoing_)
            if (o.connecting) {
                const auto hp = io::numeric_host_port(o.connecting_to.get());
                views.push_back({name, hp.host, hp.port, "connecting"});
            }
        return dump(request.substr(5), *mesh_, views);
    }
    if (request == "metrics") {
        auto text = metrics_text();
        if (!text) return io::ControlResponse::failure(text.error().message);
        return metrics_response(*text);
    }
    if (request == "stats" || request == "stats json") return stats(request == "stats json");
    if (request == "pid") return io::ControlResponse{true, "", {std::to_string(::getpid())}};
    if (request == "reload") {
        reload();
        return io::ControlResponse{};
    }
    if (request == "stop") {
        // Shut down once this answer has had time to reach sluicectl: the control server
        // closes its clients when it goes away, unflushed answers included.
        loop_->add_timer(loop_->now() + milliseconds(100), [this] { shutdown("Got stop request"); });
        return io::ControlResponse{};
    }
    return io::ControlResponse::failure(fmt::format("unknown request \"{}\"", request));
}

Result<std::string> Daemon::metrics_text() {
    MetricsSources sources{*mesh_};
    sources.uptime = loop_->now() - started_;
    for (const auto& [id, c] : connections_) {
        if (c->meta->active()) {
            ++sources.connections.active;
        } else {
            ++sources.connections.authenticating;
        }
    }
    for (const auto& [name, o] : outgoing_) sources.connections.connecting += o.connecting ? 1 : 0;
    if (data_plane_) {
        sources.region = &data_plane_->region();
        sources.data_plane_attached = data_plane_->attached();
        sources.published_tables = last_tables_;
    }
    timespec now{};
    ::clock_gettime(CLOCK_BOOTTIME, &now);
    sources.now_boottime_ns =
        static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(now.tv_nsec);
    sources.keys = peer_key_lookup();
    auto facts = gather_metrics(sources);
    if (!facts) return fail(facts.error());
    return metrics::render(metrics::sluice_metrics(*facts));
}

Status Daemon::start_metrics_endpoint() {
    if (settings_.metrics_host.empty()) return {};
    const std::string& where = settings_.metrics_address;
    auto addresses = io::resolve(settings_.metrics_host, settings_.metrics_port, io::AddressFamily::any);
    if (!addresses) return fail("MetricsAddress = {}: {}", where, addresses.error().message);
    if (addresses->empty()) return fail("MetricsAddress = {}: no address", where);
    io::HttpServerLimits limits;
    limits.max_request = metrics::max_http_request;
    auto server =
        io::HttpServer::listen(*loop_, addresses->front(), limits, [this](std::string_view received) {
            return metrics::answer_metrics_request(received, [this] { return metrics_text(); });
        });
    if (!server) return fail("MetricsAddress = {}: {}", where, server.error().message);
    metrics_http_ = std::move(*server);
    log::info("Serving metrics on http://{}/metrics", where);
    return {};
}

}  // namespace sluice::daemon
