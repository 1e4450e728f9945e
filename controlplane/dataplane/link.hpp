// sluiced's side of the data plane: finding or starting sluice-dp, the handover (shared/
// handover), publishing snapshot tables into the region, draining the event rings when the
// doorbell rings, injecting frames, and noticing when sluice-dp dies.
//
// Start-up (blocking, before the meta protocol starts, so that what the ACK announces is
// true): connect to the data plane's socket. Someone answers: a sluice-dp that outlived the
// previous sluiced; its HELLO offers the region and this control plane takes it over without
// disturbing the device or the sessions. Nobody answers: with DataPlane = managed, start
// sluice-dp and attach to it; with DataPlane = external, wait for the supervisor's one.
//
// Later, if the connection ends, sluice-dp is gone (or was restarted by its supervisor): a
// managed one is started again and given the same region, and the current tables are
// published again at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/fd.hpp"
#include "controlplane/io/process.hpp"
#include "shared/abi/region.hpp"
#include "shared/snapshot/publisher.hpp"
#include "shared/tables/tables.hpp"
#include "shared/util/result.hpp"

namespace sluice::dataplane_link {

enum class DataPlaneMode { managed, external, none };

struct LinkSettings {
    DataPlaneMode mode = DataPlaneMode::managed;
    std::string program;      // sluice-dp to start (managed)
    std::string socket_path;  // where sluice-dp listens
    std::uint32_t workers = 1;
    std::string interface;
    std::string port = "655";
    std::string family = "any";  // any | ipv4 | ipv6
    std::size_t replay_window = 16;
    std::string cpus;     // "0,1": worker i pinned to the i-th; empty: the CPUs sluice-dp may
                          // use; "none": no pinning
    std::string logfile;  // passed to a managed sluice-dp; empty: its output is relayed
    int debug_level = 0;
};

struct LinkCallbacks {
    std::function<void(std::uint32_t node_id)> key_needed;
    std::function<void(std::uint32_t node_id, std::span<const std::uint8_t> frame)> tcp_frame;
    std::function<void(std::uint32_t from_node_id, std::span<const std::uint8_t> frame)> broadcast_frame;
    std::function<void(std::span<const std::uint8_t> payload)> unknown_source;
    std::function<void(std::uint32_t node_id, std::uint16_t came_back, std::uint16_t too_big)> pmtu_result;
    // A worker authenticated the first packet on native session local_index from node_id.
    std::function<void(std::uint32_t node_id, std::uint32_t local_index)> native_confirmed;
    // sluice-dp (re)attached: publish everything again.
    std::function<void()> attached;
};

class DataPlaneLink {
public:
    [[nodiscard]] static Result<std::unique_ptr<DataPlaneLink>> start(io::EventLoop& loop,
                                                                      LinkSettings settings,
                                                                      LinkCallbacks callbacks);
    ~DataPlaneLink();

    [[nodiscard]] const std::string& interface() const noexcept { return interface_; }
    [[nodiscard]] bool attached() const noexcept { return control_.valid(); }
    // True when this control plane took over a data plane that was already running.
    [[nodiscard]] bool reattached() const noexcept { return reattached_; }
    // The tables the data plane had when we attached (reattach only).
    [[nodiscard]] std::optional<tables::TablesView> inherited_tables() const;

    // Encodes and publishes. A full set of held slots (a stuck worker) is retried shortly,
    // with the latest input, never dropped.
    void publish(const tables::TablesInput& input);
    // A frame for this node's device (arrived as PACKET).
    void inject(std::span<const std::uint8_t> frame);
    // Stops a managed sluice-dp (STOP) and waits briefly for it; an external one is left
    // running.
    void shutdown();

    [[nodiscard]] abi::Region& region() noexcept { return *region_; }
    [[nodiscard]] std::uint64_t publications() const noexcept { return publications_; }
    [[nodiscard]] std::uint64_t injections_dropped() const noexcept { return injections_dropped_; }

private:
    DataPlaneLink(io::EventLoop& loop, LinkSettings settings, LinkCallbacks callbacks);

    Status connect_or_spawn();
    Status handover(io::Fd socket);
    void on_doorbell();
    void on_control_readable();
    void lost(const std::string& why);
    void try_publish();

    io::EventLoop& loop_;
    LinkSettings settings_;
    LinkCallbacks callbacks_;
    std::optional<abi::Region> region_;
    using Workers = snapshot::MemberView<abi::WorkerRecord>;
    std::optional<snapshot::Publisher<Workers>> publisher_;
    io::Fd control_;
    io::Fd doorbell_;
    std::vector<io::Fd> wake_;
    std::optional<io::ChildProcess> child_;
    std::string interface_;
    bool reattached_ = false;
    bool stopping_ = false;
    std::optional<tables::TablesInput> pending_;
    io::TimerId retry_timer_ = 0;
    std::uint32_t next_injection_worker_ = 0;
    std::uint64_t publications_ = 0;
    std::uint64_t injections_dropped_ = 0;
    std::string relay_buffer_;
};

}  // namespace sluice::dataplane_link
