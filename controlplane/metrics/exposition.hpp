// Prometheus' text exposition format (version 0.0.4), pure: metric families in, text out.
//
// A MetricSet collects samples by family; the families are rendered in the order they were
// first declared and each family's samples in the order they were added, so the same state
// always gives the same text and a family's samples always stay together, whichever order
// the producer visits them in. Names and label names are checked when a family is declared or
// a sample added: a bad name is a programmer error (std::logic_error), not an input error.
//
//   # HELP sluice_worker_rx_packets_total UDP datagrams received from peers.
//   # TYPE sluice_worker_rx_packets_total counter
//   sluice_worker_rx_packets_total{worker="0"} 42
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::metrics {

enum class MetricType { counter, gauge };

struct Label {
    std::string name;
    std::string value;
    bool operator==(const Label&) const = default;
};

// Counters are exact integers (a double loses them past 2^53); gauges may be fractional.
using Value = std::variant<std::uint64_t, double>;

struct Sample {
    std::vector<Label> labels;
    Value value;
};

struct Family {
    std::string name;
    std::string help;
    MetricType type = MetricType::gauge;
    std::vector<Sample> samples;
};

class MetricSet {
public:
    // Declares a family (idempotent when name, help and type agree). Counters must end in
    // "_total", and no family may end in "_total" unless it is a counter.
    void declare(std::string_view name, std::string_view help, MetricType type);
    // Adds one sample to a declared family.
    void add(std::string_view name, std::vector<Label> labels, Value value);

    [[nodiscard]] const std::vector<Family>& families() const { return families_; }

private:
    [[nodiscard]] Family* find(std::string_view name);
    std::vector<Family> families_;
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
[[nodiscard]] bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
[[nodiscard]] bool valid_label_name(std::string_view name);

// Label values: backslash, double quote and newline escaped as \\, \" and \n.
[[nodiscard]] std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped.
[[nodiscard]] std::string escape_help(std::string_view help);
// Integers as digits; doubles in their shortest exact form, NaN, +Inf or -Inf.
[[nodiscard]] std::string format_value(const Value& value);

// The whole exposition, each line ending in "\n". Families without samples are left out.
[[nodiscard]] std::string render(const MetricSet& set);

}  // namespace sluice::metrics
