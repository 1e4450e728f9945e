// What sluiced runs with, derived from the configuration directory and the command line.
// Pure apart from reading nothing: the ConfigDir has already been loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/daemon_options.hpp"
#include "controlplane/io/socket.hpp"
#include "controlplane/meta/legacy_key.hpp"
#include "shared/config/config_dir.hpp"
#include "shared/net/subnet.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::daemon {

struct PeerAddress {
    std::string host;
    std::string port;
};

struct DaemonSettings {
    std::string name;
    std::string netname;  // empty without -n
    std::string confdir;
    std::string pidfile;
    std::string control_socket;  // next to the pid file
    std::string logfile;         // empty: stderr (-D) or syslog
    std::string port = "655";
    io::AddressFamily address_family = io::AddressFamily::any;
    std::vector<io::BindAddress> bind_addresses;
    std::vector<std::string> connect_to;
    std::vector<net::Subnet> subnets;
    meta::LegacyKeySettings key_settings;
    std::size_t udp_cipher_key_length = 32;
    std::uint32_t options = 0;    // our ACK options before per-peer overrides
    bool tcponly_forced = false;  // DataPlane = none and no explicit TCPOnly: announced TCPOnly
    // The data plane (DataPlane, DataPlaneProgram, DataPlaneWorkers, Interface, ReplayWindow).
    std::string data_plane = "managed";  // managed | external | none
    std::string data_plane_program;
    std::string data_plane_socket;  // next to the pid file, ".dataplane" instead of ".pid"
    std::uint32_t data_plane_workers = 1;
    std::string data_plane_cpus;  // DataPlaneCPUs as "0,1,..."; empty: every CPU allowed
    std::string interface;        // empty: NETNAME, or sluice-dp's choice without a netname
    std::size_t replay_window = 16;
    Duration ping_interval = seconds(60);
    Duration ping_timeout = seconds(5);
    Duration key_expire = seconds(3600);
    Duration max_timeout = seconds(900);
    std::string scripts_interpreter;
    // MetricsAddress: where the /metrics endpoint listens; empty host: off (the default).
    std::string metrics_address;  // as configured, for messages
    std::string metrics_host;     // numeric, IPv6 without brackets
    std::string metrics_port;
};

// Paths when not given: with -n NET, /run/sluice/NET.pid (a directory of their own, which a
// service manager can make writable and nothing else in /run); with -c DIR only,
// DIR/sluiced.pid (so that several -c directories never collide); otherwise /run/sluice.pid.
// The control socket is the pid file's path with ".socket" instead of ".pid".
inline constexpr std::string_view runtime_directory = "/run/sluice";
[[nodiscard]] std::string default_pidfile(const std::optional<std::string>& netname,
                                          const std::optional<std::string>& confdir);
[[nodiscard]] std::string control_socket_for(const std::string& pidfile);
[[nodiscard]] std::string data_plane_socket_for(const std::string& pidfile);
// sluice-dp next to this sluiced (installed layout), else in the build tree's dataplane/.
[[nodiscard]] std::string default_data_plane_program();
[[nodiscard]] std::string default_logfile(const std::optional<std::string>& netname);

// "127.0.0.1:9100" -> {"127.0.0.1", "9100"}, "[2001:db8::1]:9100" -> {"2001:db8::1", "9100"};
// nullopt for "off" (any case) or a value without ":PORT". The validator has checked the rest.
[[nodiscard]] std::optional<PeerAddress> split_metrics_address(std::string_view text);

[[nodiscard]] Result<DaemonSettings> make_settings(const config::ConfigDir& dir,
                                                   const controlplane::DaemonOptions& options);

// The addresses to try for ConnectTo = NAME: every "Address = host [port]" of hosts/NAME;
// without a port, that host file's Port, else 655.
[[nodiscard]] std::vector<PeerAddress> peer_addresses(const config::ConfigDir& dir, const std::string& name);

}  // namespace sluice::daemon
