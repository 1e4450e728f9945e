#include "controlplane/daemon/daemon_settings.hpp"

#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include "controlplane/meta/algorithms.hpp"
#include "controlplane/protocol/constants.hpp"
#include "shared/util/text.hpp"

namespace sluice::daemon {

std::string default_pidfile(const std::optional<std::string>& netname,
                            const std::optional<std::string>& confdir) {
    if (netname) return std::string(runtime_directory) + "/" + *netname + ".pid";
    if (confdir) return *confdir + "/sluiced.pid";
    return "/run/sluice.pid";
}

std::string control_socket_for(const std::string& pidfile) {
    std::string base = pidfile;
    if (base.ends_with(".pid")) base.resize(base.size() - 4);
    return base + ".socket";
}

std::string data_plane_socket_for(const std::string& pidfile) {
    std::string base = pidfile;
    if (base.size() > 4 && base.ends_with(".pid")) base.resize(base.size() - 4);
    return base + ".dataplane";
}

std::string default_data_plane_program() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return "sluice-dp";
    const auto dir = self.parent_path();
    if (std::filesystem::exists(dir / "sluice-dp")) return (dir / "sluice-dp").string();
    if (std::filesystem::exists(dir / ".." / "dataplane" / "sluice-dp"))
        return std::filesystem::weakly_canonical(dir / ".." / "dataplane" / "sluice-dp").string();
    return "sluice-dp";
}

std::string default_logfile(const std::optional<std::string>& netname) {
    return netname ? "/var/log/sluice." + *netname + ".log" : "/var/log/sluice.log";
}

Result<DaemonSettings> make_settings(const config::ConfigDir& dir,
                                     const controlplane::DaemonOptions& options) {
    DaemonSettings s;
    const config::Config& c = dir.server;
    s.name = dir.name;
    s.netname = options.netname.value_or("");
    s.confdir = dir.directory;
    s.pidfile = options.pidfile.value_or(default_pidfile(options.netname, options.confdir));
    s.control_socket = control_socket_for(s.pidfile);
    s.data_plane_socket = data_plane_socket_for(s.pidfile);
    if (options.logfile)
        s.logfile = options.logfile->empty() ? default_logfile(options.netname) : *options.logfile;

    auto port = c.get_string("Port", "655");
    if (!port) return fail(port.error());
    s.port = *port;
    auto family = c.get_choice("AddressFamily", "any", std::vector<std::string_view>{"any", "ipv4", "ipv6"});
    if (!family) return fail(family.error());
    auto parsed_family = io::parse_address_family(*family);
    if (!parsed_family) return fail(parsed_family.error());
    s.address_family = *parsed_family;
    for (const config::Entry* e : c.all("BindToAddress")) {
        auto parts = text::split_whitespace(e->value);
        io::BindAddress b;
        b.host = std::string(parts.empty() ? "" : parts[0]);
        if (parts.size() > 1) b.port = std::string(parts[1]);
        s.bind_addresses.push_back(std::move(b));
    }
    for (const config::Entry* e : c.all("ConnectTo")) {
        if (e->value == dir.name) continue;
        s.connect_to.push_back(e->value);
    }
    auto subnets = c.get_subnets();
    if (!subnets) return fail(subnets.error());
    s.subnets = std::move(*subnets);

    auto cipher = c.get_string("Cipher", meta::default_udp_cipher_name);
    auto digest = c.get_string("Digest", meta::default_udp_digest_name);
    auto mac_length = c.get_int("MACLength", meta::default_mac_length, 0, 64);
    auto compression =
        c.get_int("Compression", meta::default_compression, 0, protocol::max_compression_level);
    if (!cipher) return fail(cipher.error());
    if (!digest) return fail(digest.error());
    if (!mac_length) return fail(mac_length.error());
    if (!compression) return fail(compression.error());
    auto key_settings = meta::make_legacy_key_settings(*cipher, *digest, *mac_length, *compression);
    if (!key_settings) return fail(key_settings.error());
    s.key_settings = *key_settings;
    auto cipher_info = meta::cipher_by_name(*cipher);
    if (!cipher_info) return fail(cipher_info.error());
    s.udp_cipher_key_length = cipher_info->key_length;

    auto indirect = c.get_bool("IndirectData", false);
    auto tcponly = c.get_bool("TCPOnly", false);
    auto pmtu = c.get_bool("PMTUDiscovery", true);
    auto clamp = c.get_bool("ClampMSS", true);
    for (const auto* r : {&indirect, &tcponly, &pmtu, &clamp})
        if (!*r) return fail(r->error());
    if (*indirect) s.options |= protocol::option_indirect;
    if (*tcponly) s.options |= protocol::option_tcponly | protocol::option_indirect;
    if (*pmtu && !*tcponly) s.options |= protocol::option_pmtu_discovery;
    if (*clamp) s.options |= protocol::option_clamp_mss;
    auto data_plane =
        c.get_choice("DataPlane", "managed", std::vector<std::string_view>{"managed", "external", "none"});
    if (!data_plane) return fail(data_plane.error());
    s.data_plane = *data_plane;
    auto program = c.get_string("DataPlaneProgram", "");
    if (!program) return fail(program.error());
    s.data_plane_program = program->empty() ? default_data_plane_program() : *program;
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    auto workers = c.get_int("DataPlaneWorkers", static_cast<int>(std::clamp<long>(cpus, 1, 256)), 1, 256);
    if (!workers) return fail(workers.error());
    s.data_plane_workers = static_cast<std::uint32_t>(*workers);
    auto cpu_list = c.get_string("DataPlaneCPUs", "");
    if (!cpu_list) return fail(cpu_list.error());
    if (text::iequals(*cpu_list, "none")) {
        s.data_plane_cpus = "none";
    } else
        for (auto item : text::split_whitespace(*cpu_list)) {
            for (std::size_t at = 0; at < item.size();) {
                const std::size_t comma = std::min(item.find(',', at), item.size());
                const auto number = item.substr(at, comma - at);
                if (number.empty() || number.size() > 4 ||
                    number.find_first_not_of("0123456789") != std::string_view::npos)
                    return fail("DataPlaneCPUs = {}: expected CPU numbers separated by spaces or commas",
                                *cpu_list);
                if (!s.data_plane_cpus.empty()) s.data_plane_cpus += ',';
                s.data_plane_cpus += std::string(number);
                at = comma + 1;
            }
        }
    auto interface = c.get_string("Interface", s.netname);
    if (!interface) return fail(interface.error());
    s.interface = *interface;
    auto replay = c.get_int("ReplayWindow", 16, 0, 1 << 20);
    if (!replay) return fail(replay.error());
    s.replay_window = static_cast<std::size_t>(*replay);
    if (s.data_plane != "none") {
        if (s.key_settings.compression != 0) {
            return fail(
                "Compression = {}: sluice-dp does not decompress packets yet; use Compression = 0, or "
                "DataPlane = none to carry every packet over the meta connections",
                s.key_settings.compression);
        }
        if (s.port.find_first_not_of("0123456789") != std::string::npos)
            return fail("Port = {}: the data plane needs a numeric UDP port", s.port);
    }
    // Without a data plane this node has no UDP path at all: unless the configuration says
    // TCPOnly explicitly, say so the way tinc understands (TCPOnly), so that peers send it
    // PACKETs instead of UDP that nobody reads, and skip PMTU discovery, which needs UDP.
    if (s.data_plane == "none" && c.first("TCPOnly") == nullptr) {
        s.options = (s.options | protocol::option_tcponly | protocol::option_indirect) &
                    ~protocol::option_pmtu_discovery;
        s.tcponly_forced = true;
    }

    auto ping_interval = c.get_int("PingInterval", 60, 1, 86400);
    if (!ping_interval) return fail(ping_interval.error());
    auto ping_timeout = c.get_int("PingTimeout", 5, 1, 86400);
    if (!ping_timeout) return fail(ping_timeout.error());
    s.ping_interval = seconds(*ping_interval);
    s.ping_timeout = seconds(std::min(*ping_timeout, *ping_interval));
    auto key_expire = c.get_int("KeyExpire", 3600, 1, 1 << 30);
    if (!key_expire) return fail(key_expire.error());
    s.key_expire = seconds(*key_expire);
    auto max_timeout = c.get_int("MaxTimeout", 900, 1, 1 << 30);
    if (!max_timeout) return fail(max_timeout.error());
    s.max_timeout = seconds(*max_timeout);
    auto interpreter = c.get_string("ScriptsInterpreter", "");
    if (!interpreter) return fail(interpreter.error());
    s.scripts_interpreter = *interpreter;
    auto metrics = c.get_string("MetricsAddress", "off");
    if (!metrics) return fail(metrics.error());
    if (auto endpoint = split_metrics_address(*metrics)) {
        s.metrics_address = *metrics;
        s.metrics_host = endpoint->host;
        s.metrics_port = endpoint->port;
    }
    return s;
}

std::optional<PeerAddress> split_metrics_address(std::string_view text) {
    if (text::iequals(text, "off")) return std::nullopt;
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return PeerAddress{std::string(host), std::string(text.substr(colon + 1))};
}

std::vector<PeerAddress> peer_addresses(const config::ConfigDir& dir, const std::string& name) {
    std::vector<PeerAddress> out;
    const config::Config* host = dir.host(name);
    if (host == nullptr) return out;
    std::string default_port = "655";
    if (auto port = host->get_string("Port", "655")) default_port = *port;
    for (const config::Entry* e : host->all("Address")) {
        auto parts = text::split_whitespace(e->value);
        if (parts.empty()) continue;
        out.push_back({std::string(parts[0]), parts.size() > 1 ? std::string(parts[1]) : default_port});
    }
    return out;
}

}  // namespace sluice::daemon
