#include "controlplane/protocol/request.hpp"

#include <array>
#include <type_traits>
#include <variant>

namespace sluice::protocol {

namespace {

// RequestType for each alternative of Request, by variant index. Kept as a table next to
// a size check so that adding an alternative without updating it fails to compile.
constexpr std::array<RequestType, 15> type_by_index = {
    RequestType::id,         RequestType::metakey,  RequestType::challenge, RequestType::chal_reply,
    RequestType::ack,        RequestType::ping,     RequestType::pong,      RequestType::add_subnet,
    RequestType::del_subnet, RequestType::add_edge, RequestType::del_edge,  RequestType::key_changed,
    RequestType::req_key,    RequestType::ans_key,  RequestType::packet,
};
static_assert(type_by_index.size() == std::variant_size_v<Request>);
static_assert(std::is_same_v<std::variant_alternative_t<5, Request>, PingRequest>);
static_assert(std::is_same_v<std::variant_alternative_t<14, Request>, PacketRequest>);

}  // namespace

const char* request_name(RequestType type) {
    switch (type) {
        case RequestType::id:
            return "ID";
        case RequestType::metakey:
            return "METAKEY";
        case RequestType::challenge:
            return "CHALLENGE";
        case RequestType::chal_reply:
            return "CHAL_REPLY";
        case RequestType::ack:
            return "ACK";
        case RequestType::status:
            return "STATUS";
        case RequestType::error:
            return "ERROR";
        case RequestType::termreq:
            return "TERMREQ";
        case RequestType::ping:
            return "PING";
        case RequestType::pong:
            return "PONG";
        case RequestType::add_subnet:
            return "ADD_SUBNET";
        case RequestType::del_subnet:
            return "DEL_SUBNET";
        case RequestType::add_edge:
            return "ADD_EDGE";
        case RequestType::del_edge:
            return "DEL_EDGE";
        case RequestType::key_changed:
            return "KEY_CHANGED";
        case RequestType::req_key:
            return "REQ_KEY";
        case RequestType::ans_key:
            return "ANS_KEY";
        case RequestType::packet:
            return "PACKET";
    }
    // Only reachable through a cast of an out-of-range integer.
    return "UNKNOWN";
}

RequestType type_of(const Request& request) {
    return type_by_index[request.index()];
}

}  // namespace sluice::protocol
