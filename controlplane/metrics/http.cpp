#include "controlplane/metrics/http.hpp"

#include <fmt/format.h>

namespace sluice::metrics {

namespace {

// RFC 9110 tchar: the characters of a method or a header name.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

// A target: visible ASCII only (no spaces, no control characters, no bytes above 0x7e).
bool is_target(std::string_view s) {
    if (s.empty() || s.front() != '/') return false;
    for (char c : s)
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

// Header values may hold tabs and obs-text (bytes above 0x7f), but no other control bytes.
bool is_field_value(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    return true;
}

std::string_view strip_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::optional<HttpRequest> parse_request_line(std::string_view line) {
    const std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return std::nullopt;
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return std::nullopt;
    HttpRequest r;
    r.method = std::string(line.substr(0, sp1));
    r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    r.version = std::string(line.substr(sp2 + 1));
    if (!is_token(r.method) || !is_target(r.target)) return std::nullopt;
    if (r.version != "HTTP/1.0" && r.version != "HTTP/1.1") return std::nullopt;
    r.path = r.target.substr(0, r.target.find_first_of("?#"));
    return r;
}

bool is_header_line(std::string_view line) {
    const std::size_t colon = line.find(':');
    return colon != std::string_view::npos && is_token(line.substr(0, colon)) &&
           is_field_value(line.substr(colon + 1));
}

// A prefix of a request line that cannot become valid: a byte that no method, target or
// version may hold, or a method that is not a token.
bool hopeless_prefix(std::string_view partial) {
    for (char c : partial) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\r') return true;
        if (u >= 0x7f) return true;
    }
    const std::size_t sp = partial.find(' ');
    const std::string_view method = partial.substr(0, sp);
    for (char c : method)
        if (!is_tchar(c) && c != '\r') return true;
    return sp == 0;
}

}  // namespace

HttpParseResult parse_http_request(std::string_view received) {
    std::size_t first_end = received.find('\n');
    if (first_end == std::string_view::npos) {
        if (hopeless_prefix(received)) return {HttpParse::bad_request};
        return {received.size() >= max_http_request ? HttpParse::too_large : HttpParse::incomplete};
    }
    auto request = parse_request_line(strip_cr(received.substr(0, first_end)));
    if (!request) return {HttpParse::bad_request};

    std::size_t start = first_end + 1;
    while (true) {
        const std::size_t end = received.find('\n', start);
        if (end == std::string_view::npos) {
            if (received.size() >= max_http_request) return {HttpParse::too_large};
            return {HttpParse::incomplete};
        }
        if (end + 1 > max_http_request) return {HttpParse::too_large};
        const std::string_view line = strip_cr(received.substr(start, end - start));
        if (line.empty()) return {HttpParse::complete, std::move(*request)};
        if (!is_header_line(line)) return {HttpParse::bad_request};
        start = end + 1;
    }
}

std::string_view http_reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

std::string format_http_response(const HttpReply& reply, bool with_body) {
    std::string out =
        fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    reply.status, http_reason(reply.status), reply.content_type, reply.body.size());
    for (const auto& [name, value] : reply.headers) out += fmt::format("{}: {}\r\n", name, value);
    out += "\r\n";
    if (with_body) out += reply.body;
    return out;
}

std::optional<std::string> answer_metrics_request(std::string_view received,
                                                  const std::function<Result<std::string>()>& exposition) {
    const HttpParseResult parsed = parse_http_request(received);
    auto error = [](int status, std::string text) {
        return format_http_response(
            HttpReply{status, "text/plain; charset=utf-8", std::move(text) + "\n", {}});
    };
    switch (parsed.state) {
        case HttpParse::incomplete:
            return std::nullopt;
        case HttpParse::bad_request:
            return error(400, "bad request");
        case HttpParse::too_large:
            return error(431, fmt::format("request head larger than {} bytes", max_http_request));
        case HttpParse::complete:
            break;
    }
    // HEAD: the headers GET would have, Content-Length included, without the body (RFC 9110 9.3.2).
    const bool head = parsed.request.method == "HEAD";
    if (parsed.request.method != "GET" && !head) {
        HttpReply reply{
            405, "text/plain; charset=utf-8", "only GET and HEAD are supported\n", {{"Allow", "GET, HEAD"}}};
        return format_http_response(reply);
    }
    auto answer = [head](HttpReply reply) { return format_http_response(reply, !head); };
    if (parsed.request.path != "/metrics")
        return answer({404, "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n", {}});
    auto text = exposition();
    if (!text) return answer({500, "text/plain; charset=utf-8", text.error().message + "\n", {}});
    return answer(HttpReply{200, std::string(metrics_content_type), std::move(*text), {}});
}

}  // namespace sluice::metrics
