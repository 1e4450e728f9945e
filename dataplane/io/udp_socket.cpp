#include "dataplane/io/udp_socket.hpp"

#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::dataplane::io {

namespace {

// performance.md: about 7 MB keeps a batch-draining worker from losing datagrams to a full
// receive queue. FORCE needs CAP_NET_ADMIN, which sluice-dp has; without it the plain option
// is capped by net.core.*mem_max.
constexpr int kSocketBuffer = 7 * 1024 * 1024;

void set_buffers(int fd) {
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) != 0)
        (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) != 0)
        (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
}

}  // namespace

Result<UdpSockets> open_udp_sockets(std::uint16_t port, UdpFamily family, unsigned count) {
    UdpSockets out;
    out.ipv6 = family != UdpFamily::ipv4;
    out.port = port;
    auto cleanup = [&] {
        for (int f : out.fds) ::close(f);
        out.fds.clear();
    };
    for (unsigned i = 0; i < count; ++i) {
        const int fd = ::socket(out.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd < 0) {
            const int e = errno;
            cleanup();
            return fail("UDP socket: {}", std::strerror(e));
        }
        out.fds.push_back(fd);
        const int one = 1;
        if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            const int e = errno;
            cleanup();
            return fail("SO_REUSEPORT: {}", std::strerror(e));
        }
        if (out.ipv6) {
            const int v6only = family == UdpFamily::ipv6 ? 1 : 0;
            (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        }
        set_buffers(fd);
        // Don't fragment, as tincd does: a datagram above the path MTU fails (EMSGSIZE) instead
        // of being split, which is what lets PMTU probes find the path MTU.
        const int pmtu_v4 = IP_PMTUDISC_DO;
        (void)::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu_v4, sizeof pmtu_v4);
        if (out.ipv6) {
            const int pmtu_v6 = IPV6_PMTUDISC_DO;
            (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu_v6, sizeof pmtu_v6);
        }
        int bound;
        if (out.ipv6) {
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(port);
            a.sin6_addr = in6addr_any;
            bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
        } else {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            a.sin_addr.s_addr = htonl(INADDR_ANY);
            bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
        }
        if (bound != 0) {
            const int e = errno;
            cleanup();
            return fail("UDP port {}: {}{}", port, std::strerror(e),
                        e == EADDRINUSE ? " (another tincd or sluice-dp is using it?)" : "");
        }
    }
    return out;
}

Status steer_received(const std::vector<int>& fds) {
    if (fds.size() < 2) return {};
    // Classic BPF over the UDP payload; the result is an index into the SO_REUSEPORT group
    // (sockets in the order they were bound), and an index past the group makes the kernel
    // fall back to its hash over the address pair.
    std::vector<sock_filter> code;
    auto stmt = [&](std::uint16_t op, std::uint32_t k) { code.push_back(BPF_STMT(op, k)); };
    auto jump = [&](std::uint16_t op, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
        code.push_back(BPF_JUMP(op, k, jt, jf));
    };
    // 1. Native packets (docs/protocol.md): byte 0 a native type (0xA1..0xA4), byte 1 the
    //    version byte 0x10; worker = sender lane (bytes 2-3) % workers.
    constexpr std::uint8_t kToLegacy4 = 5;  // from instruction 1 to the legacy part (8)
    stmt(BPF_LD | BPF_B | BPF_ABS, 0);
    jump(BPF_JMP | BPF_JGE | BPF_K, 0xA1, 0, kToLegacy4 + 1);
    jump(BPF_JMP | BPF_JGT | BPF_K, 0xA4, kToLegacy4, 0);
    stmt(BPF_LD | BPF_B | BPF_ABS, 1);
    jump(BPF_JMP | BPF_JEQ | BPF_K, 0x10, 0, 3);
    stmt(BPF_LD | BPF_H | BPF_ABS, 2);
    stmt(BPF_ALU | BPF_MOD | BPF_K, static_cast<std::uint32_t>(fds.size()));
    stmt(BPF_RET | BPF_A, 0);
    // 2. Everything else (tinc's legacy packets): an index past the group, so the kernel's
    //    hash over the address pair picks the socket and all of one peer's datagrams reach one
    //    worker, whose replay window (tinc's, 128 packets) then sees the whole sequence.
    stmt(BPF_RET | BPF_K, 0xffffffffU);
    sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
    if (::setsockopt(fds.front(), SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
        return fail("SO_ATTACH_REUSEPORT_CBPF: {}", std::strerror(errno));
    return {};
}

}  // namespace sluice::dataplane::io
