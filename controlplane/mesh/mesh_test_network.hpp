// Test support for the mesh transcripts: meshes of several nodes wired together in memory.
// Every line one node sends is parsed and handed to the node at the other end of that
// connection, until the network is quiet. Header-only; for tests only.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"

namespace sluice::mesh::testing {

inline net::Subnet subnet(const char* text) {
    return *net::Subnet::parse(text);
}

struct Network {
    struct Endpoint {
        std::string node;
        ConnectionId id;
    };
    crypto::DeterministicRandom random{7};
    std::map<std::string, std::unique_ptr<Mesh>> nodes;
    std::map<std::pair<std::string, ConnectionId>, Endpoint> wires;  // (node, conn) -> other end
    std::vector<std::pair<std::string, RunScript>> scripts;
    std::vector<std::pair<std::string, DeliverFrame>> delivered;
    std::vector<std::pair<std::string, CloseConnection>> closed;
    std::deque<std::tuple<std::string, ConnectionId, std::string>> lines;  // to node, on conn, line
    std::deque<std::tuple<std::string, ConnectionId, std::vector<std::uint8_t>>> packets;
    std::map<std::string, std::vector<std::string>> sent_lines;  // by sender, for inspection
    ConnectionId next_id = 1;
    TimePoint now{};

    // `configure` adjusts the settings before the node is made (native keys, say).
    Mesh& add(const std::string& name, std::vector<net::Subnet> subnets,
              const std::function<void(MeshSettings&)>& configure = {}) {
        MeshSettings s;
        s.self_name = name;
        s.own_subnets = std::move(subnets);
        if (configure) configure(s);
        auto& mesh = nodes[name];
        mesh = std::make_unique<Mesh>(s, random);
        apply(name, mesh->start());
        return *mesh;
    }

    void apply(const std::string& node, Actions actions) {
        for (auto& action : actions) {
            std::visit(
                [&](auto& a) {
                    using T = std::decay_t<decltype(a)>;
                    if constexpr (std::is_same_v<T, SendLine>) {
                        sent_lines[node].push_back(a.line);
                        auto it = wires.find({node, a.to});
                        if (it != wires.end()) lines.emplace_back(it->second.node, it->second.id, a.line);
                    } else if constexpr (std::is_same_v<T, SendPacket>) {
                        auto it = wires.find({node, a.to});
                        if (it != wires.end()) packets.emplace_back(it->second.node, it->second.id, a.frame);
                    } else if constexpr (std::is_same_v<T, RunScript>) {
                        scripts.emplace_back(node, a);
                    } else if constexpr (std::is_same_v<T, DeliverFrame>) {
                        delivered.emplace_back(node, a);
                    } else if constexpr (std::is_same_v<T, CloseConnection>) {
                        closed.emplace_back(node, a);
                    }
                },
                action);
        }
    }

    // Connects a (outgoing) to b and activates both ends; returns a's connection id.
    ConnectionId connect(const std::string& a, const std::string& b, int weight = 10) {
        const ConnectionId ia = next_id++, ib = next_id++;
        wires[{a, ia}] = {b, ib};
        wires[{b, ib}] = {a, ia};
        session::Activated at_a{b, "655", weight, weight, protocol::option_clamp_mss, 0};
        session::Activated at_b{a, "655", weight, weight, protocol::option_clamp_mss, 0};
        apply(a, nodes[a]->connection_activated(ia, at_a, address_of(b), true, now));
        apply(b, nodes[b]->connection_activated(ib, at_b, address_of(a), false, now));
        settle();
        return ia;
    }

    void disconnect(const std::string& a, ConnectionId ia) {
        const Endpoint other = wires.at({a, ia});
        wires.erase({a, ia});
        wires.erase({other.node, other.id});
        apply(a, nodes[a]->connection_closed(ia, now));
        apply(other.node, nodes[other.node]->connection_closed(other.id, now));
        settle();
    }

    static std::string address_of(const std::string& name) {
        static const std::map<std::string, std::string> addresses{{"alpha", "198.18.0.1"},
                                                                  {"beta", "198.18.0.2"},
                                                                  {"gamma", "198.18.0.3"},
                                                                  {"delta", "198.18.0.4"}};
        return addresses.at(name);
    }

    void inject(const std::string& node, ConnectionId from, const std::string& line) {
        lines.emplace_back(node, from, line);
        settle();
    }

    void settle() {
        for (int guard = 0; guard < 10000 && (!lines.empty() || !packets.empty()); ++guard) {
            if (!lines.empty()) {
                auto [node, id, line] = lines.front();
                lines.pop_front();
                auto request = protocol::parse_request(line);
                REQUIRE(request);
                apply(node, nodes[node]->request_received(id, session::ReceivedRequest{*request, line}, now));
            } else {
                auto [node, id, frame] = packets.front();
                packets.pop_front();
                apply(node, nodes[node]->packet_received(id, frame));
            }
        }
        REQUIRE(lines.empty());
    }

    // Every node's timers, once a second for `duration`, each step carried to quiet.
    void run_for(Duration duration) {
        for (const TimePoint end = now + duration; now < end;) {
            now += seconds(1);
            for (auto& [name, mesh] : nodes) apply(name, mesh->tick(now));
            settle();
        }
    }

    const graph::Node& node(const std::string& at, const std::string& name) {
        const graph::Node* n = nodes[at]->graph().find_node(name);
        REQUIRE(n != nullptr);
        return *n;
    }

    ConnectionId conn(const std::string& at, const std::string& peer) {
        for (const auto& [id, n] : nodes[at]->neighbours())
            if (n.name == peer) return id;
        FAIL("no connection from " << at << " to " << peer);
        return 0;
    }
};

}  // namespace sluice::mesh::testing
