// The registry of every configuration variable sluice reads: all of tinc 1.0.36's (as its
// tinc.conf(5) and the tincd binary's own lookups list them) plus sluice's own. The
// validator, `sluicectl`, and docs/configuration.md (checked by a test) all follow it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::config {

// Where a variable is read.
//   server: tinc.conf (tinc merges the node's own hosts/NAME into it, so it works there
//           too); ignored in another node's host file.
//   host:   describes a node, in hosts/NAME. For this node tinc.conf works as well, except
//           for `peer_only` variables that only tell others how to reach the node.
//   both:   this node's value comes from tinc.conf, and a peer's host file overrides it for
//           that peer (IndirectData, TCPOnly, ClampMSS, Weight).
enum class Scope : std::uint8_t { server, host, both };

// How far sluice supports a variable. (Not named Status: that is sluice's Result<void>.)
enum class Support : std::uint8_t {
    implemented,  // sluice acts on it
    accepted,     // read and validated for compatibility, not acted on yet
};

enum class ValueType : std::uint8_t {
    boolean,             // yes | no
    integer,             // tinc's sscanf("%d"), checked against min..max
    choice,              // one of `choices`, case-insensitive
    string,              // any text (Device, GraphDumpFile, ScriptsInterpreter)
    path,                // a file name; relative ones are resolved against the config directory
    node_name,           // [A-Za-z0-9_]+
    own_name,            // a node name, or $HOST / $VAR
    subnet,              // tinc Subnet syntax, host bits zero
    address,             // host [port]
    bind_address,        // host|* [port]
    port,                // 0..65535 or a service name
    interface,           // a network interface name
    cipher,              // an OpenSSL cipher name or none
    digest,              // an OpenSSL digest name or none
    proxy,               // type [arguments]
    hex_key,             // hexadecimal (obsolete PublicKey/PrivateKey)
    ed25519_public_key,  // base64, 32 bytes
    metrics_address,     // host:port or off
};

struct Variable {
    std::string_view name{};  // canonical spelling, as in tinc.conf(5)
    Scope scope = Scope::server;
    ValueType type = ValueType::string;
    std::string_view default_text{};  // "" when there is none
    std::string_view description{};   // one line
    Support status = Support::accepted;
    bool repeatable = false;   // may appear several times, each one used (ConnectTo, Subnet, ...)
    bool peer_only = false;    // host variable that tinc ignores in tinc.conf (Address, ...)
    bool sluice_only = false;  // not a tinc 1.0.36 variable
    int min = 0;               // integer range
    int max = 0;
    std::span<const std::string_view> choices{};  // for ValueType::choice
};

// Every variable, tinc's first in alphabetical order, then sluice's own.
[[nodiscard]] std::span<const Variable> variables();

// Case-insensitive lookup, as tinc compares variable names. nullptr when unknown.
[[nodiscard]] const Variable* find_variable(std::string_view name);

[[nodiscard]] std::string_view to_string(Scope scope);
[[nodiscard]] std::string_view to_string(Support support);
[[nodiscard]] std::string_view to_string(ValueType type);

}  // namespace sluice::config
