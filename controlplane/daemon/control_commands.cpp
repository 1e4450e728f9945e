#include "controlplane/daemon/control_commands.hpp"

#include <optional>

#include <fmt/format.h>

#include "controlplane/daemon/graph_dot.hpp"
#include "controlplane/daemon/node_path.hpp"
#include "controlplane/daemon/stats_report.hpp"
#include "controlplane/daemon/view_text.hpp"
#include "shared/tables/tables.hpp"

namespace sluice::daemon {

namespace {

std::string row(std::initializer_list<std::string> fields) {
    std::string s;
    for (const auto& f : fields) {
        if (!s.empty()) s += '\t';
        s += f.empty() ? "-" : f;
    }
    return s;
}

std::string yes_no(bool b) {
    return b ? "yes" : "no";
}

}  // namespace

io::ControlResponse dump(std::string_view what, const mesh::Mesh& mesh,
                         const std::vector<ConnectionView>& connections) {
    io::ControlResponse r;
    const graph::Graph& g = mesh.graph();
    if (what == "nodes") {
        r.lines.push_back(
            row({"name", "reachable", "via", "nexthop", "address", "port", "options", "key_valid"}));
        for (const auto& [name, n] : g.nodes()) {
            const bool self = name == g.self_name();
            const mesh::NodeKeys* keys = mesh.keys_of(name);
            const bool key_valid = self || (keys != nullptr && keys->outbound.has_value());
            r.lines.push_back(
                row({name, yes_no(n.reachable), n.reachable ? n.via : "", n.reachable ? n.nexthop : "",
                     self ? "MYSELF" : n.udp_address, self ? "" : n.udp_port, fmt::format("{:x}", n.options),
                     yes_no(key_valid)}));
        }
    } else if (what == "edges") {
        r.lines.push_back(row({"from", "to", "address", "port", "weight", "options"}));
        for (const auto& [name, n] : g.nodes())
            for (const auto& [to, e] : g.edges_of(name))
                r.lines.push_back(row({e.from, e.to, e.address, e.port, std::to_string(e.weight),
                                       fmt::format("{:x}", e.options)}));
    } else if (what == "subnets") {
        r.lines.push_back(row({"owner", "subnet", "weight"}));
        for (const auto& [name, n] : g.nodes())
            for (const auto& s : g.subnets_of(name)) {
                std::string text = s.to_string();
                text = text.substr(0, text.find('#'));
                r.lines.push_back(row({name, text, std::to_string(s.weight)}));
            }
    } else if (what == "connections") {
        r.lines.push_back(row({"name", "address", "port", "status"}));
        for (const auto& c : connections) r.lines.push_back(row({c.name, c.address, c.port, c.status}));
    } else {
        return io::ControlResponse::failure(fmt::format(
            "unknown dump \"{}\" (nodes, edges, subnets, connections, peers, workers, traffic or graph)",
            what));
    }
    return r;
}

io::ControlResponse dump_peers(std::span<const std::uint8_t> published_tables) {
    io::ControlResponse r;
    r.lines.push_back(row(
        {"name", "node_id", "path", "endpoint", "mtu", "min_mtu", "max_mtu", "in_key", "out_key", "native"}));
    if (published_tables.empty()) return r;
    auto view = tables::TablesView::open(published_tables);
    if (!view) return io::ControlResponse::failure(view.error().message);
    for (std::uint32_t i = 0; i < view->node_count(); ++i) {
        const tables::PeerRecord& p = view->peer(i);
        const std::string name(view->name(p));
        auto id = [](const tables::LegacyKeyRecord& k) {
            return k.present() ? std::to_string(k.key_id) : std::string();
        };
        // The native session packets to this node are sealed with: suite, lanes each way and
        // how many sessions (current, next, previous) packets from it are accepted on.
        std::string native;
        if (p.native_send != tables::kNoIndex) {
            const tables::NativeSessionRecord& s = view->native_sessions()[p.native_send];
            native = fmt::format("{} lanes {}/{}", s.suite == 1 ? "aes-256-gcm" : "chacha20-poly1305",
                                 s.local_lanes, s.remote_lanes);
        }
        std::size_t receiving = 0;
        for (const auto& s : view->native_sessions()) receiving += s.node_index == i ? 1 : 0;
        if (receiving != 0) native += fmt::format("{}receiving on {}", native.empty() ? "" : ", ", receiving);
        r.lines.push_back(row({name, std::to_string(p.node_id), short_path(path_from_tables(*view, i), name),
                               endpoint_text(p.endpoint), std::to_string(p.mtu), std::to_string(p.min_mtu),
                               std::to_string(p.max_mtu), id(p.in_key), id(p.out_key), native}));
    }
    return r;
}

io::ControlResponse dump_graph(const graph::Graph& graph, std::uint32_t own_options,
                               std::span<const std::uint8_t> published_tables) {
    std::optional<tables::TablesView> view;
    if (!published_tables.empty()) {
        auto opened = tables::TablesView::open(published_tables);
        if (!opened) return io::ControlResponse::failure(opened.error().message);
        view = *opened;
    }
    io::ControlResponse r;
    const std::string dot = graph_dot(graph, own_options, view ? &*view : nullptr);
    std::size_t start = 0;
    while (start < dot.size()) {
        const std::size_t end = dot.find('\n', start);
        r.lines.push_back(dot.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return r;
}

io::ControlResponse metrics_response(std::string_view exposition) {
    io::ControlResponse r;
    std::size_t start = 0;
    while (start < exposition.size()) {
        const std::size_t end = exposition.find('\n', start);
        r.lines.emplace_back(exposition.substr(start, end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return r;
}

io::ControlResponse dump_workers(abi::Region& region) {
    io::ControlResponse r;
    r.lines.push_back(row({"worker", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "native_rx_packets",
                           "native_tx_packets", "tun_rx_packets", "tun_rx_bytes", "tun_tx_packets",
                           "tun_tx_bytes", "batches", "events", "injected", "drops"}));
    for (std::uint32_t w = 0; w < region.layout().params.worker_count; ++w) {
        const abi::WorkerRecord& rec = region.worker(w);
        const abi::WorkerCounters& c = rec.counters;
        auto n = [](const std::atomic<std::uint64_t>& v) {
            return std::to_string(v.load(std::memory_order_relaxed));
        };
        std::string drops;
        for (std::size_t i = 0; i < abi::kDropReasonCount; ++i) {
            const auto reason = static_cast<abi::DropReason>(i);
            const auto count = c.drop(reason).load(std::memory_order_relaxed);
            if (count == 0) continue;
            if (!drops.empty()) drops += ',';
            drops += fmt::format("{}={}", abi::drop_reason_name(reason), count);
        }
        r.lines.push_back(row({std::to_string(w), n(c.rx_packets), n(c.rx_bytes), n(c.tx_packets),
                               n(c.tx_bytes), n(c.native_rx_packets), n(c.native_tx_packets),
                               n(c.tun_rx_packets), n(c.tun_rx_bytes), n(c.tun_tx_packets), n(c.tun_tx_bytes),
                               n(c.batches), n(c.events_pushed), n(c.frames_injected), drops}));
    }
    return r;
}

io::ControlResponse dump_traffic(std::span<const std::uint8_t> published_tables, const abi::Region& region) {
    io::ControlResponse r;
    r.lines.push_back(row({"name", "node_id", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
                           "native_rx_packets", "native_tx_packets", "tcp_frames"}));
    if (published_tables.empty()) return r;
    auto view = tables::TablesView::open(published_tables);
    if (!view) return io::ControlResponse::failure(view.error().message);
    for (std::uint32_t i = 0; i < view->node_count(); ++i) {
        if (i == view->self_index()) continue;
        const tables::PeerRecord& p = view->peer(i);
        const PeerTotals t = sum_peer_counters(region, p.node_id);
        r.lines.push_back(
            row({std::string(view->name(p)), std::to_string(p.node_id), std::to_string(t.rx_packets),
                 std::to_string(t.rx_bytes), std::to_string(t.tx_packets), std::to_string(t.tx_bytes),
                 std::to_string(t.native_rx_packets), std::to_string(t.native_tx_packets),
                 std::to_string(t.tcp_frames)}));
    }
    return r;
}

}  // namespace sluice::daemon
