// The control socket: how sluicectl talks to a running sluiced.
//
// Transport: a SOCK_STREAM Unix socket at PATH, mode 0600 (only the daemon's user, usually
// root, may control it).
//
// Framing (line-oriented, readable with `socat - UNIX-CONNECT:PATH`):
//   request  = one line of text ending in "\n" (a trailing "\r" is ignored), at most
//              max_request_line bytes. A connection may carry several requests in turn.
//   response = zero or more payload lines, then exactly one terminator line:
//                ".OK"                 success
//                ".ERROR <message>"    failure, with a one-line reason
//              Payload lines that begin with "." are sent with one more "." in front
//              (SMTP-style dot-stuffing) and the reader removes it, so a line starting with
//              a single "." is always a terminator.
//   Example:   "dump nodes\n"  ->  "alpha 198.18.0.1 port 655\n..hidden\n.OK\n"
//              whose payload is {"alpha 198.18.0.1 port 655", ".hidden"}.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "controlplane/io/event_loop.hpp"
#include "controlplane/io/fd.hpp"
#include "controlplane/io/stream.hpp"
#include "shared/util/clock.hpp"
#include "shared/util/result.hpp"

namespace sluice::io {

inline constexpr std::size_t max_request_line = 4096;
inline constexpr std::size_t max_response_size = 16 << 20;

struct ControlResponse {
    bool ok = true;
    std::string error{};               // when !ok; newlines become spaces on the wire
    std::vector<std::string> lines{};  // payload, without newlines

    [[nodiscard]] static ControlResponse failure(std::string message) {
        return {false, std::move(message), {}};
    }
    bool operator==(const ControlResponse&) const = default;
};

// The wire form of a response, terminator included. Newlines inside a payload line split it.
[[nodiscard]] std::string encode_response(const ControlResponse& response);

// Incremental reader for responses. feed() returns true once the terminator has arrived;
// bytes after it are kept for the next response.
class ResponseParser {
public:
    [[nodiscard]] Result<bool> feed(std::string_view bytes);
    [[nodiscard]] ControlResponse take();

private:
    std::string buffer_;
    std::size_t total_ = 0;
    ControlResponse current_;
    bool complete_ = false;
};

// ---- server -------------------------------------------------------------------------------

class ControlServer {
public:
    using Handler = std::function<ControlResponse(std::string_view request)>;

    // Creates the socket at `path`. A leftover socket file nobody answers on is replaced;
    // a live one is refused: "another sluiced is running on PATH". A non-socket file at
    // PATH is refused too.
    [[nodiscard]] static Result<std::unique_ptr<ControlServer>> listen(EventLoop& loop, std::string path,
                                                                       Handler handler);
    // Closes every client and removes the socket file if it is still ours.
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::size_t client_count() const { return clients_.size(); }

    // More simultaneous clients than this are refused (accepted and closed at once).
    static constexpr std::size_t max_clients = 32;

private:
    struct Client {
        std::unique_ptr<Stream> stream;
        std::string input;
        bool input_closed = false;  // EOF seen or request too long: close once flushed
    };

    ControlServer(EventLoop& loop, std::string path, Fd fd, Handler handler, dev_t dev, ino_t ino);
    void accept_clients();
    void on_readable(std::uint64_t id);
    void close_client(std::uint64_t id);

    EventLoop& loop_;
    std::string path_;
    Fd fd_;
    Handler handler_;
    dev_t dev_;
    ino_t ino_;
    TimerId pause_timer_ = no_timer;  // listener paused after accept ran out of descriptors
    std::uint64_t next_client_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
};

// ---- client -------------------------------------------------------------------------------

// Connects to PATH, sends `request` (one line, no "\n" inside), reads the whole response.
// Errors: "no daemon is running (PATH: connection refused)", "no daemon is running (PATH:
// no such file or directory)", "PATH: no response within 5 s", "PATH: connection closed
// before the end of the response". Blocking, with `timeout` for the whole exchange: meant
// for sluicectl, not for use inside the daemon's loop.
[[nodiscard]] Result<ControlResponse> control_request(const std::string& path, std::string_view request,
                                                      Duration timeout = seconds(5));

}  // namespace sluice::io
