// sluiced's I/O shell: the event loop, sockets, timers, signals, scripts, the pid file and
// the control socket around the sans-I/O protocol core (session::MetaConnection per link,
// mesh::Mesh for the node). Everything runs on one thread, inside loop callbacks.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/daemon/daemon_settings.hpp"
#include "controlplane/daemon/service_status.hpp"
#include "controlplane/daemon/stats_report.hpp"
#include "controlplane/dataplane/link.hpp"
#include "controlplane/dataplane/tables_builder.hpp"
#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/http_server.hpp"
#include "controlplane/io/pidfile.hpp"
#include "controlplane/io/script_runner.hpp"
#include "controlplane/io/service_notify.hpp"
#include "controlplane/io/socket.hpp"
#include "controlplane/io/stream.hpp"
#include "controlplane/io/tarpit.hpp"
#include "controlplane/io/unix_socket.hpp"
#include "controlplane/mesh/mesh.hpp"
#include "controlplane/session/meta_connection.hpp"
#include "shared/config/config_dir.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/rsa_key.hpp"

namespace sluice::daemon {

struct Connection {
    mesh::ConnectionId id = 0;
    std::string host;  // numeric peer address
    std::string port;
    bool outgoing = false;
    std::string outgoing_name;  // ConnectTo name for outgoing links
    TimePoint created{};
    std::unique_ptr<io::Stream> stream;
    std::unique_ptr<session::MetaConnection> meta;
    io::TimerId auth_timer = 0;
    bool closing = false;

    [[nodiscard]] std::string label() const;
};

// One ConnectTo: the addresses to try and the back-off between rounds.
struct Outgoing {
    std::string name;
    std::vector<io::SocketAddress> candidates;
    std::size_t next_candidate = 0;
    Duration backoff{};
    io::TimerId retry_timer = 0;
    io::Fd connecting;  // the socket of a connect in progress
    io::SocketAddress connecting_to{};
    std::optional<mesh::ConnectionId> connection;
};

class Daemon {
public:
    // Loads everything and binds the sockets; a failure here is a start-up error. `notifier`
    // hears the start-up progress, READY=1 once run() has run tinc-up, and what follows.
    [[nodiscard]] static Result<std::unique_ptr<Daemon>> create(controlplane::DaemonOptions options,
                                                                io::ServiceNotifier notifier = {});
    ~Daemon();

    // Runs until SIGTERM/SIGINT or `sluicectl stop`; returns the exit code.
    int run();

    // For the control socket.
    [[nodiscard]] const mesh::Mesh& mesh() const { return *mesh_; }
    [[nodiscard]] const std::map<mesh::ConnectionId, std::unique_ptr<Connection>>& connections() const {
        return connections_;
    }
    [[nodiscard]] const DaemonSettings& settings() const { return settings_; }

private:
    Daemon() = default;

    Status start_network();
    void accept_from(std::size_t listener_index);
    mesh::ConnectionId add_connection(io::Fd fd, const io::SocketAddress& peer, bool outgoing,
                                      const std::string& outgoing_name);
    void on_readable(mesh::ConnectionId id);
    void handle_events(Connection& c, std::vector<session::Event> events);
    void apply(mesh::Actions actions);
    void flush(Connection& c);
    // `tarpit`: keep the socket open but unread, as tinc does after a failed incoming
    // handshake, so a prober gets no quick answer to retry on.
    void close_connection(mesh::ConnectionId id, const std::string& reason, bool tarpit = false);
    void reap_closed();

    void start_outgoing(const std::string& name);
    void try_next_address(Outgoing& o);
    void schedule_retry(Outgoing& o);
    void on_connect_ready(const std::string& name);

    void tick();
    void run_script(const std::string& name, std::vector<std::pair<std::string, std::string>> env, bool sync);
    void reload();
    [[nodiscard]] Status reload_configuration();
    void shutdown(const std::string& why);
    [[nodiscard]] io::ControlResponse control(std::string_view request);
    // The Prometheus exposition (`sluicectl metrics`, GET /metrics); fails only when the
    // published tables cannot be read.
    [[nodiscard]] Result<std::string> metrics_text();
    // MetricsAddress: the /metrics endpoint, when configured.
    [[nodiscard]] Status start_metrics_endpoint();
    // `stats` and `stats json` (daemon_stats.cpp).
    [[nodiscard]] io::ControlResponse stats(bool json) const;
    // The age of the key packets to a node are sealed with, for stats and metrics.
    [[nodiscard]] PeerKeyLookup peer_key_lookup() const;
    [[nodiscard]] Result<session::PeerSettings> peer_settings(const std::string& name);
    // hosts/NAME read again (config::reread_host), its cached public key dropped.
    [[nodiscard]] Status reread_host(const std::string& name);
    // SIGINT, as in tincd: debug level 5, or back to the level before.
    void toggle_debug_level();
    std::optional<int> saved_debug_level_;

    // The service manager: what to show in `systemctl status`, and failures to tell it.
    [[nodiscard]] ServiceFacts service_facts() const;
    void report(Status notified);

    // The data plane: started (or taken over) before the network, fed after every change.
    Status start_data_plane();
    // Something the tables depend on may have changed: publish at the end of this loop pass.
    void tables_changed();
    void publish_tables();

    controlplane::DaemonOptions options_;
    config::ConfigDir config_;
    DaemonSettings settings_;
    std::optional<crypto::RsaKey> private_key_;
    // By node name; dropped when its host file is read again (every new connection, reload).
    std::map<std::string, std::shared_ptr<const crypto::RsaKey>, std::less<>> public_keys_;
    crypto::SystemRandom random_;
    std::unique_ptr<io::EventLoop> loop_;
    std::unique_ptr<io::ScriptRunner> scripts_;
    std::unique_ptr<mesh::Mesh> mesh_;
    std::optional<io::PidFile> pidfile_;
    io::ServiceNotifier notifier_;
    bool notify_failed_ = false;     // logged once
    std::string last_reload_error_;  // shown in the status until a reload succeeds
    std::unique_ptr<io::ControlServer> control_;
    std::unique_ptr<io::HttpServer> metrics_http_;
    std::vector<io::Listener> listeners_;
    io::AcceptThrottle throttle_;
    io::Tarpit tarpit_;
    std::map<mesh::ConnectionId, std::unique_ptr<Connection>> connections_;
    std::vector<std::unique_ptr<Connection>> closed_;
    std::map<std::string, Outgoing> outgoing_;
    mesh::ConnectionId next_id_ = 1;
    TimePoint started_{};
    int exit_code_ = 0;
    bool stopping_ = false;
    std::uint64_t packets_dropped_queue_full_ = 0;
    std::uint64_t frames_without_device_ = 0;
    std::unique_ptr<dataplane_link::DataPlaneLink> data_plane_;
    std::unique_ptr<dataplane_link::TablesBuilder> tables_;
    std::vector<std::uint8_t> last_tables_;  // encoded, to skip publications that change nothing
    bool publish_scheduled_ = false;
    // After taking over a running sluice-dp: its tables stay until the nodes it could reach
    // are back in our mesh with fresh keys (or this deadline passes), so that a restart of
    // sluiced does not cut traffic while the meta connections re-form.
    TimePoint hold_publication_until_{};
    std::vector<std::string> held_nodes_;
};

}  // namespace sluice::daemon
