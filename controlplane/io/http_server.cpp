#include "controlplane/io/http_server.hpp"

#include <sys/socket.h>

#include "shared/log/log.hpp"

namespace sluice::io {

Result<std::unique_ptr<HttpServer>> HttpServer::listen(EventLoop& loop, const SocketAddress& address,
                                                       HttpServerLimits limits, Responder responder) {
    auto fd = open_tcp_listener(address);
    if (!fd) return fail(fd.error());
    Listener listener{std::move(*fd), address};
    listener.address.length = sizeof listener.address.storage;
    if (::getsockname(listener.fd.get(), listener.address.get(), &listener.address.length) != 0)
        listener.address = address;
    std::unique_ptr<HttpServer> server(
        new HttpServer(loop, std::move(listener), limits, std::move(responder)));
    HttpServer* raw = server.get();
    if (auto status =
            loop.add(raw->listener_.fd.get(), Interest::read, [raw](IoEvents) { raw->accept_clients(); });
        !status) {
        return fail(status.error());
    }
    return server;
}

HttpServer::HttpServer(EventLoop& loop, Listener listener, HttpServerLimits limits, Responder responder)
    : loop_(loop), listener_(std::move(listener)), limits_(limits), responder_(std::move(responder)) {}

HttpServer::~HttpServer() {
    loop_.remove(listener_.fd.get());
    if (pause_timer_ != no_timer) loop_.cancel_timer(pause_timer_);
    for (auto& [id, client] : clients_) loop_.cancel_timer(client->deadline);
    clients_.clear();
}

void HttpServer::accept_clients() {
    while (true) {
        auto accepted = accept_connection(listener_);
        if (!accepted) {
            log::error("metrics endpoint: {}", accepted.error().message);
            // Out of descriptors: the pending client keeps the listener readable, so stop
            // listening for a second rather than spinning.
            if (loop_.modify(listener_.fd.get(), Interest::none)) {
                pause_timer_ = loop_.add_timer_after(seconds(1), [this] {
                    pause_timer_ = no_timer;
                    if (auto status = loop_.modify(listener_.fd.get(), Interest::read); !status)
                        log::error("{}", status.error().message);
                });
            }
            return;
        }
        if (!*accepted) return;
        if (clients_.size() >= limits_.max_clients) {
            log::at(log::Level::connections, "metrics endpoint: more than {} clients, refusing {}",
                    limits_.max_clients, format_address((*accepted)->peer));
            continue;  // closes it
        }
        const std::uint64_t id = next_client_++;
        StreamCallbacks callbacks;
        callbacks.readable = [this, id] { on_readable(id); };
        callbacks.failed = [this, id](const Error& error) {
            log::at(log::Level::connections, "metrics client: {}", error.message);
            close_client(id);
        };
        callbacks.drained = [this, id] { on_drained(id); };
        auto stream =
            Stream::create(loop_, std::move((*accepted)->fd),
                           StreamOptions{"metrics client " + format_address((*accepted)->peer), SIZE_MAX, {}},
                           std::move(callbacks));
        if (!stream) {
            log::error("{}", stream.error().message);
            continue;
        }
        auto client = std::make_unique<Client>();
        client->stream = std::move(*stream);
        client->deadline = loop_.add_timer_after(limits_.timeout, [this, id] {
            auto it = clients_.find(id);
            if (it == clients_.end()) return;
            it->second->deadline = no_timer;
            log::at(log::Level::connections, "{}: no complete exchange within the timeout, closing",
                    it->second->stream->name());
            close_client(id);
        });
        clients_.emplace(id, std::move(client));
    }
}

void HttpServer::on_readable(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& client = *it->second;
    const std::size_t room = limits_.max_request + 1;
    auto status = client.stream->read_available(
        [&client, room](std::span<const std::uint8_t> chunk) {
            // After the answer, and beyond the limit, bytes are read only to be discarded.
            if (!client.answered && client.received.size() < room) {
                const std::size_t take = std::min(chunk.size(), room - client.received.size());
                client.received.append(reinterpret_cast<const char*>(chunk.data()), take);
            }
            return true;
        },
        4 * room);
    if (!status) {
        log::at(log::Level::connections, "metrics client: {}", status.error().message);
        close_client(id);
        return;
    }
    if (!client.answered) {
        if (auto response = responder_(client.received)) {
            client.answered = true;
            client.received = std::string();
            client.stream->queue(*response);  // the loop writes it; on_drained follows
        } else if (client.received.size() >= room || *status == ReadStatus::eof) {
            close_client(id);  // the responder did not answer within the limit, or the client gave up
            return;
        }
    }
    if (*status == ReadStatus::eof && client.answered) {
        // The peer is done sending; closing once the answer is out is all that is left.
        client.stream->set_reading(false);
        if (client.stream->queued() == 0) close_client(id);
    }
}

void HttpServer::on_drained(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& client = *it->second;
    if (!client.stream->reading()) {
        close_client(id);
        return;
    }
    // Half-close: the client sees the end of the answer and closes; its EOF ends the
    // connection (on_readable), the deadline otherwise.
    ::shutdown(client.stream->fd(), SHUT_WR);
}

void HttpServer::close_client(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    if (it->second->deadline != no_timer) loop_.cancel_timer(it->second->deadline);
    clients_.erase(it);
}

}  // namespace sluice::io
