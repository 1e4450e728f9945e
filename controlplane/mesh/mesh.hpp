// The node's view of the mesh and tinc 1.0.36's behaviour after authentication: the
// snapshot sent to a new neighbour, flooding with the duplicate cache, the edge and subnet
// rules with their retaliation and correction, session keys (REQ_KEY, ANS_KEY,
// KEY_CHANGED) routed hop by hop, PING/PONG liveness, graph() after every change with
// scripts for what became (un)reachable, purge, and PACKET forwarding by subnet.
//
// Sans-I/O: the daemon feeds it events (a connection activated or closed, a request or a
// PACKET body arrived, a timer tick) and carries out the returned actions. Handlers are
// split by request family as in tinc: mesh_edges.cpp, mesh_subnets.cpp, mesh_keys.cpp,
// mesh_liveness.cpp and packet_router.cpp.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controlplane/graph/graph.hpp"
#include "controlplane/graph/sssp.hpp"
#include "controlplane/mesh/actions.hpp"
#include "controlplane/mesh/seen_requests.hpp"
#include "controlplane/meta/legacy_key.hpp"
#include "controlplane/native/native_sessions.hpp"
#include "controlplane/protocol/request.hpp"
#include "controlplane/session/meta_connection.hpp"
#include "shared/crypto/random.hpp"
#include "shared/util/clock.hpp"

namespace sluice::mesh {

struct MeshSettings {
    std::string self_name;
    std::vector<net::Subnet> own_subnets;
    meta::LegacyKeySettings key_settings;
    Duration ping_interval = seconds(60);
    Duration ping_timeout = seconds(5);
    Duration key_expire = seconds(3600);
    bool tunnel_server = false;
    // sluice's native key exchange with other sluice nodes (controlplane/native/). Without
    // native.key the node relays SLUICE-KX1 lines and answers one addressed to it as tinc
    // 1.0.36 does.
    native::NativeSettings native;
};

// How long a node must have been reachable before this node sends it a REQ_KEY of its own,
// legacy or native (the reasons are in request_missing_keys, mesh_keys.cpp).
inline constexpr Duration key_settle_time = seconds(2);

// A neighbour with an active meta connection.
struct Neighbour {
    ConnectionId id = 0;
    std::string name;
    std::string address;  // the peer's TCP address, numeric
    std::string port;     // its Port from ACK
    std::uint32_t options = 0;
    int weight = 0;
    TimePoint last_ping{};
    bool pinged = false;
    bool outgoing = false;
};

// What this node knows about another node's keys (legacy protocol).
struct NodeKeys {
    std::optional<meta::LegacyKey> inbound;   // we generated it; the peer encrypts to us with it
    std::optional<meta::LegacyKey> outbound;  // from the peer's ANS_KEY; we encrypt with it
    TimePoint outbound_since{};               // when `outbound` arrived (its age in `sluicectl stats`)
    TimePoint last_req_key{};
    TimePoint reachable_since{};
    // A legacy REQ_KEY of ours is unanswered: the next ANS_KEY answers it (and not an INIT).
    bool awaiting_ans_key = false;
};

// Drops and events the mesh counts, by name (exported by the stats socket later).
struct MeshCounters {
    std::uint64_t duplicate_requests = 0;
    std::uint64_t contradicting_add_edge = 0;
    std::uint64_t contradicting_del_edge = 0;
    std::uint64_t packets_forwarded = 0;
    std::uint64_t packets_delivered = 0;
    std::uint64_t packets_dropped_unknown_type = 0;
    std::uint64_t packets_dropped_no_subnet = 0;
    std::uint64_t packets_dropped_unreachable = 0;
    std::uint64_t packets_dropped_too_short = 0;
    std::uint64_t packets_dropped_loop = 0;
    std::uint64_t key_requests_dropped_unreachable = 0;
    std::uint64_t invalid_ans_key = 0;
};

class Mesh {
public:
    Mesh(MeshSettings settings, crypto::Random& random);

    // Start-up: own subnets into the graph; subnet-up for each (tinc does this too).
    [[nodiscard]] Actions start();
    // Shutdown: subnet-down for own subnets. (tinc sends nothing to neighbours.)
    [[nodiscard]] Actions stop();

    [[nodiscard]] Actions connection_activated(ConnectionId id, const session::Activated& activated,
                                               const std::string& peer_address, bool outgoing, TimePoint now);
    [[nodiscard]] Actions connection_closed(ConnectionId id, TimePoint now);
    [[nodiscard]] Actions request_received(ConnectionId id, const session::ReceivedRequest& request,
                                           TimePoint now);
    [[nodiscard]] Actions packet_received(ConnectionId id, std::span<const std::uint8_t> frame);
    // From the data plane: a frame of this node's that must travel as PACKET (TCPOnly, no
    // key yet, larger than the path MTU), routed by its destination as tinc's send_packet.
    [[nodiscard]] Actions route_local_frame(std::span<const std::uint8_t> frame);
    // A broadcast the data plane received from node `from` (empty: this node's device),
    // passed on along the spanning tree to every MST neighbour but `from`.
    [[nodiscard]] Actions broadcast_from(const std::string& from, std::span<const std::uint8_t> frame);
    // The data plane has no key for `name`: REQ_KEY now, at most once per 10 s (spec 4.5),
    // or at once with `force` (a restarted data plane lost its sequence counters, so every
    // peer must issue a fresh key whose count starts again at 1).
    [[nodiscard]] Actions request_key(const std::string& name, TimePoint now, bool force = false);
    // SIGHUP: the node's own Subnet lines changed; floods the difference.
    [[nodiscard]] Actions set_own_subnets(const std::vector<net::Subnet>& subnets);
    // Timers: PING/PONG, the duplicate cache, key expiry. Call at least every second.
    [[nodiscard]] Actions tick(TimePoint now);

    [[nodiscard]] const graph::Graph& graph() const { return graph_; }
    [[nodiscard]] const std::map<ConnectionId, Neighbour>& neighbours() const { return neighbours_; }
    [[nodiscard]] const NodeKeys* keys_of(const std::string& node) const;
    [[nodiscard]] const MeshCounters& counters() const { return counters_; }
    [[nodiscard]] const MeshSettings& settings() const { return settings_; }

    // Native sessions with sluice nodes: per node the keys for the data plane
    // (native_sessions().peer(name)), and a generation() that changes with any of them.
    [[nodiscard]] const native::NativeSessions& native_sessions() const { return native_; }
    // From the data plane: the first packet authenticated on the native session that carries
    // our index `local_index`, from `name`. It confirms a session this node answered, which
    // then becomes the one to send with (docs/protocol.md 7.2). No actions today: what
    // changed is in native_sessions(), whose generation() then moved.
    [[nodiscard]] Actions on_authenticated_receive(const std::string& name, std::uint32_t local_index,
                                                   TimePoint now);
    // From the data plane: it needs a native session with `name` and has none (after an
    // exchange gave up, say): starts one if `name` is a settled sluice node.
    [[nodiscard]] Actions native_session_wanted(const std::string& name, TimePoint now);
    // A new data plane process: every native session starts over (NativeSessions::restart_all).
    [[nodiscard]] Actions restart_native_sessions(TimePoint now);
    [[nodiscard]] bool is_mst_neighbour(const std::string& name) const {
        return mst_neighbours_.contains(name);
    }

private:
    friend class MeshTestAccess;

    // mesh.cpp: connections, the snapshot, graph() and its consequences.
    void send_snapshot(ConnectionId to, Actions& out);
    void run_graph(Actions& out);
    void node_became_reachable(const graph::ReachabilityChange& change, Actions& out);
    void node_became_unreachable(const graph::ReachabilityChange& change, Actions& out);
    void subnet_script(const char* script, const std::string& owner, const net::Subnet& subnet, Actions& out);
    void purge(Actions& out);
    [[nodiscard]] const Neighbour* neighbour_by_name(const std::string& name) const;
    [[nodiscard]] std::optional<ConnectionId> nexthop_connection(const std::string& node) const;
    // Sends to every active connection except `except` (0: none).
    void broadcast_line(const std::string& line, ConnectionId except, Actions& out);
    [[nodiscard]] std::uint32_t nonce();

    // mesh_edges.cpp
    void on_add_edge(ConnectionId from, const protocol::AddEdgeRequest& req, const std::string& line,
                     Actions& out);
    void on_del_edge(ConnectionId from, const protocol::DelEdgeRequest& req, const std::string& line,
                     Actions& out);
    [[nodiscard]] std::string add_edge_line(const graph::Edge& edge);
    [[nodiscard]] std::string del_edge_line(const std::string& from, const std::string& to);

    // mesh_subnets.cpp
    void on_add_subnet(ConnectionId from, const protocol::AddSubnetRequest& req, const std::string& line,
                       Actions& out);
    void on_del_subnet(ConnectionId from, const protocol::DelSubnetRequest& req, const std::string& line,
                       Actions& out);
    [[nodiscard]] std::string add_subnet_line(const std::string& owner, const net::Subnet& subnet);
    [[nodiscard]] std::string del_subnet_line(const std::string& owner, const net::Subnet& subnet);

    // mesh_keys.cpp
    void on_key_changed(ConnectionId from, const protocol::KeyChangedRequest& req, const std::string& line,
                        Actions& out);
    void on_req_key(ConnectionId from, const protocol::ReqKeyRequest& req, const std::string& line,
                    Actions& out);
    void on_ans_key(ConnectionId from, const protocol::AnsKeyRequest& req, const std::string& line,
                    TimePoint now, Actions& out);
    void send_ans_key(const std::string& to, Actions& out);
    void expire_keys(Actions& out);
    void request_missing_keys(Actions& out);
    void tick_native_sessions(Actions& out);
    // Each as "15 <self> <peer> SLUICE-KX1 <token>" to the peer's next hop.
    void send_kx_tokens(std::vector<native::KxSend> sends, Actions& out);

    // packet_router.cpp
    [[nodiscard]] Actions route_frame(ConnectionId source, std::span<const std::uint8_t> frame);

    // mesh_liveness.cpp
    void on_ping(ConnectionId from, Actions& out);
    void on_pong(ConnectionId from);

    MeshSettings settings_;
    crypto::Random& random_;
    graph::Graph graph_;
    std::map<ConnectionId, Neighbour> neighbours_;
    std::map<std::string, NodeKeys, std::less<>> keys_;
    std::set<std::string> mst_neighbours_;
    SeenRequests seen_;
    MeshCounters counters_;
    TimePoint now_{};  // of the event being handled
    TimePoint last_age_{};
    TimePoint last_key_expiry_{};
    bool started_ = false;
    native::NativeSessions native_;  // after settings_ and random_, which it is made from
};

}  // namespace sluice::mesh
