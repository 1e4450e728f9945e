// The shared-memory ABI between sluiced and sluice-dp: the one definition of every struct
// that lives in the region, with its size and offsets pinned by static_asserts.
//
// The region, in order (each section starts on a page boundary, see region_layout.hpp):
//
//   RegionHeader                          identity, geometry, pids, the published word
//   kSnapshotSlotCount x SnapshotSlot     SnapshotSlotHeader + opaque table bytes
//   worker_count x WorkerRecord           quiescent generation + counters, per worker
//   worker_count x Ring (event)           sluice-dp -> sluiced, one per worker
//   worker_count x Ring (injection)       sluiced -> sluice-dp, one per worker
//   worker_count x peer_capacity x PeerCounters
//                                         per-peer counters, one array per worker
//
// A Ring is a RingControl followed by ring_capacity RingSlots.
//
// Fields are fixed-width with explicit padding, so both processes see the same bytes whatever
// flags each was built with. The parts written once at creation (RegionInfo, RingInfo) and the
// parts written while no one else looks (SnapshotSlotHeader, RingSlot) are plain trivially
// copyable structs with no implicit padding. Words written while the other side reads are
// std::atomic<std::uint64_t>, which the layout may hold only because it is lock-free and exactly
// a uint64_t (checked below).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

namespace sluice::abi {

// "SLUICESM" in a hexdump of the region's first bytes.
inline constexpr std::uint64_t kMagic = 0x4D53'4543'4955'4C53;

// Bump rule: ANY change to a struct in this folder, to a constant that shapes the region
// (slot counts and sizes, the published-word packing, drop reasons, event types or their
// payloads) or to a field's meaning bumps kAbiVersion. attach_region refuses a region of
// another version, so a sluiced and a sluice-dp from different builds fail loudly at start-up
// instead of misreading each other. magic and abi_version stay at offsets 0 and 8 forever so
// that any two versions can at least tell each other apart.
inline constexpr std::uint32_t kAbiVersion = 6;

inline constexpr std::size_t kCacheLine = 64;

// Snapshot slots: the control plane fills a free one while workers read another. Four lets
// the writer publish twice more while one slow worker still holds an old slot.
inline constexpr std::uint32_t kSnapshotSlotCount = 4;

// Ring slots are fixed at 2 KiB: a 16-byte header plus up to 2032 bytes, room for a
// 1518-byte Ethernet frame with its metadata. Super-frames (GSO/GRO batches up to 64 KiB)
// are split into single frames before they go on a ring: fixed slots keep the ring free of
// wrap-around cases and let a full ring be detected with one subtraction.
inline constexpr std::size_t kRingSlotSize = 2048;

// Why std::atomic<std::uint64_t> may sit in memory shared by two processes: it must be
// lock-free (a lock-based atomic takes a lock from a process-local table the other process
// never sees) and exactly a uint64_t in size and alignment, so that both processes agree on
// every offset after it. Lock-free atomics are also address-free, which cross-process use
// needs: the two mappings have different addresses.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the shared-memory ABI needs lock-free atomics");
static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));
static_assert(alignof(std::atomic<std::uint64_t>) == alignof(std::uint64_t));

// The owner's increment of a word only it writes (a worker's counters): a relaxed load and
// store instead of a locked read-modify-write, which would cost ~20 cycles per packet. Readers
// in the other process still never see a torn value.
inline void add_owned(std::atomic<std::uint64_t>& counter, std::uint64_t delta) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

struct SectionExtent {
    std::uint64_t offset;  // from the start of the region
    std::uint64_t size;    // bytes
};

// The published word packs a snapshot slot index (low 8 bits) and the generation stored in
// that slot (high 56 bits) so that one atomic store switches both together. Generations only
// grow, so the packed word grows with every publication. (shared/snapshot packs it the same
// way; the two must agree.)
inline constexpr unsigned kPublishedSlotBits = 8;
inline constexpr std::uint64_t kMaxGeneration = (std::uint64_t{1} << (64 - kPublishedSlotBits)) - 1;

struct Published {
    std::uint64_t generation;  // 0: nothing published yet
    std::uint32_t slot;
    friend bool operator==(const Published&, const Published&) = default;
};

[[nodiscard]] constexpr std::uint64_t pack_published(Published p) noexcept {
    return (p.generation << kPublishedSlotBits) | p.slot;
}
[[nodiscard]] constexpr Published unpack_published(std::uint64_t word) noexcept {
    return {word >> kPublishedSlotBits,
            static_cast<std::uint32_t>(word & ((std::uint64_t{1} << kPublishedSlotBits) - 1))};
}

// A worker's quiescent_generation while it holds no snapshot (not started, parked, exited).
// Larger than every generation, so an offline worker never holds reclamation back;
// create_region starts every worker offline. (shared/snapshot's kOffline, same value.)
inline constexpr std::uint64_t kQuiescentOffline = std::numeric_limits<std::uint64_t>::max();

// The header's first three lines: identity and geometry, written once by create_region and
// never changed, so a reader may copy them while the other process runs.
struct RegionInfo {
    std::uint64_t magic;
    std::uint32_t abi_version;
    std::uint32_t header_size;  // sizeof(RegionHeader)
    std::uint64_t total_size;   // bytes, equal to the memfd's size
    std::uint32_t worker_count;
    std::uint32_t snapshot_slot_count;
    std::uint64_t snapshot_payload_capacity;  // table bytes per snapshot slot
    std::uint32_t ring_capacity;              // slots per ring, a power of two
    std::uint32_t ring_slot_size;
    std::int64_t created_unix_ns;  // CLOCK_REALTIME at creation, for sluicectl and logs
    std::uint32_t peer_capacity;   // PeerCounters per worker (see peer_counter_slot)
    std::uint32_t reserved0;
    // Where each section is; attach_region checks these against the geometry above.
    SectionExtent snapshots;
    SectionExtent workers;
    SectionExtent event_rings;
    SectionExtent injection_rings;
    SectionExtent peer_counters;
    std::array<std::uint8_t, 48> reserved1;
};

struct alignas(kCacheLine) RegionHeader {
    // Lines 0 to 2.
    RegionInfo info;

    // Line 3: the processes. Each stores its own pid on attach and 0 on clean exit; the
    // region outlives a control plane restart, so the new sluiced finds the old dataplane_pid.
    std::atomic<std::uint64_t> controlplane_pid;
    std::atomic<std::uint64_t> dataplane_pid;
    // The control plane's generation counter: the last snapshot generation it issued. It
    // lives here, not in sluiced's memory, so that a restarted control plane continues the
    // sequence; restarting at 1 would compare below the workers' quiescent generations and
    // make a slot in use look free.
    std::atomic<std::uint64_t> snapshot_generation;
    // The control plane's numbering (controlplane/dataplane/tables_builder): the next node id,
    // key id and native session id it would issue, 0 while none was recorded. Stored after
    // every publication, for the same reason as snapshot_generation: a restarted sluiced must
    // not issue again an id the workers may still hold in their caches (a native session id
    // carries nonce state) or whose per-peer counters belong to a node that has since gone.
    std::atomic<std::uint64_t> next_node_id;
    std::atomic<std::uint64_t> next_key_id;
    std::atomic<std::uint64_t> next_session_id;
    std::array<std::uint8_t, 16> reserved2;

    // Line 4: the published snapshot, alone on its line because every worker reads it every
    // batch. Protocol (implemented by shared/snapshot): the writer picks a slot whose
    // replacement every worker's quiescent_generation has reached, fills it, then makes ONE
    // store of pack_published({generation, slot}) (release at least; shared/snapshot uses
    // seq_cst for its online/offline handshake). A worker loads the word once per batch, uses
    // that slot for the whole batch, then release-stores the generation it used into its
    // quiescent_generation; an idle worker stores kQuiescentOffline instead of blocking the writer.
    std::atomic<std::uint64_t> published;
    std::array<std::uint8_t, 56> reserved3;
};

struct alignas(kCacheLine) SnapshotSlotHeader {
    std::uint64_t generation;   // 0: never filled
    std::uint64_t byte_length;  // bytes of payload in use, <= snapshot_payload_capacity
    std::uint32_t route_count;
    std::uint32_t peer_count;
    std::uint32_t key_count;
    std::uint32_t reserved0;
    std::array<std::uint8_t, 32> reserved1;
};
// In the region each SnapshotSlotHeader is followed by snapshot_payload_capacity bytes whose
// encoding belongs to the snapshot module. The slot header is written by the control plane
// before the publishing store and never while a worker may read it, so it needs no atomics.

// Why a packet was dropped. Every drop is counted under exactly one reason.
enum class DropReason : std::uint8_t {
    no_route,          // no subnet covers the destination
    no_key,            // the peer has no usable session key yet (a key_needed event follows)
    bad_mac,           // authentication failed
    replay,            // outside or already seen in the replay window
    too_short,         // shorter than the headers and tag it must carry
    too_big,           // larger than the path MTU or a buffer
    unknown_peer,      // a datagram from an address no peer uses
    ring_full,         // an event ring had no free slot
    buffer_exhausted,  // no provided buffer left for a receive
    tun_write_failed,
    udp_send_failed,
    not_ipv4_or_ipv6,        // an ethertype or version nibble sluice does not route
    looped_back,             // read from the TUN device but addressed to one of this node's subnets
    native_unknown_session,  // a native packet whose receiver index no published session has
    native_wrong_worker,     // a native packet of a sender lane this worker does not own
};
inline constexpr std::size_t kDropReasonCount = 15;

[[nodiscard]] constexpr std::string_view drop_reason_name(DropReason reason) noexcept {
    constexpr std::array<std::string_view, kDropReasonCount> names{
        "no_route",
        "no_key",
        "bad_mac",
        "replay",
        "too_short",
        "too_big",
        "unknown_peer",
        "ring_full",
        "buffer_exhausted",
        "tun_write_failed",
        "udp_send_failed",
        "not_ipv4_or_ipv6",
        "looped_back",
        "native_unknown_session",
        "native_wrong_worker",
    };
    const auto index = static_cast<std::size_t>(reason);
    return index < names.size() ? names[index] : "unknown";
}

// One worker's counters. Only that worker writes them (add_owned); the control plane reads
// them with relaxed loads for statistics.
struct alignas(kCacheLine) WorkerCounters {
    std::atomic<std::uint64_t> rx_packets;  // UDP datagrams received from peers
    std::atomic<std::uint64_t> rx_bytes;
    std::atomic<std::uint64_t> tx_packets;  // UDP datagrams sent to peers
    std::atomic<std::uint64_t> tx_bytes;
    std::atomic<std::uint64_t> tun_rx_packets;  // frames read from the TUN queue
    std::atomic<std::uint64_t> tun_rx_bytes;
    std::atomic<std::uint64_t> tun_tx_packets;  // frames written to the TUN queue
    std::atomic<std::uint64_t> tun_tx_bytes;
    std::atomic<std::uint64_t> batches;
    std::atomic<std::uint64_t> events_pushed;                        // messages put on the event ring
    std::atomic<std::uint64_t> frames_injected;                      // messages taken from the injection ring
    std::atomic<std::uint64_t> native_rx_packets;                    // of rx_packets: native packets opened
    std::atomic<std::uint64_t> native_tx_packets;                    // of tx_packets: native packets sealed
    std::array<std::atomic<std::uint64_t>, kDropReasonCount> drops;  // indexed by DropReason

    // Its io_uring and buffers. Counters:
    std::atomic<std::uint64_t> completions;  // CQEs handled (completions / batches = batch size)
    std::atomic<std::uint64_t> submits;      // io_uring_submit calls, waiting ones included
    std::atomic<std::uint64_t> sq_full;      // submissions forced early by a full submission queue
    std::atomic<std::uint64_t> recv_rearms;  // multishot receives armed again after they ended
    // Gauges, stored at the end of every batch (and at start-up):
    std::atomic<std::uint64_t> cq_overflow;          // the kernel's count of completions it had no room for
    std::atomic<std::uint64_t> recv_buffers;         // receive buffers the worker owns
    std::atomic<std::uint64_t> recv_buffers_free;    // of them, in the provided ring ready for a datagram
    std::atomic<std::uint64_t> recv_buffers_lowest;  // the fewest free ever seen (a full ring: 0 left)
    std::atomic<std::uint64_t> tun_reads;            // TUN reads in flight (1: one multishot read)
    std::atomic<std::uint64_t> spare_buffers;        // buffers for injected frames and probes
    std::atomic<std::uint64_t> spare_buffers_free;
    std::atomic<std::uint64_t> tun_rearms;  // counter: the multishot TUN read armed again after it ended

    [[nodiscard]] std::atomic<std::uint64_t>& drop(DropReason reason) noexcept {
        return drops[static_cast<std::size_t>(reason)];
    }
    [[nodiscard]] const std::atomic<std::uint64_t>& drop(DropReason reason) const noexcept {
        return drops[static_cast<std::size_t>(reason)];
    }
};

// One worker's record. quiescent_generation has a line of its own: the control plane polls
// it while deciding whether a slot is free, and that polling must not bounce the line the
// worker increments counters on.
struct alignas(kCacheLine) WorkerRecord {
    // The generation of the last batch this worker finished, or kQuiescentOffline.
    std::atomic<std::uint64_t> quiescent_generation;
    std::array<std::uint8_t, 56> reserved0;
    WorkerCounters counters;
};

// One worker's counters for one peer node, in the per-peer section: worker w's array holds
// peer_capacity of them, indexed by peer_counter_slot(node_id). As with WorkerCounters only
// that worker writes them (add_owned); readers sum over workers. They live in the region, so
// they outlive a control-plane restart and only ever grow while sluice-dp runs.
//
// rx counts datagrams authenticated as from the node (legacy or native, PMTU probes and their
// replies and native keepalives included); tx counts datagrams handed to the kernel for the
// node (the UDP hop it was sent to: a relay, for relayed traffic). Bytes are UDP payload
// bytes, as in WorkerCounters. drops counts packets this worker dropped while it knew the
// peer (the sender of a datagram that failed to open, the destination of a frame it could not
// seal); other drops count only in WorkerCounters.
struct alignas(kCacheLine) PeerCounters {
    std::atomic<std::uint64_t> rx_packets;
    std::atomic<std::uint64_t> rx_bytes;
    std::atomic<std::uint64_t> tx_packets;
    std::atomic<std::uint64_t> tx_bytes;
    std::atomic<std::uint64_t> native_rx_packets;  // of rx_packets
    std::atomic<std::uint64_t> native_tx_packets;  // of tx_packets
    std::atomic<std::uint64_t> tcp_frames;         // frames for the node handed to the control plane
    // CLOCK_BOOTTIME ns at the start of the batch that last authenticated a datagram from the
    // node, 0: never. BOOTTIME, not MONOTONIC: it keeps counting through a suspend, so "seconds
    // ago" stays true after a laptop wakes up; both processes read the same clock.
    std::atomic<std::uint64_t> last_rx_boottime_ns;
    std::array<std::atomic<std::uint64_t>, kDropReasonCount> drops;  // indexed by DropReason
    std::uint64_t reserved0;

    [[nodiscard]] std::atomic<std::uint64_t>& drop(DropReason reason) noexcept {
        return drops[static_cast<std::size_t>(reason)];
    }
    [[nodiscard]] const std::atomic<std::uint64_t>& drop(DropReason reason) const noexcept {
        return drops[static_cast<std::size_t>(reason)];
    }
};

// Node ids are dense from 1 (sluiced never reuses one), so slot i counts node i. Slot 0 is the
// overflow slot: node ids at or beyond the capacity are counted there together instead of not
// at all, and so is a packet without a node (never expected).
inline constexpr std::uint32_t kPeerOverflowSlot = 0;
inline constexpr std::uint32_t kDefaultPeerCapacity = 4096;
[[nodiscard]] constexpr std::uint32_t peer_counter_slot(std::uint32_t node_id,
                                                        std::uint32_t capacity) noexcept {
    return node_id < capacity ? node_id : kPeerOverflowSlot;
}

enum class RingKind : std::uint32_t {
    event = 1,      // sluice-dp -> sluiced
    injection = 2,  // sluiced -> sluice-dp
};

// A ring's geometry, written once by create_region.
struct RingInfo {
    std::uint32_t capacity;  // slots, a power of two
    std::uint32_t slot_size;
    RingKind kind;
    std::uint32_t worker_index;
    std::array<std::uint8_t, 48> reserved0;
};

// The shared part of a single-producer single-consumer ring. head and tail count messages
// since creation (they never wrap in practice: 2^64 messages); slot = index & (capacity - 1).
// Each has a line of its own so that producer and consumer write different lines.
struct alignas(kCacheLine) RingControl {
    RingInfo info;                    // line 0
    std::atomic<std::uint64_t> head;  // line 1: the consumer's position (next message to read)
    std::array<std::uint8_t, 56> reserved1;
    std::atomic<std::uint64_t> tail;  // line 2: the producer's position (next slot to write)
    std::array<std::uint8_t, 56> reserved2;
};

struct RingSlotHeader {
    std::uint16_t type;  // EventType or InjectionType (events.hpp); 0 is never used
    std::uint16_t reserved0;
    std::uint32_t length;  // payload bytes
    std::uint64_t aux;     // per-type argument, usually a node id (events.hpp)
};

inline constexpr std::size_t kRingPayloadMax = kRingSlotSize - sizeof(RingSlotHeader);

struct alignas(kCacheLine) RingSlot {
    RingSlotHeader header;
    std::array<std::uint8_t, kRingPayloadMax> payload;
};

// ---- The layout, pinned. A failure here means the ABI changed: bump kAbiVersion. ----

// Plain structs: copyable as bytes, and no implicit padding (unique object representations).
template <typename T>
inline constexpr bool kIsPlainAbiType = std::is_trivially_copyable_v<T>&& std::is_standard_layout_v<T>&&
    std::has_unique_object_representations_v<T>;
// Structs holding atomics: the standard does not promise std::atomic is trivially copyable
// (GCC says yes, others no), so these are checked for what the region needs of them: one
// layout in every compiler, and nothing to run on destruction (nobody destroys them).
template <typename T>
inline constexpr bool kIsSharedAbiType = std::is_standard_layout_v<T>&& std::is_trivially_destructible_v<T>;

static_assert(kIsPlainAbiType<SectionExtent> && sizeof(SectionExtent) == 16);

static_assert(kIsPlainAbiType<RegionInfo> && sizeof(RegionInfo) == 192 && alignof(RegionInfo) == 8);
static_assert(offsetof(RegionInfo, magic) == 0);
static_assert(offsetof(RegionInfo, abi_version) == 8);
static_assert(offsetof(RegionInfo, header_size) == 12);
static_assert(offsetof(RegionInfo, total_size) == 16);
static_assert(offsetof(RegionInfo, worker_count) == 24);
static_assert(offsetof(RegionInfo, snapshot_slot_count) == 28);
static_assert(offsetof(RegionInfo, snapshot_payload_capacity) == 32);
static_assert(offsetof(RegionInfo, ring_capacity) == 40);
static_assert(offsetof(RegionInfo, ring_slot_size) == 44);
static_assert(offsetof(RegionInfo, created_unix_ns) == 48);
static_assert(offsetof(RegionInfo, peer_capacity) == 56);
static_assert(offsetof(RegionInfo, reserved0) == 60);
static_assert(offsetof(RegionInfo, snapshots) == 64);
static_assert(offsetof(RegionInfo, workers) == 80);
static_assert(offsetof(RegionInfo, event_rings) == 96);
static_assert(offsetof(RegionInfo, injection_rings) == 112);
static_assert(offsetof(RegionInfo, peer_counters) == 128);
static_assert(offsetof(RegionInfo, reserved1) == 144);

static_assert(kIsSharedAbiType<RegionHeader> && sizeof(RegionHeader) == 320 && alignof(RegionHeader) == 64);
static_assert(offsetof(RegionHeader, info) == 0);
static_assert(offsetof(RegionHeader, controlplane_pid) == 192);
static_assert(offsetof(RegionHeader, dataplane_pid) == 200);
static_assert(offsetof(RegionHeader, snapshot_generation) == 208);
static_assert(offsetof(RegionHeader, next_node_id) == 216);
static_assert(offsetof(RegionHeader, next_key_id) == 224);
static_assert(offsetof(RegionHeader, next_session_id) == 232);
static_assert(offsetof(RegionHeader, reserved2) == 240);
static_assert(offsetof(RegionHeader, published) == 256);
static_assert(offsetof(RegionHeader, reserved3) == 264);

static_assert(kIsPlainAbiType<SnapshotSlotHeader> && sizeof(SnapshotSlotHeader) == 64);
static_assert(alignof(SnapshotSlotHeader) == 64);
static_assert(offsetof(SnapshotSlotHeader, generation) == 0);
static_assert(offsetof(SnapshotSlotHeader, byte_length) == 8);
static_assert(offsetof(SnapshotSlotHeader, route_count) == 16);
static_assert(offsetof(SnapshotSlotHeader, peer_count) == 20);
static_assert(offsetof(SnapshotSlotHeader, key_count) == 24);
static_assert(offsetof(SnapshotSlotHeader, reserved0) == 28);
static_assert(offsetof(SnapshotSlotHeader, reserved1) == 32);

static_assert(static_cast<std::size_t>(DropReason::native_wrong_worker) + 1 == kDropReasonCount);
static_assert(kIsSharedAbiType<WorkerCounters> && sizeof(WorkerCounters) == 320 &&
              alignof(WorkerCounters) == 64);
static_assert(offsetof(WorkerCounters, rx_packets) == 0);
static_assert(offsetof(WorkerCounters, rx_bytes) == 8);
static_assert(offsetof(WorkerCounters, tx_packets) == 16);
static_assert(offsetof(WorkerCounters, tx_bytes) == 24);
static_assert(offsetof(WorkerCounters, tun_rx_packets) == 32);
static_assert(offsetof(WorkerCounters, tun_rx_bytes) == 40);
static_assert(offsetof(WorkerCounters, tun_tx_packets) == 48);
static_assert(offsetof(WorkerCounters, tun_tx_bytes) == 56);
static_assert(offsetof(WorkerCounters, batches) == 64);
static_assert(offsetof(WorkerCounters, events_pushed) == 72);
static_assert(offsetof(WorkerCounters, frames_injected) == 80);
static_assert(offsetof(WorkerCounters, native_rx_packets) == 88);
static_assert(offsetof(WorkerCounters, native_tx_packets) == 96);
static_assert(offsetof(WorkerCounters, drops) == 104);
static_assert(sizeof(WorkerCounters::drops) == kDropReasonCount * sizeof(std::uint64_t));
static_assert(offsetof(WorkerCounters, completions) == 224);
static_assert(offsetof(WorkerCounters, submits) == 232);
static_assert(offsetof(WorkerCounters, sq_full) == 240);
static_assert(offsetof(WorkerCounters, recv_rearms) == 248);
static_assert(offsetof(WorkerCounters, cq_overflow) == 256);
static_assert(offsetof(WorkerCounters, recv_buffers) == 264);
static_assert(offsetof(WorkerCounters, recv_buffers_free) == 272);
static_assert(offsetof(WorkerCounters, recv_buffers_lowest) == 280);
static_assert(offsetof(WorkerCounters, tun_reads) == 288);
static_assert(offsetof(WorkerCounters, spare_buffers) == 296);
static_assert(offsetof(WorkerCounters, spare_buffers_free) == 304);
static_assert(offsetof(WorkerCounters, tun_rearms) == 312);

static_assert(kIsSharedAbiType<WorkerRecord> && sizeof(WorkerRecord) == 384 && alignof(WorkerRecord) == 64);
static_assert(offsetof(WorkerRecord, quiescent_generation) == 0);
static_assert(offsetof(WorkerRecord, reserved0) == 8);
static_assert(offsetof(WorkerRecord, counters) == 64);

static_assert(kIsSharedAbiType<PeerCounters> && sizeof(PeerCounters) == 192 && alignof(PeerCounters) == 64);
static_assert(offsetof(PeerCounters, rx_packets) == 0);
static_assert(offsetof(PeerCounters, rx_bytes) == 8);
static_assert(offsetof(PeerCounters, tx_packets) == 16);
static_assert(offsetof(PeerCounters, tx_bytes) == 24);
static_assert(offsetof(PeerCounters, native_rx_packets) == 32);
static_assert(offsetof(PeerCounters, native_tx_packets) == 40);
static_assert(offsetof(PeerCounters, tcp_frames) == 48);
static_assert(offsetof(PeerCounters, last_rx_boottime_ns) == 56);
static_assert(offsetof(PeerCounters, drops) == 64);
static_assert(offsetof(PeerCounters, reserved0) == 184);
static_assert(peer_counter_slot(1, kDefaultPeerCapacity) == 1);
static_assert(peer_counter_slot(kDefaultPeerCapacity, kDefaultPeerCapacity) == kPeerOverflowSlot);

static_assert(sizeof(RingKind) == 4);
static_assert(kIsPlainAbiType<RingInfo> && sizeof(RingInfo) == 64 && alignof(RingInfo) == 4);
static_assert(offsetof(RingInfo, capacity) == 0);
static_assert(offsetof(RingInfo, slot_size) == 4);
static_assert(offsetof(RingInfo, kind) == 8);
static_assert(offsetof(RingInfo, worker_index) == 12);
static_assert(offsetof(RingInfo, reserved0) == 16);

static_assert(kIsSharedAbiType<RingControl> && sizeof(RingControl) == 192 && alignof(RingControl) == 64);
static_assert(offsetof(RingControl, info) == 0);
static_assert(offsetof(RingControl, head) == 64);
static_assert(offsetof(RingControl, reserved1) == 72);
static_assert(offsetof(RingControl, tail) == 128);
static_assert(offsetof(RingControl, reserved2) == 136);

static_assert(kIsPlainAbiType<RingSlotHeader> && sizeof(RingSlotHeader) == 16 &&
              alignof(RingSlotHeader) == 8);
static_assert(offsetof(RingSlotHeader, type) == 0);
static_assert(offsetof(RingSlotHeader, reserved0) == 2);
static_assert(offsetof(RingSlotHeader, length) == 4);
static_assert(offsetof(RingSlotHeader, aux) == 8);

static_assert(kIsPlainAbiType<RingSlot> && sizeof(RingSlot) == kRingSlotSize && alignof(RingSlot) == 64);
static_assert(offsetof(RingSlot, header) == 0);
static_assert(offsetof(RingSlot, payload) == 16);
static_assert(kRingPayloadMax == 2032 && kRingPayloadMax >= 1518);

static_assert(kSnapshotSlotCount <= (1U << kPublishedSlotBits));
static_assert(kQuiescentOffline > kMaxGeneration);
static_assert(unpack_published(pack_published({kMaxGeneration, 3})) == Published{kMaxGeneration, 3});

}  // namespace sluice::abi
