// TCP sockets for meta connections: name resolution, listeners, accept and non-blocking
// connect, and the "198.18.0.1 port 655" address form tincd uses in its messages.
//
// Resolution uses getaddrinfo and blocks, as tincd 1.0 does: with numeric Address and
// BindToAddress values (the common case) it never touches the network.
//
// Every error names the syscall and the address, e.g.
//   "bind 198.18.0.1 port 655: Address already in use".
#pragma once

#include <netinet/in.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <vector>

#include "controlplane/io/fd.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

// tinc's AddressFamily = any | ipv4 | ipv6.
enum class AddressFamily { any, ipv4, ipv6 };

[[nodiscard]] Result<AddressFamily> parse_address_family(std::string_view text);

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    [[nodiscard]] static SocketAddress from(const sockaddr* address, socklen_t length);
    [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    [[nodiscard]] sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
    [[nodiscard]] int family() const { return storage.ss_family; }
};

// Numeric host and port strings. IPv6 comes without brackets and without a "%scope"
// suffix (spec 3.1: link-local addresses lose their scope on the wire), in getnameinfo's
// compressed form ("fe80::1"). Unknown families give host "unknown" and an empty port.
struct HostPort {
    std::string host{};
    std::string port{};
};
[[nodiscard]] HostPort numeric_host_port(const sockaddr* address);

// "198.18.0.1 port 655", "2001:db8::1 port 655": tincd's sockaddr2hostname form, used for
// the log and in every error message.
[[nodiscard]] std::string format_address(const sockaddr* address);
[[nodiscard]] inline std::string format_address(const SocketAddress& address) {
    return format_address(address.get());
}

// An IPv4-mapped IPv6 address (::ffff:198.18.0.1) as the plain IPv4 address; anything else
// unchanged. Peers are compared and announced in their IPv4 form.
[[nodiscard]] SocketAddress unmap_v4(const SocketAddress& address);

// Resolves host and port (names or numbers) for TCP. An empty or "*" host resolves to the
// wildcard address of each allowed family, for listening. Fails when nothing matches:
// "cannot resolve beta.example port 655: Name or service not known".
[[nodiscard]] Result<std::vector<SocketAddress>> resolve(std::string_view host, std::string_view port,
                                                         AddressFamily family);

// TCP_NODELAY (PING/PONG latency) and IP_TOS / IPV6_TCLASS low delay, as tincd sets on every
// meta socket. Best effort: failures are ignored, like tincd does.
void configure_meta_socket(int fd, int family);

// ---- listening ----------------------------------------------------------------------------

struct BindAddress {
    std::string host{};  // BindToAddress value; "*" or empty for the wildcard
    std::string port{};  // empty: ListenOptions::port
};

struct ListenOptions {
    AddressFamily family = AddressFamily::any;
    std::string port = "655";
    std::vector<BindAddress> bind_addresses{};  // empty: the wildcard of each family
    std::string bind_interface{};               // BindToInterface; empty for none
};

struct Listener {
    Fd fd;
    SocketAddress address;  // as bound
};

struct ListenResult {
    std::vector<Listener> listeners;
    // Addresses that could not be used ("socket :: port 655: Address family not supported
    // by protocol" on a host without IPv6). tincd carries on with the others; so does this.
    std::vector<Error> skipped{};
};

// One non-blocking, close-on-exec listener with SO_REUSEADDR and, for IPv6, IPV6_V6ONLY so
// an IPv4 listener on the same port can coexist (as tincd does).
[[nodiscard]] Result<Fd> open_tcp_listener(const SocketAddress& address,
                                           std::string_view bind_interface = {});

// A listener for every resolved address of every bind address (or of the wildcards).
// Fails if no listener at all could be opened; the message lists each failure.
[[nodiscard]] Result<ListenResult> open_tcp_listeners(const ListenOptions& options);

// ---- accepting ----------------------------------------------------------------------------

struct Accepted {
    Fd fd;               // non-blocking, close-on-exec, meta socket options set
    SocketAddress peer;  // IPv4-mapped addresses unmapped
};

// nullopt when nothing is pending (EAGAIN, or the peer gave up: ECONNABORTED). An error
// such as EMFILE leaves the connection queued and the listener readable; the owner should
// pause the listener (Interest::none) for a while instead of spinning on it.
[[nodiscard]] Result<std::optional<Accepted>> accept_connection(const Listener& listener);

// ---- connecting ---------------------------------------------------------------------------

// Starts a non-blocking connect. Wait until the fd is writable, then call finish_connect.
// Errors that connect reports at once ("connect to 198.18.0.2 port 655: Network is
// unreachable") come back here.
[[nodiscard]] Result<Fd> start_connect(const SocketAddress& address);

// Reads SO_ERROR after the socket became writable (or reported an error):
// "connect to 198.18.0.2 port 655: Connection refused".
[[nodiscard]] Status finish_connect(int fd, const SocketAddress& address);

}  // namespace sluice::io
