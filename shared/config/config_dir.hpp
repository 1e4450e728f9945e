// Loads a tinc 1.0 style configuration directory as it is:
//
//   DIR/tinc.conf            server variables (required; must set Name)
//   DIR/conf.d/*.conf        more server variables (tinc 1.0.36 reads these too)
//   DIR/hosts/NAME           one file per node, this node's included
//   DIR/hosts/NAME-up/-down  per-node scripts
//   DIR/tinc-up, tinc-down, host-up, host-down, subnet-up, subnet-down
//   DIR/rsa_key.priv, DIR/ed25519_key.priv   private keys (paths resolved, not read here)
//
// All reading goes through ConfigIo; everything else is pure.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/config/config_io.hpp"
#include "shared/config/validate.hpp"

namespace sluice::config {

// Where configurations live when no -c DIR is given; -n NETNAME selects a subdirectory.
inline constexpr std::string_view config_root = "/etc/sluice";

// "/etc/sluice/NETNAME". Like tincd, refuses names that could leave the root: empty, with
// "/" or "\", or starting with "." (which also covers "." and "..").
[[nodiscard]] Result<std::string> netname_dir(std::string_view netname);

struct Script {
    std::string name;  // as in the directory: "tinc-up", "hosts/beta-down"
    std::string path;  // full path
    bool executable = false;
};

struct ConfigDir {
    std::string directory;  // as given, without a trailing '/'
    std::string name;       // this node's name, after $HOST / $VAR expansion
    // tinc.conf, then conf.d/*.conf (sorted), then this node's hosts/NAME, as tinc merges them.
    Config server;
    // Every hosts/ file whose name is a valid node name, this node's included.
    std::map<std::string, Config, std::less<>> hosts;
    std::vector<Script> scripts;           // the scripts that exist, executable or not
    std::string private_key_file;          // PrivateKeyFile, default DIR/rsa_key.priv
    std::string ed25519_private_key_file;  // Ed25519PrivateKeyFile, default DIR/ed25519_key.priv
    // From validate() on the server config and on every other node's host file, plus the
    // loader's own (unparsable host files, ConnectTo without a host file, scripts that are
    // not executable). Locations are relative to `directory`.
    Diagnostics diagnostics;

    [[nodiscard]] const Config* host(std::string_view node) const;
    [[nodiscard]] const Script* script(std::string_view script_name) const;
};

// Fails only when the directory cannot be used at all: tinc.conf missing or unreadable, a
// syntax error in tinc.conf, conf.d or this node's own host file, or no valid Name. Problems
// with other nodes' files become diagnostics, because tinc only reads those when it
// connects to that node.
[[nodiscard]] Result<ConfigDir> load_config_dir(std::string_view directory, const ConfigIo& io = system_io());

// Reads another node's hosts/NODE again, as tincd does for every meta connection: a host
// file added or changed since the directory was loaded counts from the next connection with
// that node, without a reload. A file that is gone makes the node unknown again (removed
// from `hosts`). Fails, naming file:line, when the file cannot be read or parsed or has an
// error tinc would refuse (its warnings are logged by the loader only); `dir` is then left
// as it was. This node's own file is never reread here (it is part of the server config).
[[nodiscard]] Status reread_host(ConfigDir& dir, std::string_view node, const ConfigIo& io = system_io());

// tinc's Name expansion. "$HOST" takes the environment variable HOST, else the host name
// (cut to 31 bytes, as tinc's buffer does); "$VAR" takes the environment variable VAR. In
// an expanded name every byte that is not an ASCII letter or digit becomes '_'. Errors
// read "tinc.conf:1: invalid Name \"$FOO\": environment variable FOO does not exist".
[[nodiscard]] Result<std::string> expand_name(const Entry& name, const ConfigIo& io);

}  // namespace sluice::config
