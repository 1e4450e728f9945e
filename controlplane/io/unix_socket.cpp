#include "controlplane/io/unix_socket.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "shared/log/log.hpp"

namespace sluice::io {

namespace {

constexpr int control_backlog = 16;

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path) {
        return fail("control socket path \"{}\" must be 1 to {} bytes long", path,
                    sizeof address.sun_path - 1);
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    return address;
}

const sockaddr* as_sockaddr(const sockaddr_un& address) {
    return reinterpret_cast<const sockaddr*>(&address);
}

std::string lowercase_first(std::string text) {
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string describe(Duration d) {
    const auto ms = std::chrono::duration_cast<milliseconds>(d).count();
    return ms % 1000 == 0 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
}

int poll_ms_until(TimePoint deadline) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace

// ---- framing ------------------------------------------------------------------------------

std::string encode_response(const ControlResponse& response) {
    std::string out;
    for (const auto& line : response.lines) {
        std::size_t start = 0;
        while (true) {
            const std::size_t newline = line.find('\n', start);
            const std::string_view piece = std::string_view(line).substr(start, newline - start);
            if (!piece.empty() && piece.front() == '.') out += '.';
            out += piece;
            out += '\n';
            if (newline == std::string::npos) break;
            start = newline + 1;
        }
    }
    if (response.ok) {
        out += ".OK\n";
    } else {
        std::string error = response.error;
        for (char& c : error) c = c == '\n' || c == '\r' ? ' ' : c;
        out += error.empty() ? ".ERROR\n" : ".ERROR " + error + "\n";
    }
    return out;
}

Result<bool> ResponseParser::feed(std::string_view bytes) {
    total_ += bytes.size();
    if (total_ > max_response_size) return fail("response larger than {} bytes", max_response_size);
    buffer_.append(bytes);
    std::size_t start = 0;
    while (!complete_) {
        const std::size_t newline = buffer_.find('\n', start);
        if (newline == std::string::npos) break;
        std::string_view line(buffer_.data() + start, newline - start);
        start = newline + 1;
        if (line.empty() || line.front() != '.') {
            current_.lines.emplace_back(line);
        } else if (line.size() >= 2 && line[1] == '.') {
            current_.lines.emplace_back(line.substr(1));
        } else if (line == ".OK") {
            current_.ok = true;
            complete_ = true;
        } else if (line == ".ERROR" || line.starts_with(".ERROR ")) {
            current_.ok = false;
            current_.error = line.size() > 7 ? std::string(line.substr(7)) : std::string();
            complete_ = true;
        } else {
            return fail("malformed response line \"{}\"", line);
        }
    }
    buffer_.erase(0, start);
    return complete_;
}

ControlResponse ResponseParser::take() {
    ControlResponse response = std::move(current_);
    current_ = ControlResponse{};
    complete_ = false;
    total_ = buffer_.size();
    return response;
}

// ---- server -------------------------------------------------------------------------------

Result<std::unique_ptr<ControlServer>> ControlServer::listen(EventLoop& loop, std::string path,
                                                             Handler handler) {
    auto address = unix_address(path);
    if (!address) return fail(address.error());

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return fail("{} exists and is not a socket", path);
        // Only a socket nobody answers on is stale. A live daemon must not lose its socket.
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!probe) return fail("socket: {}", std::strerror(errno));
        if (::connect(probe.get(), as_sockaddr(*address), sizeof *address) == 0 || errno == EAGAIN) {
            return fail("another sluiced is running on {}", path);
        }
        if (errno != ECONNREFUSED)
            return fail("cannot check control socket {}: {}", path, std::strerror(errno));
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return fail("cannot remove stale control socket {}: {}", path, std::strerror(errno));
        }
        log::at(log::Level::connections, "removed stale control socket {}", path);
    }

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fail("socket: {}", std::strerror(errno));
    // The umask makes the socket 0600 from its first moment; chmod makes sure of it.
    const mode_t old_umask = ::umask(0177);
    const int bound = ::bind(fd.get(), as_sockaddr(*address), sizeof *address);
    const int bind_errno = errno;
    ::umask(old_umask);
    if (bound != 0) return fail("bind {}: {}", path, std::strerror(bind_errno));
    auto cleanup_on_error = [&path](Error error) {
        ::unlink(path.c_str());
        return fail(std::move(error));
    };
    if (::chmod(path.c_str(), 0600) != 0) {
        return cleanup_on_error(Error{fmt::format("chmod {}: {}", path, std::strerror(errno))});
    }
    if (::listen(fd.get(), control_backlog) != 0) {
        return cleanup_on_error(Error{fmt::format("listen {}: {}", path, std::strerror(errno))});
    }
    if (::stat(path.c_str(), &st) != 0) {
        return cleanup_on_error(Error{fmt::format("stat {}: {}", path, std::strerror(errno))});
    }

    std::unique_ptr<ControlServer> server(
        new ControlServer(loop, std::move(path), std::move(fd), std::move(handler), st.st_dev, st.st_ino));
    ControlServer* raw = server.get();
    if (auto status = loop.add(raw->fd_.get(), Interest::read, [raw](IoEvents) { raw->accept_clients(); });
        !status) {
        return fail(status.error());  // the destructor removes the socket file
    }
    return server;
}

ControlServer::ControlServer(EventLoop& loop, std::string path, Fd fd, Handler handler, dev_t dev, ino_t ino)
    : loop_(loop),
      path_(std::move(path)),
      fd_(std::move(fd)),
      handler_(std::move(handler)),
      dev_(dev),
      ino_(ino) {}

ControlServer::~ControlServer() {
    loop_.remove(fd_.get());
    if (pause_timer_ != no_timer) loop_.cancel_timer(pause_timer_);
    clients_.clear();
    // Another daemon may have replaced the file after deciding ours was stale.
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

void ControlServer::accept_clients() {
    while (true) {
        Fd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            log::error("accept on {}: {}", path_, std::strerror(errno));
            // Out of descriptors: the pending client keeps the socket readable, so stop
            // listening for a second rather than spinning.
            if (loop_.modify(fd_.get(), Interest::none)) {
                pause_timer_ = loop_.add_timer_after(seconds(1), [this] {
                    pause_timer_ = no_timer;
                    if (auto status = loop_.modify(fd_.get(), Interest::read); !status) {
                        log::error("{}", status.error().message);
                    }
                });
            }
            return;
        }
        if (clients_.size() >= max_clients) {
            log::warn("control socket {}: more than {} clients, refusing one", path_, max_clients);
            continue;  // closes it
        }
        const std::uint64_t id = next_client_++;
        StreamCallbacks callbacks;
        callbacks.readable = [this, id] { on_readable(id); };
        callbacks.failed = [this, id](const Error& error) {
            log::at(log::Level::connections, "control client: {}", error.message);
            close_client(id);
        };
        callbacks.drained = [this, id] {
            auto it = clients_.find(id);
            if (it != clients_.end() && it->second->input_closed) close_client(id);
        };
        auto stream = Stream::create(loop_, std::move(fd), StreamOptions{"control client", SIZE_MAX, {}},
                                     std::move(callbacks));
        if (!stream) {
            log::error("{}", stream.error().message);
            continue;
        }
        auto client = std::make_unique<Client>();
        client->stream = std::move(*stream);
        clients_.emplace(id, std::move(client));
    }
}

void ControlServer::on_readable(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& client = *it->second;
    auto status = client.stream->read_available(
        [&client](std::span<const std::uint8_t> chunk) {
            client.input.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            return true;
        },
        4 * max_request_line);
    if (!status) {
        log::at(log::Level::connections, "control client: {}", status.error().message);
        close_client(id);
        return;
    }
    // A request without its "\n" before EOF (`printf dump | socat ...`) still counts.
    if (*status == ReadStatus::eof && !client.input.empty() && client.input.back() != '\n')
        client.input += '\n';

    std::size_t start = 0;
    while (!client.input_closed) {
        const std::size_t newline = client.input.find('\n', start);
        if (newline == std::string::npos) break;
        std::string_view line(client.input.data() + start, newline - start);
        start = newline + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > max_request_line) {
            client.stream->queue(encode_response(
                ControlResponse::failure(fmt::format("request longer than {} bytes", max_request_line))));
            client.input_closed = true;
            break;
        }
        log::at(log::Level::requests, "control request: {}", line);
        const ControlResponse response =
            line.empty() ? ControlResponse::failure("empty request") : handler_(line);
        client.stream->queue(encode_response(response));
    }
    client.input.erase(0, start);
    if (!client.input_closed && client.input.size() > max_request_line) {
        client.stream->queue(encode_response(
            ControlResponse::failure(fmt::format("request longer than {} bytes", max_request_line))));
        client.input_closed = true;
    }
    if (*status == ReadStatus::eof) client.input_closed = true;
    if (client.input_closed) {
        client.stream->set_reading(false);
        if (client.stream->queued() == 0) close_client(id);  // else `drained` closes it
    }
}

void ControlServer::close_client(std::uint64_t id) {
    clients_.erase(id);
}

// ---- client -------------------------------------------------------------------------------

Result<ControlResponse> control_request(const std::string& path, std::string_view request, Duration timeout) {
    if (request.find('\n') != std::string_view::npos) return fail("control request must be a single line");
    auto address = unix_address(path);
    if (!address) return fail(address.error());

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail("socket: {}", std::strerror(errno));
    // A Unix connect blocks only while the daemon's backlog is full; bound it.
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    timeval tv{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), as_sockaddr(*address), sizeof *address) != 0) {
        const int error = errno;
        if (error == ENOENT || error == ECONNREFUSED || error == ENOTSOCK) {
            return fail("no daemon is running ({}: {})", path, lowercase_first(std::strerror(error)));
        }
        if (error == EAGAIN || error == EINPROGRESS)
            return fail("{}: no response within {}", path, describe(timeout));
        return fail("cannot connect to {}: {}", path, std::strerror(error));
    }
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    const TimePoint deadline = Clock::now() + timeout;

    const std::string line = std::string(request) + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return fail("send to {}: {}", path, std::strerror(errno));
        pollfd pfd{fd.get(), POLLOUT, 0};
        if (::poll(&pfd, 1, poll_ms_until(deadline)) == 0) {
            return fail("{}: no response within {}", path, describe(timeout));
        }
    }

    ResponseParser parser;
    char buffer[8192];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            auto complete = parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
            if (!complete) return fail("{}: {}", path, complete.error().message);
            if (*complete) return parser.take();
            continue;
        }
        if (n == 0) return fail("{}: connection closed before the end of the response", path);
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return fail("read from {}: {}", path, std::strerror(errno));
        pollfd pfd{fd.get(), POLLIN, 0};
        const int ready = ::poll(&pfd, 1, poll_ms_until(deadline));
        if (ready == 0) return fail("{}: no response within {}", path, describe(timeout));
        if (ready < 0 && errno != EINTR) return fail("poll {}: {}", path, std::strerror(errno));
    }
}

}  // namespace sluice::io
