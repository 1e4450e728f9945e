#include "dataplane/engine/worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include <liburing.h>

#include "dataplane/engine/native_cache.hpp"
#include "dataplane/engine/peer_cache.hpp"
#include "dataplane/engine/pipeline.hpp"
#include "shared/log/log.hpp"
#include "shared/snapshot/reader.hpp"

namespace sluice::dataplane::engine {

namespace {

// Room for a 64 KiB super-frame plus headroom in front and CBC padding + MAC (or an AEAD tag)
// and an ICMP reply behind it.
constexpr std::size_t kBufferSize = 65536 + 4096;
// What a TUN read may fill: the buffer after the headroom, leaving room behind for padding, a
// MAC or tag, and an ICMP reply.
constexpr unsigned kTunReadLength = static_cast<unsigned>(kBufferSize - kHeadroom - 1024);
constexpr std::uint32_t kRecvBuffers = 256;  // provided-buffer ring for UDP receives
constexpr std::uint32_t kTunBuffers = 64;    // provided-buffer ring for the TUN read (or plain reads)
constexpr std::uint32_t kFreeBuffers = 64;   // for injected frames
constexpr std::uint32_t kBuffers = kRecvBuffers + kTunBuffers + kFreeBuffers;
constexpr unsigned kRingEntries = 1024;
constexpr std::uint16_t kBufferGroup = 1;     // UDP receives
constexpr std::uint16_t kTunBufferGroup = 2;  // the multishot TUN read
// Without multishot reads, this many plain reads wait on the TUN queue. Every one of them is
// woken by each arriving frame (io_uring polls them non-exclusively), so a few, not 64.
constexpr std::uint32_t kPlainTunReads = 8;

// IORING_OP_READ_MULTISHOT (Linux 6.7): one read that stays armed and takes a provided buffer
// per frame. Its number in the kernel's enum io_uring_op; liburing 2.3's header predates it.
constexpr std::uint8_t kOpReadMultishot = 49;

enum class Op : std::uint8_t {
    tun_read = 1,
    udp_recv,
    udp_send,
    tun_write,
    wake_read,
    probe_timer,
    tun_multishot
};
enum class Home : std::uint8_t { recv_ring, tun_read, tun_ring, free_list };

constexpr std::uint64_t user_data(Op op, std::uint32_t buffer) noexcept {
    return (std::uint64_t{static_cast<std::uint8_t>(op)} << 32) | buffer;
}

// Registered file slots.
constexpr int kTunSlot = 0;
constexpr int kUdpSlot = 1;
constexpr int kWakeSlot = 2;

struct SendMeta {
    msghdr msg{};
    iovec iov{};
    sockaddr_in6 address{};
    // For a PMTU probe: whom it was for and its frame length (EMSGSIZE is news for them).
    std::uint32_t probe_node = 0;
    std::uint32_t probe_length = 0;
    std::uint32_t node_id = 0;  // whose per-peer counters a failed send is counted under
};

// Worker 0 sends the PMTU probes (spec 5.6: a burst per second while discovery runs).
constexpr std::uint32_t kProbeWorker = 0;
constexpr std::uint32_t kMinProbe = 64;

tables::Endpoint endpoint_of(const sockaddr* sa) noexcept {
    tables::Endpoint e{};
    if (sa->sa_family == AF_INET6) {
        sockaddr_in6 a;
        std::memcpy(&a, sa, sizeof a);
        e.port = ntohs(a.sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) {
            e.family = tables::EndpointFamily::ipv4;
            std::memcpy(e.address.data(), a.sin6_addr.s6_addr + 12, 4);
        } else {
            e.family = tables::EndpointFamily::ipv6;
            std::memcpy(e.address.data(), a.sin6_addr.s6_addr, 16);
        }
    } else if (sa->sa_family == AF_INET) {
        sockaddr_in a;
        std::memcpy(&a, sa, sizeof a);
        e.family = tables::EndpointFamily::ipv4;
        e.port = ntohs(a.sin_port);
        std::memcpy(e.address.data(), &a.sin_addr, 4);
    }
    return e;
}

// The endpoint as a sockaddr for a socket of the given family; false if it cannot be reached
// from that socket (an IPv6 peer on an IPv4-only socket).
bool to_sockaddr(const tables::Endpoint& e, bool socket_ipv6, sockaddr_in6& out, socklen_t& length) noexcept {
    std::memset(&out, 0, sizeof out);
    if (socket_ipv6) {
        out.sin6_family = AF_INET6;
        out.sin6_port = htons(e.port);
        if (e.family == tables::EndpointFamily::ipv4) {
            out.sin6_addr.s6_addr[10] = 0xff;
            out.sin6_addr.s6_addr[11] = 0xff;
            std::memcpy(out.sin6_addr.s6_addr + 12, e.address.data(), 4);
        } else {
            std::memcpy(out.sin6_addr.s6_addr, e.address.data(), 16);
        }
        length = sizeof(sockaddr_in6);
        return true;
    }
    if (e.family != tables::EndpointFamily::ipv4) return false;
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(e.port);
    std::memcpy(&v4.sin_addr, e.address.data(), 4);
    std::memcpy(&out, &v4, sizeof v4);
    length = sizeof(sockaddr_in);
    return true;
}

// For the peers' last_rx (abi::PeerCounters): BOOTTIME keeps counting through a suspend.
std::uint64_t now_boottime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t now_seconds() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec);
}

}  // namespace

struct Worker::Impl {
    WorkerSetup setup;
    io_uring ring{};
    bool ring_ready = false;
    std::uint8_t* pool = nullptr;
    io_uring_buf_ring* buf_ring = nullptr;
    std::size_t buf_ring_bytes = 0;
    io_uring_buf_ring* tun_buf_ring = nullptr;  // multishot TUN read only
    std::size_t tun_buf_ring_bytes = 0;
    bool tun_multishot = false;
    bool tun_armed = false;  // the multishot TUN read is in flight
    std::vector<Home> home = std::vector<Home>(kBuffers, Home::free_list);
    std::vector<SendMeta> sends = std::vector<SendMeta>(kBuffers);
    std::vector<std::uint32_t> free_list;
    msghdr recv_template{};
    std::uint64_t wake_value = 0;
    bool recv_armed = false;
    bool recv_armed_before = false;
    bool tun_armed_before = false;
    std::uint32_t recv_free = 0;    // buffers in the provided ring now
    std::uint32_t recv_lowest = 0;  // the fewest there ever were
    __kernel_timespec probe_interval{1, 0};
    std::uint64_t probe_random = 0x9E3779B97F4A7C15ULL;

    abi::WorkerRecord* record = nullptr;
    std::unique_ptr<abi::RingProducer> events;
    std::unique_ptr<abi::RingConsumer> injections;
    PeerCounterTable peers;
    std::unique_ptr<PeerCache> cache;
    std::unique_ptr<NativeCache> native;
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<snapshot::Reader> reader;
    tables::TablesView tables;
    bool tables_valid = false;
    std::uint64_t tables_generation = 0;

    ~Impl() {
        if (ring_ready) io_uring_queue_exit(&ring);
        if (buf_ring != nullptr) ::munmap(buf_ring, buf_ring_bytes);
        if (tun_buf_ring != nullptr) ::munmap(tun_buf_ring, tun_buf_ring_bytes);
        if (pool != nullptr) ::munmap(pool, kBuffers * kBufferSize);
    }

    std::uint8_t* buffer(std::uint32_t b) const noexcept { return pool + std::size_t{b} * kBufferSize; }
    std::span<std::uint8_t> span_of(std::uint32_t b) const noexcept { return {buffer(b), kBufferSize}; }
    abi::WorkerCounters& counters() noexcept { return record->counters; }

    io_uring_sqe* sqe() noexcept {
        io_uring_sqe* s = io_uring_get_sqe(&ring);
        if (s == nullptr) {
            abi::add_owned(counters().sq_full, 1);
            submit();
            s = io_uring_get_sqe(&ring);
        }
        return s;
    }

    void submit() noexcept {
        abi::add_owned(counters().submits, 1);
        (void)io_uring_submit(&ring);
    }

    void give_to_recv_ring(std::uint32_t b) noexcept {
        io_uring_buf_ring_add(buf_ring, buffer(b), kBufferSize, static_cast<unsigned short>(b),
                              io_uring_buf_ring_mask(kRecvBuffers), 0);
        io_uring_buf_ring_advance(buf_ring, 1);
        ++recv_free;
    }

    // The gauges of abi::WorkerCounters, once per batch.
    void store_gauges() noexcept {
        abi::WorkerCounters& c = counters();
        c.cq_overflow.store(__atomic_load_n(ring.cq.koverflow, __ATOMIC_RELAXED), std::memory_order_relaxed);
        c.recv_buffers_free.store(recv_free, std::memory_order_relaxed);
        c.recv_buffers_lowest.store(recv_lowest, std::memory_order_relaxed);
        c.spare_buffers_free.store(free_list.size(), std::memory_order_relaxed);
    }

    // A provided-buffer ring of `entries` for buffer group `group`, registered and empty. Set up
    // by hand: liburing 2.3 has no io_uring_setup_buf_ring. ~Impl unmaps it.
    Status register_buffer_ring(std::uint32_t entries, std::uint16_t group, io_uring_buf_ring*& out,
                                std::size_t& bytes) {
        bytes = entries * sizeof(io_uring_buf);
        void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return fail("buffer ring: {}", std::strerror(errno));
        out = static_cast<io_uring_buf_ring*>(memory);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uint64_t>(memory);
        reg.ring_entries = entries;
        reg.bgid = group;
        if (const int r = io_uring_register_buf_ring(&ring, &reg, 0); r < 0)
            return fail("io_uring_register_buf_ring: {} (provided buffer rings need Linux 5.19)",
                        std::strerror(-r));
        io_uring_buf_ring_init(out);
        return {};
    }

    // A TUN buffer is provided from kHeadroom on, as a plain read fills it: the tunnel headers
    // are then written in front of the frame without moving it.
    void give_to_tun_ring(std::uint32_t b) noexcept {
        io_uring_buf_ring_add(tun_buf_ring, buffer(b) + kHeadroom, kTunReadLength,
                              static_cast<unsigned short>(b), io_uring_buf_ring_mask(kTunBuffers), 0);
        io_uring_buf_ring_advance(tun_buf_ring, 1);
    }

    void arm_tun_multishot() noexcept {
        io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        if (tun_armed_before) abi::add_owned(counters().tun_rearms, 1);
        tun_armed_before = true;
        io_uring_prep_rw(kOpReadMultishot, s, kTunSlot, nullptr, 0, 0);
        s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
        s->buf_group = kTunBufferGroup;
        io_uring_sqe_set_data64(s, user_data(Op::tun_multishot, 0));
        tun_armed = true;
    }

    void arm_tun_read(std::uint32_t b) noexcept {
        io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        io_uring_prep_read(s, kTunSlot, buffer(b) + kHeadroom, kTunReadLength, 0);
        s->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(s, user_data(Op::tun_read, b));
    }

    void arm_recv() noexcept {
        io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        if (recv_armed_before) abi::add_owned(counters().recv_rearms, 1);
        recv_armed_before = true;
        io_uring_prep_recvmsg_multishot(s, kUdpSlot, &recv_template, 0);
        s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
        s->buf_group = kBufferGroup;
        io_uring_sqe_set_data64(s, user_data(Op::udp_recv, 0));
        recv_armed = true;
    }

    void arm_wake() noexcept {
        io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        io_uring_prep_read(s, kWakeSlot, &wake_value, sizeof wake_value, 0);
        s->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(s, user_data(Op::wake_read, 0));
    }

    void arm_probe_timer() noexcept {
        io_uring_sqe* s = sqe();
        if (s == nullptr) return;
        io_uring_prep_timeout(s, &probe_interval, 0, 0);
        io_uring_sqe_set_data64(s, user_data(Op::probe_timer, 0));
    }

    // One burst per node whose path MTU is still being discovered: the ceiling and four
    // lengths spread over the open range (min, max), so that each burst narrows the range
    // about fivefold (replies raise min, EMSGSIZE lowers max), plus a 64-byte probe while no
    // UDP path is confirmed at all. Discovery settles in two or three bursts.
    void send_probes() noexcept {
        if (!tables_valid) return;
        namespace pf = tables::peer_flags;
        for (std::uint32_t i = 0; i < tables.node_count(); ++i) {
            const tables::PeerRecord& p = tables.peer(i);
            if ((p.flags & (pf::self | pf::tcp_only)) != 0 || (p.flags & pf::reachable) == 0) continue;
            if ((p.flags & pf::pmtu_discovery) == 0 || p.min_mtu >= p.max_mtu || !p.endpoint.valid())
                continue;
            const std::uint32_t lo = p.min_mtu;
            const std::uint32_t span = p.max_mtu - lo;
            const std::uint32_t lengths[6] = {p.max_mtu,         lo + span * 4 / 5, lo + span * 3 / 5,
                                              lo + span * 2 / 5, lo + span / 5,     lo == 0 ? kMinProbe : 0};
            std::uint32_t previous = 0;
            for (const std::uint32_t length : lengths) {
                if (length < kMinProbe || length <= lo || length == previous) continue;
                previous = length;
                if (free_list.empty()) return;
                const std::uint32_t b = free_list.back();
                free_list.pop_back();
                const Decision d = pipeline->probe(span_of(b), i, length, probe_random);
                if (d.action != Action::send_udp) {
                    free_list.push_back(b);
                    break;
                }
                carry_out(b, d);
                sends[b].probe_node = p.node_id;
                sends[b].probe_length = length;
            }
        }
    }

    // Keepalives on native sessions this node started (worker 0, one per probe tick, a few per
    // session), so that the responder can confirm the session before any data flows.
    void send_keepalives() noexcept {
        if (!tables_valid) return;
        for (std::uint32_t i = 0; i < tables.node_count(); ++i) {
            NativeSendEntry* entry = native->find_send(tables.peer(i).node_id);
            if (entry == nullptr || entry->keepalives_left == 0 || free_list.empty()) continue;
            --entry->keepalives_left;
            const std::uint32_t b = free_list.back();
            free_list.pop_back();
            const Decision d = pipeline->keepalive(span_of(b), i);
            if (d.action != Action::send_udp) {
                free_list.push_back(b);
                continue;
            }
            carry_out(b, d);
        }
    }

    // The buffer's last operation is over: back where it lives.
    void release(std::uint32_t b) noexcept {
        switch (home[b]) {
            case Home::recv_ring:
                give_to_recv_ring(b);
                break;
            case Home::tun_read:
                arm_tun_read(b);
                break;
            case Home::tun_ring:
                give_to_tun_ring(b);
                break;
            case Home::free_list:
                free_list.push_back(b);
                break;
        }
    }

    void carry_out(std::uint32_t b, const Decision& d) noexcept {
        switch (d.action) {
            case Action::none:
                release(b);
                return;
            case Action::send_udp: {
                SendMeta& m = sends[b];
                socklen_t length = 0;
                if (!to_sockaddr(d.to, setup.udp_ipv6, m.address, length)) {
                    abi::add_owned(counters().drop(abi::DropReason::udp_send_failed), 1);
                    peers.dropped(d.node_id, abi::DropReason::udp_send_failed);
                    release(b);
                    return;
                }
                m.iov = {buffer(b) + d.offset, d.length};
                m.msg = {};
                m.probe_node = 0;
                m.probe_length = 0;
                m.node_id = d.node_id;
                m.msg.msg_name = &m.address;
                m.msg.msg_namelen = length;
                m.msg.msg_iov = &m.iov;
                m.msg.msg_iovlen = 1;
                io_uring_sqe* s = sqe();
                if (s == nullptr) {
                    abi::add_owned(counters().drop(abi::DropReason::udp_send_failed), 1);
                    peers.dropped(d.node_id, abi::DropReason::udp_send_failed);
                    release(b);
                    return;
                }
                io_uring_prep_sendmsg(s, kUdpSlot, &m.msg, 0);
                s->flags |= IOSQE_FIXED_FILE;
                io_uring_sqe_set_data64(s, user_data(Op::udp_send, b));
                abi::add_owned(counters().tx_packets, 1);
                abi::add_owned(counters().tx_bytes, d.length);
                peers.sent(d.node_id, d.length);
                return;
            }
            case Action::write_tun: {
                io_uring_sqe* s = sqe();
                if (s == nullptr) {
                    abi::add_owned(counters().drop(abi::DropReason::tun_write_failed), 1);
                    release(b);
                    return;
                }
                io_uring_prep_write(s, kTunSlot, buffer(b) + d.offset, d.length, 0);
                s->flags |= IOSQE_FIXED_FILE;
                io_uring_sqe_set_data64(s, user_data(Op::tun_write, b));
                abi::add_owned(counters().tun_tx_packets, 1);
                abi::add_owned(counters().tun_tx_bytes, d.length);
                return;
            }
        }
    }

    void on_udp_recv(const io_uring_cqe* cqe) noexcept {
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) recv_armed = false;
        if (cqe->res < 0) {
            if (cqe->res == -ENOBUFS) abi::add_owned(counters().drop(abi::DropReason::buffer_exhausted), 1);
            return;
        }
        if ((cqe->flags & IORING_CQE_F_BUFFER) == 0) return;
        const auto b = static_cast<std::uint32_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        if (b >= kRecvBuffers) return;
        --recv_free;
        if (recv_free < recv_lowest) recv_lowest = recv_free;
        auto* out = io_uring_recvmsg_validate(buffer(b), cqe->res, &recv_template);
        if (out == nullptr) {
            abi::add_owned(counters().drop(abi::DropReason::too_short), 1);
            give_to_recv_ring(b);
            return;
        }
        const auto* payload = static_cast<std::uint8_t*>(io_uring_recvmsg_payload(out, &recv_template));
        const auto length = io_uring_recvmsg_payload_length(out, cqe->res, &recv_template);
        abi::add_owned(counters().rx_packets, 1);
        abi::add_owned(counters().rx_bytes, length);
        if ((out->flags & MSG_TRUNC) != 0) {
            abi::add_owned(counters().drop(abi::DropReason::too_big), 1);
            give_to_recv_ring(b);
            return;
        }
        const tables::Endpoint source = endpoint_of(static_cast<const sockaddr*>(io_uring_recvmsg_name(out)));
        const auto offset = static_cast<std::uint32_t>(payload - buffer(b));
        carry_out(b, pipeline->from_udp(span_of(b), offset, length, source));
    }

    void on_tun_multishot(const io_uring_cqe* cqe) noexcept {
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) tun_armed = false;          // armed again after the batch
        if (cqe->res <= 0 || (cqe->flags & IORING_CQE_F_BUFFER) == 0) return;  // -ENOBUFS: all buffers busy
        const auto b = static_cast<std::uint32_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        if (b < kRecvBuffers || b >= kRecvBuffers + kTunBuffers) return;
        abi::add_owned(counters().tun_rx_packets, 1);
        abi::add_owned(counters().tun_rx_bytes, static_cast<std::uint64_t>(cqe->res));
        carry_out(b, pipeline->from_tun(span_of(b), kHeadroom, static_cast<std::uint32_t>(cqe->res)));
    }

    void on_tun_read(std::uint32_t b, int res) noexcept {
        if (res <= 0) {
            // -EINTR/-EAGAIN or a device being torn down: try again, unless stopping.
            if (!setup.stop->load(std::memory_order_relaxed)) arm_tun_read(b);
            return;
        }
        abi::add_owned(counters().tun_rx_packets, 1);
        abi::add_owned(counters().tun_rx_bytes, static_cast<std::uint64_t>(res));
        carry_out(b, pipeline->from_tun(span_of(b), kHeadroom, static_cast<std::uint32_t>(res)));
    }

    void drain_injections() noexcept {
        while (!free_list.empty()) {
            auto entry = injections->try_peek();
            if (!entry) return;
            const std::uint32_t b = free_list.back();
            free_list.pop_back();
            const std::size_t n = entry->payload.size();
            std::memcpy(buffer(b) + kHeadroom, entry->payload.data(), n);
            injections->pop();
            abi::add_owned(counters().frames_injected, 1);
            carry_out(b, pipeline->from_injection(span_of(b), kHeadroom, static_cast<std::uint32_t>(n)));
        }
    }

    void refresh_tables(const snapshot::SlotRef& ref) noexcept {
        if (ref.empty()) {
            tables_valid = false;
            pipeline->use_tables(nullptr, 0);
            return;
        }
        if (ref.generation != tables_generation) {
            tables_generation = ref.generation;
            const abi::SnapshotSlotRef slot =
                setup.region->snapshot_slot(static_cast<std::uint32_t>(ref.slot));
            const auto length = std::min<std::uint64_t>(slot.header->byte_length, slot.payload.size());
            auto view = tables::TablesView::open(slot.payload.first(length));
            if (!view) {
                // Never expected: sluiced validates what it publishes. Refuse the tables rather
                // than read them; the next publication may be fine.
                log::error("worker {}: snapshot {} refused: {}", setup.index, ref.generation,
                           view.error().message);
                tables_valid = false;
            } else {
                tables = *view;
                tables_valid = true;
                const RefreshStats stats = cache->refresh(tables);
                const NativeRefreshStats native_stats = native->refresh(tables);
                if (native_stats.sessions_refused != 0)
                    log::error("worker {}: {} native sessions could not be set up (AEAD unavailable)",
                               setup.index, native_stats.sessions_refused);
                if (stats.keys_refused != 0)
                    log::error(
                        "worker {}: {} session keys could not be set up (cipher or digest unavailable)",
                        setup.index, stats.keys_refused);
            }
        }
        pipeline->use_tables(tables_valid ? &tables : nullptr, tables_generation);
    }

    void loop() {
        const std::atomic<bool>& stop = *setup.stop;
        reader->come_online();
        for (;;) {
            refresh_tables(reader->begin_batch());
            pipeline->set_now_seconds(now_seconds());
            pipeline->set_now_boottime_ns(now_boottime_ns());
            unsigned seen = 0;
            io_uring_cqe* cqe = nullptr;
            unsigned head;
            io_uring_for_each_cqe(&ring, head, cqe) {
                ++seen;
                const auto op = static_cast<Op>(cqe->user_data >> 32);
                const auto b = static_cast<std::uint32_t>(cqe->user_data & 0xffffffffU);
                switch (op) {
                    case Op::tun_read:
                        on_tun_read(b, cqe->res);
                        break;
                    case Op::tun_multishot:
                        on_tun_multishot(cqe);
                        break;
                    case Op::udp_recv:
                        on_udp_recv(cqe);
                        break;
                    case Op::udp_send:
                        if (cqe->res == -EMSGSIZE && sends[b].probe_length != 0) {
                            pipeline->probe_too_big(sends[b].probe_node, sends[b].probe_length);
                        } else if (cqe->res < 0) {
                            abi::add_owned(counters().drop(abi::DropReason::udp_send_failed), 1);
                            peers.dropped(sends[b].node_id, abi::DropReason::udp_send_failed);
                        }
                        release(b);
                        break;
                    case Op::probe_timer:
                        send_probes();
                        send_keepalives();
                        arm_probe_timer();
                        break;
                    case Op::tun_write:
                        if (cqe->res < 0)
                            abi::add_owned(counters().drop(abi::DropReason::tun_write_failed), 1);
                        release(b);
                        break;
                    case Op::wake_read:
                        arm_wake();
                        break;
                }
            }
            io_uring_cq_advance(&ring, seen);
            drain_injections();
            if (!recv_armed) arm_recv();
            if (tun_multishot && !tun_armed && !stop.load(std::memory_order_relaxed)) arm_tun_multishot();
            if (seen != 0) {
                abi::add_owned(counters().batches, 1);
                abi::add_owned(counters().completions, seen);
            }
            store_gauges();
            reader->end_batch();
            if (pipeline->take_events_pushed()) {
                const std::uint64_t one = 1;
                (void)!::write(setup.doorbell_fd->load(std::memory_order_relaxed), &one, sizeof one);
            }
            if (stop.load(std::memory_order_acquire)) break;
            if (io_uring_cq_ready(&ring) != 0) {
                submit();
                continue;
            }
            // Nothing ready: leave reclamation while blocked, so the control plane never
            // waits on an idle worker to publish.
            reader->go_offline();
            abi::add_owned(counters().submits, 1);
            const int r = io_uring_submit_and_wait(&ring, 1);
            reader->come_online();
            if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
                log::error("worker {}: io_uring_submit_and_wait: {}", setup.index, std::strerror(-r));
                break;
            }
        }
        reader->go_offline();
    }
};

Worker::Worker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Worker::~Worker() = default;

Result<std::unique_ptr<Worker>> Worker::create(const WorkerSetup& setup, WorkerReport& report) {
    auto impl = std::make_unique<Impl>();
    Impl& w = *impl;
    w.setup = setup;
    const auto who = fmt::format("worker {}", setup.index);

    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    params.flags |= IORING_SETUP_CQSIZE;
    params.cq_entries = kRingEntries * 4;
    int r = io_uring_queue_init_params(kRingEntries, &w.ring, &params);
    report.ring_setup = "SINGLE_ISSUER|DEFER_TASKRUN";
    if (r == -EINVAL) {
        params = {};
        params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
        params.cq_entries = kRingEntries * 4;
        r = io_uring_queue_init_params(kRingEntries, &w.ring, &params);
        report.ring_setup = "COOP_TASKRUN (this kernel refused SINGLE_ISSUER|DEFER_TASKRUN, which needs 6.1)";
    }
    if (r < 0) return fail("{}: io_uring_queue_init: {}", who, std::strerror(-r));
    w.ring_ready = true;

    const int files[3] = {setup.tun_fd, setup.udp_fd, setup.wake_fd};
    if (r = io_uring_register_files(&w.ring, files, 3); r < 0)
        return fail("{}: io_uring_register_files: {}", who, std::strerror(-r));
    (void)io_uring_register_ring_fd(&w.ring);

    void* pool = ::mmap(nullptr, kBuffers * kBufferSize, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (pool == MAP_FAILED)
        return fail("{}: buffer pool of {} MiB: {}", who, kBuffers * kBufferSize >> 20, std::strerror(errno));
    w.pool = static_cast<std::uint8_t*>(pool);

    if (auto s = w.register_buffer_ring(kRecvBuffers, kBufferGroup, w.buf_ring, w.buf_ring_bytes); !s)
        return fail("{}: UDP {}", who, s.error().message);
    for (std::uint32_t b = 0; b < kRecvBuffers; ++b) {
        w.home[b] = Home::recv_ring;
        io_uring_buf_ring_add(w.buf_ring, w.buffer(b), kBufferSize, static_cast<unsigned short>(b),
                              io_uring_buf_ring_mask(kRecvBuffers), static_cast<int>(b));
    }
    io_uring_buf_ring_advance(w.buf_ring, kRecvBuffers);
    w.recv_free = kRecvBuffers;
    w.recv_lowest = kRecvBuffers;

    w.recv_template.msg_namelen = setup.udp_ipv6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    w.recv_template.msg_controllen = 0;

    w.record = &setup.region->worker(setup.index);
    w.events = std::make_unique<abi::RingProducer>(setup.region->event_ring(setup.index));
    w.injections = std::make_unique<abi::RingConsumer>(setup.region->injection_ring(setup.index));
    w.cache = std::make_unique<PeerCache>(setup.replay_window_bytes);
    w.native = std::make_unique<NativeCache>(setup.index, setup.region->layout().params.worker_count,
                                             crypto::AeadBackend::openssl);
    w.peers = PeerCounterTable(setup.region->peer_counters(setup.index));
    w.pipeline = std::make_unique<Pipeline>(*w.cache, *w.native, *setup.sequences, *w.events,
                                            w.record->counters, w.peers);
    w.reader =
        std::make_unique<snapshot::Reader>(setup.region->header().published, w.record->quiescent_generation);

    // TUN frames: one multishot read on a provided-buffer ring of its own where the kernel has
    // it (6.7), else a few plain reads, each with its buffer.
    std::uint32_t tun_reads = kPlainTunReads;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&w.ring)) {
        w.tun_multishot = io_uring_opcode_supported(probe, kOpReadMultishot) != 0;
        io_uring_free_probe(probe);
    }
    // For the tests (and a comparison): the plain reads on a kernel that has the multishot one.
    const char* forced = std::getenv("SLUICE_DP_TUN_READS");
    const bool plain_forced = forced != nullptr && std::string_view(forced) == "plain";
    if (plain_forced) w.tun_multishot = false;
    if (w.tun_multishot) {
        if (auto s =
                w.register_buffer_ring(kTunBuffers, kTunBufferGroup, w.tun_buf_ring, w.tun_buf_ring_bytes);
            !s)
            return fail("{}: TUN {}", who, s.error().message);
        for (std::uint32_t b = kRecvBuffers; b < kRecvBuffers + kTunBuffers; ++b) {
            w.home[b] = Home::tun_ring;
            w.give_to_tun_ring(b);
        }
        tun_reads = 1;
        w.arm_tun_multishot();
        report.tun_reads = fmt::format("one multishot read, {} buffers", kTunBuffers);
    } else {
        for (std::uint32_t b = kRecvBuffers; b < kRecvBuffers + kTunBuffers; ++b) {
            if (b < kRecvBuffers + kPlainTunReads) {
                w.home[b] = Home::tun_read;
                w.arm_tun_read(b);
            } else {
                w.home[b] = Home::free_list;
                w.free_list.push_back(b);
            }
        }
        report.tun_reads = fmt::format("{} plain reads ({})", kPlainTunReads,
                                       plain_forced ? "SLUICE_DP_TUN_READS=plain"
                                                    : "this kernel has no multishot read, which needs 6.7");
    }
    for (std::uint32_t b = kRecvBuffers + kTunBuffers; b < kBuffers; ++b) w.free_list.push_back(b);
    w.free_list.reserve(kFreeBuffers + kTunBuffers);
    abi::WorkerCounters& c = w.counters();
    c.recv_buffers.store(kRecvBuffers, std::memory_order_relaxed);
    c.tun_reads.store(tun_reads, std::memory_order_relaxed);
    c.spare_buffers.store(w.free_list.size(), std::memory_order_relaxed);
    w.store_gauges();
    w.arm_recv();
    w.arm_wake();
    if (setup.index == kProbeWorker) w.arm_probe_timer();
    return std::unique_ptr<Worker>(new Worker(std::move(impl)));
}

void Worker::run() {
    Impl& w = *impl_;
    if (w.setup.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w.setup.cpu, &set);
        if (const int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0)
            log::warn("worker {}: cannot pin to CPU {}: {}", w.setup.index, w.setup.cpu, std::strerror(e));
    }
    const std::string name = fmt::format("sluice-w{}", w.setup.index);
    pthread_setname_np(pthread_self(), name.c_str());
    w.loop();
}

}  // namespace sluice::dataplane::engine
