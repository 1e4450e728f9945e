#include "tools/sluicectl/top_sources.hpp"

#include <array>
#include <charconv>

namespace sluice::ctl::top {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) return out;
        start = tab + 1;
    }
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

enum WorkerColumn : std::size_t {
    w_rx_packets,
    w_rx_bytes,
    w_tx_packets,
    w_tx_bytes,
    w_drop_rate,
    w_tun_rx_packets,
    w_tun_tx_packets,
    w_native_rx_packets,
    w_native_tx_packets,
    w_drops,
};

enum PeerColumn : std::size_t {
    p_reachable,
    p_path,
    p_native,
    p_rx_packets,
    p_rx_bytes,
    p_tx_packets,
    p_tx_bytes,
};
static_assert(p_rx_packets == peer_traffic_columns);

void merge_nodes(const Table& t, Sample& s) {
    Section& peers = s.sections[1];
    for (std::size_t r = 0; r < t.size(); ++r) {
        const std::string name = t.cell(r, "name");
        if (t.cell(r, "address") == "MYSELF") {
            s.node = name;
            continue;
        }
        const bool reachable = t.cell(r, "reachable") == "yes";
        ++s.nodes_known;
        s.nodes_reachable += reachable ? 1 : 0;
        peers.row(name).texts[p_reachable] = reachable ? "yes" : "no";
    }
}

void merge_peers(const Table& t, Sample& s) {
    Section& peers = s.sections[1];
    for (std::size_t r = 0; r < t.size(); ++r) {
        const std::string name = t.cell(r, "name");
        const std::string path = t.cell(r, "path");
        if (path == "self" || name == s.node) continue;
        Row& row = peers.row(name);
        row.texts[p_path] = path;
        const std::string native = t.cell(r, "native");
        row.texts[p_native] = native == "-" ? "" : native;
    }
}

void merge_workers(const Table& t, Sample& s) {
    s.data_plane = true;
    Section& workers = s.sections[0];
    for (std::size_t r = 0; r < t.size(); ++r) {
        Row& row = workers.row(t.cell(r, "worker"));
        row.values[w_rx_packets] = number(t.cell(r, "rx_packets"));
        row.values[w_rx_bytes] = number(t.cell(r, "rx_bytes"));
        row.values[w_tx_packets] = number(t.cell(r, "tx_packets"));
        row.values[w_tx_bytes] = number(t.cell(r, "tx_bytes"));
        row.values[w_tun_rx_packets] = number(t.cell(r, "tun_rx_packets"));
        row.values[w_tun_tx_packets] = number(t.cell(r, "tun_tx_packets"));
        row.values[w_native_rx_packets] = number(t.cell(r, "native_rx_packets"));
        row.values[w_native_tx_packets] = number(t.cell(r, "native_tx_packets"));
        row.values[w_drops] = drops_total(t.cell(r, "drops"));
        row.values[w_drop_rate] = row.values[w_drops];
    }
}

// Per-peer counters (the data plane's, summed over its workers).
void merge_traffic(const Table& t, Sample& s) {
    Section& peers = s.sections[1];
    for (std::size_t r = 0; r < t.size(); ++r) {
        const std::string name = t.cell(r, "name");
        if (name == s.node) continue;
        Row& row = peers.row(name);
        row.values[p_rx_packets] = number(t.cell(r, "rx_packets"));
        row.values[p_rx_bytes] = number(t.cell(r, "rx_bytes"));
        row.values[p_tx_packets] = number(t.cell(r, "tx_packets"));
        row.values[p_tx_bytes] = number(t.cell(r, "tx_bytes"));
    }
}

const std::array source_table{
    SourceAdapter{"dump nodes", merge_nodes},
    SourceAdapter{"dump peers", merge_peers},
    SourceAdapter{"dump workers", merge_workers},
    SourceAdapter{"dump traffic", merge_traffic},
};

}  // namespace

Table::Table(const std::vector<std::string>& lines) {
    for (const auto& l : lines) {
        if (header_.empty()) {
            header_ = split_tabs(l);
        } else {
            rows_.push_back(split_tabs(l));
        }
    }
}

std::string Table::cell(std::size_t r, std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return i < rows_[r].size() ? rows_[r][i] : std::string();
    return {};
}

std::span<const SourceAdapter> sources() {
    return source_table;
}

Sample empty_sample() {
    Sample s;
    // The columns that matter most come first: a narrow terminal cuts the last ones.
    Section workers{"worker",
                    {
                        {"rx pkt/s", ColumnKind::packet_rate, false},
                        {"rx", ColumnKind::byte_rate, true},
                        {"tx pkt/s", ColumnKind::packet_rate, false},
                        {"tx", ColumnKind::byte_rate, true},
                        {"drops/s", ColumnKind::event_rate, false},
                        {"tun rx/s", ColumnKind::packet_rate, false},
                        {"tun tx/s", ColumnKind::packet_rate, false},
                        {"native rx/s", ColumnKind::packet_rate, false},
                        {"native tx/s", ColumnKind::packet_rate, false},
                        {"drops", ColumnKind::total, false},
                    },
                    {}};
    Section peers{"peer",
                  {
                      {"reachable", ColumnKind::text, false},
                      {"path", ColumnKind::text, false},
                      {"native", ColumnKind::text, false},
                      {"rx pkt/s", ColumnKind::packet_rate, false},
                      {"rx", ColumnKind::byte_rate, true},
                      {"tx pkt/s", ColumnKind::packet_rate, false},
                      {"tx", ColumnKind::byte_rate, true},
                  },
                  {}};
    s.sections.push_back(std::move(workers));
    s.sections.push_back(std::move(peers));
    return s;
}

std::uint64_t drops_total(std::string_view drops) {
    std::uint64_t sum = 0;
    while (!drops.empty()) {
        const std::size_t comma = drops.find(',');
        const std::string_view item = drops.substr(0, comma);
        const std::size_t eq = item.find('=');
        if (eq != std::string_view::npos) sum += number(item.substr(eq + 1)).value_or(0);
        if (comma == std::string_view::npos) break;
        drops = drops.substr(comma + 1);
    }
    return sum;
}

}  // namespace sluice::ctl::top
