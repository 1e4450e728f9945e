#include "controlplane/io/socket.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <net/if.h>
#include <netdb.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/un.h>

namespace sluice::io {

namespace {

// tincd 1.0 uses a backlog of 3; a little more absorbs a reconnect storm after a restart
// without letting a flood queue up (the accept throttle decides what happens to them).
constexpr int listen_backlog = 16;

int to_af(AddressFamily family) {
    switch (family) {
        case AddressFamily::ipv4:
            return AF_INET;
        case AddressFamily::ipv6:
            return AF_INET6;
        case AddressFamily::any:
            break;
    }
    return AF_UNSPEC;
}

socklen_t length_for(int family) {
    switch (family) {
        case AF_INET:
            return sizeof(sockaddr_in);
        case AF_INET6:
            return sizeof(sockaddr_in6);
        default:
            return 0;
    }
}

std::string errno_text(int error) {
    return std::strerror(error);
}

}  // namespace

Result<AddressFamily> parse_address_family(std::string_view text) {
    if (text == "any") return AddressFamily::any;
    if (text == "ipv4") return AddressFamily::ipv4;
    if (text == "ipv6") return AddressFamily::ipv6;
    return fail("invalid AddressFamily \"{}\": expected any, ipv4 or ipv6", text);
}

SocketAddress SocketAddress::from(const sockaddr* address, socklen_t length) {
    SocketAddress result;
    if (length > sizeof result.storage) length = sizeof result.storage;
    std::memcpy(&result.storage, address, length);
    result.length = length;
    return result;
}

HostPort numeric_host_port(const sockaddr* address) {
    const socklen_t length = length_for(address->sa_family);
    if (length == 0) {
        if (address->sa_family == AF_UNIX) {
            sockaddr_un un{};
            std::memcpy(&un, address, sizeof un);
            un.sun_path[sizeof un.sun_path - 1] = '\0';
            return {un.sun_path, ""};
        }
        return {"unknown", ""};
    }
    char host[NI_MAXHOST];
    char port[NI_MAXSERV];
    const int rc =
        ::getnameinfo(address, length, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) return {"unknown", ""};
    std::string host_text = host;
    if (const auto percent = host_text.find('%'); percent != std::string::npos) host_text.resize(percent);
    return {std::move(host_text), port};
}

std::string format_address(const sockaddr* address) {
    const HostPort hp = numeric_host_port(address);
    if (hp.port.empty()) return hp.host;
    return hp.host + " port " + hp.port;
}

SocketAddress unmap_v4(const SocketAddress& address) {
    if (address.family() != AF_INET6) return address;
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address.storage, sizeof v6);
    if (!IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return address;
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = v6.sin6_port;
    std::memcpy(&v4.sin_addr, &v6.sin6_addr.s6_addr[12], 4);
    return SocketAddress::from(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
}

Result<std::vector<SocketAddress>> resolve(std::string_view host, std::string_view port,
                                           AddressFamily family) {
    const bool wildcard = host.empty() || host == "*";
    addrinfo hints{};
    hints.ai_family = to_af(family);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (wildcard) hints.ai_flags = AI_PASSIVE;

    const std::string host_text(host);
    const std::string port_text(port);
    addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(wildcard ? nullptr : host_text.c_str(), port_text.c_str(), &hints, &list);
    if (rc != 0) {
        const std::string reason = rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc);
        return fail("cannot resolve {} port {}: {}", wildcard ? "*" : host_text, port_text, reason);
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);

    std::vector<SocketAddress> result;
    for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        SocketAddress address = SocketAddress::from(ai->ai_addr, ai->ai_addrlen);
        bool duplicate = false;
        for (const auto& seen : result) {
            duplicate = duplicate || (seen.length == address.length &&
                                      std::memcmp(&seen.storage, &address.storage, seen.length) == 0);
        }
        if (!duplicate) result.push_back(address);
    }
    if (result.empty()) {
        return fail("cannot resolve {} port {}: no address of the allowed family", wildcard ? "*" : host_text,
                    port_text);
    }
    return result;
}

void configure_meta_socket(int fd, int family) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int lowdelay = IPTOS_LOWDELAY;
    if (family == AF_INET) ::setsockopt(fd, IPPROTO_IP, IP_TOS, &lowdelay, sizeof lowdelay);
    if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &lowdelay, sizeof lowdelay);
}

Result<Fd> open_tcp_listener(const SocketAddress& address, std::string_view bind_interface) {
    const std::string where = format_address(address);
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
    if (!fd) return fail("socket {}: {}", where, errno_text(errno));

    int one = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
        return fail("setsockopt SO_REUSEADDR {}: {}", where, errno_text(errno));
    }
    if (address.family() == AF_INET6 &&
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        return fail("setsockopt IPV6_V6ONLY {}: {}", where, errno_text(errno));
    }
    configure_meta_socket(fd.get(), address.family());
    if (!bind_interface.empty()) {
        const std::string name(bind_interface);
        if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                         static_cast<socklen_t>(name.size())) != 0) {
            return fail("setsockopt SO_BINDTODEVICE {} {}: {}", name, where, errno_text(errno));
        }
    }
    if (::bind(fd.get(), address.get(), address.length) != 0) {
        return fail("bind {}: {}", where, errno_text(errno));
    }
    if (::listen(fd.get(), listen_backlog) != 0) return fail("listen {}: {}", where, errno_text(errno));
    return fd;
}

Result<ListenResult> open_tcp_listeners(const ListenOptions& options) {
    std::vector<BindAddress> binds = options.bind_addresses;
    if (binds.empty()) binds.push_back(BindAddress{"", ""});

    ListenResult result;
    for (const auto& bind : binds) {
        const std::string& port = bind.port.empty() ? options.port : bind.port;
        auto addresses = resolve(bind.host, port, options.family);
        if (!addresses) {
            result.skipped.push_back(addresses.error());
            continue;
        }
        for (const auto& address : *addresses) {
            auto fd = open_tcp_listener(address, options.bind_interface);
            if (!fd) {
                result.skipped.push_back(fd.error());
                continue;
            }
            result.listeners.push_back(Listener{std::move(*fd), address});
        }
    }
    if (result.listeners.empty()) {
        std::string reasons;
        for (const auto& error : result.skipped) reasons += (reasons.empty() ? "" : "; ") + error.message;
        return fail("no listening socket could be opened: {}", reasons);
    }
    return result;
}

Result<std::optional<Accepted>> accept_connection(const Listener& listener) {
    SocketAddress peer;
    peer.length = sizeof peer.storage;
    while (true) {
        const int fd = ::accept4(listener.fd.get(), peer.get(), &peer.length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            Accepted accepted{Fd(fd), unmap_v4(peer)};
            configure_meta_socket(fd, accepted.peer.family());
            return accepted;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return std::nullopt;
        return fail("accept on {}: {}", format_address(listener.address), errno_text(errno));
    }
}

Result<Fd> start_connect(const SocketAddress& address) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
    if (!fd) return fail("socket for {}: {}", format_address(address), errno_text(errno));
    configure_meta_socket(fd.get(), address.family());
    // An interrupted non-blocking connect carries on in the background, like EINPROGRESS.
    if (::connect(fd.get(), address.get(), address.length) != 0 && errno != EINPROGRESS && errno != EINTR) {
        return fail("connect to {}: {}", format_address(address), errno_text(errno));
    }
    return fd;
}

Status finish_connect(int fd, const SocketAddress& address) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        return fail("getsockopt SO_ERROR for {}: {}", format_address(address), errno_text(errno));
    }
    if (error != 0) return fail("connect to {}: {}", format_address(address), errno_text(error));
    return {};
}

}  // namespace sluice::io
