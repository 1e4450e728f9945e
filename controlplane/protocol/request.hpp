// The typed requests of tinc 1.0.36's meta protocol (protocol 17). The codec turns lines
// into these and back; handlers never see raw strings. Field names follow the spec's
// request table (tinc-1.0.36-protocol.md, 1.2). Every struct compares with a defaulted ==, so
// tests and the fuzz target can check parse(format(r)) == r.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "shared/net/subnet.hpp"

namespace sluice::protocol {

enum class RequestType : int {
    id = 0,
    metakey = 1,
    challenge = 2,
    chal_reply = 3,
    ack = 4,
    status = 5,   // not implemented by 1.0.36: never sent, refused on receipt
    error = 6,    // likewise
    termreq = 7,  // likewise
    ping = 8,
    pong = 9,
    add_subnet = 10,
    del_subnet = 11,
    add_edge = 12,
    del_edge = 13,
    key_changed = 14,
    req_key = 15,
    ans_key = 16,
    packet = 17,
};

// "ID", "METAKEY", ... as tinc names them in its logs.
[[nodiscard]] const char* request_name(RequestType type);

struct IdRequest {
    std::string name;
    int major = 0;
    int minor = 0;  // from "17.7" (tinc 1.1); 1.0 sends "17", read as minor 0

    bool operator==(const IdRequest&) const = default;
};

struct MetakeyRequest {
    int cipher_nid = 0;
    int digest_nid = 0;
    int mac_length = 0;
    int compression = 0;
    std::vector<std::uint8_t> encrypted_key;  // hex-decoded RSA ciphertext

    bool operator==(const MetakeyRequest&) const = default;
};

struct ChallengeRequest {
    std::vector<std::uint8_t> challenge;

    bool operator==(const ChallengeRequest&) const = default;
};

struct ChalReplyRequest {
    std::vector<std::uint8_t> digest;

    bool operator==(const ChalReplyRequest&) const = default;
};

struct AckRequest {
    std::string port;  // the sender's Port as it configured it (a number or service name)
    int weight = 0;    // milliseconds, the sender's RTT estimate or its Weight
    std::uint32_t options = 0;

    bool operator==(const AckRequest&) const = default;
};

struct PingRequest {
    bool operator==(const PingRequest&) const = default;
};
struct PongRequest {
    bool operator==(const PongRequest&) const = default;
};

struct AddSubnetRequest {
    std::uint32_t nonce = 0;  // random per origination; printed "%x"
    std::string owner;
    net::Subnet subnet;

    bool operator==(const AddSubnetRequest&) const = default;
};

struct DelSubnetRequest {
    std::uint32_t nonce = 0;
    std::string owner;
    net::Subnet subnet;

    bool operator==(const DelSubnetRequest&) const = default;
};

struct AddEdgeRequest {
    std::uint32_t nonce = 0;
    std::string from;
    std::string to;
    std::string address;  // numeric address, or an opaque string tinc keeps as AF_UNKNOWN
    std::string port;
    std::uint32_t options = 0;
    int weight = 0;

    bool operator==(const AddEdgeRequest&) const = default;
};

struct DelEdgeRequest {
    std::uint32_t nonce = 0;
    std::string from;
    std::string to;

    bool operator==(const DelEdgeRequest&) const = default;
};

struct KeyChangedRequest {
    std::uint32_t nonce = 0;
    std::string origin;

    bool operator==(const KeyChangedRequest&) const = default;
};

struct ReqKeyRequest {
    std::string from;
    std::string to;
    // sluice's native key exchange rides in REQ_KEY as "15 <from> <to> SLUICE-KX1 <token>"
    // (docs/protocol.md 2.1). Set when the third field is exactly req_key_kx_tag: the fourth
    // field, base64url characters only; an empty string when that field is missing or
    // malformed (a character outside base64url, too long, or followed by a fifth field), so
    // the receiver refuses the message as a native one instead of reading it as a legacy
    // request for its key. Any other third field (tinc 1.1's numeric extensions) is ignored
    // like every extra token, and the request is a plain REQ_KEY. (The initializer lets
    // ReqKeyRequest{from, to} stay free of -Wmissing-field-initializers.)
    std::optional<std::string> kx_token = std::nullopt;

    bool operator==(const ReqKeyRequest&) const = default;
};

struct AnsKeyRequest {
    std::string from;
    std::string to;
    std::string key_hex;  // kept as hex: relays forward it untouched, the receiver decodes
    int cipher_nid = 0;
    int digest_nid = 0;
    int mac_length = 0;
    int compression = 0;
    // The reflexive UDP address a relay appends (both or neither).
    std::optional<std::string> address;
    std::optional<std::string> port;

    bool operator==(const AnsKeyRequest&) const = default;
};

// "17 <length>": the body (exactly length raw bytes) follows the line on the stream.
struct PacketRequest {
    std::size_t length = 0;

    bool operator==(const PacketRequest&) const = default;
};

using Request = std::variant<IdRequest, MetakeyRequest, ChallengeRequest, ChalReplyRequest, AckRequest,
                             PingRequest, PongRequest, AddSubnetRequest, DelSubnetRequest, AddEdgeRequest,
                             DelEdgeRequest, KeyChangedRequest, ReqKeyRequest, AnsKeyRequest, PacketRequest>;

[[nodiscard]] RequestType type_of(const Request& request);

}  // namespace sluice::protocol
