// What travels on the rings: message types, the meaning of each slot's aux word, and the
// fixed payload prefixes. Part of the ABI: any change here bumps kAbiVersion (layout.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "shared/abi/layout.hpp"

namespace sluice::abi {

// Node ids in aux are the ids the published snapshot gives nodes (its encoding defines them);
// kLocalNode stands for this node itself, e.g. a broadcast read from our own TUN device.
inline constexpr std::uint64_t kLocalNode = 0xFFFF'FFFF;

// Event ring, sluice-dp -> sluiced. Frames are single frames: a worker splits GRO/GSO
// super-frames before pushing (layout.hpp, kRingSlotSize).
enum class EventType : std::uint16_t {
    // The worker has no usable session key for node aux. No payload. Workers should push it
    // rarely (say once per node per snapshot generation) so that a flood of packets to a node
    // without a key is one event, not a full ring.
    key_needed = 1,
    // A datagram from an address no peer uses. Payload: UnknownSource, then as many of the
    // datagram's first bytes as fit, so the control plane can try each node's key on it
    // (tinc's try_harder) and learn the node's new address.
    unknown_source = 2,
    // Path MTU discovery for node aux finished or changed. Payload: PmtuResult.
    pmtu_result = 3,
    // A frame for node aux that must go over the meta connection (TCPOnly, no UDP path, or
    // larger than the path MTU). Payload: the frame.
    tcp_frame = 4,
    // A broadcast or multicast frame that arrived from node aux (kLocalNode: our TUN device)
    // for the control plane to send along the broadcast tree. Payload: the frame.
    broadcast_frame = 5,
    // A packet on native session local_index (payload: NativeConfirmed) from node aux was
    // authenticated, on a session the tables flag native_flags::confirm. Each worker reports
    // a session once.
    native_confirmed = 6,
};

// Injection ring, sluiced -> sluice-dp.
enum class InjectionType : std::uint16_t {
    // A frame for this node that arrived from node aux in a PACKET request on a meta
    // connection: sluiced has routed it already, the worker writes its IP packet to the TUN
    // device. Payload: the frame.
    packet_frame = 1,
};

// The RingSlotHeader::type code of a message type, for RingProducer::try_push.
[[nodiscard]] constexpr std::uint16_t type_code(EventType type) noexcept {
    return static_cast<std::uint16_t>(type);
}
[[nodiscard]] constexpr std::uint16_t type_code(InjectionType type) noexcept {
    return static_cast<std::uint16_t>(type);
}

enum class AddressFamily : std::uint8_t {
    ipv4 = 4,
    ipv6 = 6,
};

// The leading bytes of an unknown_source payload.
struct UnknownSource {
    AddressFamily family;
    std::uint8_t reserved0;
    std::uint16_t port;  // host byte order
    std::uint32_t reserved1;
    std::array<std::uint8_t, 16> address;  // network byte order; IPv4 uses the first 4 bytes
};

// The payload of a pmtu_result event: a probe of min_mtu bytes came back from node aux (0: no
// such news), or a probe of max_mtu + 1 bytes could not even be sent (EMSGSIZE: the local path
// MTU is smaller; 0: no such news). mtu is unused (0). The control plane keeps the state.
struct PmtuResult {
    std::uint16_t mtu;
    std::uint16_t min_mtu;
    std::uint16_t max_mtu;
    std::uint16_t reserved0;
};

struct NativeConfirmed {
    std::uint32_t local_index;
    std::uint32_t reserved0;
};

inline constexpr std::size_t kUnknownSourceDatagramMax = kRingPayloadMax - sizeof(UnknownSource);

static_assert(sizeof(EventType) == sizeof(RingSlotHeader::type));
static_assert(kIsPlainAbiType<NativeConfirmed> && sizeof(NativeConfirmed) == 8);
static_assert(sizeof(InjectionType) == sizeof(RingSlotHeader::type));
static_assert(kIsPlainAbiType<UnknownSource> && sizeof(UnknownSource) == 24 && alignof(UnknownSource) == 4);
static_assert(offsetof(UnknownSource, family) == 0);
static_assert(offsetof(UnknownSource, reserved0) == 1);
static_assert(offsetof(UnknownSource, port) == 2);
static_assert(offsetof(UnknownSource, reserved1) == 4);
static_assert(offsetof(UnknownSource, address) == 8);
static_assert(kIsPlainAbiType<PmtuResult> && sizeof(PmtuResult) == 8 && alignof(PmtuResult) == 2);
static_assert(offsetof(PmtuResult, mtu) == 0);
static_assert(offsetof(PmtuResult, min_mtu) == 2);
static_assert(offsetof(PmtuResult, max_mtu) == 4);
static_assert(offsetof(PmtuResult, reserved0) == 6);

}  // namespace sluice::abi
