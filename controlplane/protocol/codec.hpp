// The meta-protocol codec: one line of tinc 1.0.36's meta protocol (protocol 17) to a typed
// Request and back. Pure: no I/O, no state, no exceptions for bad input.
//
// Input rules, and where they differ from tincd 1.0.36 (which parses with sscanf):
// * Tokens are separated by runs of spaces and tabs, as sscanf tolerates; leading and
//   trailing blanks are accepted for the same reason. Every other control character, and
//   every byte >= 0x7f, is rejected anywhere in the line (tinc never sends them; CR in
//   particular means a peer that is not tinc).
// * Stricter than sscanf: numbers take no '+' sign, and a '-' only in the two weight fields
//   where a negative value means something. Overflow is an error instead of wrapping.
//   Leading zeros are accepted (sscanf accepts them) and dropped on output.
// * Extra trailing tokens are accepted for every request type and dropped, because 1.0.36
//   ignores them everywhere and tinc 1.1 relies on that: it sends ID "17.7" style versions,
//   appends its local address and port to ADD_EDGE and extensions to REQ_KEY. So formatting
//   a parsed 1.1 line can differ from the input; that is harmless because relays forward
//   the exact received line (spec 1.4), never a re-formatted one. Ignored tokens are only
//   subject to the character check above, not to the 2048-character token limit.
// * One exception: REQ_KEY's "SLUICE-KX1 <token>", sluice's own key exchange
//   (docs/protocol.md 2.1), is kept in ReqKeyRequest::kx_token (see there). A malformed
//   token is not a parse error, since tinc relays it from any node; it parses to an empty
//   token that the key exchange refuses.
// * Semantic checks (ID major == 17, from != to in ADD_EDGE, NIDs known to OpenSSL, key
//   and challenge lengths) belong to the session, which knows the keys and the peer.
//
// Output is canonical: single spaces, uppercase hex for binary data, "%x" lowercase nonces
// and options without leading zeros, subnets in tinc's net2str form. For every valid
// request r, parse_request(format_request(r)) == r, and format_request(parse_request(x))
// is x's canonical form.
#pragma once

#include <string>
#include <string_view>

#include "controlplane/protocol/request.hpp"
#include "shared/util/result.hpp"

namespace sluice::protocol {

// Parses one meta-protocol line, without its '\n'. Every error is a one-line reason that
// names the request and the field, e.g. `ADD_EDGE: invalid name "a-b" in field from`.
[[nodiscard]] Result<Request> parse_request(std::string_view line);

// The canonical line for a request, without '\n' (see framing.hpp frame_line). The request
// is assumed valid, as the session builds it: names pass text::is_valid_node_name, hex keys
// are non-empty, tokens contain no blanks or control characters, numbers are in range.
// Nothing is checked here: the session owns those values and tests cover them.
[[nodiscard]] std::string format_request(const Request& request);

}  // namespace sluice::protocol
