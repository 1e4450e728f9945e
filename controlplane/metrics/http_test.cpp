#include "controlplane/metrics/http.hpp"

#include <random>

#include <catch2/catch.hpp>

using namespace sluice;
using namespace sluice::metrics;

namespace {

Result<std::string> fixed_text() {
    return std::string("up 1\n");
}

std::string answer(std::string_view request) {
    return answer_metrics_request(request, fixed_text).value_or("<incomplete>");
}

}  // namespace

TEST_CASE("a scraper's request parses, with CRLF or bare LF, query and fragment stripped from the path") {
    const auto r = parse_http_request(
        "GET /metrics?name[]=x HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nAccept: text/plain;q=0.5\r\n\r\n");
    REQUIRE(r.state == HttpParse::complete);
    CHECK(r.request.method == "GET");
    CHECK(r.request.target == "/metrics?name[]=x");
    CHECK(r.request.path == "/metrics");
    CHECK(r.request.version == "HTTP/1.1");
    CHECK(parse_http_request("GET /metrics HTTP/1.0\n\n").state == HttpParse::complete);
    CHECK(parse_http_request("GET /metrics#top HTTP/1.0\n\n").request.path == "/metrics");
}

TEST_CASE("an unfinished head waits; one that cannot become HTTP is refused at once") {
    for (auto partial :
         {"", "G", "GET", "GET /met", "GET /metrics HTTP/1.1\r\n", "GET /metrics HTTP/1.1\r\nHost: x\r\n"}) {
        CAPTURE(partial);
        CHECK(parse_http_request(partial).state == HttpParse::incomplete);
    }
    for (auto bad :
         {"\x16\x03\x01\x02\x00", " GET", "GE(T", "\x01", "GET /metrics HTTP/2.0\r\n\r\n",
          "GET metrics HTTP/1.1\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n", "GET /metrics\r\n\r\n",
          "GET /metrics HTTP/1.1 extra\r\n\r\n", "GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
          "GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n", "GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n",
          "GET /m\x7f HTTP/1.1\r\n\r\n", "\r\n\r\n"}) {
        CAPTURE(bad);
        CHECK(parse_http_request(bad).state == HttpParse::bad_request);
    }
}

TEST_CASE("a head larger than the limit is refused, complete or not") {
    std::string head = "GET /metrics HTTP/1.1\r\n";
    while (head.size() < max_http_request) head += "X-Filler: 0123456789abcdef\r\n";
    CHECK(parse_http_request(head).state == HttpParse::too_large);
    CHECK(parse_http_request(head + "\r\n").state == HttpParse::too_large);
    CHECK(parse_http_request("GET /" + std::string(max_http_request, 'a')).state == HttpParse::too_large);
}

TEST_CASE(
    "responses: 200 with the exposition (HEAD: without it), 404, 405, 400, 431, 500; always a length and "
    "Connection: close") {
    CHECK(answer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
          "Content-Length: 5\r\n"
          "Connection: close\r\n"
          "\r\n"
          "up 1\n");
    CHECK(answer("GET /metrics HTTP/1.1\r\n") == "<incomplete>");
    CHECK(answer("GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 Not Found\r\n"));
    const std::string post = answer("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    CHECK(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    CHECK(post.find("\r\nAllow: GET, HEAD\r\n") != std::string::npos);
    // HEAD: GET's headers, the length of the body it leaves out.
    CHECK(answer("HEAD /metrics HTTP/1.1\r\n\r\n") ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
          "Content-Length: 5\r\n"
          "Connection: close\r\n"
          "\r\n");
    CHECK(answer("HEAD / HTTP/1.1\r\n\r\n").ends_with("\r\n\r\n"));
    CHECK(answer("hello\n").starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(answer(std::string(max_http_request, 'A')).starts_with("HTTP/1.1 431 "));
    auto broken = [] { return Result<std::string>(fail("tables unreadable")); };
    const auto failed = answer_metrics_request("GET /metrics HTTP/1.0\r\n\r\n", broken);
    REQUIRE(failed);
    CHECK(failed->starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    CHECK(failed->ends_with("\r\n\r\ntables unreadable\n"));
    const std::string bad = answer("\x16\x03\x01");
    CHECK(bad.find("Content-Length: 12\r\n") != std::string::npos);  // "bad request\n"
    CHECK(bad.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("random bytes and mutated requests never crash the parser, and never answer 200 to garbage") {
    std::mt19937 rng(20240611);
    const std::string valid = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 20000; ++i) {
        std::string input;
        if (i % 2 == 0) {
            const std::size_t size = rng() % 64;
            for (std::size_t j = 0; j < size; ++j) input += static_cast<char>(rng() & 0xff);
        } else {
            input = valid;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = rng() % input.size();
                switch (rng() % 3) {
                    case 0:
                        input[at] = static_cast<char>(rng() & 0xff);
                        break;
                    case 1:
                        input.erase(at, 1 + rng() % 4);
                        break;
                    default:
                        input.insert(at, 1, static_cast<char>(rng() & 0xff));
                }
                if (input.empty()) input = "G";
            }
        }
        const auto parsed = parse_http_request(input);
        const auto reply = answer_metrics_request(input, fixed_text);
        CHECK((parsed.state == HttpParse::incomplete) == !reply.has_value());
        if (reply && reply->starts_with("HTTP/1.1 200 ")) {
            CHECK(parsed.request.method == "GET");
            CHECK(parsed.request.path == "/metrics");
        }
    }
}
