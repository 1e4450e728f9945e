// format_request: the writing half of the codec (codec.cpp parses).
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "controlplane/protocol/codec.hpp"
#include "controlplane/protocol/constants.hpp"

namespace sluice::protocol {

namespace {

// One visitor per alternative, all appending to the same string so that a request costs
// one allocation (plus the subnet's own to_string) and no temporary per field.
struct Formatter {
    std::string& out;

    template <typename... Args>
    void put(fmt::format_string<Args...> format, Args&&... args) {
        fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
    }

    void operator()(const IdRequest& r) {
        // Minor 0 is the bare major, as 1.0 sends it; a non-zero minor only comes from a
        // parsed 1.1 line, and writing it back keeps parse(format(r)) == r.
        if (r.minor == 0) {
            put("0 {} {}", r.name, r.major);
        } else {
            put("0 {} {}.{}", r.name, r.major, r.minor);
        }
    }
    // Uppercase like tinc's bin2hex, written in place instead of through a temporary string.
    void put_hex(std::span<const std::uint8_t> bytes) {
        static constexpr char digits[] = "0123456789ABCDEF";
        for (std::uint8_t b : bytes) {
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 0x0f]);
        }
    }

    void operator()(const MetakeyRequest& r) {
        put("1 {} {} {} {} ", r.cipher_nid, r.digest_nid, r.mac_length, r.compression);
        put_hex(r.encrypted_key);
    }
    void operator()(const ChallengeRequest& r) {
        put("2 ");
        put_hex(r.challenge);
    }
    void operator()(const ChalReplyRequest& r) {
        put("3 ");
        put_hex(r.digest);
    }
    void operator()(const AckRequest& r) { put("4 {} {} {:x}", r.port, r.weight, r.options); }
    void operator()(const PingRequest&) { put("8"); }
    void operator()(const PongRequest&) { put("9"); }
    void operator()(const AddSubnetRequest& r) {
        put("10 {:x} {} {}", r.nonce, r.owner, r.subnet.to_string());
    }
    void operator()(const DelSubnetRequest& r) {
        put("11 {:x} {} {}", r.nonce, r.owner, r.subnet.to_string());
    }
    void operator()(const AddEdgeRequest& r) {
        put("12 {:x} {} {} {} {} {:x} {}", r.nonce, r.from, r.to, r.address, r.port, r.options, r.weight);
    }
    void operator()(const DelEdgeRequest& r) { put("13 {:x} {} {}", r.nonce, r.from, r.to); }
    void operator()(const KeyChangedRequest& r) { put("14 {:x} {}", r.nonce, r.origin); }
    void operator()(const ReqKeyRequest& r) {
        put("15 {} {}", r.from, r.to);
        if (!r.kx_token) return;
        put(" {}", req_key_kx_tag);
        // An empty token stands for a missing or malformed one: the bare tag parses back to it.
        if (!r.kx_token->empty()) put(" {}", *r.kx_token);
    }
    void operator()(const AnsKeyRequest& r) {
        put("16 {} {} {} {} {} {} {}", r.from, r.to, r.key_hex, r.cipher_nid, r.digest_nid, r.mac_length,
            r.compression);
        // Both or neither (see the struct); a lone address would not parse back.
        if (r.address && r.port) put(" {} {}", *r.address, *r.port);
    }
    void operator()(const PacketRequest& r) { put("17 {}", r.length); }
};

}  // namespace

std::string format_request(const Request& request) {
    std::string out;
    out.reserve(64);  // most lines fit; METAKEY and CHALLENGE grow once more
    std::visit(Formatter{out}, request);
    return out;
}

}  // namespace sluice::protocol
