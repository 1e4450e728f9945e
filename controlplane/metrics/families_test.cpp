#include "controlplane/metrics/families.hpp"

#include <set>
#include <sstream>

#include <catch2/catch.hpp>

using namespace sluice;
using namespace sluice::metrics;

namespace {

Facts two_workers_two_peers() {
    Facts f;
    f.version = "0.9.0";
    f.abi = 4;
    f.node = "alpha";
    f.uptime_seconds = 12.5;
    f.data_plane_attached = true;
    f.meta_connections = {0, 1, 2};
    f.nodes_known = 3;
    f.nodes_reachable = 2;
    f.mesh.packets_forwarded = 7;
    f.mesh.packets_dropped_loop = 2;
    for (std::uint32_t w = 0; w < 2; ++w) {
        WorkerFacts wf;
        wf.worker = w;
        for (std::size_t i = 0; i < wf.counters.size(); ++i) wf.counters[i] = 100 * (w + 1) + i;
        wf.drops[static_cast<std::size_t>(abi::DropReason::replay)] = 3 + w;
        wf.event_ring = {w, 1024};
        wf.injection_ring = {0, 1024};
        f.workers.push_back(wf);
    }
    f.peers.push_back({"beta", true, "udp", 1518, true});
    f.peers.back().drops[static_cast<std::size_t>(abi::DropReason::bad_mac)] = 9;
    f.peers.back().cipher = "aes-256-gcm";
    f.peers.push_back({"gamma", false, "udp via beta", 1400, false});
    return f;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("every family is announced once with HELP and TYPE, right before its samples") {
    const std::string text = render(sluice_metrics(two_workers_two_peers()));
    std::set<std::string> announced;
    std::string current;
    for (const auto& line : lines_of(text)) {
        if (line.starts_with("# HELP ")) {
            current = line.substr(7, line.find(' ', 7) - 7);
            CHECK(announced.insert(current).second);
        } else if (line.starts_with("# TYPE ")) {
            CHECK(line.starts_with("# TYPE " + current + " "));
            const bool counter = line.ends_with(" counter");
            CHECK(counter == current.ends_with("_total"));
        } else {
            CAPTURE(line);
            const std::string name = line.substr(0, line.find_first_of("{ "));
            CHECK(name == current);
        }
    }
    // Worker rows + drops + two ring families; ten peer rows + info + drops (no key or rx ages).
    CHECK(announced.size() == 6 + 8 + worker_counter_rows.size() + 3 + 12);
}

TEST_CASE("the node, mesh, worker and peer samples carry the facts") {
    const std::string text = render(sluice_metrics(two_workers_two_peers()));
    for (const std::string line : {
             R"(sluice_info{version="0.9.0",abi="4",node="alpha"} 1)",
             "sluice_uptime_seconds 12.5",
             "sluice_data_plane_attached 1",
             R"(sluice_meta_connections{state="active"} 2)",
             "sluice_nodes_known 3",
             "sluice_nodes_reachable 2",
             "sluice_mesh_packets_forwarded_total 7",
             R"(sluice_mesh_packets_dropped_total{reason="loop"} 2)",
             R"(sluice_mesh_packets_dropped_total{reason="no_subnet"} 0)",
             R"(sluice_worker_rx_packets_total{worker="0"} 100)",
             R"(sluice_worker_rx_packets_total{worker="1"} 200)",
             R"(sluice_worker_native_tx_packets_total{worker="1"} 212)",
             R"(sluice_worker_drops_total{worker="1",reason="replay"} 4)",
             R"(sluice_worker_drops_total{worker="0",reason="no_route"} 0)",
             R"(sluice_peer_reachable{peer="beta"} 1)",
             R"(sluice_peer_reachable{peer="gamma"} 0)",
             R"(sluice_peer_path_mtu_bytes{peer="gamma"} 1400)",
             R"(sluice_peer_native_session{peer="beta"} 1)",
             R"(sluice_peer_info{peer="gamma",path="udp via beta",cipher=""} 1)",
             R"(sluice_peer_info{peer="beta",path="udp",cipher="aes-256-gcm"} 1)",
             R"(sluice_peer_drops_total{peer="beta",reason="bad_mac"} 9)",
             R"(sluice_peer_drops_total{peer="gamma",reason="bad_mac"} 0)",
             R"(sluice_worker_ring_messages{worker="1",ring="event"} 1)",
             R"(sluice_worker_ring_capacity{worker="0",ring="injection"} 1024)",
             "# TYPE sluice_worker_recv_buffers_free gauge",
             "# TYPE sluice_worker_cq_overflow_total counter",
         }) {
        CAPTURE(line);
        CHECK(has_line(text, line));
    }
    // Every drop reason of every worker, zeros included: rate() needs the series to exist.
    std::size_t drop_samples = 0;
    for (const auto& line : lines_of(text))
        drop_samples += line.starts_with("sluice_worker_drops_total{") ? 1 : 0;
    CHECK(drop_samples == 2 * abi::kDropReasonCount);
}

TEST_CASE("without a data plane: no worker or peer samples, and their families are left out") {
    Facts f = two_workers_two_peers();
    f.workers.clear();
    f.peers.clear();
    f.data_plane_attached = false;
    const std::string text = render(sluice_metrics(f));
    CHECK(text.find("sluice_worker_") == std::string::npos);
    CHECK(text.find("sluice_peer_") == std::string::npos);
    CHECK(has_line(text, "sluice_data_plane_attached 0"));
}

TEST_CASE("golden: the per-peer section") {
    Facts f;
    PeerFacts beta{"b\"eta", true, "tcp via c", 1518, false};
    beta.rx_packets = 3;
    beta.rx_bytes = 4500;
    beta.tx_packets = 2;
    beta.tx_bytes = 3000;
    beta.native_rx_packets = 1;
    beta.tcp_frames = 7;
    f.peers.push_back(beta);
    const std::string text = render(sluice_metrics(f));
    const std::size_t from = text.find("# HELP sluice_peer_reachable");
    const std::string first = text.substr(from, text.find("# HELP sluice_peer_rx_packets_total") - from);
    CHECK(
        first ==
        "# HELP sluice_peer_reachable 1 if the peer is reachable in the tables published to the data plane.\n"
        "# TYPE sluice_peer_reachable gauge\n"
        "sluice_peer_reachable{peer=\"b\\\"eta\"} 1\n"
        "# HELP sluice_peer_path_mtu_bytes Largest frame (Ethernet header included) the UDP path to the peer "
        "carries, as published.\n"
        "# TYPE sluice_peer_path_mtu_bytes gauge\n"
        "sluice_peer_path_mtu_bytes{peer=\"b\\\"eta\"} 1518\n"
        "# HELP sluice_peer_native_session 1 if packets to the peer are sealed in sluice's native format.\n"
        "# TYPE sluice_peer_native_session gauge\n"
        "sluice_peer_native_session{peer=\"b\\\"eta\"} 0\n");
    for (const char* line :
         {"# TYPE sluice_peer_rx_packets_total counter", "sluice_peer_rx_packets_total{peer=\"b\\\"eta\"} 3",
          "sluice_peer_rx_bytes_total{peer=\"b\\\"eta\"} 4500",
          "sluice_peer_tx_packets_total{peer=\"b\\\"eta\"} 2",
          "sluice_peer_tx_bytes_total{peer=\"b\\\"eta\"} 3000",
          "sluice_peer_native_rx_packets_total{peer=\"b\\\"eta\"} 1",
          "sluice_peer_native_tx_packets_total{peer=\"b\\\"eta\"} 0",
          "sluice_peer_tcp_frames_total{peer=\"b\\\"eta\"} 7",
          "sluice_peer_info{peer=\"b\\\"eta\",path=\"tcp via c\",cipher=\"\"} 1"}) {
        INFO(line);
        CHECK(has_line(text, line));
    }
    // Never heard from: no age sample at all (rather than a made-up number).
    CHECK(text.find("sluice_peer_last_rx_age_seconds{") == std::string::npos);
    CHECK(text.find("sluice_peer_key_age_seconds{") == std::string::npos);
    f.peers[0].last_rx_age_seconds = 2.5;
    f.peers[0].key_age_seconds = 40;
    const std::string aged = render(sluice_metrics(f));
    CHECK(has_line(aged, "sluice_peer_last_rx_age_seconds{peer=\"b\\\"eta\"} 2.5"));
    CHECK(has_line(aged, "sluice_peer_key_age_seconds{peer=\"b\\\"eta\"} 40"));
}
