// A small HTTP listener in the event loop, for the metrics endpoint (MetricsAddress): one
// request per connection, answered and closed. What to answer is the responder's business
// (metrics/http.hpp); this file only moves bytes, never blocking the loop.
//
// A client cannot pin the daemon: each connection has a deadline for the whole exchange
// (`timeout` from accept to close), at most `max_request` bytes are kept before the
// responder must answer, and beyond `max_clients` open connections a new one is closed at
// once. After the answer is written the socket is shut down for writing and read until EOF
// (still within the deadline), so that unread request bytes do not turn the close into a
// reset that could destroy the answer in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/socket.hpp"
#include "controlplane/io/stream.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

struct HttpServerLimits {
    std::size_t max_request = 8192;
    Duration timeout = seconds(5);
    std::size_t max_clients = 8;
};

class HttpServer {
public:
    // Everything the client sent so far in; the whole response (status line to body) out, or
    // nullopt to wait for more. Called again after every read until it answers.
    using Responder = std::function<std::optional<std::string>(std::string_view received)>;

    // Listens on `address` (port 0: any free port, see address()). Errors name the address:
    // "bind 127.0.0.1 port 9100: Address already in use".
    [[nodiscard]] static Result<std::unique_ptr<HttpServer>> listen(EventLoop& loop,
                                                                    const SocketAddress& address,
                                                                    HttpServerLimits limits,
                                                                    Responder responder);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // As bound, with the port the kernel chose for port 0.
    [[nodiscard]] const SocketAddress& address() const { return listener_.address; }
    [[nodiscard]] std::size_t client_count() const { return clients_.size(); }

private:
    struct Client {
        std::unique_ptr<Stream> stream;
        std::string received;
        TimerId deadline = no_timer;
        bool answered = false;
    };

    HttpServer(EventLoop& loop, Listener listener, HttpServerLimits limits, Responder responder);
    void accept_clients();
    void on_readable(std::uint64_t id);
    void on_drained(std::uint64_t id);
    void close_client(std::uint64_t id);

    EventLoop& loop_;
    Listener listener_;
    HttpServerLimits limits_;
    Responder responder_;
    TimerId pause_timer_ = no_timer;
    std::uint64_t next_client_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
};

}  // namespace sluice::io
