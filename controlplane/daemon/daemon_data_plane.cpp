// The daemon's side of the data plane: starting or re-attaching sluice-dp, what its events
// ask for (keys, frames for the meta connections, PMTU results, confirmed native sessions),
// and publishing the tables it forwards by.
#include <algorithm>
#include <span>

#include "controlplane/daemon/daemon.hpp"
#include "shared/abi/events.hpp"
#include "shared/log/log.hpp"

namespace sluice::daemon {

using log::Level;

Status Daemon::start_data_plane() {
    if (settings_.data_plane == "none") return {};
    dataplane_link::LinkSettings ls;
    ls.mode = settings_.data_plane == "external" ? dataplane_link::DataPlaneMode::external
                                                 : dataplane_link::DataPlaneMode::managed;
    ls.program = settings_.data_plane_program;
    ls.socket_path = settings_.data_plane_socket;
    ls.workers = settings_.data_plane_workers;
    ls.interface = settings_.interface;
    ls.port = settings_.port;
    ls.family = settings_.address_family == io::AddressFamily::ipv4   ? "ipv4"
                : settings_.address_family == io::AddressFamily::ipv6 ? "ipv6"
                                                                      : "any";
    ls.replay_window = settings_.replay_window;
    ls.cpus = settings_.data_plane_cpus;
    ls.logfile = settings_.logfile;
    ls.debug_level = log::debug_level();
    dataplane_link::LinkCallbacks cb;
    cb.key_needed = [this](std::uint32_t id) {
        const std::string name = tables_->name_of(id);
        if (!name.empty()) apply(mesh_->request_key(name, loop_->now()));
    };
    cb.tcp_frame = [this](std::uint32_t, std::span<const std::uint8_t> frame) {
        apply(mesh_->route_local_frame(frame));
    };
    cb.broadcast_frame = [this](std::uint32_t from, std::span<const std::uint8_t> frame) {
        apply(mesh_->broadcast_from(from == abi::kLocalNode ? std::string() : tables_->name_of(from), frame));
    };
    cb.pmtu_result = [this](std::uint32_t id, std::uint16_t came_back, std::uint16_t too_big) {
        const std::string name = tables_->name_of(id);
        if (name.empty()) return;
        tables_->pmtu_result(name, came_back, too_big, loop_->now());
        tables_changed();
    };
    cb.native_confirmed = [this](std::uint32_t id, std::uint32_t local_index) {
        const std::string name = tables_->name_of(id);
        if (name.empty()) return;
        apply(mesh_->on_authenticated_receive(name, local_index, loop_->now()));
        tables_changed();
    };
    cb.unknown_source = [](std::span<const std::uint8_t>) {
        log::at(Level::traffic, "Received UDP packet from unknown source");
    };
    cb.attached = [this] {
        // A new sluice-dp: its legacy send counters start again at 1, which the peers' replay
        // windows would refuse under the keys they have; ask every peer for a fresh key.
        for (const auto& [name, node] : mesh_->graph().nodes())
            if (node.reachable && name != settings_.name) apply(mesh_->request_key(name, loop_->now(), true));
        // Its native send counters start at 0 too: nonces must never repeat under a key.
        apply(mesh_->restart_native_sessions(loop_->now()));
        last_tables_.clear();
        publish_tables();
    };
    tables_ = std::make_unique<dataplane_link::TablesBuilder>(
        dataplane_link::BuilderSettings{settings_.options, 1518});
    auto link = dataplane_link::DataPlaneLink::start(*loop_, ls, cb);
    if (!link) return fail(link.error());
    data_plane_ = std::move(*link);
    // A region taken over from a running sluice-dp records how far the numbering went (all
    // zeros in a new region).
    const abi::RegionHeader& numbered = data_plane_->region().header();
    tables_->continue_numbering(
        {numbered.next_node_id.load(), numbered.next_key_id.load(), numbered.next_session_id.load()});
    if (auto inherited = data_plane_->inherited_tables()) {
        tables_->adopt(*inherited);
        for (const auto& peer : inherited->peers()) {
            if ((peer.flags & tables::peer_flags::self) != 0) continue;
            if ((peer.flags & tables::peer_flags::reachable) != 0 && peer.in_key.present() &&
                peer.out_key.present())
                held_nodes_.emplace_back(inherited->name(peer));
        }
        hold_publication_until_ = loop_->now() + seconds(30);
        log::info("Keeping the data plane's tables until {} node(s) are back with keys (at most 30 s)",
                  held_nodes_.size());
    }
    return {};
}

void Daemon::tables_changed() {
    if (!data_plane_ || publish_scheduled_) return;
    publish_scheduled_ = true;
    loop_->add_timer(loop_->now(), [this] {
        publish_scheduled_ = false;
        publish_tables();
    });
}

void Daemon::publish_tables() {
    if (!data_plane_ || !data_plane_->attached()) return;
    if (!held_nodes_.empty()) {
        const bool all_back =
            std::all_of(held_nodes_.begin(), held_nodes_.end(), [&](const std::string& name) {
                const graph::Node* node = mesh_->graph().find_node(name);
                const mesh::NodeKeys* keys = mesh_->keys_of(name);
                return node != nullptr && node->reachable && keys != nullptr && keys->inbound &&
                       keys->outbound;
            });
        if (!all_back && loop_->now() < hold_publication_until_) return;
        if (all_back) {
            log::info("The mesh is back: publishing fresh tables to the data plane");
        } else {
            log::warn("Not every node came back within 30 s: publishing the tables as they are");
        }
        held_nodes_.clear();
    }
    const tables::TablesInput input = tables_->build(*mesh_, loop_->now());
    // Recorded before publishing: ids the workers may see are then never issued again, even by
    // a successor of this process.
    const auto numbering = tables_->numbering();
    abi::RegionHeader& header = data_plane_->region().header();
    header.next_node_id.store(numbering.next_node_id);
    header.next_key_id.store(numbering.next_key_id);
    header.next_session_id.store(numbering.next_session_id);
    // Sized from the last publication, so that a large mesh encodes once, not once per 4x
    // growth of the buffer (bench_table_update: three extra encodings at 500 KiB).
    std::vector<std::uint8_t> encoded(
        std::max<std::size_t>(1 << 16, last_tables_.size() + last_tables_.size() / 4));
    for (;;) {
        auto used = tables::encode_tables(input, encoded);
        if (used) {
            encoded.resize(*used);
            break;
        }
        if (encoded.size() >= (64U << 20)) {
            log::error("Cannot publish tables: {}", used.error().message);
            return;
        }
        encoded.resize(encoded.size() * 4);
    }
    if (encoded == last_tables_) return;
    last_tables_ = std::move(encoded);
    data_plane_->publish(input);
}

}  // namespace sluice::daemon
