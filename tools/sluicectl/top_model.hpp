// `sluicectl top`'s model: samples of counters in, rates and screen lines out. No I/O: the
// terminal shell (cmd_top.cpp) takes the samples and writes the lines, the adapters
// (top_sources.hpp) turn control-socket tables into samples.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/util/clock.hpp"

namespace sluice::ctl::top {

// What a column shows. Rates are per second between two samples; a total is the counter as
// it stands.
enum class ColumnKind {
    text,         // a label from the source (path, reachable, ...)
    packet_rate,  // packets/s
    byte_rate,    // bits/s or bytes/s, as the display asks
    event_rate,   // other events/s (drops)
    total,        // the counter's current value
};

struct Column {
    std::string title;
    ColumnKind kind = ColumnKind::text;
    bool in_total = false;  // a byte rate that counts towards the row's total, the sort key
};

// One row of a sample: values[i] for counter columns (nullopt: the source has no such
// counter, shown as "n/a"), texts[i] for text columns; both as long as the section's columns.
struct Row {
    std::string key;  // worker index or peer name
    std::vector<std::optional<std::uint64_t>> values;
    std::vector<std::string> texts;
};

struct Section {
    std::string key_title;  // "worker", "peer"
    std::vector<Column> columns;
    std::vector<Row> rows;

    // The row for `key`, added (with empty cells) if it is not there yet.
    Row& row(const std::string& key);
};

// Everything one round of control requests said.
struct Sample {
    TimePoint at{};         // monotonic: rates divide by the distance between two samples
    std::string wall_time;  // shown in the header, e.g. "12:34:56"
    std::string node;       // this node's name ("" until known)
    std::size_t nodes_known = 0;
    std::size_t nodes_reachable = 0;  // both without this node
    bool data_plane = false;          // sluice-dp's counters were readable
    std::vector<Section> sections;    // workers, then peers
};

enum class SortBy { total, name };
enum class ByteUnit { bits, bytes };

struct View {
    SortBy sort = SortBy::total;
    ByteUnit bytes = ByteUnit::bits;
    double delay_seconds = 1;
};

// The rate of one counter between two samples `seconds` apart. A counter that went down was
// reset (a restarted sluice-dp starts from 0): its rate is the new value's, counted from 0.
// nullopt when either value is missing or no time passed.
[[nodiscard]] std::optional<double> rate(std::optional<std::uint64_t> before,
                                         std::optional<std::uint64_t> now, double seconds);

// "950", "1.2K", "34.5M", "2.0G": 1000-based, at most 6 characters below 1000G.
[[nodiscard]] std::string scaled(double value);

// A section's rows with rates: `previous` is the sample before (nullptr for the first one,
// whose rates are unknown); rows keep the order `view.sort` asks for.
struct RateRow {
    std::string key;
    std::vector<std::string> cells;  // one per column, formatted
    double total = 0;                // sum of the in_total byte rates, bytes/s
};
[[nodiscard]] std::vector<RateRow> rate_rows(const Section& now, const Section* previous, double seconds,
                                             const View& view);

// The whole screen: a header, a key help line, then each section as a table. Every line is
// at most `width` characters (cut, never wrapped; 0 means no limit) and there are at most
// `height` lines (0 means no limit).
[[nodiscard]] std::vector<std::string> render(const Sample& now, const Sample* previous, const View& view,
                                              std::size_t width, std::size_t height);

}  // namespace sluice::ctl::top
