// meta_peer: one scripted meta connection to a sluiced or tincd node, for interop scenarios
// that need a peer misbehaving in exact ways (tests/interop/malformed_requests.sh).
//
//   meta_peer -c CONFDIR HOST PORT [--expect NAME] [--name NAME] [--before-handshake-raw LINE]
//             [--send LINE]... [--raw LINE]... [--unterminated N]... [--hold SECONDS]
//
// It reads CONFDIR as sluiced does (Name, rsa_key.priv, hosts/PEER with its public key) and
// runs the handshake to HOST PORT as the connecting side, through session::MetaConnection.
// Before the handshake:
//   --before-handshake-raw LINE   LINE and '\n' in plaintext, right after connecting
//   --name NAME                   the name sent in ID instead of CONFDIR's Name
// After activation, in command-line order:
//   --send LINE        through send_line: validated and encrypted, as a real peer sends
//   --raw LINE         LINE and '\n', encrypted but not validated (send_raw_for_tests)
//   --unterminated N   N bytes of 'x' without a newline, encrypted
// Then it reads until the peer closes, answering PING with PONG.
//
// stdout: "activated with NAME", "got: LINE" for every request received, "closed by peer".
// Exit status: 0 when the peer closed the connection (EOF or reset), 3 when --hold SECONDS
// passed with the connection still open, 1 on an error of meta_peer itself (on stderr).
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "controlplane/io/socket.hpp"
#include "controlplane/protocol/constants.hpp"
#include "controlplane/session/meta_connection.hpp"
#include "shared/config/config_dir.hpp"
#include "shared/crypto/random.hpp"
#include "shared/keys/node_keys.hpp"

namespace {

using namespace sluice;

constexpr int exit_error = 1;
constexpr int exit_hold_expired = 3;

constexpr const char* usage =
    "usage: meta_peer -c CONFDIR HOST PORT [--expect NAME] [--name NAME] [--before-handshake-raw LINE]\n"
    "                 [--send LINE]... [--raw LINE]... [--unterminated N]... [--hold SECONDS]\n";

struct Action {
    enum class Kind { send, raw } kind;
    std::string text;  // raw: the exact bytes, newline included when there is one
};

struct Options {
    std::string confdir, host, port;
    std::optional<std::string> expect, name, before_handshake_raw;
    std::vector<Action> actions;
    std::optional<double> hold_seconds;
};

template <typename... Args>
int failure(fmt::format_string<Args...> format, Args&&... args) {
    fmt::print(stderr, "meta_peer: {}\n", fmt::format(format, std::forward<Args>(args)...));
    return exit_error;
}

template <typename T>
Result<T> number(const std::string& option, const std::string& text, T min) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min)
        return fail("{} {}: expected a number of at least {}", option, text, min);
    return value;
}

Result<Options> parse_args(int argc, char** argv) {
    Options o;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (!arg.starts_with("-")) {
            positional.push_back(arg);
            continue;
        }
        if (i + 1 >= argc) return fail("{} needs a value", arg);
        const std::string value = argv[++i];
        if (arg == "-c") {
            o.confdir = value;
        } else if (arg == "--expect") {
            o.expect = value;
        } else if (arg == "--name") {
            o.name = value;
        } else if (arg == "--before-handshake-raw") {
            o.before_handshake_raw = value + "\n";
        } else if (arg == "--send") {
            o.actions.push_back({Action::Kind::send, value});
        } else if (arg == "--raw") {
            o.actions.push_back({Action::Kind::raw, value + "\n"});
        } else if (arg == "--unterminated") {
            auto n = number<std::size_t>(arg, value, 1);
            if (!n) return fail(n.error());
            o.actions.push_back({Action::Kind::raw, std::string(*n, 'x')});
        } else if (arg == "--hold") {
            auto seconds = number<double>(arg, value, 0.0);
            if (!seconds) return fail(seconds.error());
            o.hold_seconds = *seconds;
        } else {
            return fail("unknown option {}", arg);
        }
    }
    if (o.confdir.empty() || positional.size() != 2) return fail("need -c CONFDIR, HOST and PORT");
    o.host = positional[0];
    o.port = positional[1];
    return o;
}

// A connected, blocking TCP socket. Connecting waits at most 10 s.
Result<io::Fd> connect_to(const std::string& host, const std::string& port) {
    auto addresses = io::resolve(host, port, io::AddressFamily::any);
    if (!addresses) return fail(addresses.error());
    const io::SocketAddress& target = addresses->front();
    auto fd = io::start_connect(target);
    if (!fd) return fail(fd.error());
    pollfd p{fd->get(), POLLOUT, 0};
    const int ready = ::poll(&p, 1, 10'000);
    if (ready < 0)
        return fail("poll while connecting to {}: {}", io::format_address(target), std::strerror(errno));
    if (ready == 0) return fail("connect to {}: no answer within 10 s", io::format_address(target));
    if (auto s = io::finish_connect(fd->get(), target); !s) return fail(s.error());
    const int flags = ::fcntl(fd->get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
        return fail("fcntl on the socket to {}: {}", io::format_address(target), std::strerror(errno));
    return std::move(*fd);
}

// true: written; false: the peer is gone (EPIPE, ECONNRESET).
Result<bool> write_all(int fd, std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return false;
        if (n < 0) return fail("write to the peer: {}", std::strerror(errno));
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

int closed_by_peer() {
    fmt::print("closed by peer\n");
    return 0;
}

int run(const Options& o) {
    auto dir = config::load_config_dir(o.confdir);
    if (!dir) return failure("cannot load {}: {}", o.confdir, dir.error().message);
    auto private_key = keys::load_rsa_private_key(*dir);
    if (!private_key)
        return failure("cannot load the private key of {}: {}", dir->name, private_key.error().message);
    auto own_port = dir->server.get_string("Port", "655");
    if (!own_port) return failure("{}", own_port.error().message);

    session::PeerLookup lookup = [&](const std::string& name) -> Result<session::PeerSettings> {
        if (dir->host(name) == nullptr) return fail("no hosts/{} in {}", name, o.confdir);
        auto key = keys::load_rsa_public_key(*dir, name);
        if (!key) return fail("no public key for {}: {}", name, key.error().message);
        session::PeerSettings settings;
        settings.public_key = std::make_shared<const crypto::RsaKey>(std::move(key->key));
        return settings;
    };
    const session::LocalIdentity identity{o.name.value_or(dir->name), &private_key->key, *own_port, 32,
                                          protocol::option_pmtu_discovery | protocol::option_clamp_mss};

    auto fd = connect_to(o.host, o.port);
    if (!fd) return failure("{}", fd.error().message);
    const int sock = fd->get();
    const TimePoint connected = Clock::now();
    crypto::SystemRandom random;  // the METAKEY and CHALLENGE must be unpredictable
    session::MetaConnection meta(session::Role::outgoing, identity, o.expect, lookup, random, connected);

    if (o.before_handshake_raw) {
        const std::string& line = *o.before_handshake_raw;
        auto written = write_all(sock, {reinterpret_cast<const std::uint8_t*>(line.data()), line.size()});
        if (!written) return failure("{}", written.error().message);
        if (!*written) return closed_by_peer();
    }
    meta.start(connected);

    std::optional<TimePoint> deadline;
    if (o.hold_seconds)
        deadline =
            connected + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*o.hold_seconds));
    std::vector<std::uint8_t> buffer(64 * 1024);
    for (;;) {
        auto written = write_all(sock, meta.take_output());
        if (!written) return failure("{}", written.error().message);
        if (!*written) return closed_by_peer();

        int timeout_ms = -1;
        if (deadline) {
            const auto left = std::chrono::ceil<milliseconds>(*deadline - Clock::now()).count();
            timeout_ms = static_cast<int>(std::max<long long>(left, 0));
        }
        pollfd p{sock, POLLIN, 0};
        const int ready = ::poll(&p, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return failure("poll: {}", std::strerror(errno));
        if (ready == 0) {
            fmt::print("still open after --hold {} s ({})\n", *o.hold_seconds,
                       meta.active() ? "active" : "not activated");
            return exit_hold_expired;
        }
        const ssize_t n = ::read(sock, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return closed_by_peer();
        if (n < 0) return failure("read from the peer: {}", std::strerror(errno));

        for (auto& event : meta.receive({buffer.data(), static_cast<std::size_t>(n)}, Clock::now())) {
            if (auto* activated = std::get_if<session::Activated>(&event)) {
                fmt::print("activated with {}\n", activated->peer);
                for (const Action& action : o.actions) {
                    if (action.kind == Action::Kind::raw) {
                        meta.send_raw_for_tests(action.text);
                    } else if (auto s = meta.send_line(action.text); !s) {
                        return failure("--send \"{}\": {}", action.text, s.error().message);
                    }
                }
            } else if (auto* request = std::get_if<session::ReceivedRequest>(&event)) {
                fmt::print("got: {}\n", request->line);
                if (std::holds_alternative<protocol::PingRequest>(request->request))
                    (void)meta.send_line("9");
            } else if (auto* packet = std::get_if<session::ReceivedPacket>(&event)) {
                fmt::print("got a PACKET of {} bytes\n", packet->frame.size());
            } else if (auto* closed = std::get_if<session::Closed>(&event)) {
                return failure("meta connection failed on our side: {}", closed->reason);
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // scenarios read the output as it comes
    auto options = parse_args(argc, argv);
    if (!options) {
        fmt::print(stderr, "meta_peer: {}\n{}", options.error().message, usage);
        return exit_error;
    }
    return run(*options);
}
