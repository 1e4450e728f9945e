// Checks a Config against the variable registry: every value by its type, variables in the
// wrong file, repeats of single-valued variables, unknown variables, and the few rules that
// tie variables together. Pure, never throws, and total on any input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/config/variables.hpp"

namespace sluice::config {

enum class Severity : std::uint8_t { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string location;  // "hosts/alpha:3", or just a file label for file-level problems
    std::string message;   // one line, no trailing period

    // "hosts/alpha:3: invalid Subnet \"198.19.0.0/33\": prefix longer than 32"
    [[nodiscard]] std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

[[nodiscard]] bool has_errors(const Diagnostics& diagnostics);

// `scope` says what `config` is:
//   Scope::server  this node's tinc.conf (+ conf.d) merged with its own hosts/NAME;
//   Scope::host    another node's hosts/NAME (server variables there are ignored by tinc);
//   Scope::both    a file of unknown role: no checks of where variables belong.
// Errors are values tinc would refuse or misread; warnings are things tinc accepts but
// that probably do not do what the author meant.
[[nodiscard]] Diagnostics validate(const Config& config, Scope scope);

}  // namespace sluice::config
