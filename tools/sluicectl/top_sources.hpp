// Where `sluicectl top`'s numbers come from: one adapter per control request, each merging
// that request's table into a top::Sample. Pure: the shell sends the requests and hands the
// answers over. Per-peer packets and bytes come from `dump traffic` (the data plane's per-peer
// counters); a daemon without a data plane shows "n/a" there.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/sluicectl/top_model.hpp"

namespace sluice::ctl::top {

// A control-socket table: the first line names the columns, every line is tab-separated.
class Table {
public:
    explicit Table(const std::vector<std::string>& lines);
    [[nodiscard]] std::size_t size() const { return rows_.size(); }
    // Row r's cell in column `name`; "" when there is no such column ("-" stays "-").
    [[nodiscard]] std::string cell(std::size_t r, std::string_view name) const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

struct SourceAdapter {
    std::string_view request;  // the control request, e.g. "dump workers"
    // Merges the answer into the sample. Not called when the request failed (no data plane).
    void (*merge)(const Table& table, Sample& sample);
};

// The requests, in the order they are asked: nodes first (it names this node).
[[nodiscard]] std::span<const SourceAdapter> sources();

// A sample with the workers and peers sections and their columns, no rows yet.
[[nodiscard]] Sample empty_sample();

// The peers section's traffic columns (in the order of its columns from this index on): rx
// packets, rx bytes, tx packets, tx bytes. An adapter for per-peer counters sets these values.
inline constexpr std::size_t peer_traffic_columns = 3;

// The sum of "reason=count,reason=count" as `dump workers` lists drops ("-": none).
[[nodiscard]] std::uint64_t drops_total(std::string_view drops);

}  // namespace sluice::ctl::top
