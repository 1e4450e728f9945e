// Latency from a change in the control plane's tables to a data-plane worker routing by it,
// through the code the daemons run. Not a test: it prints figures, it asserts nothing.
//
// Per change, on the writer thread (sluiced's side, pinned to CPU 0):
//   mesh     Mesh::request_received with an ADD_SUBNET or DEL_SUBNET line from the neighbour
//            (the subnet 198.19.200.0/24 of one node comes and goes);
//   build    TablesBuilder::build: the mesh as data-plane tables;
//   check    encode_tables into a fresh buffer (sized from the last publication) and compare with the last
//   publication, as
//            sluiced's publish_tables does to skip publications that change nothing;
//   publish  DataPlaneLink's steps: a free slot, encode_tables into the shared-memory slot,
//            the slot header, Publisher::publish;
// and on the reader thread (a sluice-dp worker's side, pinned to CPU 1, spinning between
// batches like a busy worker):
//   seen     begin_batch sees the new generation; TablesView::open, PeerCache::refresh and a
//            route lookup of 198.19.200.1 give the new answer.
// total = mesh + build + check + publish + seen. The writer waits until the reader has seen
// each change before it makes the next, so every sample is one isolated update.
//
// Baseline, measured in the same run on the same region: the snapshot switch alone, a slot
// already holding encoded tables published and noticed with nothing else done (what
// bench_snapshot_publish measures). Not modelled: sluiced's event-loop hop between the mesh
// change and publish_tables (one timer at "now", one loop iteration), and an idle worker,
// which sleeps in io_uring and picks the new tables up with its next batch, before it routes
// that batch's packets.
//
//   bench_table_update [seconds per table size (default 1)]
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "controlplane/dataplane/tables_builder.hpp"
#include "controlplane/mesh/mesh.hpp"
#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"
#include "controlplane/session/meta_connection.hpp"
#include "dataplane/engine/peer_cache.hpp"
#include "shared/abi/region.hpp"
#include "shared/crypto/random.hpp"
#include "shared/snapshot/publisher.hpp"
#include "shared/snapshot/reader.hpp"
#include "shared/tables/tables.hpp"

namespace {

using namespace sluice;
using std::chrono::steady_clock;

constexpr std::uint64_t kSnapshotPayload = 8ULL << 20;  // sluiced's slot size (link.cpp)
constexpr std::size_t kReplayWindowBytes = 16;          // ReplayWindow's default
constexpr std::size_t kMaxSamples = 1 << 18;
constexpr mesh::ConnectionId kBeta = 1;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now().time_since_epoch())
        .count();
}

void pin_to_cpu(unsigned index) {
    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(index % cpus), &set);
    static_cast<void>(pthread_setaffinity_np(pthread_self(), sizeof set, &set));
}

[[noreturn]] void fail(const std::string& what) {
    fmt::print(stderr, "bench_table_update: {}\n", what);
    std::exit(1);
}

// node k of the mesh behind beta ("n0001"...), and its underlay address in 198.18.0.0/16.
std::string node_name(std::size_t k) {
    return fmt::format("n{:04}", k);
}
std::string node_address(std::size_t k) {
    return fmt::format("198.18.{}.{}", 1 + k / 250, 1 + k % 250);
}

// This node (alpha) with one meta connection, to beta, behind which `nodes` - 2 more nodes
// own `subnets` /32 subnets in 198.19.0.0/16 between them: the mesh as tinc's requests build it.
class Network {
public:
    Network(std::size_t nodes, std::size_t subnets) : random_(7), mesh_(settings(), random_) {
        take(mesh_.start());
        const session::Activated activated{
            "beta", "655", 10, 10, protocol::option_pmtu_discovery | protocol::option_clamp_mss, 0};
        take(mesh_.connection_activated(kBeta, activated, "198.18.0.2", true, now_));
        line(fmt::format("12 {:x} beta alpha 198.18.0.1 655 c 10", nonce_++));
        for (std::size_t k = 1; k + 2 <= nodes; ++k) {
            line(fmt::format("12 {:x} beta {} {} 655 c 10", nonce_++, node_name(k), node_address(k)));
            line(fmt::format("12 {:x} {} beta 198.18.0.2 655 c 10", nonce_++, node_name(k)));
        }
        for (std::size_t i = 0; i < subnets; ++i) {
            const std::string owner = nodes > 2 ? node_name(1 + i % (nodes - 2)) : "beta";
            line(fmt::format("10 {:x} {} 198.19.{}.{}/32", nonce_++, owner, i / 256, i % 256));
        }
        owner_ = nodes > 2 ? node_name(1) : "beta";
    }

    // The change: 198.19.200.0/24 of owner() appears or goes.
    void toggle(bool present) {
        line(fmt::format("{} {:x} {} 198.19.200.0/24", present ? 10 : 11, nonce_++, owner_));
    }

    [[nodiscard]] const mesh::Mesh& mesh() const { return mesh_; }
    [[nodiscard]] const std::string& owner() const { return owner_; }
    [[nodiscard]] TimePoint now() const { return now_; }

private:
    static mesh::MeshSettings settings() {
        mesh::MeshSettings s;
        s.self_name = "alpha";
        s.own_subnets = {*net::Subnet::parse("198.19.250.1/32")};
        return s;
    }
    void line(const std::string& text) {
        auto request = protocol::parse_request(text);
        if (!request) fail(fmt::format("cannot parse '{}': {}", text, request.error().message));
        take(mesh_.request_received(kBeta, session::ReceivedRequest{*request, text}, now_));
    }
    static void take(const mesh::Actions& actions) {
        for (const auto& action : actions)
            if (const auto* close = std::get_if<mesh::CloseConnection>(&action))
                fail("the mesh closed the connection to beta: " + close->reason);
    }

    crypto::DeterministicRandom random_;
    mesh::Mesh mesh_;
    TimePoint now_ = TimePoint{} + std::chrono::hours(1);
    std::uint64_t nonce_ = 1;
    std::string owner_;
};

// What the writer tells the reader about the generation in each slot (written before the
// publishing store, read after the reader's acquire-load: the slot protocol protects it).
struct SlotNote {
    bool present = false;       // 198.19.200.0/24 is in these tables
    bool switch_only = false;   // baseline: nothing to open
    std::int64_t stamp_ns = 0;  // when the change started (baseline: just before the switch)
};

struct Shared {
    std::array<SlotNote, abi::kSnapshotSlotCount> notes{};
    std::atomic<std::uint64_t> seen_generation{0};
    std::atomic<bool> stop{false};
    std::atomic<bool> online{false};
    std::vector<std::int64_t> seen_at;  // per sample, written by the reader only
    std::vector<std::int64_t> total;
    std::uint64_t wrong_answers = 0;
};

void run_reader(abi::Region& region, Shared& shared, const std::string& owner) {
    pin_to_cpu(1);
    snapshot::Reader reader(region.header().published, region.worker(0).quiescent_generation);
    dataplane::engine::PeerCache cache(kReplayWindowBytes);
    const net::Ipv4Address probe = *net::Ipv4Address::parse("198.19.200.1");
    reader.come_online();
    shared.online.store(true);
    std::uint64_t last = 0;
    while (!shared.stop.load(std::memory_order_relaxed)) {
        const snapshot::SlotRef ref = reader.begin_batch();
        if (!ref.empty() && ref.generation != last) {
            last = ref.generation;
            const SlotNote& note = shared.notes[ref.slot];
            if (!note.switch_only) {
                const abi::SnapshotSlotRef slot = region.snapshot_slot(static_cast<std::uint32_t>(ref.slot));
                auto view = tables::TablesView::open(slot.payload.first(slot.header->byte_length));
                if (!view) fail("the reader refused a snapshot: " + view.error().message);
                static_cast<void>(cache.refresh(*view));
                const route::Verdict verdict = view->routes().lookup(probe);
                const bool routed = verdict.kind == route::VerdictKind::route &&
                                    view->name(view->peer(verdict.node_index)) == owner;
                if (routed != note.present) ++shared.wrong_answers;
            }
            const std::int64_t seen = now_ns();
            if (shared.total.size() < kMaxSamples) {
                shared.seen_at.push_back(seen);
                shared.total.push_back(seen - note.stamp_ns);
            }
            shared.seen_generation.store(ref.generation, std::memory_order_release);
        }
        reader.end_batch();
    }
}

struct Percentiles {
    double p50 = 0, p99 = 0, max = 0;  // µs
};

Percentiles percentiles(std::vector<std::int64_t> values) {
    Percentiles p;
    if (values.empty()) return p;
    std::sort(values.begin(), values.end());
    const auto at = [&](double f) {
        return static_cast<double>(
                   values[static_cast<std::size_t>(f * static_cast<double>(values.size() - 1))]) /
               1e3;
    };
    p.p50 = at(0.5);
    p.p99 = at(0.99);
    p.max = at(1.0);
    return p;
}

struct PhaseResult {
    std::size_t changes = 0;
    std::size_t table_bytes = 0;
    Percentiles mesh, build, check, publish, seen, total;
    std::uint64_t wrong_answers = 0;
    std::uint64_t lost = 0;  // changes the reader did not see within a second
};

using Workers = snapshot::MemberView<abi::WorkerRecord>;

// One phase: `nodes` nodes and `subnets` subnets, changes for `seconds`. switch_only: the
// baseline, republishing pre-encoded tables.
PhaseResult run_phase(std::size_t nodes, std::size_t subnets, double seconds, bool switch_only) {
    auto layout = abi::compute_layout({1, kSnapshotPayload, 64});
    if (!layout) fail("region layout: " + layout.error().message);
    auto created = abi::create_region(*layout);
    if (!created) fail("region: " + created.error().message);
    abi::Region region = std::move(*created);
    snapshot::Publisher<Workers> publisher(
        region.header().published, abi::kSnapshotSlotCount,
        Workers(region.workers(), &abi::WorkerRecord::quiescent_generation));

    Network network(nodes, subnets);
    dataplane_link::TablesBuilder builder(dataplane_link::BuilderSettings{});
    std::vector<std::uint8_t> last_tables;
    Shared shared;
    shared.seen_at.reserve(kMaxSamples);
    shared.total.reserve(kMaxSamples);

    if (switch_only) {
        // Every slot holds the same encoded tables; the switch alone is measured.
        const tables::TablesInput input = builder.build(network.mesh(), network.now());
        for (std::uint32_t s = 0; s < abi::kSnapshotSlotCount; ++s) {
            const abi::SnapshotSlotRef slot = region.snapshot_slot(s);
            auto used = tables::encode_tables(input, slot.payload);
            if (!used) fail("encode: " + used.error().message);
            slot.header->byte_length = *used;
            shared.notes[s].switch_only = true;
        }
    }

    std::thread reader(run_reader, std::ref(region), std::ref(shared), network.owner());
    while (!shared.online.load()) std::this_thread::yield();
    pin_to_cpu(0);

    std::vector<std::int64_t> mesh_ns, build_ns, check_ns, publish_ns, publish_end;
    PhaseResult result;
    steady_clock clock;
    const auto end = clock.now() + std::chrono::duration_cast<steady_clock::duration>(
                                       std::chrono::duration<double>(seconds));
    bool present = false;
    while (clock.now() < end && mesh_ns.size() < kMaxSamples) {
        present = !present;
        const std::int64_t t0 = now_ns();
        std::int64_t t1 = t0, t2 = t0, t3 = t0;
        std::optional<tables::TablesInput> input;
        if (!switch_only) {
            network.toggle(present);
            t1 = now_ns();
            input = builder.build(network.mesh(), network.now());
            t2 = now_ns();
            // sluiced's publish_tables: encode into a fresh buffer sized from the last
            // publication, skip unchanged tables.
            std::vector<std::uint8_t> encoded(
                std::max<std::size_t>(1 << 16, last_tables.size() + last_tables.size() / 4));
            for (;;) {
                auto used = tables::encode_tables(*input, encoded);
                if (used) {
                    encoded.resize(*used);
                    break;
                }
                if (encoded.size() >= (64U << 20)) fail("encode: " + used.error().message);
                encoded.resize(encoded.size() * 4);
            }
            if (encoded == last_tables) fail("a change left the tables as they were");
            last_tables = std::move(encoded);
            t3 = now_ns();
        }
        // DataPlaneLink::try_publish.
        auto slot = publisher.wait_for_free_slot(clock.now() + std::chrono::milliseconds(5), clock,
                                                 snapshot::SleepIdle{});
        if (!slot) fail("no free slot within 5 ms");
        const abi::SnapshotSlotRef ref = region.snapshot_slot(static_cast<std::uint32_t>(*slot));
        SlotNote& note = shared.notes[*slot];
        if (!switch_only) {
            auto used = tables::encode_tables(*input, ref.payload);
            if (!used) fail("encode: " + used.error().message);
            ref.header->byte_length = *used;
            ref.header->peer_count = static_cast<std::uint32_t>(input->nodes.size());
            ref.header->route_count = static_cast<std::uint32_t>(input->subnets.size());
            note.present = present;
            note.stamp_ns = t0;
            result.table_bytes = *used;
        } else {
            note.stamp_ns = now_ns();
        }
        ref.header->generation = publisher.next_generation();
        const std::uint64_t generation = publisher.publish(*slot);
        region.header().snapshot_generation.store(generation);
        const std::int64_t t4 = now_ns();

        mesh_ns.push_back(t1 - t0);
        build_ns.push_back(t2 - t1);
        check_ns.push_back(t3 - t2);
        publish_ns.push_back(t4 - t3);
        publish_end.push_back(t4);
        // One isolated update at a time: wait for the reader (not timed).
        const auto give_up = clock.now() + std::chrono::seconds(1);
        while (shared.seen_generation.load(std::memory_order_acquire) < generation && clock.now() < give_up)
            std::this_thread::yield();
        if (shared.seen_generation.load(std::memory_order_acquire) < generation) {
            ++result.lost;
            break;
        }
    }
    shared.stop.store(true);
    reader.join();

    const std::size_t n = std::min(shared.total.size(), publish_end.size());
    std::vector<std::int64_t> seen_ns(n);
    for (std::size_t i = 0; i < n; ++i) seen_ns[i] = shared.seen_at[i] - publish_end[i];
    result.changes = n;
    result.mesh = percentiles(mesh_ns);
    result.build = percentiles(build_ns);
    result.check = percentiles(check_ns);
    result.publish = percentiles(publish_ns);
    result.seen = percentiles(seen_ns);
    result.total = percentiles(std::vector<std::int64_t>(
        shared.total.begin(), shared.total.begin() + static_cast<std::ptrdiff_t>(n)));
    result.wrong_answers = shared.wrong_answers;
    return result;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::strtod(argv[1], nullptr) : 1.0;
    if (!(seconds > 0)) {
        fmt::print(stderr, "usage: bench_table_update [seconds per table size]\n");
        return 2;
    }
    std::string load = "?";
    if (std::ifstream loadavg("/proc/loadavg"); loadavg) std::getline(loadavg, load);
    fmt::print(
        "control-plane change -> data plane: ADD_SUBNET/DEL_SUBNET from a neighbour through Mesh,\n"
        "TablesBuilder, sluiced's encode-and-compare, encode into the slot + publish, until a\n"
        "spinning worker (open, peer cache refresh, route lookup) routes by it\n");
    fmt::print("CPU: {}, {} hardware threads; {:.1f} s per size; load average at start: {}\n", cpu_model(),
               std::thread::hardware_concurrency(), seconds, load);

    const PhaseResult baseline = run_phase(2, 10, seconds, true);
    fmt::print(
        "baseline, the snapshot switch alone: p50 {:.2f} µs, p99 {:.2f} µs, max {:.1f} µs ({} switches)\n\n",
        baseline.total.p50, baseline.total.p99, baseline.total.max, baseline.changes);
    fmt::print("{:>5} {:>7} {:>9} {:>7} | {:>8} {:>8} {:>8} {:>8} {:>8} | {:>9} {:>9} {:>9} | {:>9}\n",
               "nodes", "subnets", "table KiB", "changes", "mesh", "build", "check", "publish", "seen",
               "total p50", "total p99", "max", "p50/switch");
    fmt::print("{:>5} {:>7} {:>9} {:>7} | {:^44} | {:^29} |\n", "", "", "", "", "p50 µs per stage", "µs", "");
    struct Size {
        std::size_t nodes, subnets;
    };
    for (const Size size : {Size{2, 10}, Size{10, 100}, Size{100, 1000}, Size{100, 10000}}) {
        const PhaseResult r = run_phase(size.nodes, size.subnets, seconds, false);
        fmt::print(
            "{:>5} {:>7} {:>9.1f} {:>7} | {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} | {:>9.1f} {:>9.1f} "
            "{:>9.1f} | {:>9.0f}x{}{}\n",
            size.nodes, size.subnets, static_cast<double>(r.table_bytes) / 1024.0, r.changes, r.mesh.p50,
            r.build.p50, r.check.p50, r.publish.p50, r.seen.p50, r.total.p50, r.total.p99, r.total.max,
            baseline.total.p50 > 0 ? r.total.p50 / baseline.total.p50 : 0.0,
            r.wrong_answers ? fmt::format("  ({} WRONG ANSWERS)", r.wrong_answers) : std::string(),
            r.lost ? fmt::format("  ({} change not seen within 1 s)", r.lost) : std::string());
    }
    return 0;
}
