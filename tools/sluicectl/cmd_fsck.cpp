// `sluicectl fsck`: read the configuration the way sluiced will and report every problem.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "shared/config/config_dir.hpp"
#include "shared/crypto/key_files.hpp"
#include "shared/keys/node_keys.hpp"
#include "tools/sluicectl/commands.hpp"

namespace sluice::ctl {

namespace {

struct Tally {
    int errors = 0;
    int warnings = 0;
};

class Report {
public:
    Report(std::ostream& out) : out_(out) {}

    void diagnostic(const config::Diagnostic& d) {
        if (d.severity == config::Severity::error) {
            error(d.to_string());
        } else {
            warning(d.location.empty() ? d.message : fmt::format("{}: {}", d.location, d.message));
        }
    }
    // Errors read like the example: "hosts/alpha:3: invalid Subnet ...".
    void error(const std::string& line) {
        ++tally_.errors;
        fmt::print(out_, "{}\n", line);
    }
    // Warnings say so after the location, the way compilers do.
    void warning(const std::string& line) {
        ++tally_.warnings;
        auto colon = line.find(": ");
        if (colon == std::string::npos)
            fmt::print(out_, "warning: {}\n", line);
        else
            fmt::print(out_, "{}: warning: {}\n", line.substr(0, colon), line.substr(colon + 2));
    }
    void note(const std::string& line) { fmt::print(out_, "{}\n", line); }
    [[nodiscard]] const Tally& tally() const { return tally_; }

private:
    std::ostream& out_;
    Tally tally_;
};

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string s;
    for (const auto& p : parts) {
        if (!s.empty()) s += separator;
        s += p;
    }
    return s;
}

void check_own_keys(const config::ConfigDir& dir, Report& report) {
    auto own_public = keys::load_rsa_public_key(dir, dir.name);
    auto own_private = keys::load_rsa_private_key(dir);
    if (!own_private) {
        report.error(own_private.error().message);
    } else {
        if (auto w = crypto::check_private_key_permissions(dir.private_key_file))
            report.warning(fmt::format("{}: {}", keys::display_path(dir, dir.private_key_file), *w));
        if (!own_public) {
            report.error(own_public.error().message);
        } else if (!own_private->key.matches(own_public->key)) {
            report.error(fmt::format("RSA private key {} does not match the public key in {}",
                                     own_private->source, own_public->source));
        } else {
            report.note(fmt::format("RSA private key {}: {} bits, matches {}", own_private->source,
                                    own_private->key.modulus_bits(), own_public->source));
        }
    }

    auto ed_private = keys::load_ed25519_private_key(dir);
    auto ed_public = keys::load_ed25519_public_key(dir, dir.name);
    if (!ed_private) {
        report.error(ed_private.error().message);
    } else if (!ed_public) {
        report.error(ed_public.error().message);
    } else if (!*ed_private && !*ed_public) {
        report.note(
            "no Ed25519 key: this node speaks tinc's protocol only (sluicectl generate-ed25519-keys adds "
            "one)");
    } else if (!*ed_private) {
        report.error(fmt::format("hosts/{} has an Ed25519PublicKey but {} does not exist", dir.name,
                                 keys::display_path(dir, dir.ed25519_private_key_file)));
    } else if (!*ed_public) {
        report.error(fmt::format("{} exists but hosts/{} has no Ed25519PublicKey",
                                 keys::display_path(dir, dir.ed25519_private_key_file), dir.name));
    } else if (!((*ed_private)->public_key() == **ed_public)) {
        report.error(fmt::format("Ed25519 private key {} does not match the Ed25519PublicKey in hosts/{}",
                                 keys::display_path(dir, dir.ed25519_private_key_file), dir.name));
    } else {
        if (auto w = crypto::check_private_key_permissions(dir.ed25519_private_key_file))
            report.warning(fmt::format("{}: {}", keys::display_path(dir, dir.ed25519_private_key_file), *w));
        report.note(fmt::format("Ed25519 private key {}: matches hosts/{}",
                                keys::display_path(dir, dir.ed25519_private_key_file), dir.name));
    }
}

void list_peers(const config::ConfigDir& dir, Report& report) {
    if (dir.hosts.size() <= 1) {
        report.note("peers: none (copy other nodes' host files into hosts/)");
        return;
    }
    report.note("peers:");
    report.note(fmt::format("  {:<16} {:<24} {:<32} {}", "NODE", "ADDRESS", "SUBNETS", "KEYS"));
    for (const auto& [name, host] : dir.hosts) {
        if (name == dir.name) continue;
        std::vector<std::string> addresses, subnets, key_kinds;
        for (const auto* e : host.all("Address")) addresses.push_back(e->value);
        if (auto parsed = host.get_subnets()) {
            for (const auto& s : *parsed) subnets.push_back(s.to_display_string());
        }
        auto rsa = keys::load_rsa_public_key(dir, name);
        if (rsa) {
            key_kinds.push_back(fmt::format("rsa-{}", rsa->key.modulus_bits()));
        } else {
            report.warning(fmt::format("{} (sluiced will refuse this peer)", rsa.error().message));
        }
        auto ed = keys::load_ed25519_public_key(dir, name);
        if (!ed) {
            report.error(ed.error().message);
        } else if (*ed) {
            key_kinds.emplace_back("ed25519");
        }
        report.note(fmt::format(
            "  {:<16} {:<24} {:<32} {}", name, addresses.empty() ? "-" : join(addresses, ", "),
            subnets.empty() ? "-" : join(subnets, " "), key_kinds.empty() ? "none" : join(key_kinds, ", ")));
    }
}

}  // namespace

int cmd_fsck(Context& c) {
    if (!c.args.empty()) {
        fmt::print(c.err, "sluicectl fsck: takes no arguments (see sluicectl fsck --help)\n");
        return exit_usage;
    }
    auto dir = config::load_config_dir(c.globals.confdir.string());
    if (!dir) {
        fmt::print(c.err, "sluicectl fsck: {}\n", dir.error().message);
        return exit_failure;
    }
    Report report(c.out);
    report.note(fmt::format("configuration {} for node {}", dir->directory, dir->name));
    for (const auto& d : dir->diagnostics) report.diagnostic(d);
    check_own_keys(*dir, report);
    list_peers(*dir, report);
    if (!dir->scripts.empty()) {
        std::vector<std::string> names;
        for (const auto& s : dir->scripts) names.push_back(s.name);
        report.note(fmt::format("scripts: {}", join(names, ", ")));
    }
    const Tally& t = report.tally();
    report.note(fmt::format("{} error{}, {} warning{}", t.errors, t.errors == 1 ? "" : "s", t.warnings,
                            t.warnings == 1 ? "" : "s"));
    return t.errors == 0 ? exit_ok : exit_failure;
}

}  // namespace sluice::ctl
