#include "tools/sluicectl/top_model.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace sluice::ctl::top {

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Worker "10" after worker "9": numbers compare as numbers, names as text.
bool name_less(const std::string& a, const std::string& b) {
    if (all_digits(a) && all_digits(b) && a.size() != b.size()) return a.size() < b.size();
    return a < b;
}

bool is_counter(ColumnKind kind) {
    return kind != ColumnKind::text;
}

std::string column_title(const Column& column, const View& view) {
    if (column.kind != ColumnKind::byte_rate) return column.title;
    return column.title + (view.bytes == ByteUnit::bits ? " bit/s" : " B/s");
}

const Section* matching(const Sample* previous, const Section& section) {
    if (previous == nullptr) return nullptr;
    for (const auto& s : previous->sections)
        if (s.key_title == section.key_title) return &s;
    return nullptr;
}

std::string cut(std::string line, std::size_t width) {
    if (width != 0 && line.size() > width) line.resize(width);
    return line;
}

void append_table(std::vector<std::string>& lines, const Section& section, const std::vector<RateRow>& rows,
                  const View& view) {
    std::vector<std::string> titles{section.key_title};
    for (const auto& c : section.columns) titles.push_back(column_title(c, view));
    std::vector<std::size_t> widths;
    for (const auto& t : titles) widths.push_back(t.size());
    for (const auto& r : rows) {
        widths[0] = std::max(widths[0], r.key.size());
        for (std::size_t i = 0; i < r.cells.size(); ++i)
            widths[i + 1] = std::max(widths[i + 1], r.cells[i].size());
    }
    auto line = [&](const std::string& key, const std::vector<std::string>& cells) {
        std::string out = fmt::format("{:<{}}", key, widths[0]);
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool left = section.columns[i].kind == ColumnKind::text;
            out += left ? fmt::format("  {:<{}}", cells[i], widths[i + 1])
                        : fmt::format("  {:>{}}", cells[i], widths[i + 1]);
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out;
    };
    lines.push_back(line(titles[0], std::vector<std::string>(titles.begin() + 1, titles.end())));
    for (const auto& r : rows) lines.push_back(line(r.key, r.cells));
    if (rows.empty()) lines.push_back("(none)");
}

}  // namespace

Row& Section::row(const std::string& key) {
    for (auto& r : rows)
        if (r.key == key) return r;
    rows.push_back(Row{key, std::vector<std::optional<std::uint64_t>>(columns.size()),
                       std::vector<std::string>(columns.size())});
    return rows.back();
}

std::optional<double> rate(std::optional<std::uint64_t> before, std::optional<std::uint64_t> now,
                           double seconds) {
    if (!before || !now || !(seconds > 0)) return std::nullopt;
    const std::uint64_t delta = *now >= *before ? *now - *before : *now;
    return static_cast<double>(delta) / seconds;
}

std::string scaled(double value) {
    if (value < 999.5) return fmt::format("{:.0f}", value);
    if (value < 999.95e3) return fmt::format("{:.1f}K", value / 1e3);
    if (value < 999.95e6) return fmt::format("{:.1f}M", value / 1e6);
    return fmt::format("{:.1f}G", value / 1e9);
}

std::vector<RateRow> rate_rows(const Section& now, const Section* previous, double seconds,
                               const View& view) {
    std::vector<RateRow> out;
    for (const auto& row : now.rows) {
        const Row* before = nullptr;
        if (previous != nullptr)
            for (const auto& p : previous->rows)
                if (p.key == row.key) before = &p;
        RateRow r{row.key, {}, 0};
        for (std::size_t i = 0; i < now.columns.size(); ++i) {
            const Column& column = now.columns[i];
            const auto value = i < row.values.size() ? row.values[i] : std::nullopt;
            if (!is_counter(column.kind)) {
                const std::string text = i < row.texts.size() ? row.texts[i] : "";
                r.cells.push_back(text.empty() ? "-" : text);
                continue;
            }
            if (!value) {
                r.cells.push_back("n/a");
                continue;
            }
            if (column.kind == ColumnKind::total) {
                r.cells.push_back(scaled(static_cast<double>(*value)));
                continue;
            }
            const auto was =
                before != nullptr && i < before->values.size() ? before->values[i] : std::nullopt;
            const auto per_second = rate(was, value, seconds);
            if (!per_second) {
                r.cells.push_back("-");
                continue;
            }
            if (column.in_total) r.total += *per_second;
            const bool bits = column.kind == ColumnKind::byte_rate && view.bytes == ByteUnit::bits;
            r.cells.push_back(scaled(bits ? *per_second * 8 : *per_second));
        }
        out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(), [&](const RateRow& a, const RateRow& b) {
        if (view.sort == SortBy::total && a.total != b.total) return a.total > b.total;
        return name_less(a.key, b.key);
    });
    return out;
}

std::vector<std::string> render(const Sample& now, const Sample* previous, const View& view,
                                std::size_t width, std::size_t height) {
    std::vector<std::string> lines;
    std::string header = fmt::format("sluice top  {}  {}  {} of {} nodes reachable  data plane {}",
                                     now.node.empty() ? "?" : now.node, now.wall_time, now.nodes_reachable,
                                     now.nodes_known, now.data_plane ? "attached" : "not attached");
    lines.push_back(header);
    lines.push_back(fmt::format("sort: {} (t total, n name)  {} (b switches)  every {}s  q quits",
                                view.sort == SortBy::total ? "total" : "name",
                                view.bytes == ByteUnit::bits ? "bit/s" : "B/s", view.delay_seconds));
    const double seconds =
        previous == nullptr ? 0 : std::chrono::duration<double>(now.at - previous->at).count();
    for (const auto& section : now.sections) {
        lines.emplace_back();
        append_table(lines, section, rate_rows(section, matching(previous, section), seconds, view), view);
    }
    for (auto& l : lines) l = cut(std::move(l), width);
    if (height != 0 && lines.size() > height) lines.resize(height);
    return lines;
}

}  // namespace sluice::ctl::top
