#include "controlplane/daemon/daemon.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"
#include "shared/keys/node_keys.hpp"
#include "shared/log/log.hpp"
#include "shared/version.hpp"

namespace sluice::daemon {

using log::Level;

std::string Connection::label() const {
    const std::string who = meta && !meta->peer_name().empty() ? meta->peer_name()
                            : !outgoing_name.empty()           ? outgoing_name
                                                               : std::string("<unknown>");
    return fmt::format("{} ({} port {})", who, host, port);
}

Result<std::unique_ptr<Daemon>> Daemon::create(controlplane::DaemonOptions options,
                                               io::ServiceNotifier notifier) {
    std::unique_ptr<Daemon> d(new Daemon());
    d->options_ = options;
    d->notifier_ = std::move(notifier);
    std::string confdir = options.confdir.value_or("");
    if (confdir.empty()) {
        if (options.netname) {
            auto dir = config::netname_dir(*options.netname);
            if (!dir) return fail(dir.error());
            confdir = *dir;
        } else {
            confdir = std::string(config::config_root);
        }
    }
    auto loaded = config::load_config_dir(confdir);
    if (!loaded) return fail(loaded.error());
    d->config_ = std::move(*loaded);
    bool errors = false;
    for (const auto& diag : d->config_.diagnostics) {
        if (diag.severity == config::Severity::error) {
            log::error("{}", diag.to_string());
            errors = true;
        } else {
            log::warn("{}", diag.to_string());
        }
    }
    if (errors) return fail("configuration errors in {} (see above; sluicectl fsck lists them too)", confdir);

    auto settings = make_settings(d->config_, options);
    if (!settings) return fail(settings.error());
    d->settings_ = std::move(*settings);
    // First, before the data plane and the scripts log anything of their own.
    log::info("sluiced {} ({}) starting, debug level {}", version, d->settings_.name, log::debug_level());

    auto key = keys::load_rsa_private_key(d->config_);
    if (!key) return fail(key.error());
    d->private_key_.emplace(std::move(key->key));

    auto loop = io::EventLoop::create();
    if (!loop) return fail(loop.error());
    d->loop_ = std::move(*loop);
    d->started_ = d->loop_->now();

    mesh::MeshSettings ms;
    ms.self_name = d->settings_.name;
    ms.own_subnets = d->settings_.subnets;
    ms.key_settings = d->settings_.key_settings;
    ms.ping_interval = d->settings_.ping_interval;
    ms.ping_timeout = d->settings_.ping_timeout;
    ms.key_expire = d->settings_.key_expire;
    // sluice's native key exchange, when this node has an Ed25519 key and a data plane to use
    // the sessions (docs/protocol.md). Without one it relays SLUICE-KX1 like tinc.
    if (d->settings_.data_plane != "none") {
        auto ed = keys::load_ed25519_private_key(d->config_);
        if (!ed) return fail(ed.error());
        if (*ed) {
            ms.native.key = std::make_shared<const crypto::Ed25519KeyPair>(std::move(**ed));
            const config::ConfigDir* dir = &d->config_;
            ms.native.public_key = [dir](std::string_view node) {
                return keys::find_ed25519_public_key(*dir, node);
            };
            ms.native.lanes = d->settings_.data_plane_workers;
            // KeyExpire below the protocol's 120 s renews native sessions as often as legacy keys.
            ms.native.rekey_after = std::min<Duration>(d->settings_.key_expire, native::kx_rekey_after_time);
        } else {
            log::info(
                "No Ed25519 private key: native sessions with sluice nodes are off (sluicectl "
                "generate-ed25519-keys)");
        }
    }
    d->mesh_ = std::make_unique<mesh::Mesh>(ms, d->random_);
    d->scripts_ = std::make_unique<io::ScriptRunner>(
        *d->loop_,
        io::ScriptRunnerOptions{d->config_.directory, d->settings_.scripts_interpreter, seconds(60)});

    if (options.netname && !options.pidfile) {
        // Made by the service manager (RuntimeDirectory=) under systemd; by us otherwise.
        const std::string dir(runtime_directory);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return fail("cannot create {}: {}", dir, std::strerror(errno));
    }
    auto pid = io::PidFile::create(d->settings_.pidfile);
    if (!pid) return fail(pid.error());
    d->pidfile_.emplace(std::move(*pid));
    Daemon* self = d.get();
    auto control =
        io::ControlServer::listen(*d->loop_, d->settings_.control_socket,
                                  [self](std::string_view request) { return self->control(request); });
    if (!control) return fail(control.error());
    d->control_ = std::move(*control);
    if (auto s = d->start_metrics_endpoint(); !s) return fail(s.error());

    if (d->settings_.data_plane == "external") {
        d->report(d->notifier_.status(fmt::format("Waiting for sluice-dp on {} (DataPlane = external)",
                                                  d->settings_.data_plane_socket)));
    } else if (d->settings_.data_plane == "managed") {
        d->report(d->notifier_.status("Starting the data plane (sluice-dp)"));
    }
    if (auto s = d->start_data_plane(); !s) return fail(s.error());
    if (auto s = d->start_network(); !s) return fail(s.error());
    return d;
}

Daemon::~Daemon() {
    connections_.clear();
    closed_.clear();
}

Status Daemon::start_network() {
    io::ListenOptions lo;
    lo.family = settings_.address_family;
    lo.port = settings_.port;
    lo.bind_addresses = settings_.bind_addresses;
    auto listening = io::open_tcp_listeners(lo);
    if (!listening) return fail(listening.error());
    for (const auto& skipped : listening->skipped) log::warn("{}", skipped.message);
    listeners_ = std::move(listening->listeners);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        log::at(Level::connections, "Listening on {}", io::format_address(listeners_[i].address));
        if (auto s = loop_->add(listeners_[i].fd.get(), io::Interest::read,
                                [this, i](io::IoEvents) { accept_from(i); });
            !s)
            return s;
    }
    return {};
}

int Daemon::run() {
    // tincd 1.0.36's signals: TERM and QUIT stop, INT toggles debug level 5, HUP reloads,
    // ALRM retries the outgoing connections.
    for (int signo : {SIGTERM, SIGQUIT}) {
        (void)loop_->on_signal(signo, [this, signo](int) {
            shutdown(signo == SIGTERM ? "Got TERM signal" : "Got QUIT signal");
        });
    }
    (void)loop_->on_signal(SIGINT, [this](int) { toggle_debug_level(); });
    (void)loop_->on_signal(SIGHUP, [this](int) { reload(); });
    (void)loop_->on_signal(SIGALRM, [this](int) {
        log::at(Level::connections, "Got ALRM signal: retrying outgoing connections now");
        for (auto& [name, o] : outgoing_)
            if (!o.connection && !o.connecting) try_next_address(o);
    });
    std::signal(SIGPIPE, SIG_IGN);

    if (settings_.tcponly_forced) {
        log::info("DataPlane = none: announcing TCPOnly, so peers send this node PACKETs over TCP");
    } else if (!data_plane_ && !(settings_.options & protocol::option_tcponly)) {
        log::warn("TCPOnly = no, but DataPlane = none: UDP that peers send to this node is not read");
    }
    publish_tables();
    report(notifier_.status("Running tinc-up"));
    run_script("tinc-up", {}, /*sync=*/true);
    apply(mesh_->start());
    for (const auto& name : settings_.connect_to) start_outgoing(name);
    loop_->add_periodic(seconds(1), [this] { tick(); });
    log::info("Ready");
    // Ready means: the configuration is read, the device exists (the data plane attached
    // before the listeners opened) and tinc-up has configured it, the meta-protocol
    // listeners and the control socket are open, and the loop answers both from here on.
    // Units ordered after this one may bind to the overlay addresses tinc-up set. Peers
    // being reachable is not part of it: they may be down for reasons of their own.
    report(notifier_.ready(running_status(service_facts())));

    if (auto s = loop_->run(); !s) {
        log::error("event loop failed: {}", s.error().message);
        return 1;
    }
    return exit_code_;
}

// ---- connections ---------------------------------------------------------------------------

void Daemon::accept_from(std::size_t index) {
    for (;;) {
        auto accepted = io::accept_connection(listeners_[index]);
        if (!accepted) {
            log::error("{}", accepted.error().message);
            return;
        }
        if (!*accepted) return;
        auto& a = **accepted;
        if (!throttle_.admit(a.peer, loop_->now())) {
            log::at(Level::connections, "Tarpitting connection from {}: too many connections",
                    io::format_address(a.peer));
            tarpit_.hold(std::move(a.fd));
            continue;
        }
        const mesh::ConnectionId id = add_connection(std::move(a.fd), a.peer, false, "");
        if (id != 0) log::at(Level::connections, "Connection from {}", connections_.at(id)->label());
    }
}

mesh::ConnectionId Daemon::add_connection(io::Fd fd, const io::SocketAddress& peer, bool outgoing,
                                          const std::string& outgoing_name) {
    const mesh::ConnectionId id = next_id_++;
    auto c = std::make_unique<Connection>();
    c->id = id;
    const auto hp = io::numeric_host_port(peer.get());
    c->host = hp.host;
    c->port = hp.port;
    c->outgoing = outgoing;
    c->outgoing_name = outgoing_name;
    c->created = loop_->now();
    io::StreamCallbacks callbacks;
    callbacks.readable = [this, id] { on_readable(id); };
    callbacks.failed = [this, id](const Error& e) { close_connection(id, e.message); };
    auto stream = io::Stream::create(*loop_, std::move(fd), io::StreamOptions{c->label()}, callbacks);
    if (!stream) {
        log::error("{}", stream.error().message);
        return 0;
    }
    c->stream = std::move(*stream);
    session::LocalIdentity identity{settings_.name, &*private_key_, settings_.port,
                                    static_cast<int>(settings_.udp_cipher_key_length), settings_.options};
    c->meta = std::make_unique<session::MetaConnection>(
        outgoing ? session::Role::outgoing : session::Role::incoming, identity,
        outgoing ? std::optional<std::string>(outgoing_name) : std::nullopt,
        [this](const std::string& name) { return peer_settings(name); }, random_, c->created);
    c->auth_timer =
        loop_->add_timer(c->created + std::max(settings_.ping_timeout, Duration(seconds(5))), [this, id] {
            auto it = connections_.find(id);
            if (it != connections_.end() && !it->second->meta->active())
                close_connection(id, "timeout during authentication", /*tarpit=*/true);
        });
    Connection& ref = *c;
    connections_.emplace(id, std::move(c));
    if (outgoing) {
        ref.meta->start(loop_->now());
        flush(ref);
    }
    return id;
}

Result<session::PeerSettings> Daemon::peer_settings(const std::string& name) {
    // Like tincd, the peer's host file (and the public key in it) is read for every
    // connection: a node whose file was added or changed after start needs no reload.
    if (auto fresh = reread_host(name); !fresh) return fail("Peer {}: {}", name, fresh.error().message);
    if (config_.host(name) == nullptr) return fail("Peer {} had unknown identity (no hosts/{})", name, name);
    auto cached = public_keys_.find(name);
    if (cached == public_keys_.end()) {
        auto key = keys::load_rsa_public_key(config_, name);
        if (!key) return fail("No public key for {}: {}", name, key.error().message);
        cached =
            public_keys_.emplace(name, std::make_shared<const crypto::RsaKey>(std::move(key->key))).first;
    }
    session::PeerSettings ps;
    ps.public_key = cached->second;
    const config::Config& host = *config_.host(name);
    if (auto w = host.get_int("Weight", -1, -1, 1 << 30); w && *w >= 0) ps.weight = *w;
    if (auto v = host.get_bool("IndirectData", false); v && *v) ps.extra_options |= protocol::option_indirect;
    if (auto v = host.get_bool("TCPOnly", false); v && *v)
        ps.extra_options |= protocol::option_tcponly | protocol::option_indirect;
    if (auto v = host.get_bool("ClampMSS", true); v && !*v) ps.cleared_options |= protocol::option_clamp_mss;
    if (auto v = host.get_bool("PMTUDiscovery", true); v && !*v)
        ps.cleared_options |= protocol::option_pmtu_discovery;
    return ps;
}

void Daemon::on_readable(mesh::ConnectionId id) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->closing) return;
    Connection& c = *it->second;
    bool keep_going = true;
    auto status = c.stream->read_available([&](std::span<const std::uint8_t> bytes) {
        handle_events(c, c.meta->receive(bytes, loop_->now()));
        keep_going = !c.closing;
        return keep_going;
    });
    if (!keep_going) return;
    if (!status) {
        close_connection(id, status.error().message);
    } else if (*status == io::ReadStatus::eof) {
        close_connection(id, "connection closed by peer");
    }
}

void Daemon::handle_events(Connection& c, std::vector<session::Event> events) {
    for (auto& event : events) {
        if (c.closing) return;
        if (auto* a = std::get_if<session::Activated>(&event)) {
            loop_->cancel_timer(c.auth_timer);
            if (c.outgoing) {
                if (auto o = outgoing_.find(c.outgoing_name); o != outgoing_.end()) {
                    o->second.backoff = Duration::zero();
                    o->second.connection = c.id;
                }
            }
            apply(mesh_->connection_activated(c.id, *a, c.host, c.outgoing, loop_->now()));
        } else if (auto* r = std::get_if<session::ReceivedRequest>(&event)) {
            log::at(Level::request_lines, "Got {} from {}: {}",
                    protocol::request_name(protocol::type_of(r->request)), c.label(), r->line);
            apply(mesh_->request_received(c.id, *r, loop_->now()));
        } else if (auto* p = std::get_if<session::ReceivedPacket>(&event)) {
            apply(mesh_->packet_received(c.id, p->frame));
        } else if (auto* closed = std::get_if<session::Closed>(&event)) {
            // A peer broke the protocol or failed authentication: always worth a log line.
            if (!closed->tarpit) log::warn("Closing connection with {}: {}", c.label(), closed->reason);
            close_connection(c.id, closed->reason, closed->tarpit);
            return;
        }
    }
    flush(c);
}

void Daemon::flush(Connection& c) {
    if (c.closing) return;
    auto bytes = c.meta->take_output();
    if (!bytes.empty()) c.stream->queue(bytes);
}

void Daemon::apply(mesh::Actions actions) {
    // Whatever the mesh did (requests, keys, reachability) may change what the data plane
    // needs; publish_tables() skips the publication when the tables came out the same.
    tables_changed();
    for (auto& action : actions) {
        std::visit(
            [&](auto& a) {
                using T = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<T, mesh::SendLine>) {
                    auto it = connections_.find(a.to);
                    if (it == connections_.end() || it->second->closing) return;
                    log::at(Level::request_lines, "Sending to {}: {}", it->second->label(), a.line);
                    if (auto s = it->second->meta->send_line(a.line); !s)
                        log::error("Cannot send to {}: {}", it->second->label(), s.error().message);
                    flush(*it->second);
                } else if constexpr (std::is_same_v<T, mesh::SendPacket>) {
                    auto it = connections_.find(a.to);
                    if (it == connections_.end() || it->second->closing) return;
                    // Decide before encrypting: the meta cipher is one continuous stream,
                    // so bytes cannot be dropped once they are encrypted.
                    if (it->second->stream->queued() > io::default_max_output_buffer / 2) {
                        ++packets_dropped_queue_full_;
                        return;
                    }
                    if (auto s = it->second->meta->send_packet(a.frame); !s)
                        log::at(Level::traffic, "Cannot send PACKET to {}: {}", it->second->label(),
                                s.error().message);
                    flush(*it->second);
                } else if constexpr (std::is_same_v<T, mesh::CloseConnection>) {
                    close_connection(a.id, a.reason);
                } else if constexpr (std::is_same_v<T, mesh::RunScript>) {
                    run_script(a.script, a.environment, false);
                } else if constexpr (std::is_same_v<T, mesh::DeliverFrame>) {
                    if (data_plane_) {
                        data_plane_->inject(a.frame);
                    } else {
                        ++frames_without_device_;  // DataPlane = none: no device to write to
                    }
                }
            },
            action);
    }
}

void Daemon::close_connection(mesh::ConnectionId id, const std::string& reason, bool tarpit) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->closing) return;
    Connection& c = *it->second;
    c.closing = true;
    loop_->cancel_timer(c.auth_timer);
    if (tarpit && !c.outgoing && !c.meta->active()) {
        log::error("Refusing connection from {}: {} (tarpitted)", c.label(), reason);
        tarpit_.hold(c.stream->take_fd());
    } else {
        log::at(Level::connections, "Closing connection with {}: {}", c.label(), reason);
    }
    const bool was_outgoing = c.outgoing;
    const std::string outgoing_name = c.outgoing_name;
    closed_.push_back(std::move(it->second));
    connections_.erase(it);
    apply(mesh_->connection_closed(id, loop_->now()));
    // Streams are destroyed outside their own callbacks.
    loop_->add_timer(loop_->now(), [this] { reap_closed(); });
    if (was_outgoing && !stopping_) {
        auto o = outgoing_.find(outgoing_name);
        if (o != outgoing_.end() && (!o->second.connection || *o->second.connection == id)) {
            o->second.connection.reset();
            schedule_retry(o->second);
        }
    }
}

void Daemon::reap_closed() {
    closed_.clear();
}

// ---- outgoing connections ------------------------------------------------------------------

Status Daemon::reread_host(const std::string& name) {
    auto fresh = config::reread_host(config_, name);
    public_keys_.erase(name);  // the key may live in the file, or in a PublicKeyFile it names
    return fresh;
}

void Daemon::start_outgoing(const std::string& name) {
    Outgoing& o = outgoing_[name];
    o.name = name;
    o.candidates.clear();
    o.next_candidate = 0;
    if (auto fresh = reread_host(name); !fresh)
        log::error("ConnectTo {}: {} (connecting with the host file as last read)", name,
                   fresh.error().message);
    for (const auto& pa : peer_addresses(config_, name)) {
        auto resolved = io::resolve(pa.host, pa.port, settings_.address_family);
        if (!resolved) {
            log::error("ConnectTo {}: {}", name, resolved.error().message);
            continue;
        }
        for (auto& sa : *resolved) o.candidates.push_back(sa);
    }
    if (o.candidates.empty()) {
        log::error("Could not set up a meta connection to {}: no usable Address in hosts/{}", name, name);
        schedule_retry(o);
        return;
    }
    try_next_address(o);
}

void Daemon::try_next_address(Outgoing& o) {
    while (o.next_candidate < o.candidates.size()) {
        const io::SocketAddress target = o.candidates[o.next_candidate++];
        log::at(Level::connections, "Trying to connect to {} ({})", o.name, io::format_address(target));
        auto fd = io::start_connect(target);
        if (!fd) {
            log::at(Level::connections, "{}", fd.error().message);
            continue;
        }
        o.connecting = std::move(*fd);
        o.connecting_to = target;
        const std::string name = o.name;
        if (auto s = loop_->add(o.connecting.get(), io::Interest::write,
                                [this, name](io::IoEvents) { on_connect_ready(name); });
            !s) {
            log::error("{}", s.error().message);
            o.connecting.reset();
            continue;
        }
        return;
    }
    o.next_candidate = 0;
    log::at(Level::connections, "Could not set up a meta connection to {}", o.name);
    schedule_retry(o);
}

void Daemon::on_connect_ready(const std::string& name) {
    auto it = outgoing_.find(name);
    if (it == outgoing_.end()) return;
    Outgoing& o = it->second;
    loop_->remove(o.connecting.get());
    if (auto s = io::finish_connect(o.connecting.get(), o.connecting_to); !s) {
        log::at(Level::connections, "Error while connecting to {}: {}", name, s.error().message);
        o.connecting.reset();
        try_next_address(o);
        return;
    }
    io::configure_meta_socket(o.connecting.get(), o.connecting_to.family());
    log::at(Level::connections, "Connected to {} ({})", name, io::format_address(o.connecting_to));
    const mesh::ConnectionId id = add_connection(std::move(o.connecting), o.connecting_to, true, name);
    o.connecting = io::Fd();
    o.next_candidate = 0;
    if (id != 0) o.connection = id;
}

void Daemon::schedule_retry(Outgoing& o) {
    if (stopping_) return;
    o.backoff = std::min<Duration>(o.backoff + seconds(5), settings_.max_timeout);
    log::at(Level::connections, "Trying to re-establish outgoing connection to {} in {} seconds", o.name,
            std::chrono::duration_cast<seconds>(o.backoff).count());
    loop_->cancel_timer(o.retry_timer);
    const std::string name = o.name;
    o.retry_timer = loop_->add_timer(loop_->now() + o.backoff, [this, name] {
        auto it = outgoing_.find(name);
        if (it != outgoing_.end() && !it->second.connection && !it->second.connecting) start_outgoing(name);
    });
}

// ---- timers, scripts, reload, shutdown -----------------------------------------------------

void Daemon::tick() {
    const TimePoint now = loop_->now();
    apply(mesh_->tick(now));
    if (!stopping_) report(notifier_.status(running_status(service_facts())));
    std::vector<mesh::ConnectionId> stalled;
    for (const auto& [id, c] : connections_)
        if (c->stream->output_stalled_for(now) >= settings_.ping_timeout && c->meta->active())
            stalled.push_back(id);
    for (auto id : stalled) close_connection(id, "could not flush output for PingTimeout");
}

void Daemon::toggle_debug_level() {
    if (saved_debug_level_) {
        log::info("Got INT signal: back to debug level {}", *saved_debug_level_);
        log::set_debug_level(*saved_debug_level_);
        saved_debug_level_.reset();
    } else {
        saved_debug_level_ = log::debug_level();
        log::set_debug_level(5);
        log::info("Got INT signal: debug level 5 until the next INT, then back to {}", *saved_debug_level_);
    }
}

void Daemon::run_script(const std::string& name, std::vector<std::pair<std::string, std::string>> env,
                        bool sync) {
    io::ScriptEnvironment e(env.begin(), env.end());
    e["NETNAME"] = settings_.netname;
    e["NAME"] = settings_.name;
    const std::string interface = data_plane_ ? data_plane_->interface() : std::string();
    e["DEVICE"] = data_plane_ ? "/dev/net/tun" : "";
    e["INTERFACE"] = interface;
    if (sync) {
        (void)scripts_->run_sync(name, std::move(e));  // a failure is logged there, once
    } else {
        scripts_->run_async(name, std::move(e));
    }
}

void Daemon::reload() {
    report(notifier_.reloading("Reloading the configuration"));
    log::reopen();
    log::info("Got HUP signal: rereading configuration");
    if (auto s = reload_configuration(); !s) {
        log::error("Reload failed, keeping the running configuration: {}", s.error().message);
        last_reload_error_ = s.error().message;
    } else {
        last_reload_error_.clear();
    }
    report(notifier_.ready(running_status(service_facts())));
}

Status Daemon::reload_configuration() {
    auto loaded = config::load_config_dir(config_.directory);
    if (!loaded) return fail(loaded.error());
    if (config::has_errors(loaded->diagnostics)) {
        std::string first;
        for (const auto& d : loaded->diagnostics) {
            log::error("{}", d.to_string());
            if (first.empty() && d.severity == config::Severity::error) first = d.to_string();
        }
        return fail("{}", first);
    }
    auto settings = make_settings(*loaded, options_);
    if (!settings) return fail(settings.error());
    // Links to nodes whose host file changed are closed, as tincd does; they reconnect
    // with the new file.
    std::vector<mesh::ConnectionId> changed;
    for (const auto& [id, c] : connections_) {
        const std::string& peer = c->meta->peer_name();
        const config::Config* before = config_.host(peer);
        const config::Config* after = loaded->host(peer);
        auto entries = [](const config::Config* cfg) {
            std::vector<std::pair<std::string, std::string>> v;
            if (cfg)
                for (const auto& e : cfg->entries()) v.emplace_back(e.variable, e.value);
            return v;
        };
        if (!peer.empty() && entries(before) != entries(after)) changed.push_back(id);
    }
    config_ = std::move(*loaded);
    public_keys_.clear();
    const auto old_connect_to = settings_.connect_to;
    if (settings->metrics_address != settings_.metrics_address)
        log::warn("MetricsAddress changed: it takes effect when sluiced restarts");
    settings->metrics_address = settings_.metrics_address;
    settings->metrics_host = settings_.metrics_host;
    settings->metrics_port = settings_.metrics_port;
    settings_ = std::move(*settings);
    // TCPOnly, PMTUDiscovery and ClampMSS of this node shape every path the data plane uses.
    if (tables_) {
        tables_->set_own_options(settings_.options);
        tables_changed();
    }
    for (auto id : changed) close_connection(id, "host file changed");
    for (auto& [name, o] : outgoing_) {
        if (std::find(settings_.connect_to.begin(), settings_.connect_to.end(), name) ==
            settings_.connect_to.end()) {
            loop_->cancel_timer(o.retry_timer);
            if (o.connection) close_connection(*o.connection, "no longer in ConnectTo");
        }
    }
    std::erase_if(outgoing_, [&](const auto& kv) {
        return std::find(settings_.connect_to.begin(), settings_.connect_to.end(), kv.first) ==
               settings_.connect_to.end();
    });
    apply(mesh_->set_own_subnets(settings_.subnets));
    for (const auto& name : settings_.connect_to) {
        auto it = outgoing_.find(name);
        if (it == outgoing_.end()) {
            start_outgoing(name);
        } else if (!it->second.connection && !it->second.connecting) {
            loop_->cancel_timer(it->second.retry_timer);
            it->second.backoff = Duration::zero();
            start_outgoing(name);
        }
    }
    return {};
}

ServiceFacts Daemon::service_facts() const {
    ServiceFacts f;
    for (const auto& [name, node] : mesh_->graph().nodes()) {
        if (name == settings_.name) continue;
        ++f.nodes_known;
        if (node.reachable) ++f.nodes_reachable;
    }
    for (const auto& [id, c] : connections_)
        if (c->meta->active()) ++f.meta_connections;
    f.data_plane = !data_plane_              ? DataPlaneState::none
                   : data_plane_->attached() ? DataPlaneState::attached
                                             : DataPlaneState::down;
    if (data_plane_) f.interface = data_plane_->interface();
    f.last_reload_error = last_reload_error_;
    return f;
}

void Daemon::report(Status notified) {
    if (notified || notify_failed_) return;
    notify_failed_ = true;  // once: a manager that went away would otherwise fill the log
    log::warn("{}", notified.error().message);
}

void Daemon::shutdown(const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    log::info("{}: shutting down", why);
    report(notifier_.stopping(fmt::format("Stopping: {}", why)));
    // Tell the neighbours our links are gone (tinc 1.0.36 just closes; the issue asks for
    // DEL_EDGE so the mesh learns at once instead of after a PING timeout).
    for (const auto& [id, n] : mesh_->neighbours()) {
        const std::string line = protocol::format_request(
            protocol::DelEdgeRequest{random_.next_u32() & 0x7fffffffu, settings_.name, n.name});
        for (const auto& [cid, c] : connections_)
            if (c->meta->active()) (void)c->meta->send_line(line);
    }
    for (auto& [id, c] : connections_) {
        flush(*c);
        (void)c->stream->flush();
    }
    for (auto& [name, o] : outgoing_) loop_->cancel_timer(o.retry_timer);
    std::vector<mesh::ConnectionId> ids;
    for (const auto& [id, c] : connections_) ids.push_back(id);
    for (auto id : ids) close_connection(id, "shutting down");
    apply(mesh_->stop());
    scripts_->wait_idle();
    run_script("tinc-down", {}, /*sync=*/true);
    if (data_plane_) data_plane_->shutdown();
    metrics_http_.reset();
    control_.reset();
    pidfile_.reset();  // removes the file
    loop_->stop();
}

}  // namespace sluice::daemon
