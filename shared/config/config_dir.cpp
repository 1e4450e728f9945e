#include "shared/config/config_dir.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "shared/util/text.hpp"

namespace sluice::config {

namespace {

// The scripts tinc 1.0.36 runs from the top of the configuration directory.
constexpr std::array<std::string_view, 6> top_level_scripts = {"tinc-up",   "tinc-down", "host-up",
                                                               "host-down", "subnet-up", "subnet-down"};

constexpr bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string join(std::string_view directory, std::string_view name) {
    return fmt::format("{}/{}", directory, name);
}

// "hosts/beta:3: reason" -> {"hosts/beta:3", "reason"}, so a parse error of another node's
// file becomes a diagnostic with the same one-line text.
Diagnostic diagnostic_from(Severity severity, std::string_view label, const Error& error) {
    std::string_view message = error.message;
    if (message.starts_with(label) && message.substr(label.size()).starts_with(':')) {
        size_t split = message.find(": ", label.size());
        if (split != std::string_view::npos) {
            return Diagnostic{severity, std::string(message.substr(0, split)),
                              std::string(message.substr(split + 2))};
        }
    }
    return Diagnostic{severity, std::string(label), std::string(message)};
}

// Reads and parses one file; nullopt when it does not exist.
Result<std::optional<std::vector<Entry>>> read_entries(const ConfigIo& io, std::string_view directory,
                                                       const std::string& label) {
    auto text = io.read_file(join(directory, label));
    if (!text) return fail(text.error());
    if (!*text) return std::optional<std::vector<Entry>>();
    auto entries = parse(**text, label);
    if (!entries) return fail(entries.error());
    return std::optional<std::vector<Entry>>(std::move(*entries));
}

Result<std::vector<std::string>> sorted_listing(const ConfigIo& io, const std::string& path) {
    auto listing = io.list_directory(path);
    if (!listing) return fail(listing.error());
    std::vector<std::string> names = listing->value_or(std::vector<std::string>{});
    std::sort(names.begin(), names.end());
    return names;
}

// tinc reads conf.d/*.conf in readdir order; sorting makes sluice's order reproducible.
Status load_conf_d(const ConfigIo& io, ConfigDir& out) {
    auto names = sorted_listing(io, join(out.directory, "conf.d"));
    if (!names) return fail(names.error());
    for (const std::string& name : *names) {
        if (name.size() <= 5 || !name.ends_with(".conf")) continue;
        auto entries = read_entries(io, out.directory, "conf.d/" + name);
        if (!entries) return fail(entries.error());
        if (*entries) out.server.add(std::move(**entries));
    }
    return {};
}

void add_script(const ConfigIo& io, ConfigDir& out, std::string name) {
    std::string path = join(out.directory, name);
    FileStatus status = io.status(path);
    if (!status.exists) return;
    if (!status.executable) {
        out.diagnostics.push_back(
            Diagnostic{Severity::warning, name, "script exists but is not executable, so it cannot run"});
    }
    out.scripts.push_back(Script{std::move(name), std::move(path), status.executable});
}

// "NAME-up" or "NAME-down" for a valid node NAME: a per-node script, not a host file.
bool is_host_script(std::string_view file) {
    for (std::string_view suffix : {std::string_view("-up"), std::string_view("-down")}) {
        if (file.ends_with(suffix) && text::is_valid_node_name(file.substr(0, file.size() - suffix.size())))
            return true;
    }
    return false;
}

void load_hosts(const ConfigIo& io, ConfigDir& out) {
    const std::string hosts_dir = join(out.directory, "hosts");
    auto listing = io.list_directory(hosts_dir);
    if (!listing) {
        out.diagnostics.push_back(Diagnostic{Severity::error, "hosts", listing.error().message});
        return;
    }
    if (!*listing) {
        out.diagnostics.push_back(Diagnostic{Severity::warning, "hosts", "directory does not exist"});
        return;
    }
    std::vector<std::string> names = std::move(**listing);
    std::sort(names.begin(), names.end());
    for (const std::string& file : names) {
        const std::string label = "hosts/" + file;
        if (is_host_script(file)) {
            add_script(io, out, label);
            continue;
        }
        // Editor backups ("alpha~", "alpha.orig") and anything else tinc could never look up.
        if (!text::is_valid_node_name(file) || file == out.name) continue;
        if (!io.status(join(out.directory, label)).regular) {
            out.diagnostics.push_back(Diagnostic{Severity::warning, label, "not a regular file, ignored"});
            continue;
        }
        auto entries = read_entries(io, out.directory, label);
        if (!entries) {
            out.diagnostics.push_back(diagnostic_from(Severity::error, label, entries.error()));
            continue;
        }
        if (*entries) out.hosts.emplace(file, Config(std::move(**entries)));
    }
}

std::string key_file(const ConfigDir& out, std::string_view variable, std::string_view default_name) {
    const Entry* e = out.server.first(variable);
    if (e == nullptr) return join(out.directory, default_name);
    return e->value.starts_with('/') ? e->value : join(out.directory, e->value);
}

void check_connect_to(ConfigDir& out) {
    for (const Entry* e : out.server.all("ConnectTo")) {
        if (!text::is_valid_node_name(e->value)) continue;  // validate() reports it
        if (e->value == out.name) {
            out.diagnostics.push_back(
                Diagnostic{Severity::warning, e->location(), "ConnectTo names this node itself"});
        } else if (!out.hosts.contains(e->value)) {
            out.diagnostics.push_back(
                Diagnostic{Severity::warning, e->location(),
                           fmt::format("ConnectTo {}: there is no hosts/{} file to connect with",
                                       text::quote(e->value), e->value)});
        } else if (out.host(e->value)->first("Address") == nullptr) {
            // tincd tries again and again, logging that it has no address; say it up front.
            out.diagnostics.push_back(
                Diagnostic{Severity::warning, e->location(),
                           fmt::format("ConnectTo {}: hosts/{} has no Address to connect to",
                                       text::quote(e->value), e->value)});
        }
    }
}

}  // namespace

Result<std::string> netname_dir(std::string_view netname) {
    const std::string quoted = text::quote(netname);
    if (netname.empty()) return fail("invalid netname {}: empty", quoted);
    if (netname.find_first_of("/\\") != std::string_view::npos) {
        return fail("invalid netname {}: must not contain \"/\" or \"\\\"", quoted);
    }
    if (netname.front() == '.') return fail("invalid netname {}: must not start with \".\"", quoted);
    if (std::any_of(netname.begin(), netname.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        return fail("invalid netname {}: control character", quoted);
    }
    return join(config_root, netname);
}

Result<std::string> expand_name(const Entry& name, const ConfigIo& io) {
    auto invalid = [&](std::string_view reason) {
        return fail("{}: invalid Name {}: {}", name.location(), text::quote(name.value), reason);
    };
    std::string_view value = name.value;
    if (!value.starts_with('$')) {
        if (!text::is_valid_node_name(value))
            return invalid("node names may only contain letters, digits and \"_\"");
        return std::string(value);
    }
    const std::string variable(value.substr(1));
    if (variable.empty()) return invalid("\"$\" must be followed by an environment variable name");
    std::string expanded;
    if (auto env = io.environment(variable)) {
        expanded = *env;
    } else if (variable == "HOST") {
        auto host = io.hostname();
        if (!host) return invalid(fmt::format("cannot get the host name: {}", host.error().message));
        expanded = host->substr(0, 31);
    } else {
        return invalid(fmt::format("environment variable {} does not exist", variable));
    }
    if (expanded.empty())
        return invalid(fmt::format("{} is empty", variable == "HOST" ? "the host name" : variable));
    std::replace_if(
        expanded.begin(), expanded.end(), [](char c) { return !is_ascii_alnum(c); }, '_');
    return expanded;
}

const Config* ConfigDir::host(std::string_view node) const {
    auto it = hosts.find(node);
    return it == hosts.end() ? nullptr : &it->second;
}

const Script* ConfigDir::script(std::string_view script_name) const {
    auto it =
        std::find_if(scripts.begin(), scripts.end(), [&](const Script& s) { return s.name == script_name; });
    return it == scripts.end() ? nullptr : &*it;
}

Result<ConfigDir> load_config_dir(std::string_view directory, const ConfigIo& io) {
    ConfigDir out;
    out.directory = std::string(directory);
    while (out.directory.size() > 1 && out.directory.ends_with('/')) out.directory.pop_back();

    auto main = read_entries(io, out.directory, "tinc.conf");
    if (!main) return fail(main.error());
    if (!*main) {
        return fail("{} does not exist; a configuration directory needs tinc.conf with \"Name = NODE\"",
                    join(out.directory, "tinc.conf"));
    }
    out.server.add(std::move(**main));
    if (auto conf_d = load_conf_d(io, out); !conf_d) return fail(conf_d.error());

    // Like tinc, Name comes from tinc.conf (and conf.d) only: the host file it selects
    // cannot be the one that names it.
    const Entry* name_entry = out.server.first("Name");
    if (name_entry == nullptr) return fail("tinc.conf: Name is not set; add \"Name = NODE\"");
    auto name = expand_name(*name_entry, io);
    if (!name) return fail(name.error());
    out.name = std::move(*name);

    const std::string own_label = "hosts/" + out.name;
    auto own = read_entries(io, out.directory, own_label);
    if (!own) return fail(own.error());
    if (*own) {
        out.hosts.emplace(out.name, Config(**own));
        out.server.add(std::move(**own));
    } else {
        out.diagnostics.push_back(
            Diagnostic{Severity::warning, own_label,
                       "this node's host file does not exist; other nodes need a copy of it"});
    }

    load_hosts(io, out);
    for (std::string_view script : top_level_scripts) add_script(io, out, std::string(script));

    out.private_key_file = key_file(out, "PrivateKeyFile", "rsa_key.priv");
    out.ed25519_private_key_file = key_file(out, "Ed25519PrivateKeyFile", "ed25519_key.priv");

    Diagnostics server = validate(out.server, Scope::server);
    out.diagnostics.insert(out.diagnostics.begin(), server.begin(), server.end());
    for (const auto& [node, config] : out.hosts) {
        if (node == out.name) continue;
        Diagnostics host = validate(config, Scope::host);
        out.diagnostics.insert(out.diagnostics.end(), host.begin(), host.end());
    }
    check_connect_to(out);
    return out;
}

Status reread_host(ConfigDir& dir, std::string_view node, const ConfigIo& io) {
    if (node == dir.name) return {};
    if (!text::is_valid_node_name(node)) return fail("invalid node name \"{}\"", node);
    const std::string label = "hosts/" + std::string(node);
    auto entries = read_entries(io, dir.directory, label);
    if (!entries) return fail("{}", diagnostic_from(Severity::error, label, entries.error()).to_string());
    if (!*entries) {
        if (auto it = dir.hosts.find(node); it != dir.hosts.end()) dir.hosts.erase(it);
        return {};
    }
    Config fresh(std::move(**entries));
    for (const Diagnostic& d : validate(fresh, Scope::host))
        if (d.severity == Severity::error) return fail("{}", d.to_string());
    dir.hosts.insert_or_assign(std::string(node), std::move(fresh));
    return {};
}

}  // namespace sluice::config
