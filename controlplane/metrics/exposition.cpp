#include "controlplane/metrics/exposition.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace sluice::metrics {

namespace {

bool name_start(char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool name_char(char c, bool colon) {
    return name_start(c, colon) || (c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
    if (name.empty() || !name_start(name.front(), colon)) return false;
    for (char c : name)
        if (!name_char(c, colon)) return false;
    return true;
}

std::string_view type_name(MetricType type) {
    return type == MetricType::counter ? "counter" : "gauge";
}

}  // namespace

bool valid_metric_name(std::string_view name) {
    return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
    return valid_name(name, false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_value(const Value& value) {
    if (const auto* n = std::get_if<std::uint64_t>(&value)) return std::to_string(*n);
    const double d = std::get<double>(value);
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", d);
}

Family* MetricSet::find(std::string_view name) {
    for (auto& f : families_)
        if (f.name == name) return &f;
    return nullptr;
}

void MetricSet::declare(std::string_view name, std::string_view help, MetricType type) {
    if (!valid_metric_name(name)) throw std::logic_error(fmt::format("invalid metric name \"{}\"", name));
    if ((type == MetricType::counter) != name.ends_with("_total"))
        throw std::logic_error(fmt::format("{}: counters, and only counters, end in _total", name));
    if (Family* f = find(name)) {
        if (f->help != help || f->type != type)
            throw std::logic_error(fmt::format("metric {} declared twice differently", name));
        return;
    }
    families_.push_back(Family{std::string(name), std::string(help), type, {}});
}

void MetricSet::add(std::string_view name, std::vector<Label> labels, Value value) {
    Family* f = find(name);
    if (f == nullptr) throw std::logic_error(fmt::format("metric {} not declared", name));
    for (const auto& l : labels)
        if (!valid_label_name(l.name))
            throw std::logic_error(fmt::format("{}: invalid label name \"{}\"", name, l.name));
    f->samples.push_back(Sample{std::move(labels), value});
}

std::string render(const MetricSet& set) {
    std::string out;
    for (const Family& f : set.families()) {
        if (f.samples.empty()) continue;
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escape_help(f.help), f.name,
                           type_name(f.type));
        for (const Sample& s : f.samples) {
            out += f.name;
            if (!s.labels.empty()) {
                out += '{';
                for (std::size_t i = 0; i < s.labels.size(); ++i) {
                    if (i != 0) out += ',';
                    out += fmt::format("{}=\"{}\"", s.labels[i].name, escape_label_value(s.labels[i].value));
                }
                out += '}';
            }
            out += ' ';
            out += format_value(s.value);
            out += '\n';
        }
    }
    return out;
}

}  // namespace sluice::metrics
