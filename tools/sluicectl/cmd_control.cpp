// Commands that talk to a running sluiced over its control socket: dump, info, metrics, stats, pid,
// reload, stop.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "controlplane/daemon/daemon_settings.hpp"
#include "controlplane/io/unix_socket.hpp"
#include "shared/util/text.hpp"
#include "tools/sluicectl/commands.hpp"

namespace sluice::ctl {

std::string control_socket_path(const Context& c) {
    const std::string pidfile =
        c.globals.pidfile
            ? *c.globals.pidfile
            : daemon::default_pidfile(c.globals.netname,
                                      c.globals.confdir_given
                                          ? std::optional<std::string>(c.globals.confdir.string())
                                          : std::nullopt);
    return daemon::control_socket_for(pidfile);
}

namespace {

Result<io::ControlResponse> ask(const Context& c, std::string_view request) {
    auto response = io::control_request(control_socket_path(c), request);
    if (!response) return fail(response.error());
    if (!response->ok) return fail("sluiced: {}", response->error);
    return *response;
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) return out;
        start = tab + 1;
    }
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

// Columns with typed JSON values; everything else is a string ("-" means empty/null).
std::string json_value(const std::string& column, const std::string& value) {
    if (column == "reachable" || column == "key_valid" || column == "online")
        return value == "yes" ? "true" : "false";
    if (column == "weight" || column == "worker" || column.ends_with("_packets") ||
        column.ends_with("_bytes") || column == "batches" || column == "events" || column == "injected" ||
        column == "node_id" || column.ends_with("mtu"))
        return value;
    if (value == "-") return "null";
    return json_string(value);
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], r[i].size());
        }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], widths[i]) : r[i];
        }
        fmt::print(out, "{}\n", line);
    }
}

}  // namespace

int cmd_dump(Context& c) {
    bool json = false;
    std::string what;
    for (const auto& a : c.args) {
        if (a == "--json") {
            json = true;
        } else if (what.empty()) {
            what = a;
        } else {
            fmt::print(c.err, "sluicectl dump: unexpected argument {}\n", text::quote(a));
            return exit_usage;
        }
    }
    if (what != "nodes" && what != "edges" && what != "subnets" && what != "connections" &&
        what != "workers" && what != "peers" && what != "traffic" && what != "graph") {
        fmt::print(c.err,
                   "sluicectl dump: expected nodes, edges, subnets, connections, peers, workers, traffic "
                   "or graph\n");
        return exit_usage;
    }
    if (what == "graph" && json) {
        fmt::print(c.err, "sluicectl dump graph: the graph is Graphviz DOT; --json does not apply\n");
        return exit_usage;
    }
    auto response = ask(c, "dump " + what);
    if (!response) {
        fmt::print(c.err, "sluicectl dump: {}\n", response.error().message);
        return exit_failure;
    }
    if (what == "graph") {
        for (const auto& l : response->lines) fmt::print(c.out, "{}\n", l);
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& line : response->lines) rows.push_back(split_tabs(line));
    if (rows.empty()) return exit_ok;
    if (!json) {
        print_table(c.out, rows);
        return exit_ok;
    }
    const auto& header = rows.front();
    std::string out = "[";
    for (std::size_t r = 1; r < rows.size(); ++r) {
        out += r == 1 ? "\n  {" : ",\n  {";
        for (std::size_t i = 0; i < header.size() && i < rows[r].size(); ++i) {
            if (i) out += ", ";
            out += json_string(header[i]) + ": " + json_value(header[i], rows[r][i]);
        }
        out += "}";
    }
    out += rows.size() > 1 ? "\n]\n" : "]\n";
    c.out << out;
    return exit_ok;
}

int cmd_info(Context& c) {
    if (c.args.size() != 1 || c.args[0].empty()) {
        fmt::print(c.err, "sluicectl info: expected one NODE, SUBNET or ADDRESS\n");
        return exit_usage;
    }
    const std::string& what = c.args[0];
    if (what.find_first_of("\r\n") != std::string::npos) {
        fmt::print(c.err, "sluicectl info: {} is neither a node name, a subnet nor an address\n",
                   text::quote(what));
        return exit_usage;
    }
    auto response = ask(c, "info " + what);
    if (!response) {
        fmt::print(c.err, "sluicectl info: {}\n", response.error().message);
        return exit_failure;
    }
    for (const auto& l : response->lines) fmt::print(c.out, "{}\n", l);
    return exit_ok;
}

int cmd_metrics(Context& c) {
    if (!c.args.empty()) {
        fmt::print(c.err, "sluicectl metrics: unexpected argument {}\n", text::quote(c.args[0]));
        return exit_usage;
    }
    auto response = ask(c, "metrics");
    if (!response) {
        fmt::print(c.err, "sluicectl metrics: {}\n", response.error().message);
        return exit_failure;
    }
    // Verbatim: the control socket carries the exposition line by line (dot-stuffed on the
    // wire, restored by the parser), and each line gets back the newline it ended with.
    std::string text;
    for (const auto& l : response->lines) {
        text += l;
        text += '\n';
    }
    c.out << text;
    return exit_ok;
}

int cmd_stats(Context& c) {
    bool json = false;
    for (const auto& a : c.args) {
        if (a != "--json") {
            fmt::print(c.err, "sluicectl stats: unexpected argument {}\n", text::quote(a));
            return exit_usage;
        }
        json = true;
    }
    // The daemon renders both forms (controlplane/daemon/stats_render.hpp): the JSON schema is
    // defined in one place, beside the values it describes.
    auto response = ask(c, json ? "stats json" : "stats");
    if (!response) {
        fmt::print(c.err, "sluicectl stats: {}\n", response.error().message);
        return exit_failure;
    }
    for (const auto& l : response->lines) fmt::print(c.out, "{}\n", l);
    return exit_ok;
}

int cmd_pid(Context& c) {
    auto response = ask(c, "pid");
    if (!response) {
        fmt::print(c.err, "sluicectl pid: {}\n", response.error().message);
        return exit_failure;
    }
    for (const auto& l : response->lines) fmt::print(c.out, "{}\n", l);
    return exit_ok;
}

int cmd_reload(Context& c) {
    auto response = ask(c, "reload");
    if (!response) {
        fmt::print(c.err, "sluicectl reload: {}\n", response.error().message);
        return exit_failure;
    }
    return exit_ok;
}

int cmd_stop(Context& c) {
    auto response = ask(c, "stop");
    if (!response) {
        fmt::print(c.err, "sluicectl stop: {}\n", response.error().message);
        return exit_failure;
    }
    return exit_ok;
}

}  // namespace sluice::ctl
