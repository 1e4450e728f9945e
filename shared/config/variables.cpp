#include "shared/config/variables.hpp"

#include <array>
#include <limits>

#include "shared/util/text.hpp"

namespace sluice::config {

namespace {

constexpr int int_min = std::numeric_limits<int>::min();
constexpr int int_max = std::numeric_limits<int>::max();

constexpr std::array<std::string_view, 3> address_families = {"ipv4", "ipv6", "any"};
// tinc 1.0.36 also takes "yes" for mst (net_setup.c), though tinc.conf(5) does not say so.
constexpr std::array<std::string_view, 4> broadcast_modes = {"no", "mst", "direct", "yes"};
// The Linux device types of tinc 1.0.36; the BSD/macOS ones (tunnohead, tunifhead, utun)
// do not exist on Linux.
constexpr std::array<std::string_view, 7> device_types = {"tun",       "tap", "dummy", "raw_socket",
                                                          "multicast", "uml", "vde"};
constexpr std::array<std::string_view, 3> forwarding_modes = {"off", "internal", "kernel"};
constexpr std::array<std::string_view, 3> routing_modes = {"router", "switch", "hub"};
constexpr std::array<std::string_view, 3> process_priorities = {"low", "normal", "high"};
constexpr std::array<std::string_view, 3> data_planes = {"managed", "external", "none"};

using enum Scope;
using enum ValueType;
constexpr Support implemented = Support::implemented;

// clang-format off
constexpr std::array registry = {
    // ---- tinc 1.0.36, tinc.conf ("server") variables --------------------------------------
    Variable{.name = "AddressFamily", .scope = server, .type = choice, .default_text = "any",
             .description = "Address family of listening and outgoing sockets.", .status = implemented, .choices = address_families},
    Variable{.name = "BindToAddress", .scope = server, .type = bind_address, .default_text = "every address",
             .description = "Listen only on this address (\"*\" for all), optionally on another port.",
             .status = implemented, .repeatable = true},
    Variable{.name = "BindToInterface", .scope = server, .type = interface,
             .description = "Bind listening and outgoing sockets to this network interface."},
    Variable{.name = "Broadcast", .scope = server, .type = choice, .default_text = "mst",
             .description = "How broadcast packets are sent: never, along the spanning tree, or directly.",
             .choices = broadcast_modes},
    Variable{.name = "ConnectTo", .scope = server, .type = node_name,
             .description = "Node to keep an outgoing meta connection to.", .status = implemented, .repeatable = true},
    Variable{.name = "DecrementTTL", .scope = server, .type = boolean, .default_text = "no",
             .description = "Decrement the IPv4 TTL / IPv6 hop limit of forwarded packets."},
    Variable{.name = "Device", .scope = server, .type = string, .default_text = "/dev/net/tun",
             .description = "The virtual network device to open."},
    Variable{.name = "DeviceType", .scope = server, .type = choice,
             .default_text = "tun in router mode, tap in switch and hub mode",
             .description = "Kind of virtual network device.", .choices = device_types},
    Variable{.name = "DirectOnly", .scope = server, .type = boolean, .default_text = "no",
             .description = "Drop packets that would have to be forwarded by another node."},
    Variable{.name = "Forwarding", .scope = server, .type = choice, .default_text = "internal",
             .description = "How packets for other nodes are forwarded.", .choices = forwarding_modes},
    Variable{.name = "GraphDumpFile", .scope = server, .type = string,
             .description = "File to write the graph to in graphviz format; a leading pipe symbol runs a command."},
    Variable{.name = "Hostnames", .scope = server, .type = boolean, .default_text = "no",
             .description = "Resolve IP addresses to host names in log messages."},
    Variable{.name = "IffOneQueue", .scope = server, .type = boolean, .default_text = "no",
             .description = "Set IFF_ONE_QUEUE on the TUN/TAP device."},
    Variable{.name = "Interface", .scope = server, .type = interface, .default_text = "NETNAME",
             .description = "Name of the virtual network interface.", .status = implemented},
    Variable{.name = "KeyExpire", .scope = server, .type = integer, .default_text = "3600",
             .description = "Seconds before the UDP session key is renewed.", .status = implemented, .min = 1, .max = int_max},
    Variable{.name = "LocalDiscovery", .scope = server, .type = boolean, .default_text = "no",
             .description = "Try to find peers on the local network during PMTU discovery."},
    Variable{.name = "MACExpire", .scope = server, .type = integer, .default_text = "600",
             .description = "Seconds a learned MAC address is kept (switch mode).", .min = 1, .max = int_max},
    Variable{.name = "MaxOutputBufferSize", .scope = server, .type = integer, .default_text = "15180",
             .description = "Bytes queued on a meta connection before packets are dropped (10 x MTU).",
             .min = 0, .max = int_max},
    Variable{.name = "MaxTimeout", .scope = server, .type = integer, .default_text = "900",
             .description = "Maximum seconds between reconnection attempts.", .status = implemented, .min = 1, .max = int_max},
    Variable{.name = "MinTimeout", .scope = server, .type = integer, .default_text = "0",
             .description = "Minimum seconds between reconnection attempts.", .min = 0, .max = int_max},
    Variable{.name = "Mode", .scope = server, .type = choice, .default_text = "router",
             .description = "Route by Subnet (router), learn MAC addresses (switch) or flood (hub).",
             .choices = routing_modes},
    Variable{.name = "Name", .scope = server, .type = own_name, .default_text = "required",
             .description = "This node's name; $HOST or $VAR take it from the host name or environment.", .status = implemented},
    Variable{.name = "PingInterval", .scope = server, .type = integer, .default_text = "60",
             .description = "Seconds of silence before a PING is sent (below 1 means 86400).",
             .status = implemented, .min = int_min, .max = int_max},
    Variable{.name = "PingTimeout", .scope = server, .type = integer, .default_text = "5",
             .description = "Seconds to wait for a PONG; clamped to 1..PingInterval.",
             .status = implemented, .min = int_min, .max = int_max},
    Variable{.name = "PriorityInheritance", .scope = server, .type = boolean, .default_text = "no",
             .description = "Copy the TOS / traffic class of tunnelled packets to the UDP packets."},
    Variable{.name = "PrivateKey", .scope = server, .type = hex_key,
             .description = "Obsolete: the RSA private exponent in hex (needs PublicKey).", .status = implemented},
    Variable{.name = "PrivateKeyFile", .scope = server, .type = path, .default_text = "CONFDIR/rsa_key.priv",
             .description = "File holding this node's RSA private key.", .status = implemented},
    Variable{.name = "ProcessPriority", .scope = server, .type = choice, .default_text = "unchanged",
             .description = "Scheduling priority of the daemon.", .choices = process_priorities},
    Variable{.name = "Proxy", .scope = server, .type = proxy, .default_text = "none",
             .description = "Proxy for outgoing meta connections: socks4, socks4a, socks5, http or exec."},
    Variable{.name = "ReplayWindow", .scope = server, .type = integer, .default_text = "16",
             .description = "Bytes of replay window per peer (8 packets per byte; 0 disables the check).",
             .status = implemented, .min = 0, .max = 1 << 20},
    Variable{.name = "ScriptsInterpreter", .scope = server, .type = string,
             .description = "Program that runs the scripts (they are executed directly otherwise).", .status = implemented},
    Variable{.name = "StrictSubnets", .scope = server, .type = boolean, .default_text = "no",
             .description = "Only accept Subnets that appear in the local hosts/ files."},
    Variable{.name = "TunnelServer", .scope = server, .type = boolean, .default_text = "no",
             .description = "Do not forward graph information; only allow nodes with a host file."},
    Variable{.name = "UDPRcvBuf", .scope = server, .type = integer, .default_text = "OS default",
             .description = "SO_RCVBUF of the UDP socket, in bytes.", .min = 1, .max = int_max},
    Variable{.name = "UDPSndBuf", .scope = server, .type = integer, .default_text = "OS default",
             .description = "SO_SNDBUF of the UDP socket, in bytes.", .min = 1, .max = int_max},

    // ---- tinc 1.0.36, hosts/NAME ("host") variables ---------------------------------------
    Variable{.name = "Address", .scope = host, .type = address,
             .description = "Where to reach the node: host name or IP address and an optional port.",
             .status = implemented, .repeatable = true, .peer_only = true},
    Variable{.name = "Cipher", .scope = host, .type = cipher, .default_text = "aes-256-cbc",
             .description = "Cipher for UDP packets sent to this node (none disables encryption).", .status = implemented},
    Variable{.name = "ClampMSS", .scope = both, .type = boolean, .default_text = "yes",
             .description = "Clamp the MSS of TCP packets to the path MTU.", .status = implemented},
    Variable{.name = "Compression", .scope = host, .type = integer, .default_text = "0",
             .description = "Compression of UDP packets: 0 off, 1-9 zlib, 10-11 lzo.", .status = implemented, .min = 0, .max = 11},
    Variable{.name = "Digest", .scope = host, .type = digest, .default_text = "sha256",
             .description = "Digest for the MAC of UDP packets (none disables authentication).", .status = implemented},
    Variable{.name = "IndirectData", .scope = both, .type = boolean, .default_text = "no",
             .description = "Other nodes must not send UDP to this node directly.", .status = implemented},
    Variable{.name = "MACLength", .scope = host, .type = integer, .default_text = "4",
             .description = "Bytes of MAC on UDP packets, at most the digest size.", .status = implemented, .min = 0, .max = 64},
    Variable{.name = "PMTU", .scope = host, .type = integer, .default_text = "1514",
             .description = "Initial path MTU to the node.", .min = 1, .max = int_max},
    Variable{.name = "PMTUDiscovery", .scope = host, .type = boolean, .default_text = "yes",
             .description = "Discover the path MTU to the node (off with TCPOnly).", .status = implemented},
    Variable{.name = "Port", .scope = host, .type = port, .default_text = "655",
             .description = "TCP and UDP port the node listens on.", .status = implemented},
    Variable{.name = "PublicKey", .scope = host, .type = hex_key,
             .description = "Obsolete: the RSA modulus in hex (the PEM block is used instead).", .status = implemented},
    Variable{.name = "PublicKeyFile", .scope = host, .type = path,
             .description = "Obsolete: file holding the node's RSA public key.", .status = implemented, .peer_only = true},
    Variable{.name = "Subnet", .scope = host, .type = subnet,
             .description = "Address range the node owns: IPv4, IPv6 or MAC, with #weight.",
             .status = implemented, .repeatable = true},
    Variable{.name = "TCPOnly", .scope = both, .type = boolean, .default_text = "no",
             .description = "Send packets over the meta connection instead of UDP (implies IndirectData).", .status = implemented},
    Variable{.name = "Weight", .scope = both, .type = integer, .default_text = "measured round-trip time (ms)",
             .description = "Edge weight announced for the connection; lower is preferred.",
             .status = implemented, .min = 0, .max = int_max},

    // ---- sluice's own variables ------------------------------------------------------------
    Variable{.name = "DataPlane", .scope = server, .type = choice, .default_text = "managed",
             .description = "Who runs sluice-dp, the packet engine: sluiced starts and restarts it (managed), a supervisor of its own does (external), or there is none and every packet travels as PACKET over the meta connections (none).",
             .status = implemented, .sluice_only = true, .choices = data_planes},
    Variable{.name = "DataPlaneCPUs", .scope = server, .type = string,
             .default_text = "the CPUs sluice-dp may run on",
             .description = "CPUs the data-plane workers are pinned to, in order (worker i on the i-th, round robin), e.g. \"2 3\" to keep them off CPUs 0 and 1; none: no pinning, the scheduler places them (for hosts where other busy processes share the CPUs).",
             .status = implemented, .sluice_only = true},
    Variable{.name = "DataPlaneProgram", .scope = server, .type = path,
             .default_text = "sluice-dp next to sluiced",
             .description = "The sluice-dp executable sluiced starts when DataPlane = managed.",
             .status = implemented, .sluice_only = true},
    Variable{.name = "DataPlaneWorkers", .scope = server, .type = integer,
             .default_text = "number of online CPUs",
             .description = "Packet worker threads of the data plane, each pinned to a CPU with its own TUN queue and UDP socket.",
             .status = implemented, .sluice_only = true, .min = 1, .max = 256},
    Variable{.name = "Ed25519PrivateKeyFile", .scope = server, .type = path,
             .default_text = "CONFDIR/ed25519_key.priv",
             .description = "File holding this node's Ed25519 private key.", .status = implemented,
             .sluice_only = true},
    Variable{.name = "Ed25519PublicKey", .scope = host, .type = ed25519_public_key,
             .description = "The node's Ed25519 public key in base64: native sessions with sluice nodes.",
             .status = implemented, .peer_only = true, .sluice_only = true},
    Variable{.name = "MetricsAddress", .scope = server, .type = metrics_address, .default_text = "off",
             .description = "Address and port where sluiced serves GET /metrics (Prometheus' text format, as sluicectl metrics prints it), e.g. 127.0.0.1:9100; read at start.",
             .status = implemented, .sluice_only = true},
};
// clang-format on

}  // namespace

std::span<const Variable> variables() {
    return registry;
}

const Variable* find_variable(std::string_view name) {
    for (const Variable& v : registry) {
        if (text::iequals(v.name, name)) return &v;
    }
    return nullptr;
}

std::string_view to_string(Scope scope) {
    switch (scope) {
        case Scope::server:
            return "server";
        case Scope::host:
            return "host";
        case Scope::both:
            return "both";
    }
    return "?";
}

std::string_view to_string(Support support) {
    switch (support) {
        case Support::implemented:
            return "implemented";
        case Support::accepted:
            return "accepted";
    }
    return "?";
}

std::string_view to_string(ValueType type) {
    switch (type) {
        case boolean:
            return "yes or no";
        case integer:
            return "integer";
        case choice:
            return "choice";
        case string:
            return "text";
        case path:
            return "path";
        case node_name:
            return "node name";
        case own_name:
            return "node name or $VAR";
        case subnet:
            return "subnet";
        case address:
            return "host [port]";
        case bind_address:
            return "address or * [port]";
        case port:
            return "port";
        case interface:
            return "interface";
        case cipher:
            return "cipher";
        case digest:
            return "digest";
        case proxy:
            return "proxy";
        case hex_key:
            return "hex key";
        case ed25519_public_key:
            return "base64 key";
        case metrics_address:
            return "host:port or off";
    }
    return "?";
}

}  // namespace sluice::config
