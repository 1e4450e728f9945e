// The tables a snapshot carries from sluiced to the sluice-dp workers: one record per node
// (where its packets go, its session keys), the route table, and an index from UDP endpoint to
// node. This is the payload inside a shared-memory SnapshotSlot (shared/abi/layout.hpp); it is
// part of the ABI, so any change here bumps kTablesVersion AND abi::kAbiVersion.
//
// Layout, all integers in host byte order (the payload never leaves the host):
//
//   TablesHeader                         64 bytes
//   PeerRecord[node_count]               in node-name order (strcmp), which is the order the
//                                        route table's node indexes need (route_table.hpp)
//   endpoint index: u32[endpoint_slots]  open addressing, linear probing, kNoIndex = empty
//   route table blob                     shared/route's serialised RouteTable
//   names                                the node names, not terminated, at PeerRecord offsets
//   NativeSessionRecord[session_count]   native sessions with sluice nodes (docs/protocol.md)
//   native keys                          32-byte lane keys, at NativeSessionRecord offsets
//
// Every section starts at a multiple of 8 bytes. Records are plain, trivially copyable structs
// without implicit padding, read in place by the workers after TablesView::open validated them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace sluice::tables {

// "SLTB" when read as a little-endian word.
inline constexpr std::uint32_t kTablesMagic = 0x42544c53;
inline constexpr std::uint32_t kTablesVersion = 3;
inline constexpr std::uint32_t kNoIndex = 0xffffffff;
// The largest legacy UDP key: keylen + ivlen of any CBC cipher OpenSSL offers (64 + 16 for
// the longest keys in use; tinc's aes-256-cbc needs 48).
inline constexpr std::size_t kMaxLegacyKeyBytes = 96;

enum class EndpointFamily : std::uint8_t {
    none = 0,
    ipv4 = 4,
    ipv6 = 6,
};

// A UDP address. IPv4 keeps its 4 bytes at the start of `address`, the rest zero, so two
// endpoints compare equal exactly when their bytes do.
struct Endpoint {
    EndpointFamily family;
    std::uint8_t reserved0;
    std::uint16_t port;  // host byte order
    std::uint32_t reserved1;
    std::array<std::uint8_t, 16> address;  // network byte order

    [[nodiscard]] bool valid() const noexcept { return family != EndpointFamily::none && port != 0; }
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// One direction's legacy (tinc 1.0) UDP key, as ANS_KEY carries it. key_id is unique for the
// life of the region (sluiced never reuses one), so a worker's cached cipher state is valid
// exactly while the id it was built from is still published; 0 means "no key".
struct LegacyKeyRecord {
    std::uint64_t key_id;
    std::int32_t cipher_nid;  // 0: no encryption
    std::int32_t digest_nid;  // 0: no MAC
    std::uint16_t mac_length;
    std::uint8_t compression;  // the level the RECEIVER of this key's packets asked for
    std::uint8_t key_length;   // bytes of key in use
    std::uint32_t reserved0;
    std::array<std::uint8_t, kMaxLegacyKeyBytes> key;

    [[nodiscard]] bool present() const noexcept { return key_id != 0; }
};

namespace peer_flags {
inline constexpr std::uint32_t reachable = 1U << 0;
inline constexpr std::uint32_t self = 1U << 1;
inline constexpr std::uint32_t tcp_only = 1U << 2;        // TCPOnly on either side: PACKET only
inline constexpr std::uint32_t pmtu_discovery = 1U << 3;  // the path has PMTU_DISCOVERY
inline constexpr std::uint32_t clamp_mss = 1U << 4;       // the path has CLAMP_MSS
inline constexpr std::uint32_t indirect = 1U << 5;        // reached only through another node
inline constexpr std::uint32_t all = (1U << 6) - 1;
}  // namespace peer_flags

// Where a node's packets go and with which keys. Indexes are into the PeerRecord array of the
// same snapshot; node_id is sluiced's stable name for the node (it does not change between
// snapshots, unlike the index) and is what the event rings carry.
struct PeerRecord {
    std::uint32_t node_id;
    std::uint32_t flags;          // peer_flags
    std::uint32_t via_index;      // UDP goes to this node (tinc's via; itself when direct)
    std::uint32_t nexthop_index;  // meta connection packets go through (tinc's nexthop)
    std::uint32_t name_offset;    // into the names section
    std::uint16_t name_length;
    std::uint16_t mtu;  // largest frame (Ethernet header included) the UDP path carries
    // Path MTU discovery (spec 5.6), for nodes with peer_flags::pmtu_discovery: min_mtu is
    // the largest probe that came back (0: no UDP path confirmed yet), max_mtu the smallest
    // size known not to pass. Frames above min_mtu go through the next hop or as PACKET, as
    // tinc sends them; workers probe while min_mtu < max_mtu.
    std::uint16_t min_mtu;
    std::uint16_t max_mtu;
    // The native session to seal packets to this node with (an index into the session
    // records), or kNoIndex: then packets to it use the legacy format.
    std::uint32_t native_send;
    Endpoint endpoint;        // this node's UDP address, family none if unknown
    LegacyKeyRecord in_key;   // opens packets FROM this node (we generated it, ANS_KEY to it)
    LegacyKeyRecord out_key;  // seals packets TO this node (from its ANS_KEY)
};

inline constexpr std::size_t kNativeKeyBytes = 32;
inline constexpr std::uint16_t kMaxNativeLanes = 64;

namespace native_flags {
// Seal with this session (it is some node's PeerRecord::native_send).
inline constexpr std::uint8_t send = 1U << 0;
// sluiced waits for the first authenticated packet on this session (a responder's "next"
// session): a worker that opens one reports it once with a native_confirmed event.
inline constexpr std::uint8_t confirm = 1U << 1;
// This node started the exchange: worker 0 sends keepalives on it when it first appears, so
// that the responder can confirm it without waiting for data.
inline constexpr std::uint8_t initiator = 1U << 2;
inline constexpr std::uint8_t all = (1U << 3) - 1;
}  // namespace native_flags

// One native session with one node. session_id is unique for the life of the region, so a
// worker's cipher contexts (and its send counter) stay valid exactly while the id is
// published. Keys: local_lanes send keys (ours, one per sending worker), then remote_lanes
// receive keys (one per sending worker of the peer), 32 bytes each, from keys_offset in the
// native key section.
struct NativeSessionRecord {
    std::uint64_t session_id;
    std::uint32_t node_index;    // the peer
    std::uint32_t local_index;   // in the header of every packet the peer sends us
    std::uint32_t remote_index;  // what we write into our packets
    std::uint32_t keys_offset;   // bytes into the native key section
    std::uint16_t local_lanes;
    std::uint16_t remote_lanes;
    std::uint8_t suite;  // dataplane::crypto::AeadAlgorithm's values (1 AES-256-GCM, 2 ChaCha20-Poly1305)
    std::uint8_t flags;  // native_flags
    std::uint16_t reserved0;
};

struct TablesHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t node_count;
    std::uint32_t self_index;  // the record of this node itself
    std::uint32_t peers_offset;
    std::uint32_t endpoint_index_offset;
    std::uint32_t endpoint_slots;  // a power of two, > node_count
    std::uint32_t routes_offset;
    std::uint32_t routes_length;
    std::uint32_t names_offset;
    std::uint32_t names_length;
    std::uint32_t total_length;
    std::uint32_t sessions_offset;
    std::uint32_t session_count;
    std::uint32_t native_keys_offset;
    std::uint32_t native_keys_length;
};

template <typename T>
inline constexpr bool kIsPlainRecord = std::is_trivially_copyable_v<T>&& std::is_standard_layout_v<T>&&
    std::has_unique_object_representations_v<T>;

static_assert(kIsPlainRecord<Endpoint> && sizeof(Endpoint) == 24);
static_assert(offsetof(Endpoint, port) == 2 && offsetof(Endpoint, address) == 8);
static_assert(kIsPlainRecord<LegacyKeyRecord> && sizeof(LegacyKeyRecord) == 120);
static_assert(offsetof(LegacyKeyRecord, cipher_nid) == 8 && offsetof(LegacyKeyRecord, mac_length) == 16);
static_assert(offsetof(LegacyKeyRecord, key) == 24);
static_assert(kIsPlainRecord<PeerRecord> && sizeof(PeerRecord) == 296 && alignof(PeerRecord) == 8);
static_assert(offsetof(PeerRecord, min_mtu) == 24 && offsetof(PeerRecord, max_mtu) == 26);
static_assert(offsetof(PeerRecord, endpoint) == 32 && offsetof(PeerRecord, in_key) == 56);
static_assert(offsetof(PeerRecord, out_key) == 176 && offsetof(PeerRecord, native_send) == 28);
static_assert(kIsPlainRecord<NativeSessionRecord> && sizeof(NativeSessionRecord) == 32);
static_assert(offsetof(NativeSessionRecord, keys_offset) == 20 && offsetof(NativeSessionRecord, suite) == 28);
static_assert(kIsPlainRecord<TablesHeader> && sizeof(TablesHeader) == 64);

// The hash the endpoint index uses (FNV-1a over family, port and address bytes). Not keyed:
// the index only holds addresses of configured peers, so an attacker cannot fill it.
[[nodiscard]] constexpr std::uint32_t endpoint_hash(const Endpoint& e) noexcept {
    std::uint32_t h = 2166136261U;
    auto mix = [&h](std::uint8_t byte) {
        h ^= byte;
        h *= 16777619U;
    };
    mix(static_cast<std::uint8_t>(e.family));
    mix(static_cast<std::uint8_t>(e.port >> 8));
    mix(static_cast<std::uint8_t>(e.port & 0xff));
    for (auto b : e.address) mix(b);
    return h;
}

}  // namespace sluice::tables
