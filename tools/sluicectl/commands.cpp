#include "tools/sluicectl/commands.hpp"

#include <array>

namespace sluice::ctl {

namespace {

const std::array command_table{
    Command{"init", "create a configuration directory with keys for node NAME",
            R"(Usage: sluicectl [-c DIR | -n NETNAME] init NAME

Creates the configuration directory with tinc.conf (Name = NAME), hosts/NAME, an RSA key
pair (2048 bits, tinc 1.0's PEM formats, rsa_key.priv) and an Ed25519 key pair for
sluice's own protocol (ed25519_key.priv). Public keys are appended to hosts/NAME. Refuses
to touch a directory that already has a tinc.conf. The result runs under tincd 1.0.36 too.
)",
            cmd_init},
    Command{"generate-keys", "make new RSA and Ed25519 key pairs for this node",
            R"(Usage: sluicectl [-c DIR | -n NETNAME] generate-keys [BITS] [--force]

Makes an RSA key pair (BITS, default 2048, 1024..8192 in multiples of 8) in the PEM
formats tinc 1.0.36 reads and writes, and an Ed25519 key pair for sluice's own protocol.
Private keys go to rsa_key.priv (or PrivateKeyFile) and ed25519_key.priv (or
Ed25519PrivateKeyFile), mode 0600; public keys are appended to hosts/NAME, where older key
blocks are renamed to "OLD" so that readers take the new ones. An existing private key is
never overwritten without --force.
)",
            cmd_generate_keys},
    Command{"generate-rsa-keys", "make a new RSA key pair only (tinc 1.0's keys)",
            R"(Usage: sluicectl [-c DIR | -n NETNAME] generate-rsa-keys [BITS] [--force]

Like generate-keys, for the RSA key pair only.
)",
            cmd_generate_rsa_keys},
    Command{"generate-ed25519-keys", "add an Ed25519 key pair (sluice's protocol) to a tinc node",
            R"(Usage: sluicectl [-c DIR | -n NETNAME] generate-ed25519-keys [--force]

Like generate-keys, for the Ed25519 key pair only: what a configuration made by tinc needs
to speak sluice's own protocol with other sluice nodes.
)",
            cmd_generate_ed25519_keys},
    Command{"fsck", "check the configuration directory and keys",
            R"(Usage: sluicectl [-c DIR | -n NETNAME] fsck

Reads tinc.conf and every host file the way sluiced will, validates every value, loads
the private keys and checks them against the public keys in hosts/NAME, and lists the
peers it knows. Prints one line per problem as FILE:LINE: message. Exits 1 on any error;
warnings (unknown variables, repeats, loose key permissions) do not fail.
)",
            cmd_fsck},
    Command{
        "dump",
        "show the running daemon's nodes, edges, subnets, connections, data-plane peers, workers, traffic or "
        "graph",
        R"(Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] dump nodes|edges|subnets|connections|peers|workers|traffic [--json]
       sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] dump graph

Asks the running sluiced over its control socket (beside its pid file) and prints a table,
or JSON with --json:
  nodes:       name, reachable, via, nexthop, address, port, options, key_valid
  edges:       from, to, address, port, weight, options
  subnets:     owner, subnet, weight
  connections: name, address, port, status
  peers:       name, node_id, path (udp, udp via NODE, tcp via NODE), endpoint, mtu,
               min_mtu, max_mtu, in_key, out_key (ids): the tables sluice-dp works from
  workers:     worker, rx/tx packets and bytes (UDP), native rx/tx packets, tun_rx/tun_tx
               packets and bytes, batches, events, injected, drops (reason=count,...)
  traffic:     name, node_id, rx/tx packets and bytes (UDP), native rx/tx packets,
               tcp_frames: each peer's counters summed over the workers (as in stats)

dump graph prints the mesh as Graphviz DOT instead, for example
  sluicectl -n vpn dump graph | dot -Tsvg > mesh.svg
Every known node, with how this node's packets reach it under its name (as in dump peers):
this node has a double border; green is direct UDP, yellow UDP through a relay, orange TCP
through a meta connection, grey and dashed unreachable. Edges carry their weight; the two
directions of a link are one double-headed arrow when they agree, and an edge whose reverse
is missing is grey, "one way". A dashed blue arrow goes from a node to the relay its UDP
goes through, a dotted orange one to the neighbour whose meta connection carries its TCP.
)",
        cmd_dump},
    Command{"info", "explain one node, or where packets for a subnet or an address go",
            R"(Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] info NODE|SUBNET|ADDRESS

Asks the running sluiced and prints one "key: value" per line (list keys repeat).

For a node (a name of letters, digits and _): reachable, address (its UDP address and
port), options (indirect, tcponly, pmtu_discovery, clamp_mss) and protocol_minor, via and
nexthop, indirect (reached only over an INDIRECT edge), path (how packets reach it: direct
UDP, UDP through relay X, TCP through the meta connection to Y, and why), distance and hops
(the path the graph search took), one edge line per outgoing edge, one subnet line per
subnet, key_valid (this node holds its key), and with a data plane the published endpoint,
pmtu and the in_key/out_key ids.

For a subnet (198.19.0.0/24, 2001:db8::/64, a MAC) or an address (198.19.0.5,
2001:db8::1): one match line per subnet that covers it (an address inside; a subnet
entirely inside), in routing order (longest prefix first, then the lowest weight; the
query's own #weight is ignored), then route (the first match whose owner is reachable, as
the route table picks it), owner, and path (how that owner is reached). "route: none"
says why: no subnet covers it (ICMP net unknown) or no owner is reachable.

Exits 1 for an unknown node, or a string that is neither a name, a subnet nor an address.
)",
            cmd_info},
    Command{"top", "live per-worker and per-peer throughput of the running daemon",
            R"(Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] top [-d SECONDS] [--once]

Asks the running sluiced for its counters every SECONDS (-d, --delay; default 1, from 0.1)
and shows the rates since the last time, redrawn in place:
  header:  this node, the time, how many other nodes are reachable, whether the data
           plane (sluice-dp) is attached
  workers: per sluice-dp worker, UDP rx/tx packets/s and bits/s, drops/s, TUN rx/tx
           packets/s, native rx/tx packets/s and drops so far (dump workers)
  peers:   per node, reachable, path and native session (dump nodes, dump peers), and
           rx/tx packets/s and bits/s (dump traffic; "n/a" without a data plane)
A counter that went down (sluice-dp restarted) counts again from 0; "-" is a rate not
known yet (the first screen, a new row).

Keys: q quits (as do Ctrl-C and SIGTERM), t sorts by total throughput (the default), n by
name, s switches between the two, b switches bits/s and bytes/s. Lines longer than the
terminal is wide are cut. Plain VT100 sequences: any terminal will do; the terminal is put
back as it was on exit.

When standard output is not a terminal, prints one plain snapshot per interval instead,
separated by empty lines; --once prints one snapshot after one interval and exits.
Exits 1 when sluiced does not answer (at start, or when it goes away while running).
)",
            cmd_top},
    Command{"metrics", "print the running daemon's metrics in Prometheus' text format",
            R"(Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] metrics

Asks the running sluiced and prints its metrics exactly as GET /metrics serves them when
MetricsAddress is set (text exposition format 0.0.4): sluice_info, uptime, meta
connections, nodes, the mesh's counters, every data-plane worker's counters, drops by
reason, io_uring, buffer and ring figures, and per peer whether it is reachable, its path
MTU, whether packets to it are native, how they travel and are sealed
(sluice_peer_info{path=...,cipher=...}), its key's age, its traffic counters, drops by
reason and the age of its last datagram. The README lists every family.
)",
            cmd_metrics},
    Command{"stats", "show traffic counters per peer, data-plane worker and meta connection",
            R"(Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] stats [--json]

Asks the running sluiced and prints, in sections:
  daemon:           node name, version, shared-memory ABI, pid and uptime; sluice-dp's pid
                    and uptime, its workers and how many node ids have counters of their own
  peers:            per node: path (udp, udp via NODE, tcp via NODE), path MTU (mtu and the
                    discovery's min..max), cipher (native suite, or legacy cipher/digest),
                    key age, and when it last sent an authenticated datagram
  peer traffic:     per node: UDP datagrams and bytes in and out (relayed ones count for the
                    hop), native datagrams in/out, frames sent over TCP, drops by reason
  workers:          per sluice-dp worker: every counter, and drops by reason
  worker rings and buffers:
                    per worker: io_uring completions per batch, submissions, those forced by
                    a full submission queue, the kernel's completion overflows; receive
                    buffers free of all (and the fewest ever free), spare buffers free, and
                    messages waiting in its event and injection rings
  meta connections: per connection: peer, address, status, bytes and requests by type

Peer and worker counters live in sluice-dp's shared memory: they only grow, and they
survive a restart of sluiced. --json prints one document (schema in docs/architecture.md,
"schema": 1) with numbers as numbers and every drop reason and request type present.
)",
            cmd_stats},
    Command{"pid", "print the running daemon's process ID",
            "Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] pid\n", cmd_pid},
    Command{"reload", "make the running daemon reread its configuration (like SIGHUP)",
            "Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] reload\n", cmd_reload},
    Command{"stop", "stop the running daemon",
            "Usage: sluicectl [-c DIR | -n NETNAME | --pidfile=FILE] stop\n", cmd_stop},
};

}  // namespace

std::span<const Command> commands() {
    return command_table;
}

}  // namespace sluice::ctl
