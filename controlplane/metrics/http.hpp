// The HTTP side of the /metrics endpoint, pure: the request head as it arrives (enough to
// tell GET /metrics from anything else, and garbage early), and the whole response as
// bytes. The socket side is io/http_server.hpp.
//
// Only what a scraper needs: HTTP/1.0 and 1.1, one request per connection, no body read,
// every response with Content-Length and "Connection: close".
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/util/result.hpp"

namespace sluice::metrics {

// Request line and headers together; more is refused with 431.
inline constexpr std::size_t max_http_request = 8192;

enum class HttpParse {
    incomplete,   // no end of the head yet, and nothing wrong so far
    complete,     // a well-formed head (request line and headers)
    bad_request,  // not HTTP: 400
    too_large,    // no end of the head within max_http_request bytes: 431
};

struct HttpRequest {
    std::string method;
    std::string target;  // as sent ("/metrics?x=1")
    std::string path;    // the target without query or fragment ("/metrics")
    std::string version;
};

struct HttpParseResult {
    HttpParse state = HttpParse::incomplete;
    HttpRequest request{};  // when complete
};

// `received`: every byte the client sent so far. Lines may end in CRLF or a bare LF.
[[nodiscard]] HttpParseResult parse_http_request(std::string_view received);

struct HttpReply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body{};
    std::vector<std::pair<std::string, std::string>> headers{};  // extra ones, e.g. Allow
};

[[nodiscard]] std::string_view http_reason(int status);
// Status line, Content-Type, Content-Length, Connection: close, the extra headers, the body
// (left out for HEAD; Content-Length still gives its size).
[[nodiscard]] std::string format_http_response(const HttpReply& reply, bool with_body = true);

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The endpoint: GET /metrics answers 200 with `exposition()` (500 if it fails), HEAD the
// same without the body, another path 404, another method 405, garbage 400, an oversized head 431. nullopt
// while the head is incomplete.
[[nodiscard]] std::optional<std::string> answer_metrics_request(
    std::string_view received, const std::function<Result<std::string>()>& exposition);

}  // namespace sluice::metrics
