#include "controlplane/protocol/codec.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "controlplane/protocol/constants.hpp"
#include "shared/crypto/hex.hpp"
#include "shared/util/text.hpp"

using namespace sluice;
using namespace sluice::protocol;

namespace Catch {
template <>
struct StringMaker<Request> {
    static std::string convert(const Request& r) {
        return fmt::format("[{}] {}", r.index(), format_request(r));
    }
};
}  // namespace Catch

namespace {

std::vector<std::uint8_t> bytes(std::string_view hex) {
    return crypto::from_hex(hex).value();
}

net::Subnet subnet(std::string_view text) {
    return net::Subnet::parse(text).value();
}

struct Accept {
    std::string line;
    Request expected;
    std::string canonical;
};

const std::string chal_reply_hex = "61EC4275D8279E01B783DEB6593D69AE7888C9600CCBF19E5305A93F51F8D485";

// The INIT of docs/protocol.md's worked example (section 8), as it rides in REQ_KEY.
const std::string kx_init_token =
    "AQEAAnSZmUQBAgAAF5ec_jYqAAD_NJL6DBj2eolU-XApCJ9I32tX1y9bp1UqikHKYjOPJDBuDowoSrOpQxGe4-UZFTg9oetd10uRBpAq"
    "QFHtUP2wV-gL7XBCOzeQ_KdRzXr5lfLApsehC-gn0gZ1O3XytAw";

ReqKeyRequest kx_req_key(std::string from, std::string to, std::string token) {
    return ReqKeyRequest{std::move(from), std::move(to), std::move(token)};
}

// Every request type, first the lines captured from tincd 1.0.36 (spec 1.2, long hex
// shortened), then the tolerated variants next to the canonical form they format to.
std::vector<Accept> accept_rows() {
    return {
        // spec 1.2 capture
        {"0 alpha 17", IdRequest{"alpha", 17, 0}, "0 alpha 17"},
        {"1 429 672 0 0 4CDFB2C0", MetakeyRequest{429, 672, 0, 0, bytes("4CDFB2C0")},
         "1 429 672 0 0 4CDFB2C0"},
        {"2 B1810A05", ChallengeRequest{bytes("B1810A05")}, "2 B1810A05"},
        {"3 " + chal_reply_hex, ChalReplyRequest{bytes(chal_reply_hex)}, "3 " + chal_reply_hex},
        {"4 655 3 c", AckRequest{"655", 3, 0xc}, "4 655 3 c"},
        {"10 15260a7e alpha 198.19.0.1/32#10",
         AddSubnetRequest{0x15260a7e, "alpha", subnet("198.19.0.1/32#10")},
         "10 15260a7e alpha 198.19.0.1/32#10"},
        {"12 55691a94 alpha beta 198.18.0.2 655 c 3",
         AddEdgeRequest{0x55691a94, "alpha", "beta", "198.18.0.2", "655", 0xc, 3},
         "12 55691a94 alpha beta 198.18.0.2 655 c 3"},
        {"16 alpha beta F72686D2 427 672 4 0",
         AnsKeyRequest{"alpha", "beta", "F72686D2", 427, 672, 4, 0, std::nullopt, std::nullopt},
         "16 alpha beta F72686D2 427 672 4 0"},
        {"16 gamma alpha 6A86AFC3 427 672 4 9 198.18.1.3 655",
         AnsKeyRequest{"gamma", "alpha", "6A86AFC3", 427, 672, 4, 9, "198.18.1.3", "655"},
         "16 gamma alpha 6A86AFC3 427 672 4 9 198.18.1.3 655"},
        {"15 beta alpha", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"14 6efb4f7a alpha", KeyChangedRequest{0x6efb4f7a, "alpha"}, "14 6efb4f7a alpha"},
        {"13 3dac332e beta alpha", DelEdgeRequest{0x3dac332e, "beta", "alpha"}, "13 3dac332e beta alpha"},
        {"11 55d7a04d alpha 198.19.0.1/32#10",
         DelSubnetRequest{0x55d7a04d, "alpha", subnet("198.19.0.1/32#10")},
         "11 55d7a04d alpha 198.19.0.1/32#10"},
        {"17 90", PacketRequest{90}, "17 90"},
        {"8", PingRequest{}, "8"},
        {"9", PongRequest{}, "9"},

        // ID: 1.1's minor, a major the session (not the codec) refuses, leading zeros
        {"0 alpha 17.7", IdRequest{"alpha", 17, 7}, "0 alpha 17.7"},
        {"0 alpha 17.0", IdRequest{"alpha", 17, 0}, "0 alpha 17"},
        {"0 alpha 17.255", IdRequest{"alpha", 17, 255}, "0 alpha 17.255"},
        {"0 alpha 18", IdRequest{"alpha", 18, 0}, "0 alpha 18"},
        {"0 Node_9 017", IdRequest{"Node_9", 17, 0}, "0 Node_9 17"},
        {"0 alpha 17 extra tokens", IdRequest{"alpha", 17, 0}, "0 alpha 17"},
        // METAKEY / CHALLENGE / CHAL_REPLY: either case in, uppercase out
        {"1 421 672 0 0 4cdfb2c0", MetakeyRequest{421, 672, 0, 0, bytes("4CDFB2C0")},
         "1 421 672 0 0 4CDFB2C0"},
        {"1 0 0 32 11 00", MetakeyRequest{0, 0, 32, 11, {0x00}}, "1 0 0 32 11 00"},
        {"2 b1810a05 ignored", ChallengeRequest{bytes("B1810A05")}, "2 B1810A05"},
        {"3 ab", ChalReplyRequest{{0xab}}, "3 AB"},
        // ACK: service names, negative weight, options in either case and with a 1.1 top byte
        {"4 tinc-vpn 72 C", AckRequest{"tinc-vpn", 72, 0xc}, "4 tinc-vpn 72 c"},
        {"4 655 -3 0000000c", AckRequest{"655", -3, 0xc}, "4 655 -3 c"},
        {"4 655 2147483647 ffffffff", AckRequest{"655", 2147483647, 0xffffffff}, "4 655 2147483647 ffffffff"},
        {"4 655 -2147483648 0", AckRequest{"655", -2147483647 - 1, 0}, "4 655 -2147483648 0"},
        {"4 655 -0 0", AckRequest{"655", 0, 0}, "4 655 0 0"},
        // PING/PONG: the salt older docs describe is ignored
        {"8 1a2b3c", PingRequest{}, "8"},
        {"9 1a2b3c", PongRequest{}, "9"},
        // subnets: leading-zero nonce, IPv6, MAC, default weight made explicit
        {"10 00ab alpha 198.19.0.1", AddSubnetRequest{0xab, "alpha", subnet("198.19.0.1/32#10")},
         "10 ab alpha 198.19.0.1/32#10"},
        {"10 0 beta 2001:db8::/32#5", AddSubnetRequest{0, "beta", subnet("2001:db8::/32#5")},
         "10 0 beta 2001:db8:0:0:0:0:0:0/32#5"},
        {"11 FFFFFFFF gamma 2:0:0:0:0:a#10", DelSubnetRequest{0xffffffff, "gamma", subnet("2:0:0:0:0:a#10")},
         "11 ffffffff gamma 2:0:0:0:0:a#10"},
        // ADD_EDGE: 1.1's local address and port dropped, IPv6, opaque address, negative weight
        {"12 1 alpha beta 198.18.0.2 655 c 3 198.18.0.1 655",
         AddEdgeRequest{1, "alpha", "beta", "198.18.0.2", "655", 0xc, 3},
         "12 1 alpha beta 198.18.0.2 655 c 3"},
        {"12 0 alpha beta 2001:db8::2 655 0 -1",
         AddEdgeRequest{0, "alpha", "beta", "2001:db8::2", "655", 0, -1},
         "12 0 alpha beta 2001:db8::2 655 0 -1"},
        {"12 a alpha beta unknown/host tinc F 3",
         AddEdgeRequest{0xa, "alpha", "beta", "unknown/host", "tinc", 0xf, 3},
         "12 a alpha beta unknown/host tinc f 3"},
        {"12 a alpha alpha 198.18.0.2 655 c 3",
         AddEdgeRequest{0xa, "alpha", "alpha", "198.18.0.2", "655", 0xc, 3},
         "12 a alpha alpha 198.18.0.2 655 c 3"},  // from == to is the session's error
        // REQ_KEY with 1.1 extensions, ANS_KEY keeps its key's case and drops extras
        {"15 beta alpha 1 extension", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"16 alpha beta f72686d2 427 672 4 0",
         AnsKeyRequest{"alpha", "beta", "f72686d2", 427, 672, 4, 0, {}, {}},
         "16 alpha beta f72686d2 427 672 4 0"},
        {"16 gamma alpha 6A86 0 0 0 0 2001:db8::3 655 x",
         AnsKeyRequest{"gamma", "alpha", "6A86", 0, 0, 0, 0, "2001:db8::3", "655"},
         "16 gamma alpha 6A86 0 0 0 0 2001:db8::3 655"},
        // REQ_KEY with sluice's native key exchange (docs/protocol.md 2.1): the token is kept;
        // its length and contents are the exchange's to judge, only its alphabet is the codec's
        {"15 alpha beta SLUICE-KX1 " + kx_init_token, kx_req_key("alpha", "beta", kx_init_token),
         "15 alpha beta SLUICE-KX1 " + kx_init_token},
        {"15\talpha  beta SLUICE-KX1\t" + kx_init_token + " ", kx_req_key("alpha", "beta", kx_init_token),
         "15 alpha beta SLUICE-KX1 " + kx_init_token},
        {"15 a b SLUICE-KX1 AZaz09-_", kx_req_key("a", "b", "AZaz09-_"), "15 a b SLUICE-KX1 AZaz09-_"},
        // ... a missing or malformed token is an empty one (refused by the exchange, never a
        // reason to drop the link, never read as a legacy request)
        {"15 alpha beta SLUICE-KX1", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 \t", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 AQEA=", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 AQ+/", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 AQ.EA", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 AQEA extra", kx_req_key("alpha", "beta", ""), "15 alpha beta SLUICE-KX1"},
        {"15 alpha beta SLUICE-KX1 " + std::string(max_token_chars + 1, 'A'), kx_req_key("alpha", "beta", ""),
         "15 alpha beta SLUICE-KX1"},
        // ... and any other third field is not it: tinc 1.1's numeric extensions, other cases,
        // other versions stay plain REQ_KEYs, to relay or answer as tinc does
        {"15 beta alpha 18 AQEAAnSZmUQ", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"15 beta alpha 21 1 2 3", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"15 beta alpha sluice-kx1 AQEA", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"15 beta alpha SLUICE-KX2 AQEA", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"15 beta alpha SLUICE-KX1x AQEA", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"15 beta alpha 1 SLUICE-KX1 AQEA", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        // PACKET bounds
        {"17 1", PacketRequest{1}, "17 1"},
        {"17 1661", PacketRequest{max_packet_body}, "17 1661"},
        {"17 0090", PacketRequest{90}, "17 90"},
        // blanks: runs of spaces and tabs, leading and trailing, as sscanf tolerates
        {"12  55691a94\talpha \t beta 198.18.0.2 655 c 3",
         AddEdgeRequest{0x55691a94, "alpha", "beta", "198.18.0.2", "655", 0xc, 3},
         "12 55691a94 alpha beta 198.18.0.2 655 c 3"},
        {" 8", PingRequest{}, "8"},
        {"15\tbeta\talpha\t", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        {"015 beta alpha", ReqKeyRequest{"beta", "alpha"}, "15 beta alpha"},
        // the longest tokens
        {"15 " + std::string(max_token_chars, 'n') + " alpha",
         ReqKeyRequest{std::string(max_token_chars, 'n'), "alpha"},
         "15 " + std::string(max_token_chars, 'n') + " alpha"},
    };
}

struct Reject {
    std::string line;
    std::string reason;  // a substring of the error message
};

std::vector<Reject> reject_rows() {
    const std::string long_token(max_token_chars + 1, 'a');
    return {
        // the line and the request number
        {"", "empty line"},
        {"  \t ", "empty line"},
        {"5", "STATUS (5) is not implemented by tinc 1.0.36"},
        {"6 some error", "ERROR (6) is not implemented by tinc 1.0.36"},
        {"7", "TERMREQ (7) is not implemented by tinc 1.0.36"},
        {"18", "request number 18 is not part of tinc 1.0 (protocol 17)"},
        {"23 alpha", "request number 23 is not part of tinc 1.0 (protocol 17)"},
        {"99", "request number 99 is not part of tinc 1.0 (protocol 17)"},
        {"99999999999999999999999", "request number 99999999999999999999... is not part of tinc 1.0"},
        {"-1", "request number \"-1\" is not a number"},
        {"+8", "request number \"+8\" is not a number"},
        {"8x", "request number \"8x\" is not a number"},
        {"PING", "request number \"PING\" is not a number"},
        // characters
        {"8\r", "control character 0x0d at position 1"},
        {"15 beta alpha\r", "control character 0x0d at position 13"},
        {"8\n", "control character 0x0a at position 1"},
        {std::string("15 be\0ta alpha", 14), "control character 0x00 at position 5"},
        {"15 beta\valpha", "control character 0x0b at position 7"},
        {"8 \x7f", "control character 0x7f at position 2"},
        {"15 b\xc3\xa9ta alpha", "non-ASCII byte 0xc3 at position 4"},
        {"8 \xff", "non-ASCII byte 0xff at position 2"},
        // ID
        {"0", "ID: missing field name"},
        {"0 alpha", "ID: missing field version"},
        {"0 a-b 17", "ID: invalid name \"a-b\" in field name"},
        {"0 alpha x", "ID: version \"x\" is not <major> or <major>.<minor>"},
        {"0 alpha 17.", "ID: version \"17.\" is not <major> or <major>.<minor>"},
        {"0 alpha .7", "ID: version \".7\" is not"},
        {"0 alpha 17.7.1", "ID: version \"17.7.1\" is not"},
        {"0 alpha +17", "ID: version \"+17\" is not"},
        {"0 alpha -17", "ID: version \"-17\" is not"},
        {"0 alpha 17.256", "ID: minor version \"256\" is out of range 0..255"},
        {"0 alpha 17.99999999999", "ID: minor version \"99999999999\" is out of range 0..255"},
        {"0 alpha 99999999999", "ID: major version \"99999999999\" is out of range"},
        // METAKEY
        {"1 429 672 0 0", "METAKEY: missing field key"},
        {"1 429 672 0", "METAKEY: missing field compression"},
        {"1 429 672 0 0 ABC", "METAKEY: invalid hex in field key: odd number of hex digits (3)"},
        {"1 429 672 0 0 AB0G", "METAKEY: invalid hex in field key: invalid hex digit 'G' at position 3"},
        {"1 -429 672 0 0 AB", "METAKEY: cipher nid \"-429\" must not be negative"},
        {"1 +429 672 0 0 AB", "METAKEY: cipher nid \"+429\" is not a number"},
        {"1 429 6x2 0 0 AB", "METAKEY: digest nid \"6x2\" is not a number"},
        {"1 429 672 2147483648 0 AB", "METAKEY: mac length \"2147483648\" is out of range"},
        {"1 429 672 0 0 " + long_token, "METAKEY: field key is 2049 characters long, more than 2048"},
        // CHALLENGE, CHAL_REPLY
        {"2", "CHALLENGE: missing field challenge"},
        {"2 XYZ1", "CHALLENGE: invalid hex in field challenge: invalid hex digit 'X' at position 0"},
        {"3 A", "CHAL_REPLY: invalid hex in field digest: odd number of hex digits (1)"},
        // ACK
        {"4 655 3", "ACK: missing field options"},
        {"4", "ACK: missing field port"},
        {"4 655 x c", "ACK: weight \"x\" is not a number"},
        {"4 655 +3 c", "ACK: weight \"+3\" is not a number"},
        {"4 655 - c", "ACK: weight \"-\" is not a number"},
        {"4 655 2147483648 c", "ACK: weight \"2147483648\" is out of range"},
        {"4 655 -2147483649 c", "ACK: weight \"-2147483649\" is out of range"},
        {"4 655 3 100000000", "ACK: options \"100000000\" is longer than 8 hex digits"},
        {"4 655 3 0xc", "ACK: options \"0xc\" is not a hex number"},
        {"4 655 3 -c", "ACK: options \"-c\" is not a hex number"},
        {"4 65.5 3 c", "ACK: port \"65.5\" is not a port number or service name"},
        // subnets
        {"10 15260a7e alpha", "ADD_SUBNET: missing field subnet"},
        {"10 15260a7e", "ADD_SUBNET: missing field owner"},
        {"10", "ADD_SUBNET: missing field nonce"},
        {"10 1 alpha 198.19.0.1/33", "ADD_SUBNET: invalid subnet \"198.19.0.1/33\": prefix longer than 32"},
        {"10 1 alpha 198.19.0", "ADD_SUBNET: invalid subnet \"198.19.0\":"},
        {"10 g alpha 198.19.0.1", "ADD_SUBNET: nonce \"g\" is not a hex number"},
        {"10 123456789 alpha 198.19.0.1", "ADD_SUBNET: nonce \"123456789\" is longer than 8 hex digits"},
        {"10 +1 alpha 198.19.0.1", "ADD_SUBNET: nonce \"+1\" is not a hex number"},
        {"11 1 a.b 198.19.0.1", "DEL_SUBNET: invalid name \"a.b\" in field owner"},
        // edges
        {"12 1 alpha beta 198.18.0.2 655 c", "ADD_EDGE: missing field weight"},
        {"12 1 alpha beta", "ADD_EDGE: missing field address"},
        {"12 1 a-b beta 198.18.0.2 655 c 3", "ADD_EDGE: invalid name \"a-b\" in field from"},
        {"12 1 alpha b@ta 198.18.0.2 655 c 3", "ADD_EDGE: invalid name \"b@ta\" in field to"},
        {"12 1 alpha beta 198.18.0.2 655 c x", "ADD_EDGE: weight \"x\" is not a number"},
        {"12 1 alpha beta 198.18.0.2 655 g 3", "ADD_EDGE: options \"g\" is not a hex number"},
        {"12 1 alpha beta " + long_token + " 655 c 3", "ADD_EDGE: field address is 2049 characters long"},
        {"12 1 alpha beta 198.18.0.2 " + long_token + " c 3", "ADD_EDGE: field port is 2049 characters long"},
        {"13 1 alpha", "DEL_EDGE: missing field to"},
        {"13 1 alpha b-c", "DEL_EDGE: invalid name \"b-c\" in field to"},
        // keys
        {"14 1", "KEY_CHANGED: missing field origin"},
        {"14 1 al:pha", "KEY_CHANGED: invalid name \"al:pha\" in field origin"},
        {"15 beta", "REQ_KEY: missing field to"},
        {"15 " + long_token + " alpha", "REQ_KEY: field from is 2049 characters long, more than 2048"},
        {"15 a-b alpha SLUICE-KX1 AQEA", "REQ_KEY: invalid name \"a-b\" in field from"},
        {"15 beta SLUICE-KX1 AQEA", "REQ_KEY: invalid name \"SLUICE-KX1\" in field to"},
        {"15 beta alpha SLUICE-KX1 AQ\x01", "control character 0x01 at position 27"},
        {"16 alpha beta ABC 427 672 4 0", "ANS_KEY: invalid hex in field key: odd number of hex digits (3)"},
        {"16 alpha beta AZ 427 672 4 0",
         "ANS_KEY: invalid hex in field key: invalid hex digit 'Z' at position 1"},
        {"16 alpha beta AB 427 672 4", "ANS_KEY: missing field compression"},
        {"16 alpha beta AB 427 672 -4 0", "ANS_KEY: mac length \"-4\" must not be negative"},
        {"16 alpha beta AB 427 672 4 0 198.18.1.3",
         "ANS_KEY: reflexive address \"198.18.1.3\" without a port"},
        {"16 alpha beta AB 427 672 4 0 198.18.1.3 \t",
         "ANS_KEY: reflexive address \"198.18.1.3\" without a port"},
        {"16 alpha beta", "ANS_KEY: missing field key"},
        // PACKET
        {"17", "PACKET: missing field length"},
        {"17 0", "PACKET: length 0 is not allowed"},
        {"17 1662", "PACKET: length 1662 is longer than the largest body tinc accepts (1661)"},
        {"17 -5", "PACKET: length \"-5\" must not be negative"},
        {"17 99999999999", "PACKET: length \"99999999999\" is out of range"},
        // a long bad token is shown shortened
        {"15 " + std::string(100, '-') + " alpha", "in field from"},
    };
}

}  // namespace

TEST_CASE("every accepted line parses to its request and formats to its canonical form") {
    for (const auto& row : accept_rows()) {
        INFO(row.line);
        auto parsed = parse_request(row.line);
        if (!parsed) FAIL(parsed.error().message);
        CHECK(*parsed == row.expected);
        CHECK(type_of(*parsed) == type_of(row.expected));
        CHECK(format_request(*parsed) == row.canonical);
        CHECK(format_request(row.expected) == row.canonical);
        // The canonical form is a fixed point.
        auto reparsed = parse_request(row.canonical);
        REQUIRE(reparsed.has_value());
        CHECK(*reparsed == row.expected);
    }
}

TEST_CASE("every rejected line fails with a one-line reason naming the problem") {
    for (const auto& row : reject_rows()) {
        INFO(text::quote(row.line));
        auto parsed = parse_request(row.line);
        REQUIRE_FALSE(parsed.has_value());
        const std::string& message = parsed.error().message;
        CHECK_THAT(message, Catch::Contains(row.reason));
        CHECK(message.size() < 200);
        for (char c : message) {
            auto byte = static_cast<unsigned char>(c);
            CHECK((byte >= 0x20 && byte < 0x7f));
        }
    }
}

TEST_CASE("the accept table covers every request type tinc 1.0.36 implements") {
    std::vector<bool> seen(std::variant_size_v<Request>, false);
    for (const auto& row : accept_rows()) seen[row.expected.index()] = true;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        INFO(i);
        CHECK(seen[i]);
    }
}

TEST_CASE("request names and types") {
    CHECK(std::string(request_name(RequestType::id)) == "ID");
    CHECK(std::string(request_name(RequestType::chal_reply)) == "CHAL_REPLY");
    CHECK(std::string(request_name(RequestType::termreq)) == "TERMREQ");
    CHECK(std::string(request_name(RequestType::key_changed)) == "KEY_CHANGED");
    CHECK(std::string(request_name(RequestType::packet)) == "PACKET");
    CHECK(std::string(request_name(static_cast<RequestType>(42))) == "UNKNOWN");
    CHECK(type_of(PingRequest{}) == RequestType::ping);
    CHECK(type_of(AnsKeyRequest{}) == RequestType::ans_key);
    CHECK(type_of(PacketRequest{5}) == RequestType::packet);
}

namespace {

// Random valid requests, for the round-trip property over far more values than the tables.
class RandomRequests {
public:
    explicit RandomRequests(std::uint64_t seed) : rng_(seed) {}

    Request next() {
        switch (pick(0, 14)) {
            case 0:
                return IdRequest{name(), pick(0, INT32_MAX), pick(0, 255)};
            case 1:
                return MetakeyRequest{natural(), natural(), natural(), natural(), binary()};
            case 2:
                return ChallengeRequest{binary()};
            case 3:
                return ChalReplyRequest{binary()};
            case 4:
                return AckRequest{token("0123456789abcXYZ_-"), integer(), u32()};
            case 5:
                return PingRequest{};
            case 6:
                return PongRequest{};
            case 7:
                return AddSubnetRequest{u32(), name(), random_subnet()};
            case 8:
                return DelSubnetRequest{u32(), name(), random_subnet()};
            case 9:
                return AddEdgeRequest{u32(), name(), name(), opaque(), opaque(), u32(), integer()};
            case 10:
                return DelEdgeRequest{u32(), name(), name()};
            case 11:
                return KeyChangedRequest{u32(), name()};
            case 12:
                switch (pick(0, 2)) {
                    case 0:
                        return ReqKeyRequest{name(), name()};
                    case 1:
                        return ReqKeyRequest{name(), name(), token(base64url)};
                    default:
                        return ReqKeyRequest{name(), name(), std::string()};  // a malformed token
                }
            case 13: {
                AnsKeyRequest r{name(),    name(),       token("0123456789abcdefABCDEF", 2),
                                natural(), natural(),    natural(),
                                natural(), std::nullopt, std::nullopt};
                if (pick(0, 1) == 1) {
                    r.address = opaque();
                    r.port = opaque();
                }
                return r;
            }
            default:
                return PacketRequest{static_cast<std::size_t>(pick(1, static_cast<int>(max_packet_body)))};
        }
    }

private:
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(rng_()); }
    int natural() { return pick(0, 3) == 0 ? pick(0, 1000) : pick(0, INT32_MAX); }
    int integer() { return pick(0, 3) == 0 ? pick(-1000, 1000) : pick(INT32_MIN, INT32_MAX); }

    // `pairs` > 1 keeps the length a multiple of it (hex digits come in pairs).
    std::string token(std::string_view alphabet, int pairs = 1) {
        std::string out(static_cast<std::size_t>(pick(1, 12) * pairs), ' ');
        for (char& c : out)
            c = alphabet[static_cast<std::size_t>(pick(0, static_cast<int>(alphabet.size()) - 1))];
        return out;
    }
    std::string name() { return token("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"); }
    static constexpr std::string_view base64url =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string opaque() {
        std::string out = token("x");
        for (char& c : out) c = static_cast<char>(pick(0x21, 0x7e));
        return out;
    }
    std::vector<std::uint8_t> binary() {
        std::vector<std::uint8_t> out(static_cast<std::size_t>(pick(1, 64)));
        for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
        return out;
    }
    net::Subnet random_subnet() {
        net::Subnet s;
        s.weight = integer();
        switch (pick(0, 2)) {
            case 0: {
                net::Ipv4Address a;
                for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng_());
                s.address = a;
                s.prefix_length = pick(0, 32);
                break;
            }
            case 1: {
                net::Ipv6Address a;
                for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng_());
                s.address = a;
                s.prefix_length = pick(0, 128);
                break;
            }
            default: {
                net::MacAddress a;
                for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng_());
                s.address = a;
                s.prefix_length = 48;
                break;
            }
        }
        return s;
    }

    std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("parse_request(format_request(r)) == r for random valid requests") {
    RandomRequests requests(0x5100ce01ULL);
    for (int i = 0; i < 20000; ++i) {
        Request r = requests.next();
        std::string line = format_request(r);
        INFO(line);
        auto parsed = parse_request(line);
        if (!parsed) FAIL(parsed.error().message);
        REQUIRE(*parsed == r);
        REQUIRE(format_request(*parsed) == line);
    }
}
