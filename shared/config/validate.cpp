#include "shared/config/validate.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "shared/config/values.hpp"
#include "shared/net/subnet.hpp"
#include "shared/util/text.hpp"

namespace sluice::config {

namespace {

// The reason from a parse result whose value the validator does not need.
template <typename T>
Status reason_of(const Result<T>& result) {
    if (!result) return fail(result.error());
    return {};
}

class Checker {
public:
    Checker(const Config& config, Scope scope) : config_(config), scope_(scope) {
        for (const Variable& v : variables()) {
            if (const Entry* e = config.first(v.name)) used_[&v] = e;
        }
    }

    Diagnostics run() {
        for (const Entry& entry : config_.entries()) check_entry(entry);
        if (scope_ != Scope::host) {
            check_ping();
            check_reconnect_timeouts();
        }
        check_mac_length();
        return std::move(out_);
    }

private:
    template <typename... Args>
    void add(Severity severity, const Entry& entry, fmt::format_string<Args...> format, Args&&... args) {
        out_.push_back(
            Diagnostic{severity, entry.location(), fmt::format(format, std::forward<Args>(args)...)});
    }

    // tinc only ever reads the first of a repeated single-valued variable, so a bad value in
    // a later repeat is harmless there; it is reported, but does not stop the daemon.
    Severity value_severity(const Variable& var, const Entry& entry) const {
        return (var.repeatable || used(var) == &entry) ? Severity::error : Severity::warning;
    }

    void invalid(const Variable& var, const Entry& entry, const Error& reason) {
        add(value_severity(var, entry), entry, "invalid {} {}: {}", var.name, text::quote(entry.value),
            reason.message);
    }

    void check(const Variable& var, const Entry& entry, const Status& status) {
        if (!status) invalid(var, entry, status.error());
    }

    const Entry* used(const Variable& var) const {
        auto it = used_.find(&var);
        return it == used_.end() ? nullptr : it->second;
    }

    void check_entry(const Entry& entry) {
        if (entry.variable.empty()) {
            add(Severity::warning, entry, "line has no variable name before \"=\", ignored");
            return;
        }
        const Variable* var = find_variable(entry.variable);
        if (var == nullptr) {
            add(Severity::warning, entry, "unknown variable {}, kept and ignored",
                text::quote(entry.variable));
            return;
        }
        check_placement(*var, entry);
        check_repeat(*var, entry);
        check_value(*var, entry);
    }

    void check_placement(const Variable& var, const Entry& entry) {
        if (scope_ == Scope::host && var.scope == Scope::server) {
            add(Severity::warning, entry,
                "{} is a tinc.conf variable; tinc ignores it in another node's host file", var.name);
        }
        if (scope_ == Scope::server && var.peer_only && !entry.file.starts_with("hosts/")) {
            add(Severity::warning, entry,
                "{} is ignored in {}; it belongs in hosts/NAME, where other nodes read it", var.name,
                entry.file);
        }
    }

    void check_repeat(const Variable& var, const Entry& entry) {
        const Entry* first = used(var);
        if (var.repeatable || first == nullptr || first == &entry) return;
        if (first->file == entry.file) {
            add(Severity::warning, entry, "{} repeated; the first value on line {} is used", var.name,
                first->line);
        } else {
            add(Severity::warning, entry, "{} repeated; the value at {} is used", var.name,
                first->location());
        }
    }

    void check_value(const Variable& var, const Entry& entry) {
        const std::string& value = entry.value;
        switch (var.type) {
            case ValueType::boolean:
                return check(var, entry, reason_of(parse_bool(value)));
            case ValueType::integer:
                return check_integer(var, entry);
            case ValueType::choice:
                return check(var, entry, reason_of(parse_choice(value, var.choices)));
            case ValueType::string:
                return;
            case ValueType::path:
                if (!value.starts_with('/')) {
                    add(Severity::warning, entry,
                        "{} {} is a relative path; sluice reads it relative to the configuration directory",
                        var.name, text::quote(value));
                }
                return;
            case ValueType::node_name:
                return check(var, entry, check_node_name(value));
            case ValueType::own_name:
                return check(var, entry, check_own_name(value));
            case ValueType::subnet:
                return check_subnet(var, entry);
            case ValueType::address:
                return check(var, entry, check_address(value));
            case ValueType::bind_address:
                return check(var, entry, check_bind_address(value));
            case ValueType::port:
                return check(var, entry, check_port(value));
            case ValueType::interface:
                return check(var, entry, check_interface(value));
            case ValueType::cipher:
            case ValueType::digest:
                return check_algorithm(var, entry);
            case ValueType::proxy:
                return check(var, entry, check_proxy(value));
            case ValueType::hex_key:
                return check(var, entry, check_hex(value));
            case ValueType::ed25519_public_key:
                return check(var, entry, check_ed25519_public_key(value));
            case ValueType::metrics_address:
                return check(var, entry, check_metrics_address(value));
        }
    }

    void check_integer(const Variable& var, const Entry& entry) {
        auto number = parse_tinc_int(entry.value);
        if (!number) return invalid(var, entry, number.error());
        if (auto range = check_int_range(number->value, var.min, var.max); !range) {
            return invalid(var, entry, range.error());
        }
        if (number->trailing_text) {
            add(Severity::warning, entry,
                "{} {}: the text after the number is ignored, as tinc does, so it is {}", var.name,
                text::quote(entry.value), number->value);
        }
    }

    void check_subnet(const Variable& var, const Entry& entry) {
        auto subnet = net::Subnet::parse(entry.value);
        if (!subnet) return invalid(var, entry, subnet.error());
        if (!subnet->host_bits_zero()) {
            invalid(var, entry, Error{"network address and prefix length do not match"});
        }
    }

    void check_algorithm(const Variable& var, const Entry& entry) {
        if (auto name = check_algorithm_name(entry.value); !name) return invalid(var, entry, name.error());
        const bool cipher = var.type == ValueType::cipher;
        if (cipher ? is_legacy_cipher(entry.value) : is_legacy_digest(entry.value)) {
            add(Severity::warning, entry,
                "{} {} needs OpenSSL's legacy provider, which OpenSSL 3 does not load: tinc 1.0.36 peers on "
                "OpenSSL 3 accept it but cannot use it (the default is {})",
                var.name, text::quote(entry.value), cipher ? "aes-256-cbc" : "sha256");
        }
    }

    // The value of a single-valued integer variable as tinc would use it, if it parses.
    std::optional<int> used_int(std::string_view name) const {
        const Entry* e = config_.first(name);
        if (e == nullptr) return std::nullopt;
        auto number = parse_tinc_int(e->value);
        return number ? std::optional<int>(number->value) : std::nullopt;
    }

    // tinc 1.0.36 setup_network: PingInterval < 1 means a day; PingTimeout outside
    // 1..PingInterval becomes PingInterval. Both silently; say so.
    void check_ping() {
        int interval = 60;
        if (auto i = used_int("PingInterval")) {
            interval = *i;
            if (interval < 1) {
                add(Severity::warning, *config_.first("PingInterval"),
                    "PingInterval {} is below 1, which tinc takes as 86400 seconds", interval);
                interval = 86400;
            }
        }
        if (auto t = used_int("PingTimeout"); t && (*t < 1 || *t > interval)) {
            add(Severity::warning, *config_.first("PingTimeout"),
                "PingTimeout {} is not within 1..{} (PingInterval), so {} is used", *t, interval, interval);
        }
    }

    void check_reconnect_timeouts() {
        auto min = used_int("MinTimeout");
        if (!min) return;
        int max = used_int("MaxTimeout").value_or(900);
        if (max >= 1 && *min > max) {
            add(Severity::warning, *config_.first("MinTimeout"),
                "MinTimeout {} is larger than MaxTimeout ({}), so {} is used", *min, max, max);
        }
    }

    void check_mac_length() {
        const Entry* mac = config_.first("MACLength");
        auto length = used_int("MACLength");
        // Out-of-range lengths are already reported by the range check.
        const Variable* var = find_variable("MACLength");
        if (mac == nullptr || !length || var == nullptr || !check_int_range(*length, var->min, var->max))
            return;
        const Entry* digest_entry = config_.first("Digest");
        std::string_view digest = digest_entry != nullptr ? std::string_view(digest_entry->value) : "sha256";
        auto size = digest_size(digest);
        if (size && *length > *size) {
            add(Severity::error, *mac, "invalid MACLength {}: longer than the {}-byte {} digest",
                text::quote(mac->value), *size, text::to_lower(digest));
        }
    }

    const Config& config_;
    Scope scope_;
    std::map<const Variable*, const Entry*> used_;
    Diagnostics out_;
};

}  // namespace

std::string Diagnostic::to_string() const {
    return location.empty() ? message : fmt::format("{}: {}", location, message);
}

bool has_errors(const Diagnostics& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

Diagnostics validate(const Config& config, Scope scope) {
    return Checker(config, scope).run();
}

}  // namespace sluice::config
