#include "controlplane/daemon/stats_render.hpp"

#include <algorithm>
#include <optional>
#include <type_traits>

#include <fmt/format.h>

namespace sluice::daemon {

namespace {

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (static_cast<unsigned char>(ch) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(ch)));
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

template <typename T>
std::string json_optional(const std::optional<T>& v) {
    if (!v) return "null";
    if constexpr (std::is_floating_point_v<T>) return fmt::format("{:.3f}", *v);
    return std::to_string(*v);
}

std::string json_drops(const std::array<std::uint64_t, abi::kDropReasonCount>& drops) {
    std::string out = "{";
    for (std::size_t i = 0; i < drops.size(); ++i) {
        if (i != 0) out += ", ";
        out += fmt::format("\"{}\": {}", abi::drop_reason_name(static_cast<abi::DropReason>(i)), drops[i]);
    }
    return out + "}";
}

std::string json_requests(const std::array<std::uint64_t, session::kRequestTypeCount>& counts) {
    std::string out = "{";
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (i != 0) out += ", ";
        out += fmt::format("\"{}\": {}", protocol::request_name(static_cast<protocol::RequestType>(i)),
                           counts[i]);
    }
    return out + "}";
}

std::string json_totals(const PeerTotals& t) {
    return fmt::format(
        "\"rx_packets\": {}, \"rx_bytes\": {}, \"tx_packets\": {}, \"tx_bytes\": {}, \"native_rx_packets\": "
        "{}, "
        "\"native_tx_packets\": {}, \"tcp_frames\": {}, \"drops\": {}",
        t.rx_packets, t.rx_bytes, t.tx_packets, t.tx_bytes, t.native_rx_packets, t.native_tx_packets,
        t.tcp_frames, json_drops(t.drops));
}

std::string json_text_or_null(const std::string& s) {
    return s.empty() ? "null" : json_string(s);
}

// Lines of an aligned table: columns separated by two spaces, numbers right-aligned.
std::vector<std::string> table(const std::vector<std::vector<std::string>>& rows,
                               const std::vector<bool>& right_aligned) {
    std::vector<std::size_t> widths;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], r[i].size());
        }
    std::vector<std::string> out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            const bool right = i < right_aligned.size() && right_aligned[i];
            if (i != 0) line += "  ";
            line += right ? fmt::format("{:>{}}", r[i], widths[i]) : fmt::format("{:<{}}", r[i], widths[i]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out.push_back(std::move(line));
    }
    return out;
}

std::string drops_text(const std::array<std::uint64_t, abi::kDropReasonCount>& drops) {
    std::string out;
    for (std::size_t i = 0; i < drops.size(); ++i) {
        if (drops[i] == 0) continue;
        if (!out.empty()) out += ' ';
        out += fmt::format("{}={}", abi::drop_reason_name(static_cast<abi::DropReason>(i)), drops[i]);
    }
    return out.empty() ? "-" : out;
}

std::string requests_text(const std::array<std::uint64_t, session::kRequestTypeCount>& counts) {
    std::string out;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        if (!out.empty()) out += ' ';
        out += fmt::format("{}={}", protocol::request_name(static_cast<protocol::RequestType>(i)), counts[i]);
    }
    return out.empty() ? "-" : out;
}

std::string or_dash(const std::string& s) {
    return s.empty() ? "-" : s;
}

// `prefix` and the space-separated words of `text`, wrapped at 100 columns under the first word.
void wrapped(std::vector<std::string>& out, const std::string& prefix, const std::string& text) {
    std::string line = prefix;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        const std::string word = text.substr(start, end - start);
        if (line.size() > prefix.size() && line.size() + 1 + word.size() > 100) {
            out.push_back(line);
            line = std::string(prefix.size(), ' ');
        }
        if (line.size() > prefix.size() && line.back() != ' ') line += ' ';
        line += word;
        start = end + 1;
    }
    out.push_back(line);
}

void section(std::vector<std::string>& out, std::string_view heading, const std::vector<std::string>& lines) {
    if (!out.empty()) out.emplace_back();
    out.emplace_back(heading);
    out.insert(out.end(), lines.begin(), lines.end());
}

}  // namespace

std::string age_text(std::optional<std::uint64_t> seconds) {
    if (!seconds) return "-";
    const std::uint64_t s = *seconds;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::vector<std::string> render_stats_json(const StatsReport& r) {
    std::vector<std::string> out;
    const DaemonStats& d = r.daemon;
    out.push_back("{");
    out.push_back(fmt::format("  \"schema\": {},", kStatsSchemaVersion));
    const std::string dataplane = d.dataplane_pid == 0
                                      ? std::string("null")
                                      : fmt::format(
                                            "{{\"pid\": {}, \"uptime_s\": {}, \"workers\": {}, "
                                            "\"peer_capacity\": {}, \"counters_since_unix\": {}}}",
                                            d.dataplane_pid, json_optional(d.dataplane_uptime_s), d.workers,
                                            d.peer_capacity, d.counters_since_unix);
    out.push_back(fmt::format(
        "  \"daemon\": {{\"node\": {}, \"version\": {}, \"abi_version\": {}, \"pid\": {}, \"uptime_s\": {}, "
        "\"dataplane\": {}}},",
        json_string(d.node), json_string(d.version), d.abi_version, d.pid, d.uptime_s, dataplane));
    out.push_back("  \"peers\": [");
    for (std::size_t i = 0; i < r.peers.size(); ++i) {
        const PeerStats& p = r.peers[i];
        out.push_back(fmt::format(
            "    {{\"name\": {}, \"node_id\": {}, \"path\": {}, \"endpoint\": {}, \"pmtu\": {{\"mtu\": {}, "
            "\"min\": {}, "
            "\"max\": {}}}, \"cipher\": {}, \"key_age_s\": {}, \"last_rx_age_s\": {}, {}}}{}",
            json_string(p.name), p.node_id, json_string(p.path), json_text_or_null(p.endpoint), p.mtu,
            p.min_mtu, p.max_mtu, json_text_or_null(p.cipher), json_optional(p.key_age_s),
            json_optional(p.last_rx_age_s), json_totals(p.totals), i + 1 < r.peers.size() ? "," : ""));
    }
    out.push_back("  ],");
    out.push_back(fmt::format("  \"peer_overflow\": {{{}}},", json_totals(r.overflow)));
    out.push_back("  \"workers\": [");
    for (std::size_t i = 0; i < r.workers.size(); ++i) {
        const WorkerStats& w = r.workers[i];
        std::string fields = fmt::format("\"worker\": {}", w.index);
        for (const auto& [name, value] : w.counters) fields += fmt::format(", \"{}\": {}", name, value);
        out.push_back(fmt::format("    {{{}, \"drops\": {}}}{}", fields, json_drops(w.drops),
                                  i + 1 < r.workers.size() ? "," : ""));
    }
    out.push_back("  ],");
    out.push_back("  \"meta_connections\": [");
    for (std::size_t i = 0; i < r.meta.size(); ++i) {
        const MetaStats& m = r.meta[i];
        out.push_back(fmt::format(
            "    {{\"name\": {}, \"address\": {}, \"port\": {}, \"status\": {}, \"bytes_in\": {}, "
            "\"bytes_out\": {}, "
            "\"requests_in\": {}, \"requests_out\": {}}}{}",
            json_text_or_null(m.name), json_string(m.address), json_string(m.port), json_string(m.status),
            m.traffic.bytes_in, m.traffic.bytes_out, json_requests(m.traffic.requests_in),
            json_requests(m.traffic.requests_out), i + 1 < r.meta.size() ? "," : ""));
    }
    out.push_back("  ]");
    out.push_back("}");
    return out;
}

std::vector<std::string> render_stats_table(const StatsReport& r) {
    std::vector<std::string> out;
    const DaemonStats& d = r.daemon;
    std::vector<std::string> daemon{fmt::format("node {}, sluice {}, shared-memory ABI {}, pid {}, up {}",
                                                d.node, d.version, d.abi_version, d.pid,
                                                age_text(d.uptime_s))};
    if (d.dataplane_pid != 0) {
        daemon.push_back(fmt::format("sluice-dp pid {}, up {}, {} workers, counters for {} node ids",
                                     d.dataplane_pid, age_text(d.dataplane_uptime_s), d.workers,
                                     d.peer_capacity - 1));
    } else {
        daemon.emplace_back("no data plane");
    }
    section(out, "daemon", daemon);

    std::vector<std::vector<std::string>> paths{{"peer", "path", "pmtu", "cipher", "key age", "last rx"}};
    std::vector<std::vector<std::string>> traffic{
        {"peer", "rx pkts", "rx bytes", "tx pkts", "tx bytes", "native rx/tx", "tcp", "drops"}};
    for (const PeerStats& p : r.peers) {
        const std::string last = p.last_rx_age_s ? fmt::format("{:.1f}s ago", std::max(0.0, *p.last_rx_age_s))
                                                 : std::string("never");
        paths.push_back({p.name, p.path, fmt::format("{} ({}..{})", p.mtu, p.min_mtu, p.max_mtu),
                         or_dash(p.cipher), age_text(p.key_age_s), last});
        const PeerTotals& t = p.totals;
        traffic.push_back({p.name, std::to_string(t.rx_packets), std::to_string(t.rx_bytes),
                           std::to_string(t.tx_packets), std::to_string(t.tx_bytes),
                           fmt::format("{}/{}", t.native_rx_packets, t.native_tx_packets),
                           std::to_string(t.tcp_frames), drops_text(t.drops)});
    }
    section(out, "peers", table(paths, {}));
    section(out, "peer traffic", table(traffic, {false, true, true, true, true, true, true, false}));

    std::vector<std::vector<std::string>> workers{{"worker", "rx pkts", "rx bytes", "tx pkts", "tx bytes",
                                                   "tun rx", "tun tx", "batches", "events", "injected"}};
    std::vector<std::string> worker_drops;
    for (const WorkerStats& w : r.workers) {
        auto get = [&w](std::string_view name) {
            const auto v = w.counter(name);
            return v ? std::to_string(*v) : std::string("-");
        };
        workers.push_back({std::to_string(w.index), get("rx_packets"), get("rx_bytes"), get("tx_packets"),
                           get("tx_bytes"), get("tun_rx_packets"), get("tun_tx_packets"), get("batches"),
                           get("events_pushed"), get("frames_injected")});
        wrapped(worker_drops, fmt::format("worker {} drops: ", w.index), drops_text(w.drops));
    }
    auto worker_lines = table(workers, std::vector<bool>(10, true));
    worker_lines.insert(worker_lines.end(), worker_drops.begin(), worker_drops.end());
    section(out, "workers", worker_lines);

    // Whether the worker keeps up: completions per batch, submissions, and how full its
    // buffers and rings are (the lowest free receive buffers since start: 0 means datagrams
    // found no buffer, counted as buffer_exhausted drops). tun_reads stays in the JSON.
    std::vector<std::vector<std::string>> rings{{"worker", "cqes/batch", "submits", "sq full", "cq ovfl",
                                                 "recv bufs", "lowest", "spare", "event ring", "inj ring"}};
    for (const WorkerStats& w : r.workers) {
        auto get = [&w](std::string_view name) { return w.counter(name).value_or(0); };
        const std::uint64_t batches = get("batches");
        const std::string per_batch = batches == 0
                                          ? std::string("-")
                                          : fmt::format("{:.1f}", static_cast<double>(get("completions")) /
                                                                      static_cast<double>(batches));
        rings.push_back({std::to_string(w.index), per_batch, std::to_string(get("submits")),
                         std::to_string(get("sq_full")), std::to_string(get("cq_overflow")),
                         fmt::format("{}/{}", get("recv_buffers_free"), get("recv_buffers")),
                         std::to_string(get("recv_buffers_lowest")),
                         fmt::format("{}/{}", get("spare_buffers_free"), get("spare_buffers")),
                         fmt::format("{}/{}", get("event_ring_used"), get("event_ring_capacity")),
                         fmt::format("{}/{}", get("injection_ring_used"), get("injection_ring_capacity"))});
    }
    section(out, "worker rings and buffers", table(rings, std::vector<bool>(10, true)));

    std::vector<std::vector<std::string>> meta{
        {"peer", "address", "port", "status", "bytes in", "bytes out"}};
    std::vector<std::string> requests;
    for (const MetaStats& m : r.meta) {
        meta.push_back({or_dash(m.name), m.address, m.port, m.status, std::to_string(m.traffic.bytes_in),
                        std::to_string(m.traffic.bytes_out)});
        wrapped(requests, fmt::format("{} in:  ", or_dash(m.name)), requests_text(m.traffic.requests_in));
        wrapped(requests, fmt::format("{} out: ", or_dash(m.name)), requests_text(m.traffic.requests_out));
    }
    auto meta_lines = table(meta, {false, false, true, false, true, true});
    meta_lines.insert(meta_lines.end(), requests.begin(), requests.end());
    section(out, "meta connections", meta_lines);
    return out;
}

}  // namespace sluice::daemon
