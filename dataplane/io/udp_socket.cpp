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

Status steer_by_cpu(const std::vector<int>& fds, const std::vector<int>& cpu_of) {
    if (fds.size() < 2 || cpu_of.size() != fds.size()) return {};
    // Classic BPF: A = the receiving CPU; for each socket, "if A == its CPU return its index";
    // otherwise return an index past the group, which makes the kernel use its hash.
    std::vector<sock_filter> code;
    code.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_CPU)));
    std::vector<int> seen;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (cpu_of[i] < 0) return {};  // not pinned: the hash is all there is
        bool duplicate = false;
        for (int c : seen) duplicate = duplicate || c == cpu_of[i];
        if (duplicate) continue;  // more workers than CPUs: the first worker of a CPU takes it
        seen.push_back(cpu_of[i]);
        code.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(cpu_of[i]), 0, 1));
        code.push_back(BPF_STMT(BPF_RET | BPF_K, static_cast<std::uint32_t>(i)));
    }
    code.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffU));
    sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
    if (::setsockopt(fds.front(), SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
        return fail("SO_ATTACH_REUSEPORT_CBPF: {}", std::strerror(errno));
    return {};
}

}  // namespace sluice::dataplane::io
