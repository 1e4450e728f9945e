// parse_request: the reading half of the codec (codec_format.cpp writes).
#include "controlplane/protocol/codec.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "controlplane/protocol/constants.hpp"
#include "shared/crypto/hex.hpp"
#include "shared/util/text.hpp"

namespace sluice::protocol {

namespace {

constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// Error messages quote at most this much of a token: a 2048-character hex blob in a log
// line helps nobody.
constexpr std::size_t max_quoted_chars = 64;

std::string shown(std::string_view token) {
    if (token.size() <= max_quoted_chars) return text::quote(token);
    return text::quote(token.substr(0, max_quoted_chars)) + "...";
}

// The whole line is checked before tokenising, so every later message can show tokens
// without escaping surprises, and so that garbage in ignored trailing tokens is refused too.
Status check_characters(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        auto byte = static_cast<unsigned char>(line[i]);
        if (byte >= 0x80) return fail("non-ASCII byte 0x{:02x} at position {}", byte, i);
        if ((byte < 0x20 && !is_blank(line[i])) || byte == 0x7f) {
            return fail("control character 0x{:02x} at position {}", byte, i);
        }
    }
    return {};
}

// Splits off the next blank-separated token; empty when the line is exhausted.
std::string_view next_token(std::string_view& rest) {
    std::size_t start = 0;
    while (start < rest.size() && is_blank(rest[start])) ++start;
    std::size_t end = start;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    std::string_view token = rest.substr(start, end - start);
    rest.remove_prefix(end);
    return token;
}

// The token alphabet of the native key exchange: base64url without padding (kx_message.hpp).
bool is_base64url(std::string_view s) {
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

enum class Sign { non_negative, any };

// Decimal int32 the strict way: digits with an optional '-' (only when `sign` allows it),
// no '+', no blanks, overflow is an error. Returns the reason on failure, nullptr on success.
const char* read_decimal(std::string_view token, Sign sign, int& out) {
    std::string_view digits = token;
    if (sign == Sign::any && digits.starts_with('-')) digits.remove_prefix(1);
    if (!all_digits(digits)) {
        if (token.starts_with('-') && all_digits(token.substr(1))) return "must not be negative";
        return "is not a number";
    }
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
    if (ec != std::errc{} || end != token.data() + token.size()) return "is out of range";
    return nullptr;
}

// The per-request field reader. The first error sticks: later reads return defaults and do
// nothing, so each request parser reads like the wire format instead of a ladder of ifs.
class Fields {
public:
    Fields(RequestType type, std::string_view rest) : request_(request_name(type)), rest_(rest) {}

    [[nodiscard]] bool has_more() const {
        for (char c : rest_) {
            if (!is_blank(c)) return true;
        }
        return false;
    }

    std::string_view token(std::string_view field) {
        if (error_) return {};
        std::string_view word = next_token(rest_);
        if (word.empty()) {
            set_error("{}: missing field {}", request_, field);
        } else if (word.size() > max_token_chars) {
            set_error("{}: field {} is {} characters long, more than {}", request_, field, word.size(),
                      max_token_chars);
            return {};
        }
        return word;
    }

    // Any token: addresses and ports that tinc keeps as opaque strings when they do not
    // resolve (AF_UNKNOWN), so they cannot be validated further without losing interop.
    std::string opaque(std::string_view field) { return std::string(token(field)); }

    std::string name(std::string_view field) {
        std::string_view word = token(field);
        if (!error_ && !text::is_valid_node_name(word)) {
            set_error("{}: invalid name {} in field {}", request_, shown(word), field);
        }
        return std::string(word);
    }

    // ACK's port: tinc sends its Port setting, a number or a service name.
    std::string service(std::string_view field) {
        std::string_view word = token(field);
        for (char c : word) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
            if (!ok) {
                set_error("{}: {} {} is not a port number or service name", request_, field, shown(word));
                break;
            }
        }
        return std::string(word);
    }

    int decimal(std::string_view field, Sign sign = Sign::non_negative) {
        std::string_view word = token(field);
        int value = 0;
        if (error_) return value;
        if (const char* reason = read_decimal(word, sign, value)) {
            set_error("{}: {} {} {}", request_, field, shown(word), reason);
        }
        return value;
    }

    // Nonces and option bits: tinc prints them with "%x" from 32-bit values.
    std::uint32_t hex32(std::string_view field) {
        std::string_view word = token(field);
        std::uint32_t value = 0;
        if (error_) return value;
        if (word.size() > 8) {
            set_error("{}: {} {} is longer than 8 hex digits", request_, field, shown(word));
            return value;
        }
        auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value, 16);
        if (ec != std::errc{} || end != word.data() + word.size()) {
            set_error("{}: {} {} is not a hex number", request_, field, shown(word));
        }
        return value;
    }

    std::vector<std::uint8_t> hex_bytes(std::string_view field) {
        std::string_view word = token(field);
        if (error_) return {};
        auto bytes = crypto::from_hex(word);
        if (!bytes) {
            set_error("{}: invalid hex in field {}: {}", request_, field, bytes.error().message);
            return {};
        }
        return std::move(*bytes);
    }

    // Hex that stays text (the ANS_KEY session key): validated like hex_bytes, never decoded
    // here, so the key does not linger in a non-wiping buffer of the codec.
    std::string hex_text(std::string_view field) {
        std::string_view word = token(field);
        if (error_) return {};
        if (word.size() % 2 != 0) {
            set_error("{}: invalid hex in field {}: odd number of hex digits ({})", request_, field,
                      word.size());
            return {};
        }
        for (std::size_t i = 0; i < word.size(); ++i) {
            char c = word[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                set_error("{}: invalid hex in field {}: invalid hex digit '{}' at position {}", request_,
                          field, c, i);
                return {};
            }
        }
        return std::string(word);
    }

    // REQ_KEY's optional "SLUICE-KX1 <token>" (request.hpp). Never an error: tinc relays
    // whatever follows the two names unchanged, so a bad token may come from any node of the
    // mesh, and it must not cost this node its link to the relay that passed it on. The
    // exchange refuses it instead.
    std::optional<std::string> kx_extension() {
        if (error_) return std::nullopt;
        std::string_view rest = rest_;
        // Nothing, or another extension (tinc 1.1 sends numbers here): a plain REQ_KEY.
        if (next_token(rest) != req_key_kx_tag) return std::nullopt;
        std::string_view token = next_token(rest);
        const bool well_formed = !token.empty() && token.size() <= max_token_chars && is_base64url(token) &&
                                 next_token(rest).empty();
        rest_ = rest;
        return well_formed ? std::string(token) : std::string();
    }

    template <typename... Args>
    void set_error(fmt::format_string<Args...> format, Args&&... args) {
        if (!error_) error_ = Error{fmt::format(format, std::forward<Args>(args)...)};
    }

    [[nodiscard]] const char* request() const { return request_; }

    // Extra tokens are deliberately not looked at: see codec.hpp.
    Result<Request> finish(Request parsed) {
        if (error_) return fail(std::move(*error_));
        return parsed;
    }

private:
    const char* request_;
    std::string_view rest_;
    std::optional<Error> error_;
};

// "17" from tinc 1.0, "17.7" from tinc 1.1. Only the syntax is checked here; the session
// refuses a major other than 17 with its own reason.
void read_version(Fields& fields, IdRequest& id) {
    std::string_view token = fields.token("version");
    if (token.empty()) return;
    std::size_t dot = token.find('.');
    std::string_view major = token.substr(0, dot);
    std::string_view minor = dot == std::string_view::npos ? std::string_view{} : token.substr(dot + 1);
    if (!all_digits(major) || (dot != std::string_view::npos && !all_digits(minor))) {
        fields.set_error("{}: version {} is not <major> or <major>.<minor>", fields.request(), shown(token));
        return;
    }
    if (read_decimal(major, Sign::non_negative, id.major)) {
        fields.set_error("{}: major version {} is out of range", fields.request(), shown(major));
        return;
    }
    if (dot == std::string_view::npos) return;
    if (read_decimal(minor, Sign::non_negative, id.minor) || id.minor > 255) {
        fields.set_error("{}: minor version {} is out of range 0..255", fields.request(), shown(minor));
    }
}

Result<Request> parse_fields(RequestType type, Fields& f) {
    switch (type) {
        case RequestType::id: {
            IdRequest r;
            r.name = f.name("name");
            read_version(f, r);
            return f.finish(std::move(r));
        }
        case RequestType::metakey: {
            MetakeyRequest r;
            r.cipher_nid = f.decimal("cipher nid");
            r.digest_nid = f.decimal("digest nid");
            r.mac_length = f.decimal("mac length");
            r.compression = f.decimal("compression");
            r.encrypted_key = f.hex_bytes("key");
            return f.finish(std::move(r));
        }
        case RequestType::challenge:
            return f.finish(ChallengeRequest{f.hex_bytes("challenge")});
        case RequestType::chal_reply:
            return f.finish(ChalReplyRequest{f.hex_bytes("digest")});
        case RequestType::ack: {
            AckRequest r;
            r.port = f.service("port");
            r.weight = f.decimal("weight", Sign::any);
            r.options = f.hex32("options");
            return f.finish(std::move(r));
        }
        case RequestType::ping:
            return f.finish(PingRequest{});
        case RequestType::pong:
            return f.finish(PongRequest{});
        case RequestType::add_subnet:
        case RequestType::del_subnet: {
            std::uint32_t nonce = f.hex32("nonce");
            std::string owner = f.name("owner");
            std::string_view subnet_text = f.token("subnet");
            net::Subnet subnet;
            if (!subnet_text.empty()) {
                auto parsed = net::Subnet::parse(subnet_text);
                if (parsed) {
                    subnet = *parsed;
                } else {
                    f.set_error("{}: invalid subnet {}: {}", f.request(), shown(subnet_text),
                                parsed.error().message);
                }
            }
            if (type == RequestType::add_subnet) {
                return f.finish(AddSubnetRequest{nonce, std::move(owner), subnet});
            }
            return f.finish(DelSubnetRequest{nonce, std::move(owner), subnet});
        }
        case RequestType::add_edge: {
            AddEdgeRequest r;
            r.nonce = f.hex32("nonce");
            r.from = f.name("from");
            r.to = f.name("to");
            r.address = f.opaque("address");
            r.port = f.opaque("port");
            r.options = f.hex32("options");
            r.weight = f.decimal("weight", Sign::any);
            return f.finish(std::move(r));
        }
        case RequestType::del_edge: {
            DelEdgeRequest r;
            r.nonce = f.hex32("nonce");
            r.from = f.name("from");
            r.to = f.name("to");
            return f.finish(std::move(r));
        }
        case RequestType::key_changed: {
            KeyChangedRequest r;
            r.nonce = f.hex32("nonce");
            r.origin = f.name("origin");
            return f.finish(std::move(r));
        }
        case RequestType::req_key: {
            ReqKeyRequest r;
            r.from = f.name("from");
            r.to = f.name("to");
            r.kx_token = f.kx_extension();
            return f.finish(std::move(r));
        }
        case RequestType::ans_key: {
            AnsKeyRequest r;
            r.from = f.name("from");
            r.to = f.name("to");
            // Kept exactly as received: relays forward it, and the receiver decodes it into
            // a wiping buffer itself. So its case survives formatting too.
            r.key_hex = f.hex_text("key");
            r.cipher_nid = f.decimal("cipher nid");
            r.digest_nid = f.decimal("digest nid");
            r.mac_length = f.decimal("mac length");
            r.compression = f.decimal("compression");
            if (f.has_more()) {
                r.address = f.opaque("address");
                if (!f.has_more()) {
                    f.set_error("{}: reflexive address {} without a port", f.request(), shown(*r.address));
                }
                r.port = f.opaque("port");
            }
            return f.finish(std::move(r));
        }
        case RequestType::packet: {
            int length = f.decimal("length");
            if (length == 0) {
                f.set_error("{}: length 0 is not allowed: tinc never sends an empty body", f.request());
            } else if (static_cast<std::size_t>(length) > max_packet_body) {
                f.set_error("{}: length {} is longer than the largest body tinc accepts ({})", f.request(),
                            length, max_packet_body);
            }
            return f.finish(PacketRequest{static_cast<std::size_t>(length)});
        }
        case RequestType::status:
        case RequestType::error:
        case RequestType::termreq:
            break;
    }
    return fail("{} ({}) is not implemented by tinc 1.0.36", request_name(type), static_cast<int>(type));
}

}  // namespace

Result<Request> parse_request(std::string_view line) {
    if (auto ok = check_characters(line); !ok) return fail(std::move(ok.error()));
    std::string_view rest = line;
    std::string_view first = next_token(rest);
    if (first.empty()) return fail("empty line");
    if (!all_digits(first)) return fail("request number {} is not a number", shown(first));
    int number = -1;
    auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), number);
    if (ec != std::errc{} || number > static_cast<int>(RequestType::packet)) {
        // All digits, so printing it raw is safe; only its length needs a bound.
        std::string_view shown_number = first.substr(0, 20);
        return fail("request number {}{} is not part of tinc 1.0 (protocol 17)", shown_number,
                    first.size() > shown_number.size() ? "..." : "");
    }
    auto type = static_cast<RequestType>(number);
    Fields fields(type, rest);
    return parse_fields(type, fields);
}

}  // namespace sluice::protocol
